"""Ticket items exactly as resolvers.store writes them (its own item builder), for seeding and sizing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from resolvers import store, tickets

#: A plausible request through validation (what the customer page sends).
SAMPLE_INPUT = {
    "vehicle": {
        "make": "Skoda",
        "model": "Octavia Combi",
        "year": 2015,
        "licensePlate": "B-PS 1234",
        "mileage": 148_000,
    },
    "description": "Squeaky brakes at low speed, and the check-engine light came on yesterday "
    "on the motorway.",
    "customer": {"name": "Alex Example", "email": "alex@example.com", "phone": "+4930123456789"},
}
#: A walk through the lifecycle, one status per change (every step allowed by tickets.TRANSITIONS).
PATH = ("RECEIVED", "DIAGNOSING", "WAITING_FOR_PARTS", "IN_REPAIR", "READY_FOR_PICKUP", "COMPLETED")


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def ticket(created: datetime, changes: int = 0, n: int = 0) -> tuple[dict[str, Any], str]:
    """A validated ticket created at `created`, then moved `changes` steps along PATH (by staff)."""
    raw = {**SAMPLE_INPUT, "description": f"{SAMPLE_INPUT['description']} #{n}"}
    data = tickets.validate_create_input(raw)
    at = _iso(created)
    value = tickets.new_ticket(data, tickets.new_ticket_id(), tickets.new_reference(), at)
    for step in range(changes):
        moved = _iso(created + timedelta(minutes=step + 1))
        status = PATH[step % len(PATH)]
        value["status"] = status
        value["history"].append(tickets.history_entry(status, moved, "staff@example.com", "checked"))
        value["version"] += 1
        value["updatedAt"] = moved
    return value, tickets.new_tracking_token(None)


def stored_items(value: dict[str, Any], token: str) -> list[dict[str, Any]]:
    """The DynamoDB items (attribute-value form) store.put_new writes for this ticket: TICKET#, REF#."""
    fingerprint = tickets.input_hash(value)
    return [put["Put"]["Item"] for put in store._create_items(value, token, None, fingerprint)]


def seed_items(count: int, status_of: Any, start: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Items for `count` tickets, one a minute going back from `start`; status_of(i) -> changes made."""
    start = start or datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(count):
        value, token = ticket(start - timedelta(minutes=i), status_of(i), i)
        yield from stored_items(value, token)


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB item size in bytes (attribute names + values, per the DynamoDB Developer Guide,
    "Item sizes and formats"): strings UTF-8 bytes, numbers ~ (digits/2 + 1), maps/lists 3 bytes
    overhead + 1 per element, booleans/null 1 byte."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = len(inner.lstrip("-").replace(".", "").lstrip("0")) or 1
        return (digits + 1) // 2 + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: v}) for v in inner)
    raise ValueError(f"unknown attribute type {kind}")
