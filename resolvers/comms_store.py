"""DynamoDB adapter for customer communication, in the tickets table (pk only):

- `LINK#<sha256(token)>`: an issued tracking link (ticketId, expiresAt: TTL, so DynamoDB deletes it);
- `LINKREQ#<reference>#<hour>`: link requests for a reference in one clock hour (a conditional counter,
  the requester's contact as a hash only); the stream hands each request to the publisher;
- `NOTIF#<ticket id>#<event>#<version>#<channel>`: the claim of one customer message (state PENDING,
  then SENT, SKIPPED or FAILED), written before anything is sent;
- the ticket's `notifications` list: the delivery log, appended in the same transaction that settles
  a claim, so the log and the claim never disagree.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from . import dynamo_json, limits, store, tickets
from .errors import TICKET_NOT_FOUND, ConflictError, NotFoundError

LINK_ENTITY, LINK_REQUEST_ENTITY, CLAIM_ENTITY = "LINK", "LINKREQ", "NOTIF"
PENDING = "PENDING"
CLAIM_PREFIX, LINK_PREFIX, LINK_REQUEST_PREFIX = "NOTIF#", "LINK#", "LINKREQ#"
LINK_REQUEST_TTL_SECONDS = 2 * 3600  # an hour's counter, kept a little longer than its hour
_UPDATE_ATTEMPTS = 3


def _ddb() -> Any:
    return store.client()


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


# --------------------------------------------------------------------------------------------- links


def new_link_token() -> str:
    """128 random bits (22 characters): short, so an SMS with the link fits one segment."""
    return secrets.token_urlsafe(16)


def issue_link(ticket_id: str, now: float | None = None) -> str:
    """A new token for the ticket, stored as LINK#<sha256> expiring after trackingLinkDays."""
    token = new_link_token()
    expires = int((now or time.time()) + limits.TRACKING_LINK_DAYS * 86400)
    item = {
        "pk": f"{LINK_PREFIX}{tickets.hash_token(token)}",
        "entity": LINK_ENTITY,
        "ticketId": ticket_id,
        "expiresAt": expires,
    }
    _ddb().put_item(
        TableName=store.table_name(),
        Item=dynamo_json.serialize_item(item),
        ConditionExpression="attribute_not_exists(pk)",
    )
    return token


def link_opens(token: Any, ticket_id: str) -> bool:
    """Whether `token` is a live issued link of this ticket (TTL deletion is lazy: expiry checked here)."""
    if not isinstance(token, str) or not token or len(token) > 256:
        return False
    resp = _ddb().get_item(
        TableName=store.table_name(),
        Key={"pk": {"S": f"{LINK_PREFIX}{tickets.hash_token(token)}"}},
        ConsistentRead=True,
    )
    item = dynamo_json.deserialize_item(resp["Item"]) if resp.get("Item") else None
    return bool(
        item and item.get("ticketId") == ticket_id and int(item.get("expiresAt", 0)) > int(time.time())
    )


# ------------------------------------------------------------------------------------- link requests


def hour_bucket(now: float | None = None) -> str:
    return datetime.fromtimestamp(now or time.time(), UTC).strftime("%Y-%m-%dT%H")


def record_link_request(reference: str, contact_hash: str, now: float | None = None) -> None:
    """One conditional UpdateItem on LINKREQ#<reference>#<hour>, the same whether or not the
    reference exists: the counter goes up while below trackingLinksPerHour; above it nothing is
    written (and nothing reaches the stream). Races cannot pass the limit: DynamoDB checks the
    condition and adds atomically."""
    at = now or time.time()
    try:
        _ddb().update_item(
            TableName=store.table_name(),
            Key={"pk": {"S": f"{LINK_REQUEST_PREFIX}{reference}#{hour_bucket(at)}"}},
            UpdateExpression=(
                "SET entity = :entity, #reference = :reference, contactHash = :contact, "
                "requestedAt = :at, expiresAt = :expires ADD #count :one"
            ),
            ConditionExpression="attribute_not_exists(#count) OR #count < :limit",
            ExpressionAttributeNames={"#count": "count", "#reference": "reference"},
            ExpressionAttributeValues=dynamo_json.serialize_item(
                {
                    ":entity": LINK_REQUEST_ENTITY,
                    ":reference": reference,
                    ":contact": contact_hash,
                    ":at": tickets.now_iso(),
                    ":expires": int(at) + LINK_REQUEST_TTL_SECONDS,
                    ":one": 1,
                    ":limit": limits.TRACKING_LINKS_PER_HOUR,
                }
            ),
        )
    except ClientError as exc:
        if _code(exc) != "ConditionalCheckFailedException":
            raise


