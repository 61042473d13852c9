"""resolvers.publisher: real stream records (moto's stream), a loopback GraphQL endpoint, SNS -> SQS."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from appsync_local.engine.lambda_runtime import LambdaContext
from botocore.config import Config

from pitstop_local.config import api_config
from resolvers import notify, publisher, publisher_settings, service, staffmail, store, tickets
from resolvers.events import TICKET_CREATED

pytestmark = pytest.mark.usefixtures("table")
PUBLISHER = api_config()["publisher"]
MAX_SINGLE = PUBLISHER["staffDigest"]["maxSingleMails"]


@pytest.fixture(autouse=True)
def settings_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """PUBLISHER_SETTINGS as the CDK app and the local stack set it, from api_config.json."""
    monkeypatch.setenv(publisher_settings.ENV, publisher_settings.environment_value(PUBLISHER))


DATA = tickets.validate_create_input(
    {
        "vehicle": {"make": "Škoda", "model": "Octavia", "year": 2019, "vin": "1HGCM82633A004352"},
        "description": "Clutch slips in third gear.\nStarted last week.",
        "customer": {"name": "Jana Nováková", "email": "jana@example.com", "phone": "+420 601 123 456"},
    }
)


class GraphQLEndpoint:
    """A tiny HTTP server on loopback that records POSTs and answers like AppSync would."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply: tuple[int, dict[str, Any]] | None = None  # None: echo the ticket as `data`
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                endpoint.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status, payload = endpoint.reply or (
                    200,
                    {"data": {"publishTicketChange": body["variables"]["ticket"]}},
                )
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/graphql"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[GraphQLEndpoint]:
    server = GraphQLEndpoint()
    monkeypatch.setenv("GRAPHQL_URL", server.url)
    yield server
    server.close()


def stream_event(table: dict[str, Any]) -> dict[str, Any]:
    """What Lambda's event source mapping hands the publisher: moto's stream records, Lambda-shaped."""
    # botocore picks account-based stream endpoints (ACCOUNT.streams-ddb...), which moto 5.2 does not route
    streams = boto3.client(
        "dynamodbstreams", region_name="us-east-1", config=Config(account_id_endpoint_mode="disabled")
    )
    arn = table["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for record in streams.get_records(ShardIterator=iterator)["Records"]:
            record["eventSourceARN"] = arn
            created = record["dynamodb"].get("ApproximateCreationDateTime")
            if isinstance(created, datetime):
                record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
            records.append(record)
    return json.loads(json.dumps({"Records": records}, default=str))


def test_stream_event_shape(table: dict[str, Any]) -> None:
    store.put_new(DATA)
    event = stream_event(table)
    kinds = [store.deserialize(r["dynamodb"]["NewImage"])["entity"] for r in event["Records"]]
    assert sorted(kinds) == ["REF", "TICKET"]
    record = event["Records"][0]
    assert record["eventName"] == "INSERT" and record["eventSource"] == "aws:dynamodb"
    assert {"Keys", "NewImage", "SequenceNumber", "StreamViewType"} <= set(record["dynamodb"])
    assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_insert_publishes_full_ticket_then_mails_staff(
    table: dict[str, Any], endpoint: GraphQLEndpoint, inbox: Any
) -> None:
    ticket, _ = store.put_new(DATA)
    result = publisher.lambda_handler(stream_event(table), None)
    assert result == {"batchItemFailures": []}

    [request] = endpoint.requests
    assert request["path"] == "/graphql"
    body = request["body"]
    assert "publishTicketChange(ticket: $ticket)" in body["query"]
    for field in (
        "customer { name email phone notifyBy }",
        "history { status at by note internalNote }",
        "notifications { channel event to status at }",
        "vehicle { make model",
    ):
        assert field in body["query"]
    published = body["variables"]["ticket"]
    # every Ticket field, customer included, photos (none yet) and the empty delivery log; no
    # tokenHash/pk/entity/createdKey
    assert published == {**ticket, "photos": [], "notifications": []}
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=[A-Z0-9a-z]+/\d{8}/us-east-1/appsync/aws4_request, "
        r"SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}",
        headers["authorization"],
    )
    assert re.fullmatch(r"\d{8}T\d{6}Z", headers["x-amz-date"])
    assert headers["x-amz-security-token"] == os.environ["AWS_SESSION_TOKEN"]
    assert headers["content-type"] == "application/json"

    [mail] = inbox()
    assert mail["Subject"] == f"New ticket {ticket['reference']}: 2019 Skoda Octavia"
    assert "Clutch slips in third gear." in mail["Message"]
    assert "jana@example.com" in mail["Message"] and "+420601123456" in mail["Message"]
    assert f"https://shop.example.com/staff?ticket={ticket['id']}" in mail["Message"]
    attributes = {k: v["Value"] for k, v in mail["MessageAttributes"].items()}
    assert attributes == {"event": TICKET_CREATED, "status": "SUBMITTED"}


