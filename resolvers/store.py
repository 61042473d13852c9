"""DynamoDB adapter for the single tickets table (design: brief, "DynamoDB single-table design").

Access is by key (GetItem, conditional writes) and by index (Query on byStatus / byCreated) only;
there is no Scan. Every write is conditional: no duplicate ticket, no lost update.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from . import aws, dynamo_json, tickets
from .errors import TICKET_NOT_FOUND, ConflictError, NotFoundError

INTERNAL_KEYS = frozenset({"pk", "entity", "createdKey", "tokenHash"})
CLIENT_TOKEN_TTL_SECONDS = 7 * 24 * 3600
BY_STATUS = "byStatus"
BY_CREATED = "byCreated"
_CREATE_ATTEMPTS = 8
_UPDATE_ATTEMPTS = 3


class StoreError(Exception):
    """An unexpected storage outcome (becomes the handler's generic error)."""


@dataclass(frozen=True)
class Stored:
    """A ticket as callers may see it (customer included) and its tracking-token hash."""

    ticket: dict[str, Any]
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
    return Stored(ticket=ticket, token_hash=item.get("tokenHash"))


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


def page(status: str | None, limit: int, next_token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page, newest first: by status (GSI byStatus) or over all tickets (GSI byCreated).

    Reads limit+1 items to learn whether more exist, so a nextToken is only returned when another
    non-empty page follows; keeps querying while DynamoDB stops early (1 MB pages).
    """
    after = tickets.decode_next_token(next_token, status)
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
            "createdKey": {"S": tickets.created_key(created_at, ticket_id)},
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
        token = tickets.encode_next_token(status, last["createdAt"], last["id"])
    return result, token


# -------------------------------------------------------------------------------------------------- create


def put_new(data: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
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
    ticket: Mapping[str, Any], token: str, client_token: str | None, fingerprint: str
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
        "createdKey": tickets.created_key(ticket["createdAt"], ticket["id"]),
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


def _existing_for_client_token(client_token: str, fingerprint: str) -> dict[str, Any] | None:
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


def apply_change(
    ticket_id: str,
    status: str,
    by: str | None,
    note: str | None,
    expected_version: int | None,
    internal_note: str | None = None,
) -> dict[str, Any]:
    """Change the status: one conditional UpdateItem (status, history appended, version + 1).

    The condition holds the version the change was decided on and the current status, so no change
    is lost or applied to a state it was not checked against. With expectedVersion a mismatch is a
    ConflictError; without it a concurrent change is re-read and the change retried a few times.
    """
    for _ in range(_UPDATE_ATTEMPTS):
        current = get(ticket_id)
        if current is None:
            raise NotFoundError(TICKET_NOT_FOUND)
        version = int(current.ticket["version"])
        if expected_version is not None and expected_version != version:
            raise ConflictError(f"ticket has version {version}, not expectedVersion {expected_version}")
        tickets.check_transition(current.ticket["status"], status)
        at = tickets.now_iso()
        entry = tickets.history_entry(status, at, by, note, internal_note)
        try:
            resp = client().update_item(
                TableName=table_name(),
                Key=_ticket_key(ticket_id),
                UpdateExpression=(
                    "SET #status = :status, #history = list_append(#history, :entry), "
                    "#version = :next, #updatedAt = :at"
                ),
                ConditionExpression="#version = :version AND #status = :current",
                ExpressionAttributeNames={
                    "#status": "status",
                    "#history": "history",
                    "#version": "version",
                    "#updatedAt": "updatedAt",
                },
                ExpressionAttributeValues=_serialize(
                    {
                        ":status": status,
                        ":entry": [entry],
                        ":next": version + 1,
                        ":at": at,
                        ":version": version,
                        ":current": current.ticket["status"],
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise
            if expected_version is not None:
                raise ConflictError(
                    f"ticket was changed meanwhile; expectedVersion {expected_version} is stale"
                ) from None
            continue
        return to_stored(deserialize(resp["Attributes"])).ticket
    raise ConflictError("ticket is being changed by someone else; try again")
