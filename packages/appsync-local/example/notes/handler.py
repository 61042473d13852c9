"""The notes board's resolver: a direct Lambda resolver, routed by the field AppSync asks for.

The notes live in this module, i.e. in the warm Lambda instance: enough for an example served by
appsync-local with concurrency 1; a deployed board would keep them in DynamoDB.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

NOTES: dict[str, list[dict[str, Any]]] = {}


class ValidationError(Exception):
    """A bad note; AppSync reports the class name as the field error's errorType."""


def add_note(board: str, text: str, author: str) -> dict[str, Any]:
    limit = int(os.environ.get("NOTES_MAX_LENGTH", "280"))
    text = text.strip()
    if not text or len(text) > limit:
        raise ValidationError(f"A note has 1 to {limit} characters.")
    note = {
        "id": str(uuid.uuid4()),
        "board": board,
        "text": text,
        "author": author,
        "createdAt": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    NOTES.setdefault(board, []).append(note)
    return note


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    field = f"{event['info']['parentTypeName']}.{event['info']['fieldName']}"
    arguments = event["arguments"]
    if field == "Query.notes":
        return NOTES.get(arguments["board"], [])
    if field == "Mutation.addNote":
        identity = event["identity"] or {}
        return add_note(arguments["board"], arguments["text"], str(identity.get("username") or "anonymous"))
    if field == "Mutation.clearBoard":
        return len(NOTES.pop(arguments["board"], []))
    raise ValueError(f"no resolver for {field}")