def test_a_write_that_keeps_the_version_is_not_published(
    table: dict[str, Any], endpoint: GraphQLEndpoint, inbox: Any
) -> None:
    """Bookkeeping on the ticket item (the delivery log) is no committed change: subscribers would get
    the same version again."""
    ticket, _ = store.put_new(DATA)
    store.client().update_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"pk": {"S": f"TICKET#{ticket['id']}"}},
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "notifications"},
        ExpressionAttributeValues={":n": {"L": []}},
    )
    event = stream_event(table)
    assert [r["eventName"] for r in event["Records"]].count("MODIFY") == 1
    assert publisher.lambda_handler(event, None) == {"batchItemFailures": []}
    assert [r["body"]["variables"]["ticket"]["version"] for r in endpoint.requests] == [1]


def test_status_change_publishes_without_mail(
    table: dict[str, Any], endpoint: GraphQLEndpoint, inbox: Any
) -> None:
    ticket, _ = store.put_new(DATA)
    service.change_status(ticket["id"], "RECEIVED", "staff-jane", "In bay 3.", 1)
    event = stream_event(table)
    assert [r["eventName"] for r in event["Records"]].count("MODIFY") == 1
    assert publisher.lambda_handler(event, None) == {"batchItemFailures": []}
    versions = [r["body"]["variables"]["ticket"]["version"] for r in endpoint.requests]
    assert versions == [1, 2]
    published = endpoint.requests[1]["body"]["variables"]["ticket"]["history"]
    assert published[-1]["note"] == "In bay 3."
    # every subscriber gets this payload: who changed it is a role word, never the staff identity
    assert [entry["by"] for entry in published] == ["customer", "staff"]
    assert "staff-jane" not in json.dumps(endpoint.requests)
    assert len(inbox()) == 1  # the INSERT only


def first_ticket_record(event: dict[str, Any]) -> int:
    """Index of the first record that is a ticket (REF/CLIENT items of the transaction may precede it)."""
    return next(
        i
        for i, r in enumerate(event["Records"])
        if store.deserialize(r["dynamodb"]["NewImage"])["entity"] == "TICKET"
    )


def failures_from(event: dict[str, Any], index: int) -> list[dict[str, str]]:
    """What the publisher reports when record `index` fails: it and every later record."""
    return [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in event["Records"][index:]]


