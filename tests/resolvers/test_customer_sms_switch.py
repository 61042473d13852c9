"""A stage without customer SMS (CUSTOMER_SMS not "true", the deployed default): the resolver refuses
notifyBy SMS on recorded AppSync events (moto), and the publisher sends no SMS for a ticket that chose
it while it was on: the SMS is SKIPPED in the delivery log, without any SNS call."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from test_customer_messages import Stream, data, emails, log, sms
from test_stream_publisher import endpoint, settings_env  # noqa: F401 (fixtures)

from resolvers import comms, comms_store, customer_messages, handler, store
from resolvers.errors import ValidationError

INPUT = {
    "vehicle": {"make": "Honda", "model": "Accord"},
    "description": "Grinding noise when braking.",
    "customer": {"name": "Alex Example", "email": "alex@example.com", "phone": "+1 415 555 0123"},
}


@pytest.fixture
def sms_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(comms.ENV_CUSTOMER_SMS, "false")


def create(load_event: Any, mode: str, **customer: Any) -> dict[str, Any]:
    given = copy.deepcopy(INPUT)
    given["customer"].update(customer)
    return handler.lambda_handler(load_event(f"createTicket.{mode}", input=given), None)


def set_notify_by(load_event: Any, ticket_id: str, token: str, channels: list[str]) -> dict[str, Any]:
    event = load_event("createTicket.api_key")
    arguments = {"id": ticket_id, "trackingToken": token, "notifyBy": channels}
    event["arguments"] = arguments
    event["info"] = {**event["info"], "fieldName": "setNotifyBy", "variables": arguments}
    return handler.lambda_handler(event, None)


def items(ddb: Any) -> list[dict[str, Any]]:
    """Everything in the table (a test's look, not the app's: the app never scans)."""
    return list(ddb.scan(TableName=store.table_name())["Items"])


@pytest.mark.parametrize("mode", ["api_key", "cognito_staff"])
@pytest.mark.parametrize("channels", [["SMS"], ["EMAIL", "SMS"]])
def test_create_with_sms_is_refused_and_writes_nothing(
    load_event: Any, ddb: Any, table: dict[str, Any], sms_off: None, mode: str, channels: list[str]
) -> None:
    with pytest.raises(ValidationError) as refused:
        create(load_event, mode, notifyBy=channels)
    assert str(refused.value) == "customer.notifyBy: this workshop does not send text messages; choose EMAIL"
    assert items(ddb) == []


def test_unset_means_off(load_event: Any, table: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(comms.ENV_CUSTOMER_SMS)
    with pytest.raises(ValidationError, match="does not send text messages"):
        create(load_event, "api_key", notifyBy=["SMS"])


def test_off_still_takes_a_phone_and_email(load_event: Any, table: dict[str, Any], sms_off: None) -> None:
    created = create(load_event, "cognito_staff")
    assert created["ticket"]["customer"]["notifyBy"] == ["EMAIL"]  # the default is unchanged
    assert created["ticket"]["customer"]["phone"] == "+14155550123"
    chosen = create(load_event, "cognito_staff", notifyBy=["EMAIL"])
    assert chosen["ticket"]["customer"]["notifyBy"] == ["EMAIL"]


def test_on_takes_sms(load_event: Any, table: dict[str, Any]) -> None:
    created = create(load_event, "cognito_staff", notifyBy=["SMS", "EMAIL"])
    assert created["ticket"]["customer"]["notifyBy"] == ["EMAIL", "SMS"]


def test_set_notify_by_sms_is_refused_and_changes_nothing(
    load_event: Any, table: dict[str, Any], sms_off: None
) -> None:
    created = create(load_event, "api_key")
    ticket_id, token = created["ticket"]["id"], created["trackingToken"]
    with pytest.raises(ValidationError, match=r"^notifyBy: this workshop does not send text messages"):
        set_notify_by(load_event, ticket_id, token, ["SMS"])
    stored = store.get(ticket_id)
    assert stored is not None and stored.ticket["version"] == 1
    assert stored.ticket["customer"]["notifyBy"] == ["EMAIL"]
    assert set_notify_by(load_event, ticket_id, token, [])["version"] == 2


# ------------------------------------------------------------------------------------------ the publisher


@pytest.fixture
def no_sns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records any SNS SMS call the publisher tries (there must be none)."""
    tried: list[str] = []
    monkeypatch.setattr(customer_messages.Sender, "opted_out", lambda self, phone: tried.append(phone))
    monkeypatch.setattr(customer_messages.Sender, "sms", lambda self, *args: tried.append(str(args)))
    return tried


@pytest.mark.usefixtures("settings_env", "inbox", "endpoint")
def test_off_the_publisher_skips_sms_chosen_while_on(
    table: dict[str, Any], monkeypatch: pytest.MonkeyPatch, no_sns: list[str]
) -> None:
    ticket, _ = store.put_new(data(notifyBy=["EMAIL", "SMS"]))  # chosen while the stage offered SMS
    monkeypatch.setenv(comms.ENV_CUSTOMER_SMS, "false")
    stream = Stream(table)
    assert stream.run() == {"batchItemFailures": []}
    assert sms() == [] and no_sns == []
    assert len(emails()) == 1
    assert [(e["channel"], e["status"]) for e in log(ticket["id"])] == [("EMAIL", "SENT"), ("SMS", "SKIPPED")]
    # a stream retry finds both claims settled: nothing sent, nothing logged again
    assert stream.run(replay=True) == {"batchItemFailures": []}
    assert len(emails()) == 1 and len(log(ticket["id"])) == 2 and no_sns == []


@pytest.mark.usefixtures("settings_env", "inbox", "endpoint")
def test_off_a_link_asked_for_by_phone_is_skipped(
    table: dict[str, Any], monkeypatch: pytest.MonkeyPatch, no_sns: list[str]
) -> None:
    ticket, _ = store.put_new(data(notifyBy=[]))
    stream = Stream(table)
    stream.run()
    monkeypatch.setenv(comms.ENV_CUSTOMER_SMS, "false")
    comms_store.record_link_request(ticket["reference"], comms.contact_key("+420 601 123 456"))
    assert stream.run() == {"batchItemFailures": []}
    assert sms() == [] and no_sns == []
    assert [(e["event"], e["channel"], e["status"]) for e in log(ticket["id"])] == [
        ("TRACKING_LINK", "SMS", "SKIPPED")
    ]
