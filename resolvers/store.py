"""DynamoDB adapter for the single tickets table: its keys, indexes, page tokens and writes.

Items (key `pk`): TICKET#<id> (the ticket), REF#<reference> and CLIENT#<sha256(clientToken)>
(uniqueness), HIST#<id>#<n> (history entries that left the ticket, see write_change).
Access is by key (GetItem, conditional writes) and by index (Query on byStatus / byCreated) only;
there is no Scan. Every write is conditional: no duplicate ticket, no lost update.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import random
import re
import time
from collections.abc import Mapping
from typing import Any, NamedTuple, cast

from botocore.exceptions import ClientError

from . import aws, dynamo_json, tickets
from .errors import ConflictError, ValidationError

INTERNAL_KEYS = frozenset({"pk", "entity", "createdKey", "tokenHash"})
CLIENT_TOKEN_TTL_SECONDS = 7 * 24 * 3600
BY_STATUS = "byStatus"
BY_CREATED = "byCreated"
_CREATE_ATTEMPTS = 8


class StoreError(Exception):
    """An unexpected storage outcome (becomes the handler's generic error)."""


class StaleWrite(Exception):
    """A conditional change found the ticket changed since it was read (no write happened)."""


# A NamedTuple rather than a frozen dataclass: as immutable, at a fraction of the class-creation cost
# on import (cold start of the resolver Lambdas; bench/cold_start.py).
class Stored(NamedTuple):
    """A ticket as callers may see it (customer included) and its tracking-token hash."""

    ticket: tickets.Ticket
    token_hash: str | None


# ------------------------------------------------------------------------------------------------ plumbing


def client() -> Any:
    """The DynamoDB client (botocore, created on first use; see aws.py)."""
    return aws.client("dynamodb")


def table_name() -> str:
    return os.environ["TABLE_NAME"]


def deserialize(image: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB JSON (an item, or a stream NewImage) to plain Python."""
    return dynamo_json.deserialize_item(image)


def _serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return dynamo_json.serialize_item(item)


def to_stored(item: Mapping[str, Any]) -> Stored:
    ticket = {k: v for k, v in item.items() if k not in INTERNAL_KEYS}
    return Stored(ticket=cast(tickets.Ticket, ticket), token_hash=item.get("tokenHash"))


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _ticket_key(ticket_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"TICKET#{ticket_id}"}}


def _get_item(pk: str) -> dict[str, Any] | None:
    resp = client().get_item(TableName=table_name(), Key={"pk": {"S": pk}}, ConsistentRead=True)
    item = resp.get("Item")
    return deserialize(item) if item else None


# --------------------------------------------------------------------------------------------------- reads


def get(ticket_id: str) -> Stored | None:
    if not tickets.is_ticket_id(ticket_id):
        return None
    item = _get_item(f"TICKET#{ticket_id}")
    return to_stored(item) if item and item.get("entity") == "TICKET" else None


def get_by_reference(reference: str) -> Stored | None:
    ref = _get_item(f"REF#{reference}")
    return get(ref["id"]) if ref and isinstance(ref.get("id"), str) else None


# ------------------------------------------------------------------------------------------------- listing

_INVALID_NEXT_TOKEN = "nextToken is invalid"  # noqa: S105 (a message)
_AT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def created_key(created_at: str, ticket_id: str) -> str:
    """Sort key of both indexes: creation time, then id to break ties."""
    return f"{created_at}#{ticket_id}"


def encode_next_token(status: str | None, created_at: str, ticket_id: str) -> str:
    """Opaque page token: base64url JSON of the last item's position (and the listing it belongs to)."""
    payload = {"v": 1, "s": status, "c": created_at, "i": ticket_id}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_next_token(token: Any, status: str | None) -> tuple[str, str] | None:
    """(createdAt, id) of the last item seen, or None for the first page.

    There is no secret to sign tokens with, so decoding is strict instead: exact key set, types,
    formats, and the token must belong to the same listing (same status filter). Anything else is a
    ValidationError "nextToken is invalid". A forged but well-formed token only moves the start of a
    listing the caller (staff) may read anyway.
    """
    if token is None:
        return None
    if not isinstance(token, str) or not 1 <= len(token) <= 512:
        raise ValidationError(_INVALID_NEXT_TOKEN)
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(_INVALID_NEXT_TOKEN) from exc
    if not isinstance(data, dict) or set(data) != {"v", "s", "c", "i"} or data["v"] != 1:
        raise ValidationError(_INVALID_NEXT_TOKEN)
    created_at, ticket_id = data["c"], data["i"]
    if data["s"] != status or not isinstance(created_at, str) or not _AT_RE.match(created_at):
        raise ValidationError(_INVALID_NEXT_TOKEN)
    if not tickets.is_ticket_id(ticket_id):
        raise ValidationError(_INVALID_NEXT_TOKEN)
    return created_at, ticket_id


def page(status: str | None, limit: int, next_token: str | None) -> tuple[list[tickets.Ticket], str | None]:
    """One page, newest first: by status (GSI byStatus) or over all tickets (GSI byCreated).

    Reads limit+1 items to learn whether more exist, so a nextToken is only returned when another
    non-empty page follows; keeps querying while DynamoDB stops early (1 MB pages).
    """
    after = decode_next_token(next_token, status)
    if status is None:
        index, part_name, part_value = BY_CREATED, "entity", "TICKET"
    else:
        index, part_name, part_value = BY_STATUS, "status", status
    start: dict[str, Any] | None = None
    if after is not None:
        created_at, ticket_id = after
        start = {
            "pk": {"S": f"TICKET#{ticket_id}"},
            part_name: {"S": part_value},
            "createdKey": {"S": created_key(created_at, ticket_id)},
        }
    items: list[dict[str, Any]] = []
    while True:
        params: dict[str, Any] = {
            "TableName": table_name(),
            "IndexName": index,
            "KeyConditionExpression": "#p = :p",
            "ExpressionAttributeNames": {"#p": part_name},
            "ExpressionAttributeValues": {":p": {"S": part_value}},
            "ScanIndexForward": False,
            "Limit": limit + 1 - len(items),
        }
        if start:
            params["ExclusiveStartKey"] = start
        resp = client().query(**params)
        items.extend(deserialize(i) for i in resp.get("Items", []))
        start = resp.get("LastEvaluatedKey")
        if len(items) > limit or not start:
            break
    result = [to_stored(i).ticket for i in items[:limit]]
    token = None
    if len(items) > limit:
        last = result[-1]
        token = encode_next_token(status, last["createdAt"], last["id"])
    return result, token


# -------------------------------------------------------------------------------------------------- create


def put_new(data: tickets.CreateInput) -> tuple[tickets.Ticket, str]:
    """Create a ticket from validated input; returns (ticket incl. customer, tracking token).

    One TransactWriteItems: the ticket, REF#<reference> (uniqueness) and, with a clientToken,
    CLIENT#<sha256(clientToken)>; each put conditional on attribute_not_exists(pk). A taken
    reference retries with a new one; a taken clientToken returns the ticket it created (or
    ConflictError when the input differs), so concurrent retries all get the one ticket.
    """
    client_token = data.get("clientToken")
    token = tickets.new_tracking_token(client_token)
    fingerprint = tickets.input_hash(data)
    for attempt in range(_CREATE_ATTEMPTS):
        ticket_id, reference, at = tickets.new_ticket_id(), tickets.new_reference(), tickets.now_iso()
        ticket = tickets.new_ticket(data, ticket_id, reference, at)
        items = _create_items(ticket, token, client_token, fingerprint)
        try:
            client().transact_write_items(TransactItems=items)
            return ticket, token
        except ClientError as exc:
            if _code(exc) != "TransactionCanceledException":
                raise
            reasons = [str(r.get("Code")) for r in exc.response.get("CancellationReasons", [])]
        if client_token and len(reasons) > 2 and reasons[2] == "ConditionalCheckFailed":
            existing = _existing_for_client_token(client_token, fingerprint)
            if existing is not None:
                return existing, token
        elif "TransactionConflict" in reasons:
            pass  # a concurrent transaction on the same keys: look again shortly
        elif "ConditionalCheckFailed" not in reasons[:2]:
            raise StoreError(f"create cancelled: {reasons}")
        time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # noqa: S311 (jitter, not crypto)
    raise StoreError("create did not succeed after retries")


def _create_items(
    ticket: tickets.Ticket, token: str, client_token: str | None, fingerprint: str
) -> list[dict[str, Any]]:
    def put(item: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": table_name(),
                "Item": _serialize(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    ticket_item = {
        **ticket,
        "pk": f"TICKET#{ticket['id']}",
        "entity": "TICKET",
        "tokenHash": tickets.hash_token(token),
        "createdKey": created_key(ticket["createdAt"], ticket["id"]),
    }
    items = [
        put(ticket_item),
        put({"pk": f"REF#{ticket['reference']}", "entity": "REF", "id": ticket["id"]}),
    ]
    if client_token:
        items.append(
            put(
                {
                    "pk": f"CLIENT#{tickets.client_token_key(client_token)}",
                    "entity": "CLIENT",
                    "id": ticket["id"],
                    "inputHash": fingerprint,
                    "expiresAt": int(time.time()) + CLIENT_TOKEN_TTL_SECONDS,
                }
            )
        )
    return items


def _existing_for_client_token(client_token: str, fingerprint: str) -> tickets.Ticket | None:
    record = _get_item(f"CLIENT#{tickets.client_token_key(client_token)}")
    if record is None:
        return None  # expired and removed meanwhile: the caller's retry loop creates afresh
    if record.get("inputHash") != fingerprint:
        raise ConflictError("clientToken was already used for a different ticket")
    stored = get(str(record.get("id")))
    if stored is None:
        raise StoreError("clientToken record points to no ticket")
    return stored.ticket


# -------------------------------------------------------------------------------------------------- change


def write_change(change: tickets.Change) -> None:
    """Write a decided status change with one conditional write, or raise StaleWrite.

    The condition holds the version and status the change was decided on, so it never lands on a
    state it was not checked against. The history is written whole (it is bounded). When entries
    leave the ticket (tickets.bound_history), they are put into HIST#<id>#<n> in the same
    transaction, n being the position of the first of them in the ticket's whole history: the
    archive of a ticket is HIST#<id>#2, then #(2 + entries in it), and so on (archived_history).
    """
    ticket = change.ticket
    names = {"#status": "status", "#history": "history", "#version": "version", "#updatedAt": "updatedAt"}
    values: dict[str, Any] = {
        ":status": ticket["status"],
        ":history": ticket["history"],
        ":next": ticket["version"],
        ":at": ticket["updatedAt"],
        ":version": change.from_version,
        ":current": change.from_status,
    }
    expression = "SET #status = :status, #history = :history, #version = :next, #updatedAt = :at"
    if change.moved_out:
        names["#older"] = "olderHistoryCount"
        values[":older"] = ticket["olderHistoryCount"]
        expression += ", #older = :older"
    update = {
        "TableName": table_name(),
        "Key": _ticket_key(ticket["id"]),
        "UpdateExpression": expression,
        "ConditionExpression": "#version = :version AND #status = :current",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": _serialize(values),
    }
    if not change.moved_out:
        try:
            client().update_item(**update)
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                raise StaleWrite() from None
            raise
        return
    archive = {
        "pk": f"HIST#{ticket['id']}#{change.moved_out_position}",
        "entity": "HIST",
        "ticketId": ticket["id"],
        "entries": list(change.moved_out),
    }
    items = [
        {"Update": update},
        {
            "Put": {
                "TableName": table_name(),
                "Item": _serialize(archive),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ]
    try:
        client().transact_write_items(TransactItems=items)
    except ClientError as exc:
        if _code(exc) != "TransactionCanceledException":
            raise
        reasons = [str(r.get("Code")) for r in exc.response.get("CancellationReasons", [])]
        if reasons[:1] == ["ConditionalCheckFailed"] or "TransactionConflict" in reasons:
            raise StaleWrite() from None
        raise StoreError(f"status change cancelled: {reasons}") from None


def archived_history(ticket_id: str) -> list[tickets.HistoryEntry]:
    """The entries that left the ticket's item, oldest first (they fall between SUBMITTED and `history`)."""
    entries: list[tickets.HistoryEntry] = []
    position = 2
    while (item := _get_item(f"HIST#{ticket_id}#{position}")) is not None:
        entries.extend(item["entries"])
        position += len(item["entries"])
    return entries
