"""Fake direct Lambda resolver: records each event and answers from fixed data."""

from __future__ import annotations

import time
from typing import Any

import engine_fake_recorder

from . import errors
from .version import VERSION

STAFF_TICKET_TOKEN = "good-token"


def ticket(ticket_id: str = "t-1", status: str = "SUBMITTED") -> dict[str, Any]:
    return {
        "id": ticket_id,
        "reference": "PS-AAAAAA",
        "status": status,
        "vehicle": {"make": "Volvo", "model": "240", "year": 1990},
        "description": f"noise v{VERSION}",
        "customer": {"name": "Ada", "email": "ada@example.com", "phone": None},
        "history": [{"status": "SUBMITTED", "at": "2024-01-01T10:00:00Z", "by": None, "note": None}],
        "version": 1,
        "createdAt": "2024-01-01T10:00:00Z",
        "updatedAt": "2024-01-01T10:00:00Z",
    }


def _query_ticket(args: dict[str, Any], event: dict[str, Any]) -> Any:
    ticket_id = args["id"]
    if ticket_id == "missing":
        raise errors.NotFoundError("Ticket not found")
    if ticket_id == "boom":
        raise RuntimeError("kaboom")
    if ticket_id == "denied":
        raise errors.UnauthorizedException("secret detail")
    if ticket_id == "slow":
        time.sleep(0.1)
    if ticket_id == "bad-date":
        return {**ticket(ticket_id), "createdAt": "yesterday"}
    if ticket_id == "partial":
        return {"id": ticket_id}
    if ticket_id == "unserializable":
        return {"id": object()}
    return ticket(ticket_id)


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    engine_fake_recorder.record(event, context)
    info = event["info"]
    field = f"{info['parentTypeName']}.{info['fieldName']}"
    args = event["arguments"]
    if field == "Query.ticket":
        return _query_ticket(args, event)
    if field == "Query.ticketByReference":
        return ticket("t-ref")
    if field == "Query.tickets":
        return {"items": [ticket("t-1"), ticket("t-2")], "nextToken": None}
    if field == "Mutation.createTicket":
        if args["input"]["description"] == "":
            raise errors.ValidationError("description must not be empty")
        return {"ticket": ticket("t-new"), "trackingToken": "tok"}
    if field == "Mutation.updateTicketStatus":
        return ticket(args["input"]["id"], args["input"]["status"])
    if field == "Subscription.onTicketUpdated":  # the pipeline check's contract (resolvers.errors.as_refusal)
        if args.get("trackingToken") == "raise":
            raise errors.NotFoundError("Ticket not found")
        if event["identity"] is None and args.get("trackingToken") != STAFF_TICKET_TOKEN:
            return {"errorType": "NotFoundError", "errorMessage": "Ticket not found"}
        return None
    raise errors.ValidationError(f"unexpected field {field}")
