"""DynamoDB stream handler: each committed ticket change -> IAM publish mutation (+ SNS e-mail if new).

Order per record: the publish mutation first, then (INSERT only) the e-mail. A failure raises, the
record is reported in batchItemFailures and the stream retries it; a repeated publish carries the
same version, which clients ignore, so retrying after a failed e-mail is harmless.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBStreamEvent,
)
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from . import aws, notify, store

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "pitstop"))

PUBLISH_MUTATION = """mutation PublishTicketChange($ticket: PublishedTicketInput!) {
  publishTicketChange(ticket: $ticket) {
    id
    reference
    status
    vehicle { make model year vin licensePlate mileage }
    description
    customer { name email phone }
    history { status at by note }
    version
    createdAt
    updatedAt
  }
}"""
TIMEOUT_SECONDS = 10
_TICKET_FIELDS = (
    "id",
    "reference",
    "status",
    "vehicle",
    "description",
    "customer",
    "history",
    "version",
    "createdAt",
    "updatedAt",
)


class PublishError(Exception):
    """The publish mutation failed (HTTP status or GraphQL errors); the record is retried."""


def published_ticket(item: Mapping[str, Any]) -> dict[str, Any]:
    """PublishedTicketInput from a ticket item: the ticket fields only, absent optionals omitted."""
    return {k: item[k] for k in _TICKET_FIELDS if item.get(k) is not None}


def publish(ticket: Mapping[str, Any]) -> dict[str, Any]:
    """POST the SigV4-signed (service "appsync") publish mutation to GRAPHQL_URL; returns `data`."""
    url = os.environ["GRAPHQL_URL"]
    if not url.startswith(("https://", "http://")):
        raise PublishError("GRAPHQL_URL must be an http(s) URL")
    region = aws.region()
    body = json.dumps(
        {"query": PUBLISH_MUTATION, "operationName": "PublishTicketChange", "variables": {"ticket": ticket}}
    ).encode()
    credentials = aws.credentials()
    if credentials is None:
        raise PublishError("no AWS credentials to sign the publish mutation")
    request = AWSRequest(method="POST", url=url, data=body, headers={"content-type": "application/json"})
    SigV4Auth(credentials.get_frozen_credentials(), "appsync", region).add_auth(request)
    headers = dict(request.headers.items())
    http_request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    with urllib.request.urlopen(http_request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (checked)
        status, payload = response.status, response.read()
    if status != 200:
        raise PublishError(f"publish mutation returned HTTP {status}")
    result = json.loads(payload or b"{}")
    if result.get("errors"):
        types = [e.get("errorType") or "GraphQLError" for e in result["errors"] if isinstance(e, dict)]
        raise PublishError(f"publish mutation failed: {types}")
    return dict(result.get("data") or {})


def record_handler(record: DynamoDBRecord) -> str | None:
    """One stream record; returns the published ticket id, or None for records we ignore."""
    image = (record.raw_event.get("dynamodb") or {}).get("NewImage")
    if not image:
        return None  # REMOVE (TTL of CLIENT items) has no NewImage
    item = store.deserialize(image)
    if item.get("entity") != "TICKET":
        return None
    ticket = published_ticket(item)
    event_name = record.raw_event.get("eventName")
    log = {"ticketId": ticket.get("id"), "version": ticket.get("version"), "eventName": event_name}
    publish(ticket)
    logger.info("published", extra=log)
    if event_name == "INSERT":
        notify.send_new_ticket(ticket)
        logger.info("staff notified", extra=log)
    return str(ticket["id"])


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Stream batch entry point; reports partial batch failures (ReportBatchItemFailures).

    Records are handled in stream order and handling stops at the first failure, which is reported
    together with every later record. Hand-written rather than Powertools' BatchProcessor on purpose:
    that processor goes on past a failed record, but Lambda retries a stream from the failed record's
    sequence number, so every later record (e-mail included) would be sent again on each retry.
    """
    records = list(DynamoDBStreamEvent(event).records)
    for index, record in enumerate(records):
        try:
            record_handler(record)
        except Exception:
            logger.exception(
                "record failed; it and the records after it will be retried",
                extra={"sequenceNumber": record.dynamodb.sequence_number if record.dynamodb else None},
            )
            return {
                "batchItemFailures": [
                    {"itemIdentifier": r.dynamodb.sequence_number if r.dynamodb else None}
                    for r in records[index:]
                ]
            }
    return {"batchItemFailures": []}
