"""The publisher's customer messages on moto: real stream records (old and new images), moto's SES v2
and SNS SMS backends, the delivery log on the ticket, and the claims that make a retry send nothing."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends
from test_stream_publisher import endpoint, settings_env, stream_event  # noqa: F401 (fixtures)

from resolvers import comms, comms_store, publisher, service, store, tickets

pytestmark = pytest.mark.usefixtures("table", "settings_env", "inbox", "endpoint")
REGION = "us-east-1"  # the resolvers tests' region (tests/resolvers/conftest.py)
LINK_RE = re.compile(r"https://shop\.example\.com/track#id=([A-Za-z0-9_-]+)&token=([A-Za-z0-9_-]+)")


def data(email: str | None = "jana@example.com", phone: str | None = "+420601123456", **customer: Any) -> Any:
    given = {"name": "Jana Nováková", "email": email, "phone": phone, **customer}
    return tickets.validate_create_input(
        {"vehicle": {"make": "Škoda", "model": "Octavia"}, "description": "Clutch.", "customer": given}
    )


def emails() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def sms() -> list[tuple[str, str]]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())


class Stream:
    """Hands the publisher the records it has not seen yet (or, to replay, all of them again)."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.table, self.seen = table, 0

    def run(self, *, replay: bool = False) -> dict[str, Any]:
        records = stream_event(self.table)["Records"]
        batch = records if replay else records[self.seen :]
        self.seen = len(records)
        return publisher.lambda_handler({"Records": batch}, None)


def log(ticket_id: str) -> list[dict[str, Any]]:
    stored = store.get(ticket_id)
    assert stored is not None
    return list(stored.ticket.get("notifications") or [])


def change(ticket_id: str, *statuses: str, note: str | None = None) -> None:
    for status in statuses:
        service.change_status(ticket_id, status, "staff@example.com", note, None, "internal only: SECRET")


def test_created_sends_a_confirmation_whose_link_opens_the_ticket(table: dict[str, Any]) -> None:
    ticket, first_token = store.put_new(data())
    assert Stream(table).run() == {"batchItemFailures": []}
    [mail] = emails()
    assert mail.destinations == {"ToAddresses": ["jana@example.com"]}
    assert mail.source == '"Garage Novakova" <repairs@shop.example.com>'
    assert "PS-" in mail.subject and ticket["reference"] in mail.subject
    ticket_id, token = LINK_RE.search(html.unescape(mail.body)).groups()  # type: ignore[union-attr]
    assert ticket_id == ticket["id"] and token != first_token
    assert comms_store.link_opens(token, ticket["id"]) and not comms_store.link_opens(token, "x" * 24)
    assert sms() == []  # SMS is never on by default
    [entry] = log(ticket["id"])
    assert entry | {"at": None} == {
        "channel": "EMAIL", "event": "TICKET_CREATED", "to": "jana@example.com", "status": "SENT", "at": None
    }  # fmt: skip


def test_ready_sends_one_email_and_one_sms_and_a_replay_sends_nothing(table: dict[str, Any]) -> None:
    ticket, _ = store.put_new(data(notifyBy=["EMAIL", "SMS"]))
    stream = Stream(table)
    change(ticket["id"], "RECEIVED", "IN_REPAIR")
    change(ticket["id"], "READY_FOR_PICKUP", note="Pay at the desk")
    assert stream.run() == {"batchItemFailures": []}
    subjects = [m.subject for m in emails()]
    assert subjects == [
        f"We have your repair request {ticket['reference']}",
        f"{ticket['reference']}: your vehicle is ready",
    ]
    assert "Pay at the desk" in emails()[1].body and "SECRET" not in emails()[1].body
    assert [phone for phone, _ in sms()] == ["+420601123456", "+420601123456"]
    assert "ready for pick-up" in sms()[1][1] and LINK_RE.search(sms()[1][1])
    for _ in range(2):  # the stream delivers the whole history again: nothing more is sent
        assert stream.run(replay=True) == {"batchItemFailures": []}
    assert len(emails()) == 2 and len(sms()) == 2
    assert [(e["event"], e["channel"], e["status"]) for e in log(ticket["id"])] == [
        ("TICKET_CREATED", "EMAIL", "SENT"), ("TICKET_CREATED", "SMS", "SENT"),
        ("READY_FOR_PICKUP", "EMAIL", "SENT"), ("READY_FOR_PICKUP", "SMS", "SENT"),
    ]  # fmt: skip


