"""resolvers.comms: the event table, channel choices, contacts and message texts (pure, no moto)."""

from __future__ import annotations

from typing import Any

import pytest

from resolvers import comms
from resolvers.errors import ValidationError

TICKET: dict[str, Any] = {
    "id": "abcdefghijklmnopqrstuvwx",
    "reference": "PS-7K2P9Q",
    "status": "SUBMITTED",
    "version": 1,
    "customer": {"name": "Jana Nováková", "email": "jana@example.com", "phone": "+420601123456"},
    "history": [{"status": "SUBMITTED", "at": "2026-12-01T10:00:00.000Z"}],
}


def changed(**fields: Any) -> dict[str, Any]:
    return {**TICKET, **fields}


@pytest.mark.parametrize(
    ("old", "new", "events"),
    [
        (None, TICKET, ["TICKET_CREATED"]),
        (TICKET, changed(status="RECEIVED", version=2), []),
        (changed(status="IN_REPAIR"), changed(status="READY_FOR_PICKUP"), ["READY_FOR_PICKUP"]),
        (changed(status="READY_FOR_PICKUP"), changed(status="READY_FOR_PICKUP", version=9), []),  # log append
        (changed(status="RECEIVED"), changed(status="CANCELLED"), ["CANCELLED"]),
        (changed(status="READY_FOR_PICKUP"), changed(status="COMPLETED"), []),
        (
            changed(status="DIAGNOSING"),
            changed(status="AWAITING_APPROVAL", estimate={"version": 1}),
            ["ESTIMATE_SENT"],
        ),
        (changed(estimate={"version": 1}), changed(estimate={"version": 2}), ["ESTIMATE_SENT"]),
        (changed(estimate={"version": 2}), changed(estimate={"version": 2, "answeredAt": "x"}), []),
    ],
)
def test_event_table(old: dict[str, Any] | None, new: dict[str, Any], events: list[str]) -> None:
    assert comms.customer_events(old, new) == events


def test_the_table_is_the_one_place() -> None:
    assert set(comms.CUSTOMER_EVENTS) == {"TICKET_CREATED", "ESTIMATE_SENT", "READY_FOR_PICKUP", "CANCELLED"}
    assert set(comms.EVENT_TEXT) == {*comms.CUSTOMER_EVENTS, "TRACKING_LINK"}


def test_notify_by_defaults_and_needs_contacts() -> None:
    assert comms.validate_notify_by(None, {"email": "a@b.cd"}) == ["EMAIL"]
    assert comms.validate_notify_by(None, {"phone": "+14155550123"}) == []
    both = {"email": "a@b.cd", "phone": "+14155550123"}
    assert comms.validate_notify_by(["SMS", "EMAIL", "SMS"], both) == ["EMAIL", "SMS"]
    assert comms.validate_notify_by([], both) == []
    with pytest.raises(ValidationError, match="SMS needs"):
        comms.validate_notify_by(["SMS"], {"email": "a@b.cd"})
    with pytest.raises(ValidationError, match="EMAIL needs"):
        comms.validate_notify_by(["EMAIL"], {"phone": "+14155550123"})
    with pytest.raises(ValidationError):
        comms.validate_notify_by(["FAX"], both)


def test_recipients_follow_the_choice() -> None:
    customer = {**TICKET["customer"], "notifyBy": ["EMAIL", "SMS"]}
    assert comms.recipients("READY_FOR_PICKUP", customer) == [
        ("EMAIL", "jana@example.com"),
        ("SMS", "+420601123456"),
    ]
    assert comms.recipients("READY_FOR_PICKUP", {**customer, "notifyBy": []}) == []
    assert comms.recipients("READY_FOR_PICKUP", TICKET["customer"]) == [
        ("EMAIL", "jana@example.com")
    ]  # legacy


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("  JANA@Example.com ", "jana@example.com"),
        ("+420 601 123 456", "+420601123456"),
        ("00420-601-123-456", "+420601123456"),
        ("(415) 555-0123", "+14155550123"),
        ("+1 415 555 0123", "+14155550123"),
    ],
)
def test_contacts_match_case_and_format_insensitively(given: str, stored: str) -> None:
    customer = (
        {"email": "jana@example.com", "phone": "+420601123456"}
        if "14155" not in stored
        else {"phone": stored}
    )
    match = comms.matching_channel(comms.contact_key(given), customer)
    assert match is not None and match[1] == stored


def test_other_contacts_do_not_match() -> None:
    customer = {"email": "jana@example.com", "phone": "+420601123456"}
    for other in ("jan@example.com", "+420601123457", "", "PS-7K2P9Q", "jana@example.co"):
        assert comms.matching_channel(comms.contact_key(other), customer) is None


def test_messages_carry_the_link_and_never_the_internal_note() -> None:
    ticket = changed(
        status="READY_FOR_PICKUP",
        history=[
            {"status": "READY_FOR_PICKUP", "at": "x", "note": "Pay at the desk", "internalNote": "SECRET"}
        ],
    )
    link = comms.tracking_link("https://shop.example.com/", ticket["id"], "T" * 22)
    assert link == f"https://shop.example.com/track#id={ticket['id']}&token={'T' * 22}"
    note = comms.latest_note(ticket, "READY_FOR_PICKUP")
    mail = comms.email_message("READY_FOR_PICKUP", ticket, link, "Garage <Nováková>", note)
    assert link in mail.text and "Pay at the desk" in mail.text and "SECRET" not in mail.text + mail.html
    assert "&lt;Nováková&gt;" in mail.html and "<Nováková>" not in mail.html
    assert mail.subject == "PS-7K2P9Q: your vehicle is ready"


def test_sms_fits_one_segment_with_a_deployed_link() -> None:
    link = comms.tracking_link("https://d111111abcdef8.cloudfront.net", "x" * 24, "y" * 22)
    for event in comms.EVENT_TEXT:
        text = comms.sms_text(event, TICKET, link, "Garage Nováková")
        assert text.isascii() and len(text) <= comms.SMS_SEGMENT_GSM, (event, len(text))


def test_the_stage_offers_sms_only_when_switched_on() -> None:
    assert comms.offered_channels({}) == ("EMAIL",)
    assert comms.offered_channels({comms.ENV_CUSTOMER_SMS: "false"}) == ("EMAIL",)
    assert comms.offered_channels({comms.ENV_CUSTOMER_SMS: "true"}) == ("EMAIL", "SMS")
    for on in (True, False):
        assert comms.offered_channels(comms.channels_environment(on)) == (
            ("EMAIL", "SMS") if on else ("EMAIL",)
        )
    both = {"email": "a@b.cd", "phone": "+14155550123"}
    with pytest.raises(ValidationError, match=r"^notifyBy: this workshop does not send text messages"):
        comms.validate_notify_by(["EMAIL", "SMS"], both, offered=("EMAIL",))
    assert comms.validate_notify_by(None, both, offered=("EMAIL",)) == ["EMAIL"]  # the default is unchanged
