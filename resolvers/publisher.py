"""DynamoDB stream handler: each committed ticket change -> IAM publish mutation; new tickets -> staff e-mail.

Per batch: the publish mutation for each record, in order, each followed by the customer messages it
causes (customer_messages.py: link requests are records too), then the staff e-mail for the new tickets
among the published records (staffmail.py: one e-mail each, or one digest for a burst, each ticket in
exactly one e-mail). A failure is reported in batchItemFailures, from the failed record on (or, when
the e-mail failed, from the first new ticket's record on), and the stream retries from there; a
repeated publish carries the same version, which clients ignore, and a ticket already e-mailed is
not e-mailed again.

Time budget: every call is bounded (api_config.json "publisher" → "timeouts"), and before each record
the handler checks that one more record (its publish and its customer messages) plus the first staff
e-mail still fit in the time left; if not, it
stops there and reports the rest for retry, so a batch ends inside the function timeout rather than
being cut off by it.
"""

from __future__ import annotations

import http.client
import json
import os
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBStreamEvent,
)
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from . import (
    aws,
    comms,
    comms_store,
    customer_messages,
    publisher_settings,
    store,
    tickets,
)
from .publish_selection import INPUT_FIELDS, OPERATION_NAME, PUBLISH_MUTATION
from .publisher_settings import PublisherSettings
from .staffmail import FIRST_MAIL_CALLS, StaffMailer

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "pitstop"))


RECORD_CALLS = 1 + customer_messages.CHANNEL_CALLS  # the publish, then a message per channel


class PublishError(Exception):
    """The publish mutation failed (HTTP status or GraphQL errors); the record is retried."""


def published_ticket(item: Mapping[str, Any]) -> dict[str, Any]:
    """PublishedTicketInput from a ticket item: the ticket fields only, absent optionals omitted.

    One payload reaches every subscriber, API-key ones included, so history entries carry the public
    `by` (a role word, never a staff identity); staff read who made a change with a query. Likewise
    the photos are those every subscriber may see, without url (photos.published), always present;
    the estimate is as its readers see it (estimates.view); the staff fields that are non-null in the
    schema are filled as the resolver fills them (tickets.view)."""
    out = {k: item[k] for k in INPUT_FIELDS if k not in ("estimate", "photos") and item.get(k) is not None}
    if "history" in out:
        out["history"] = [tickets.public_entry(entry) for entry in out["history"]]
    if item.get("estimate"):
        # Lazy: only a ticket with an estimate needs estimates.py (cold start; bench/cold_start.py).
        from . import estimates

        estimate = estimates.view(item.get("estimate"))
        if estimate is not None:
            out["estimate"] = estimate
    if item.get("photos"):
        # Lazy: only a ticket with photos needs photos.py (cold start; bench/cold_start.py).
        from . import photos

        out["photos"] = photos.published(item.get("photos"))
    else:
        out["photos"] = []
    out.setdefault("notifications", [])
    if isinstance(out.get("customer"), Mapping):
        out["customer"] = {**out["customer"], "notifyBy": comms.notify_by(out["customer"])}
    return out


def publish(ticket: Mapping[str, Any], limits: aws.CallLimits) -> dict[str, Any]:
    """POST the SigV4-signed (service "appsync") publish mutation to GRAPHQL_URL; returns `data`.

    http.client rather than urllib: it takes a connect timeout and a read timeout apart (`limits`);
    one attempt only, as retrying is the stream's job.
    """
    url = os.environ["GRAPHQL_URL"]
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise PublishError("GRAPHQL_URL must be an http(s) URL")
    region = aws.region()
    body = json.dumps(
        {"query": PUBLISH_MUTATION, "operationName": OPERATION_NAME, "variables": {"ticket": ticket}}
    ).encode()
    credentials = aws.credentials()
    if credentials is None:
        raise PublishError("no AWS credentials to sign the publish mutation")
    request = AWSRequest(method="POST", url=url, data=body, headers={"content-type": "application/json"})
    SigV4Auth(credentials.get_frozen_credentials(), "appsync", region).add_auth(request)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}  # http.client sets it
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=limits.connect_seconds)
    try:
        connection.connect()
        assert connection.sock is not None
        connection.sock.settimeout(limits.read_seconds)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path or "/", body=body, headers=headers)
        response = connection.getresponse()
        status, payload = response.status, response.read()
    finally:
        connection.close()
    if status != 200:
        raise PublishError(f"publish mutation returned HTTP {status}")
    result = json.loads(payload or b"{}")
    if result.get("errors"):
        types = [e.get("errorType") or "GraphQLError" for e in result["errors"] if isinstance(e, dict)]
        raise PublishError(f"publish mutation failed: {types}")
    return dict(result.get("data") or {})