def test_cancelled_after_choosing_nothing_sends_nothing(table: dict[str, Any]) -> None:
    ticket, _ = store.put_new(data())
    stream = Stream(table)
    stream.run()
    comms_store.set_notify_by(ticket["id"], [])
    change(ticket["id"], "CANCELLED")
    assert stream.run() == {"batchItemFailures": []}
    assert len(emails()) == 1  # the confirmation only


def test_an_opted_out_number_is_skipped_and_logged(table: dict[str, Any]) -> None:
    ticket, _ = store.put_new(data(email=None, phone="+14155550199", notifyBy=["SMS"]))  # moto: *99 opted out
    assert Stream(table).run() == {"batchItemFailures": []}
    assert sms() == []
    assert [(e["channel"], e["status"]) for e in log(ticket["id"])] == [("SMS", "SKIPPED")]


def test_a_failed_email_is_retried_logged_failed_then_sent_once(
    table: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket, _ = store.put_new(data())
    stream = Stream(table)
    monkeypatch.setenv("CUSTOMER_MAIL_FROM", "unverified@elsewhere.example")  # SES refuses: MessageRejected
    first = stream.run()
    assert first["batchItemFailures"] and emails() == []
    assert stream.run(replay=True)["batchItemFailures"]  # a stream retry: still failing, logged once
    assert [e["status"] for e in log(ticket["id"])] == ["FAILED"]
    monkeypatch.setenv("CUSTOMER_MAIL_FROM", "repairs@shop.example.com")
    assert stream.run(replay=True) == {"batchItemFailures": []}
    assert stream.run(replay=True) == {"batchItemFailures": []}
    assert len(emails()) == 1
    assert [e["status"] for e in log(ticket["id"])] == ["FAILED", "SENT"]


def test_a_failure_stops_at_its_record_and_other_tickets_follow_on_retry(
    table: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put_new(data())
    store.put_new(data(email="other@example.com"))
    stream = Stream(table)
    records = stream_event(table)["Records"]
    monkeypatch.setenv("CUSTOMER_MAIL_FROM", "unverified@elsewhere.example")
    result = stream.run()
    first_ticket = next(
        i for i, r in enumerate(records) if r["dynamodb"]["NewImage"]["entity"]["S"] == "TICKET"
    )
    assert len(result["batchItemFailures"]) == len(records) - first_ticket  # it and every later record
    monkeypatch.setenv("CUSTOMER_MAIL_FROM", "repairs@shop.example.com")
    assert stream.run(replay=True) == {"batchItemFailures": []}
    assert sorted(m.destinations["ToAddresses"][0] for m in emails()) == [
        "jana@example.com",
        "other@example.com",
    ]


def test_link_request_goes_to_the_matching_contact_only_and_is_limited(table: dict[str, Any]) -> None:
    ticket, _ = store.put_new(data(notifyBy=[]))
    stream = Stream(table)
    stream.run()
    assert emails() == []  # chose nothing
    comms_store.record_link_request(ticket["reference"], comms.contact_key("someone@else.example"))
    comms_store.record_link_request("PS-22222Z", comms.contact_key("jana@example.com"))  # no such ticket
    assert stream.run() == {"batchItemFailures": []}
    assert emails() == [] and sms() == []
    comms_store.record_link_request(ticket["reference"], comms.contact_key(" +420 601-123-456 "))
    for _ in range(3):  # the hour's third request counts; the two after it are not even recorded
        comms_store.record_link_request(ticket["reference"], comms.contact_key("JANA@example.com"))
    assert stream.run() == {"batchItemFailures": []}
    assert len(emails()) == 1 and len(sms()) == 1
    assert "your link:" in sms()[0][1]
    token = LINK_RE.search(sms()[0][1]).group(2)  # type: ignore[union-attr]
    assert comms_store.link_opens(token, ticket["id"])
    assert stream.run(replay=True) == {"batchItemFailures": []}
    assert len(emails()) == 1 and len(sms()) == 1
    assert [(e["event"], e["channel"]) for e in log(ticket["id"])] == [
        ("TRACKING_LINK", "SMS"),
        ("TRACKING_LINK", "EMAIL"),
    ]