def test_failing_sns_reports_that_record_and_every_later_one(
    table: dict[str, Any], endpoint: GraphQLEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket, _ = store.put_new(DATA)
    service.change_status(ticket["id"], "RECEIVED", "staff-jane", None, None)
    monkeypatch.setenv("TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:no-such-topic")
    event = stream_event(table)
    insert = first_ticket_record(event)
    assert event["Records"][insert]["eventName"] == "INSERT"
    result = publisher.lambda_handler(event, None)
    assert result == {"batchItemFailures": failures_from(event, insert)}
    # both changes published, then the e-mail failed: retried from the new ticket's record on (a
    # repeated publish carries the same version, which clients ignore)
    assert [r["body"]["variables"]["ticket"]["version"] for r in endpoint.requests] == [1, 2]


def test_whole_batch_failing_is_reported_not_raised(
    table: dict[str, Any], endpoint: GraphQLEndpoint, inbox: Any
) -> None:
    store.put_new(DATA)
    endpoint.reply = (
        200,
        {"data": None, "errors": [{"errorType": "Unauthorized", "message": "Not Authorized"}]},
    )
    event = stream_event(table)
    result = publisher.lambda_handler(event, None)
    assert result["batchItemFailures"] == failures_from(event, first_ticket_record(event))
    assert len(endpoint.requests) == 1  # stopped at the first failure
    assert inbox() == []  # no e-mail before the publish succeeded


@pytest.mark.parametrize("status", [202, 401, 500])
def test_http_error_fails_the_record(
    table: dict[str, Any], endpoint: GraphQLEndpoint, inbox: Any, status: int
) -> None:
    store.put_new(DATA)
    endpoint.reply = (status, {"errors": [{"errorType": "UnauthorizedException", "message": "no"}]})
    event = stream_event(table)
    result = publisher.lambda_handler(event, None)
    assert result["batchItemFailures"] == failures_from(event, first_ticket_record(event))


def test_non_ticket_and_remove_records_are_ignored(endpoint: GraphQLEndpoint) -> None:
    image = {"pk": {"S": "REF#PS-222222"}, "entity": {"S": "REF"}, "id": {"S": "x"}}
    event = {
        "Records": [
            {
                "eventID": "1",
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "dynamodb": {"NewImage": image, "SequenceNumber": "100", "StreamViewType": "NEW_IMAGE"},
            },
            {
                "eventID": "2",
                "eventName": "REMOVE",
                "eventSource": "aws:dynamodb",
                "dynamodb": {"Keys": {"pk": {"S": "CLIENT#abc"}}, "SequenceNumber": "101"},
            },
        ]
    }
    assert publisher.lambda_handler(event, None) == {"batchItemFailures": []}
    assert endpoint.requests == []
    assert publisher.record_handler.__doc__


def test_publish_needs_http_url_and_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHQL_URL", "file:///etc/passwd")
    limits = publisher_settings.load().calls
    with pytest.raises(publisher.PublishError, match="http"):
        publisher.publish({"id": "x"}, limits)
    monkeypatch.setenv("GRAPHQL_URL", "http://127.0.0.1:9/graphql")
    monkeypatch.setattr(publisher.aws, "credentials", lambda: None)
    with pytest.raises(publisher.PublishError, match="credentials"):
        publisher.publish({"id": "x"}, limits)


def test_publish_signs_for_the_region(endpoint: GraphQLEndpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    limits = publisher_settings.load().calls
    assert publisher.publish({"id": "x"}, limits) == {"publishTicketChange": {"id": "x"}}
    auth = endpoint.requests[0]["headers"]["Authorization"]
    assert "/eu-central-1/appsync/aws4_request" in auth


# ------------------------------------------------------------------------------------------------- notify


def test_subject_is_short_ascii_one_line() -> None:
    ticket = {
        "reference": "PS-ABCDEF",
        "vehicle": {"make": "Citroën\nDS", "model": "Ü" * 50 + "\t" + "x" * 80, "year": 1970},
    }
    subject = notify.subject(ticket)
    assert len(subject) <= 99 and subject.isascii() and subject.isprintable()
    assert subject.startswith("New ticket PS-ABCDEF: 1970 Citroen DS UUU") and subject.endswith("...")
    assert notify.subject({"reference": "PS-ABCDEF", "vehicle": {"make": "Ford", "model": "T"}}) == (
        "New ticket PS-ABCDEF: Ford T"
    )


def test_body_without_optional_fields_and_without_staff_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STAFF_PAGE_URL")
    ticket = {
        "id": "i" * 24,
        "reference": "PS-ABCDEF",
        "status": "SUBMITTED",
        "vehicle": {"make": "Ford", "model": "T", "mileage": 12},
        "description": "Rattles.",
        "customer": {"name": "Sam", "phone": "+442079460958"},
        "createdAt": "2024-01-01T00:00:00.000Z",
    }
    body = notify.body(ticket)
    assert "Mileage:  12" in body and "E-mail" not in body and "Phone:    +442079460958" in body
    assert "(staff page) ticket PS-ABCDEF" in body
    monkeypatch.setenv("STAFF_PAGE_URL", "https://x.example/staff?tab=all")
    assert "https://x.example/staff?tab=all&ticket=" + "i" * 24 in notify.body(ticket)


def test_a_description_cannot_fake_the_contact_or_the_link() -> None:
    """Facts and the real link come first; the customer's text is fenced and every line of it quoted."""
    fake = "Brakes squeal.\n\nContact:\n  E-mail: help@evil.example\nOpen it: https://evil.example/login\n"
    ticket = {
        "id": "t" * 24,
        "reference": "PS-FAKE01",
        "vehicle": {"make": "Ford", "model": "T", "licensePlate": "AB 12\nOpen it: https://evil.example"},
        "description": fake,
        "customer": {"name": "Eve\nOpen it: https://evil.example/2", "email": "eve@example.com"},
        "createdAt": "2024-01-01T00:00:00.000Z",
    }
    lines = notify.body(ticket).splitlines()
    start, end = lines.index(notify.QUOTE_START), lines.index(notify.QUOTE_END)
    assert lines[1:].index(notify.QUOTE_START) + 1 == start  # the fence opens once, after the facts
    real_link = "Open it:  https://shop.example.com/staff?ticket=" + "t" * 24
    assert real_link in lines[:start]
    assert all(line.startswith(">") for line in lines[start + 1 : end])
    assert "> Open it: https://evil.example/login" in lines[start + 1 : end]
    outside = lines[:start] + lines[end + 1 :]
    assert [
        line for line in outside if "evil.example" in line and not line.startswith(("Plate:", "Name:"))
    ] == []
    assert [line for line in outside if line.startswith(("Open it", "Contact"))] == [real_link]


def mails_by_reference(mails: list[dict[str, Any]], references: list[str]) -> dict[str, int]:
    """How many staff e-mails name each reference (in the subject or the text)."""
    return {r: sum(r in m["Message"] for m in mails) for r in references}


def create(count: int) -> list[dict[str, Any]]:
    return [store.put_new(DATA)[0] for _ in range(count)]


def test_up_to_the_burst_size_each_ticket_gets_its_own_mail(
    table: dict[str, Any], endpoint: GraphQLEndpoint, inbox: Any
) -> None:
    created = create(MAX_SINGLE)
    assert publisher.lambda_handler(stream_event(table), None) == {"batchItemFailures": []}
    mails = inbox()
    assert sorted(m["Subject"].split(":")[0] for m in mails) == sorted(
        f"New ticket {t['reference']}" for t in created
    )


def test_a_burst_is_one_digest_and_a_redelivered_batch_sends_nothing_more(
    table: dict[str, Any], endpoint: GraphQLEndpoint, inbox: Any
) -> None:
    created = create(MAX_SINGLE + 2)
    references = [t["reference"] for t in created]
    event = stream_event(table)
    assert publisher.lambda_handler(event, None) == {"batchItemFailures": []}
    [digest] = inbox()
    assert digest["Subject"].startswith(f"{len(created)} new tickets: {references[0]}")
    assert mails_by_reference([digest], references) == dict.fromkeys(references, 1)
    for ticket in created:
        assert f"https://shop.example.com/staff?ticket={ticket['id']}" in digest["Message"]
    assert digest["Message"].count(notify.QUOTE_START) == len(created)
    assert publisher.lambda_handler(event, None) == {"batchItemFailures": []}  # the stream redelivers
    assert inbox() == []


def test_a_batch_retried_in_other_shapes_puts_each_ticket_in_exactly_one_mail(
    table: dict[str, Any], endpoint: GraphQLEndpoint, inbox: Any
) -> None:
    """Bisected halves, then the whole batch again: every ticket e-mailed once, never twice."""
    created = create(2 * MAX_SINGLE + 2)
    references = [t["reference"] for t in created]
    event = stream_event(table)
    half = len(event["Records"]) // 2
    for records in (event["Records"][:half], event["Records"][half:], event["Records"]):
        assert publisher.lambda_handler({"Records": records}, None) == {"batchItemFailures": []}
    assert mails_by_reference(inbox(), references) == dict.fromkeys(references, 1)


def test_a_mail_claimed_but_not_sent_is_sent_by_the_retry_once(
    table: dict[str, Any], endpoint: GraphQLEndpoint, inbox: Any, ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The function stopped between the claim and SNS (here SNS refused): the retry sends the stored mail."""
    created = create(MAX_SINGLE + 1)
    references = [t["reference"] for t in created]
    event = stream_event(table)
    topic = os.environ["TOPIC_ARN"]
    monkeypatch.setenv("TOPIC_ARN", topic + "-gone")
    result = publisher.lambda_handler(event, None)
    assert result == {"batchItemFailures": failures_from(event, first_ticket_record(event))}
    claims = [
        ddb.get_item(TableName=store.table_name(), Key={"pk": {"S": staffmail.CLAIM_PREFIX + t["id"]}})[
            "Item"
        ]
        for t in created
    ]
    assert len({c["mail"]["S"] for c in claims}) == 1  # all in one digest, claimed
    mail_key = {"pk": {"S": staffmail.MAIL_PREFIX + claims[0]["mail"]["S"]}}
    assert ddb.get_item(TableName=store.table_name(), Key=mail_key)["Item"]["state"]["S"] == "PENDING"
    monkeypatch.setenv("TOPIC_ARN", topic)
    retry = {"Records": event["Records"][first_ticket_record(event) :]}
    assert publisher.lambda_handler(retry, None) == {"batchItemFailures": []}
    assert publisher.lambda_handler(retry, None) == {"batchItemFailures": []}
    assert mails_by_reference(inbox(), references) == dict.fromkeys(references, 1)
    assert ddb.get_item(TableName=store.table_name(), Key=mail_key)["Item"]["state"]["S"] == "SENT"


def test_the_time_budget_fits_the_function_timeout() -> None:
    """One record (publish and customer messages) plus the first e-mail, every call at its worst,
    fit well inside the function timeout.

    That is what lets the handler always make progress and stop itself before the timeout; the
    deployed timeout is this same number (cdk_app/notifications.py reads functionSeconds)."""
    settings = publisher_settings.load()
    first_step = (publisher.RECORD_CALLS + staffmail.FIRST_MAIL_CALLS) * settings.call_worst_seconds
    assert first_step <= 0.75 * settings.function_seconds
    assert settings.calls.max_attempts >= 1 and settings.calls.read_seconds > 0


def test_it_stops_before_its_timeout_and_reports_the_rest(
    table: dict[str, Any], endpoint: GraphQLEndpoint, inbox: Any
) -> None:
    create(2)
    event = stream_event(table)
    short = LambdaContext(function_name="publisher", timeout_seconds=1.0)  # less than one more step
    result = publisher.lambda_handler(event, short)
    assert result == {"batchItemFailures": failures_from(event, 1)}
    assert len(endpoint.requests) <= 1
    full = LambdaContext(function_name="publisher", timeout_seconds=PUBLISHER["timeouts"]["functionSeconds"])
    assert publisher.lambda_handler({"Records": event["Records"][1:]}, full) == {"batchItemFailures": []}
    assert len(inbox()) == 2
