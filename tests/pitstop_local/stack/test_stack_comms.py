"""Customer messages end to end on the local stack: gql clients, moto's SES v2 and SNS SMS, the outbox,
and the links in the messages opening the local tracking page's ticket."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from appsync_clients import CREATE_TICKET, TRACK_TICKET, Api, ticket_input
from gql import gql

pytestmark = pytest.mark.usefixtures("local_only")

MOVE = gql(
    """mutation Move($input: UpdateTicketStatusInput!) {
  updateTicketStatus(input: $input) { id version history { status note internalNote } }
}"""
)
REQUEST_LINK = gql(
    """mutation Lost($reference: String!, $contact: String!) {
  requestTrackingLink(reference: $reference, contact: $contact)
}"""
)
NOTIFICATIONS = gql(
    """query Log($id: ID!) {
  ticket(id: $id) { customer { notifyBy } notifications { channel event to status } }
}"""
)
PUBLIC_HISTORY = gql(
    """query Public($id: ID!, $token: String) {
  ticket(id: $id, trackingToken: $token) { history { note by } }
}"""
)


def link_re(base_url: str) -> re.Pattern[str]:
    return re.compile(re.escape(base_url) + r"/track#id=([A-Za-z0-9_-]+)&token=([A-Za-z0-9_-]+)")


def outbox(stack: Any, reference: str) -> list[dict[str, Any]]:
    """The customer messages (e-mail, SMS) about one ticket."""
    return [
        m
        for m in stack.get_json("/_local/outbox")
        if m["channel"] != "staff-email" and reference in m["message"]
    ]


def wait_for(
    read: Callable[[], list[dict[str, Any]]], count: int, timeout: float = 20
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    found = read()
    while len(found) < count and time.monotonic() < deadline:
        time.sleep(0.1)
        found = read()
    return found


async def create(api: Api, **customer: Any) -> tuple[dict[str, Any], str]:
    given = ticket_input(13)
    given["customer"] = {**given["customer"], **customer}
    async with api.http(api.api_key_auth()) as session:
        result = await session.execute(CREATE_TICKET, variable_values={"input": given})
    return result["createTicket"]["ticket"], result["createTicket"]["trackingToken"]


async def move(
    api: Api, ticket_id: str, *statuses: str, note: str | None = None, internal: str | None = None
) -> Any:
    async with api.http(api.jwt_auth()) as staff:
        for status in statuses:
            changed = await staff.execute(
                MOVE, {"input": {"id": ticket_id, "status": status, "note": note, "internalNote": internal}}
            )
    return changed["updateTicketStatus"]


def test_confirmation_email_carries_a_link_that_opens_the_ticket(local_only: Any, api: Api) -> None:
    ticket, first_token = asyncio.run(create(api))
    [mail] = wait_for(
        lambda: [m for m in outbox(local_only, ticket["reference"]) if m["channel"] == "email"], 1
    )
    assert mail["event"] == "TICKET_CREATED" and mail["to"] == [ticket_input(13)["customer"]["email"]]
    assert ticket["reference"] in mail["subject"]
    ticket_id, token = link_re(local_only.base_url).search(mail["message"]).groups()  # type: ignore[union-attr]
    assert ticket_id == ticket["id"] and token != first_token

    async def track(with_token: str) -> Any:
        async with api.http(api.api_key_auth()) as session:
            return await session.execute(TRACK_TICKET, {"id": ticket_id, "token": with_token})

    assert asyncio.run(track(token))["ticket"]["reference"] == ticket["reference"]
    assert asyncio.run(track(first_token))["ticket"]["reference"] == ticket["reference"]  # still works


def test_ready_for_pickup_sends_one_email_and_one_sms_and_notes_stay_apart(local_only: Any, api: Api) -> None:
    ticket, token = asyncio.run(create(api, phone="+1 415 555 0142", notifyBy=["EMAIL", "SMS"]))
    moved = asyncio.run(move(api, ticket["id"], "RECEIVED", "IN_REPAIR"))
    moved = asyncio.run(
        move(api, ticket["id"], "READY_FOR_PICKUP", note="Pay at the desk", internal="Brake fluid low")
    )
    assert moved["history"][-1] == {
        "status": "READY_FOR_PICKUP",
        "note": "Pay at the desk",
        "internalNote": "Brake fluid low",
    }

    def ready() -> list[dict[str, Any]]:
        return [m for m in outbox(local_only, ticket["reference"]) if m["event"] == "READY_FOR_PICKUP"]

    messages = wait_for(ready, 2)
    time.sleep(1.0)  # anything extra would arrive meanwhile
    messages = ready()
    assert sorted(m["channel"] for m in messages) == ["email", "sms"]
    sms = next(m for m in messages if m["channel"] == "sms")
    assert sms["to"] == ["+14155550142"] and sms["subject"] is None and len(sms["message"]) <= 160
    email = next(m for m in messages if m["channel"] == "email")
    assert "Pay at the desk" in email["message"] and "Brake fluid low" not in email["message"]

    async def read() -> tuple[Any, Any]:
        async with api.http(api.jwt_auth()) as staff:
            log = await staff.execute(NOTIFICATIONS, {"id": ticket["id"]})
        async with api.http(api.api_key_auth()) as public:
            history = await public.execute(PUBLIC_HISTORY, {"id": ticket["id"], "token": token})
        return log, history

    log, history = asyncio.run(read())
    assert log["ticket"]["customer"]["notifyBy"] == ["EMAIL", "SMS"]
    assert [(n["event"], n["channel"], n["status"]) for n in log["ticket"]["notifications"]][-2:] == [
        ("READY_FOR_PICKUP", "EMAIL", "SENT"),
        ("READY_FOR_PICKUP", "SMS", "SENT"),
    ]
    assert history["ticket"]["history"][-1]["note"] == "Pay at the desk"


def test_internal_note_is_refused_to_a_public_caller(local_only: Any, api: Api) -> None:
    ticket, token = asyncio.run(create(api))
    asyncio.run(move(api, ticket["id"], "RECEIVED", note="Seen", internal="Customer was rude"))
    query = gql(
        "query Q($id: ID!, $t: String) { ticket(id: $id, trackingToken: $t) { history { internalNote } } }"
    )

    async def public() -> Any:
        async with api.http(api.api_key_auth()) as session:
            return await session.execute(query, {"id": ticket["id"], "t": token})

    with pytest.raises(Exception) as refused:
        asyncio.run(public())
    assert "Customer was rude" not in str(refused.value) and "Unauthorized" in str(refused.value)


def test_replaying_the_stream_sends_nothing(
    local_only: Any, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole stream handed to the publisher again, against the stack's own moto and API."""
    from pitstop_local import bootstrap
    from pitstop_local.config import api_config
    from resolvers import customer_messages, publisher, publisher_settings

    ticket, _ = asyncio.run(create(api))
    wait_for(lambda: [m for m in outbox(local_only, ticket["reference"]) if m["channel"] == "email"], 1)
    wait_for(
        lambda: [
            m
            for m in local_only.get_json("/_local/outbox")
            if m["channel"] == "staff-email" and ticket["reference"] in (m["subject"] or "")
        ],
        1,
    )
    time.sleep(0.5)
    before = local_only.get_json("/_local/outbox")
    streams = local_only.aws_client("dynamodbstreams")
    arn = local_only.aws_client("dynamodb").describe_table(TableName=bootstrap.TABLE_NAME)["Table"][
        "LatestStreamArn"
    ]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )
        records += streams.get_records(ShardIterator=it["ShardIterator"], Limit=1000)["Records"]
    tickets = [
        r for r in records if r["dynamodb"]["NewImage"].get("entity", {}).get("S") in ("TICKET", "LINKREQ")
    ]
    assert tickets
    for name, value in {
        "AWS_ENDPOINT_URL": local_only.aws_endpoint_url,
        "AWS_ACCESS_KEY_ID": local_only.iam_access_key_id,
        "AWS_SECRET_ACCESS_KEY": local_only.iam_secret_access_key,
        "AWS_REGION": local_only.region,
        "TABLE_NAME": bootstrap.TABLE_NAME,
        "GRAPHQL_URL": local_only.graphql_url,
        "TOPIC_ARN": f"arn:aws:sns:{local_only.region}:123456789012:{bootstrap.TOPIC_NAME}",
        customer_messages.ENV_SITE: local_only.base_url,
        customer_messages.ENV_SENDER: bootstrap.CUSTOMER_SENDER,
        publisher_settings.ENV: publisher_settings.environment_value(api_config()["publisher"]),
    }.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    event = {
        "Records": [{**r, "dynamodb": {**r["dynamodb"], "ApproximateCreationDateTime": 0}} for r in tickets]
    }
    assert publisher.lambda_handler(event, None) == {"batchItemFailures": []}
    time.sleep(0.5)
    after = local_only.get_json("/_local/outbox")
    assert [m for m in after if m not in before] == []


def test_lost_link_goes_only_to_the_matching_contact(local_only: Any, api: Api) -> None:
    ticket, _ = asyncio.run(create(api, phone="+1 415 555 0177", notifyBy=[]))

    async def ask(reference: str, contact: str) -> bool:
        async with api.http(api.api_key_auth()) as session:
            return bool(
                (await session.execute(REQUEST_LINK, {"reference": reference, "contact": contact}))[
                    "requestTrackingLink"
                ]
            )

    assert asyncio.run(ask(ticket["reference"], "somebody@else.example")) is True
    assert asyncio.run(ask("PS-22222Z", "customer13@example.com")) is True  # no such ticket: the same answer
    time.sleep(1.5)
    assert outbox(local_only, ticket["reference"]) == []  # chose no messages; nobody matched
    assert asyncio.run(ask(ticket["reference"].lower().replace("-", " "), "(415) 555-0177")) is True
    [sms] = wait_for(lambda: outbox(local_only, ticket["reference"]), 1)
    assert (sms["channel"], sms["event"], sms["to"]) == ("sms", "TRACKING_LINK", ["+14155550177"])
    assert link_re(local_only.base_url).search(sms["message"])