# ----------------------------------------------------------------------------------------- choices


def set_notify_by(ticket_id: str, notify_by: list[str]) -> tickets.Ticket:
    """customer.notifyBy := notify_by, version + 1 (a committed change: subscribers see it)."""
    for _ in range(_UPDATE_ATTEMPTS):
        current = store.get(ticket_id)
        if current is None:
            raise NotFoundError(TICKET_NOT_FOUND)
        version = int(current.ticket["version"])
        try:
            resp = _ddb().update_item(
                TableName=store.table_name(),
                Key={"pk": {"S": f"TICKET#{ticket_id}"}},
                UpdateExpression="SET customer.notifyBy = :choice, #version = :next, updatedAt = :at",
                ConditionExpression="#version = :version",
                ExpressionAttributeNames={"#version": "version"},
                ExpressionAttributeValues=dynamo_json.serialize_item(
                    {
                        ":choice": notify_by,
                        ":next": version + 1,
                        ":at": tickets.now_iso(),
                        ":version": version,
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise
            continue
        return store.to_stored(dynamo_json.deserialize_item(resp["Attributes"])).ticket
    raise ConflictError("ticket is being changed by someone else; try again")


# ------------------------------------------------------------------------------------------ claims


def claim_key(ticket_id: str, event: str, version: str, channel: str) -> str:
    return f"{CLAIM_PREFIX}{ticket_id}#{event}#{version}#{channel}"


def claim(key: str, ttl_seconds: float) -> str:
    """Claim one message: PENDING when new; otherwise the state an earlier attempt left."""
    item = {"pk": key, "entity": CLAIM_ENTITY, "state": PENDING, "attempts": 0}
    item["expiresAt"] = int(time.time() + ttl_seconds)
    try:
        _ddb().put_item(
            TableName=store.table_name(),
            Item=dynamo_json.serialize_item(item),
            ConditionExpression="attribute_not_exists(pk)",
        )
        return PENDING
    except ClientError as exc:
        if _code(exc) != "ConditionalCheckFailedException":
            raise
    resp = _ddb().get_item(TableName=store.table_name(), Key={"pk": {"S": key}}, ConsistentRead=True)
    return str(dynamo_json.deserialize_item(resp.get("Item") or {}).get("state", PENDING))


def settle(key: str, ticket_id: str, state: str, entry: Mapping[str, Any], *, log: bool = True) -> None:
    """The claim's new state and (with `log`) the delivery-log entry, in one transaction."""
    actions: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": store.table_name(),
                "Key": {"pk": {"S": key}},
                "UpdateExpression": "SET #state = :state ADD attempts :one",
                "ExpressionAttributeNames": {"#state": "state"},
                "ExpressionAttributeValues": dynamo_json.serialize_item({":state": state, ":one": 1}),
            }
        }
    ]
    if log:
        actions.append(
            {
                "Update": {
                    "TableName": store.table_name(),
                    "Key": {"pk": {"S": f"TICKET#{ticket_id}"}},
                    "UpdateExpression": (
                        "SET notifications = list_append(if_not_exists(notifications, :none), :entry)"
                    ),
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": dynamo_json.serialize_item(
                        {":none": [], ":entry": [dict(entry)]}
                    ),
                }
            }
        )
    _ddb().transact_write_items(TransactItems=actions)
