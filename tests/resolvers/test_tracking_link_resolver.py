"""requestTrackingLink and setNotifyBy in the resolver: the answer, the limit, and why its timing cannot
tell whether a reference exists (the same store calls, on the same key shapes, either way)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from resolvers import comms_store, handler, limits, store, tickets
from resolvers.errors import NotFoundError, ValidationError

pytestmark = pytest.mark.usefixtures("table")


def event(load_event: Any, field: str, **arguments: Any) -> dict[str, Any]:
    """A public (API key) call of `field`, from the recorded createTicket event's shape."""
    recorded = load_event("createTicket.api_key")
    recorded = copy.deepcopy(recorded)
    recorded["arguments"] = arguments
    recorded["info"] = {
        **recorded["info"],
        "fieldName": field,
        "parentTypeName": "Mutation",
        "variables": arguments,
    }
    return recorded


@pytest.fixture
def calls() -> Iterator[list[tuple[str, str]]]:
    """Every DynamoDB call the resolver makes: (operation, key with its variable parts blanked)."""
    seen: list[tuple[str, str]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        key = str(json.loads(params.get("body") or b"{}").get("Key") or "")
        seen.append((model.name, re.sub(r"PS-[A-Z0-9]{6}", "<ref>", key)))

    client = store.client()
    client.meta.events.register("before-call.dynamodb", record)
    yield seen
    client.meta.events.unregister("before-call.dynamodb", record)


def new_ticket() -> dict[str, Any]:
    data = tickets.validate_create_input(
        {
            "vehicle": {"make": "VW", "model": "Golf"},
            "description": "x",
            "customer": {"name": "A", "email": "a@example.com", "phone": "+14155550123"},
        }
    )
    return store.put_new(data)[0]


def test_the_same_store_work_whether_or_not_the_reference_exists(load_event: Any, calls: list[Any]) -> None:
    ticket = new_ticket()
    calls.clear()
    for reference, contact in (
        (ticket["reference"], "a@example.com"),  # exists, matches
        (ticket["reference"], "b@example.com"),  # exists, does not match
        ("PS-22222Z", "a@example.com"),  # does not exist
    ):
        assert (
            handler.lambda_handler(
                event(load_event, "requestTrackingLink", reference=reference, contact=contact), None
            )
            is True
        )
    assert calls == [("UpdateItem", calls[0][1])] * 3  # one conditional write each, one key shape
    assert "LINKREQ#<ref>'" in calls[0][1]


def test_the_limit_holds_and_the_answer_stays_true(load_event: Any) -> None:
    ticket = new_ticket()
    per_hour = limits.TRACKING_LINKS_PER_HOUR
    for _ in range(per_hour + 3):
        answer = handler.lambda_handler(
            event(load_event, "requestTrackingLink", reference=ticket["reference"], contact="a@example.com"),
            None,
        )
        assert answer is True
    key = {"pk": {"S": f"{comms_store.LINK_REQUEST_PREFIX}{ticket['reference']}"}}
    item = store.client().get_item(TableName=store.table_name(), Key=key)["Item"]
    assert int(item["seq"]["N"]) == per_hour
    assert "a@example.com" not in str(item)  # the contact is kept only as a hash


def accepted(reference: str, at: float) -> int:
    """Record a request at `at`; the accepted requests so far (the item's sequence number)."""
    comms_store.record_link_request(reference, "hash", now=at)
    key = {"pk": {"S": f"{comms_store.LINK_REQUEST_PREFIX}{reference}"}}
    return int(store.client().get_item(TableName=store.table_name(), Key=key)["Item"]["seq"]["N"])


def test_no_rolling_hour_holds_more_than_the_limit_even_across_the_clock_hour() -> None:
    """The limit counts the last 60 minutes, not the clock hour: three requests at 10:40, 10:50 and
    11:05 leave none at 11:30 (a per-clock-hour counter would allow three more after 11:00), and the
    10:40 one makes room again at 11:40."""
    assert limits.TRACKING_LINKS_PER_HOUR == 3  # the times below are written for three
    reference, t = "PS-22222Z", 1_700_000_000 - 1_700_000_000 % 3600 + 40 * 60  # hh:40
    assert [accepted(reference, t + minutes * 60) for minutes in (0, 10, 25)] == [1, 2, 3]
    assert accepted(reference, t + 50 * 60) == 3  # 11:30: refused, nothing written
    assert accepted(reference, t + 59 * 60 + 59) == 3  # 11:39:59: the 10:40 request is still in the hour
    assert accepted(reference, t + 60 * 60) == 4  # 11:40: it has left the window
    assert accepted(reference, t + 61 * 60) == 3 + 1  # 11:41: the 10:50 and 11:05 ones and 11:40 fill it
    assert accepted(reference, t + 70 * 60) == 5  # 11:50: the 10:50 one has left


def test_a_malformed_reference_or_contact_is_a_validation_error(load_event: Any) -> None:
    for arguments in (
        {"reference": "nope", "contact": "a@example.com"},
        {"reference": "PS-22222Z", "contact": " "},
    ):
        with pytest.raises(ValidationError):
            handler.lambda_handler(event(load_event, "requestTrackingLink", **arguments), None)


def test_set_notify_by_needs_the_token_and_the_contact(load_event: Any) -> None:
    data = tickets.validate_create_input(
        {
            "vehicle": {"make": "VW", "model": "Golf"},
            "description": "x",
            "customer": {"name": "A", "email": "a@b.cd"},
        }
    )
    ticket, token = store.put_new(data)
    with pytest.raises(NotFoundError):
        handler.lambda_handler(
            event(load_event, "setNotifyBy", id=ticket["id"], trackingToken="x" * 43, notifyBy=[]), None
        )
    with pytest.raises(ValidationError, match="SMS needs"):
        handler.lambda_handler(
            event(load_event, "setNotifyBy", id=ticket["id"], trackingToken=token, notifyBy=["SMS"]), None
        )
    changed = handler.lambda_handler(
        event(load_event, "setNotifyBy", id=ticket["id"], trackingToken=token, notifyBy=[]), None
    )
    assert changed["version"] == 2 and "customer" not in changed
    stored = store.get(ticket["id"])
    assert stored is not None and stored.ticket["customer"]["notifyBy"] == []
    link = comms_store.issue_link(ticket["id"])  # an issued link's token works as well
    again = handler.lambda_handler(
        event(load_event, "setNotifyBy", id=ticket["id"], trackingToken=link, notifyBy=["EMAIL"]), None
    )
    assert again["version"] == 3