def record_handler(
    record: DynamoDBRecord, limits: aws.CallLimits, sender: customer_messages.Sender | None = None
) -> dict[str, Any] | None:
    """Publish one stream record, then send the customer messages it causes; returns the ticket when
    the record created it (it gets a staff e-mail), None otherwise (a change, a link request, or a
    record we ignore)."""
    change = record.raw_event.get("dynamodb") or {}
    image = change.get("NewImage")
    if not image:
        return None  # REMOVE (TTL of CLIENT items) has no NewImage
    item = store.deserialize(image)
    event_name = record.raw_event.get("eventName")
    if item.get("entity") == comms_store.LINK_REQUEST_ENTITY:
        if sender is not None:
            customer_messages.for_link_request(sender, item)
        return None
    if item.get("entity") != "TICKET":
        return None
    old_image = change.get("OldImage")
    ticket = published_ticket(item)
    if old_image and store.deserialize(old_image).get("version") == item.get("version"):
        # Bookkeeping on the ticket item (the delivery log) leaves its version as it was: no committed
        # change for subscribers, who would otherwise get the same version again.
        logger.info("not published: same version", extra={"ticketId": ticket.get("id")})
    else:
        publish(ticket, limits)
        logger.info(
            "published",
            extra={"ticketId": ticket.get("id"), "version": ticket.get("version"), "eventName": event_name},
        )
    if sender is not None:
        if event_name == "INSERT" or old_image:
            old = store.deserialize(old_image) if old_image else None
            customer_messages.for_change(sender, old, store.to_stored(item).ticket)
        else:  # a change without its old image: the stream's view type is not NEW_AND_OLD_IMAGES
            logger.error("stream record without OldImage: customer events cannot be decided")
    return ticket if event_name == "INSERT" else None


def time_left(context: Any, settings: PublisherSettings) -> Callable[[int], bool]:
    """calls -> whether that many more calls, each at its worst, fit in the invocation's time left."""

    def has_time(calls: int) -> bool:
        if context is None:  # called directly (tests), not by the Lambda runtime
            return True
        remaining_ms: int = context.get_remaining_time_in_millis()
        return remaining_ms >= calls * settings.call_worst_seconds * 1000

    return has_time


def _failures(records: list[DynamoDBRecord], start: int) -> dict[str, Any]:
    return {
        "batchItemFailures": [
            {"itemIdentifier": r.dynamodb.sequence_number if r.dynamodb else None} for r in records[start:]
        ]
    }


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Stream batch entry point; reports partial batch failures (ReportBatchItemFailures).

    Records are handled in stream order and handling stops at the first failure, which is reported
    together with every later record. Hand-written rather than Powertools' BatchProcessor on purpose:
    that processor goes on past a failed record, but Lambda retries a stream from the failed record's
    sequence number, so every later record would be handled again on each retry.
    """
    settings = publisher_settings.load()
    has_time = time_left(context, settings)
    records = list(DynamoDBStreamEvent(event).records)
    sender = customer_messages.Sender(settings.calls, settings.claim_ttl_hours * 3600)
    stop = len(records)
    new_tickets: list[tuple[int, dict[str, Any]]] = []
    for index, record in enumerate(records):
        sequence = record.dynamodb.sequence_number if record.dynamodb else None
        # the first record always goes: the settings leave time for it and its e-mail (tested)
        if index and not has_time(RECORD_CALLS + FIRST_MAIL_CALLS):
            logger.warning(
                "time budget spent; the rest of the batch will be retried", extra={"sequenceNumber": sequence}
            )
            stop = index
            break
        try:
            ticket = record_handler(record, settings.calls, sender)
        except Exception:
            logger.exception(
                "record failed; it and the records after it will be retried",
                extra={"sequenceNumber": sequence},
            )
            stop = index
            break
        if ticket is not None:
            new_tickets.append((index, ticket))
    if new_tickets:
        try:
            sent = StaffMailer(settings, has_time).deliver([t for _, t in new_tickets])
            logger.info("staff notified", extra={"tickets": len(new_tickets), "emails": sent})
        except Exception:
            logger.exception("staff e-mail not (all) sent; the new tickets' records will be retried")
            stop = min(stop, new_tickets[0][0])
    return _failures(records, stop)
