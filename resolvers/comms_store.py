"""DynamoDB adapter for customer communication, in the tickets table (pk only):

- `LINK#<sha256(token)>`: an issued tracking link (ticketId, expiresAt: TTL, so DynamoDB deletes it);
- `LINKREQ#<reference>`: the latest link requests for a reference (a sliding window of the last
  trackingLinksPerHour request times, the requester's contact as a hash only); the stream hands each
  accepted request to the publisher;
- `NOTIF#<ticket id>#<event>#<version>#<channel>`: the claim of one customer message (state PENDING,
  then SENT, SKIPPED or FAILED), written before anything is sent;
- the ticket's `notifications` list: the delivery log, its newest deliveryLogMaxEntries entries (a
  ticket item stays far below DynamoDB's 400 KB however many links its customer asks for), written in
  the same transaction that settles a claim, so the log and the claim never disagree.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from . import dynamo_json, limits, store, tickets
from .errors import TICKET_NOT_FOUND, ConflictError, NotFoundError

LINK_ENTITY, LINK_REQUEST_ENTITY, CLAIM_ENTITY = "LINK", "LINKREQ", "NOTIF"
PENDING = "PENDING"
CLAIM_PREFIX, LINK_PREFIX, LINK_REQUEST_PREFIX = "NOTIF#", "LINK#", "LINKREQ#"
WINDOW_SECONDS = 3600  # trackingLinksPerHour counts the requests of the last hour (a sliding window)
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


def window_slots() -> list[str]:
    """The window's attribute names, oldest first: t0 .. t<limit-1>, each a request time (ms)."""
    return [f"t{i}" for i in range(limits.TRACKING_LINKS_PER_HOUR)]


def record_link_request(reference: str, contact_hash: str, now: float | None = None) -> None:
    """One conditional UpdateItem on LINKREQ#<reference>, the same whether or not the reference
    exists. The item keeps the times of the last trackingLinksPerHour accepted requests; a request is
    accepted while the oldest of them is more than an hour old (or missing), and then shifts the
    window by one: so no rolling hour ever holds more than the limit (a clock-hour counter would let
    twice the limit through around the hour). Above the limit nothing is written, and nothing reaches
    the stream. Races cannot pass the limit: DynamoDB checks the condition and writes atomically.
    `seq` numbers the accepted requests, so each one's messages have their own claim."""
    at = now or time.time()
    at_ms = int(at * 1000)
    slots = window_slots()
    names = {f"#{slot}": slot for slot in slots}
    shifted = [f"#{older} = if_not_exists(#{newer}, :never)" for older, newer in itertools.pairwise(slots)]
    try:
        _ddb().update_item(
            TableName=store.table_name(),
            Key={"pk": {"S": f"{LINK_REQUEST_PREFIX}{reference}"}},
            UpdateExpression=(
                "SET "
                + ", ".join(
                    [
                        *shifted,
                        f"#{slots[-1]} = :now",
                        "entity = :entity",
                        "#reference = :reference",
                        "contactHash = :contact",
                        "requestedAt = :at",
                        "expiresAt = :expires",
                    ]
                )
                + " ADD seq :one"
            ),
            ConditionExpression=f"attribute_not_exists(#{slots[0]}) OR #{slots[0]} <= :hour_ago",
            ExpressionAttributeNames={**names, "#reference": "reference"},
            ExpressionAttributeValues=dynamo_json.serialize_item(
                {
                    ":never": 0,
                    ":now": at_ms,
                    ":hour_ago": at_ms - WINDOW_SECONDS * 1000,
                    ":entity": LINK_REQUEST_ENTITY,
                    ":reference": reference,
                    ":contact": contact_hash,
                    ":at": tickets.now_iso(),
                    ":expires": int(at) + WINDOW_SECONDS + 60,  # of no use once its window has passed
                    ":one": 1,
                }
            ),
        )
    except ClientError as exc:
        if _code(exc) != "ConditionalCheckFailedException":
            raise


def link_request_version(request: Mapping[str, Any]) -> str:
    """One accepted request's own claim version: its time and sequence number (the time as well,
    because the item expires after its window and its sequence then starts again at 1)."""
    return f"{int(request.get(window_slots()[-1], 0))}.{int(request.get('seq', 0))}"


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
    """The claim's new state and (with `log`) the delivery-log entry, together in one transaction. The log
    keeps its newest DELIVERY_LOG_MAX_ENTRIES: read, trim, and write back under a condition on
    `notificationsSeq` (every log write adds one), so a concurrent writer makes this one retry
    rather than lose its entry."""
    claim_update = {
        "Update": {
            "TableName": store.table_name(),
            "Key": {"pk": {"S": key}},
            "UpdateExpression": "SET #state = :state ADD attempts :one",
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": dynamo_json.serialize_item({":state": state, ":one": 1}),
        }
    }
    if not log:  # one item: a plain write, at half a transaction's price
        _ddb().update_item(**claim_update["Update"])
        return
    ticket_key = {"pk": {"S": f"TICKET#{ticket_id}"}}
    for _ in range(_UPDATE_ATTEMPTS):
        resp = _ddb().get_item(
            TableName=store.table_name(),
            Key=ticket_key,
            ProjectionExpression="pk, notifications, notificationsSeq",
            ConsistentRead=True,
        )
        current = dynamo_json.deserialize_item(resp.get("Item") or {})
        seq = int(current.get("notificationsSeq", 0))
        entries = [*(current.get("notifications") or []), dict(entry)][-limits.DELIVERY_LOG_MAX_ENTRIES :]
        log_update = {
            "Update": {
                "TableName": store.table_name(),
                "Key": ticket_key,
                "UpdateExpression": "SET notifications = :entries, notificationsSeq = :next",
                # the log as it was read: its sequence number, or none yet on a ticket that exists
                "ConditionExpression": (
                    "notificationsSeq = :seq"
                    if seq
                    else "attribute_exists(pk) AND attribute_not_exists(notificationsSeq)"
                ),
                "ExpressionAttributeValues": dynamo_json.serialize_item(
                    {":entries": entries, ":next": seq + 1} | ({":seq": seq} if seq else {})
                ),
            }
        }
        try:
            _ddb().transact_write_items(TransactItems=[claim_update, log_update])
            return
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            raced = any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
            if _code(exc) != "TransactionCanceledException" or not raced or not current:
                raise  # not a race with another log write (no such ticket, throttling, ...)
    raise ConflictError("the delivery log is being written by someone else; the stream retries")
