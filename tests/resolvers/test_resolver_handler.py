"""resolvers.handler invoked with recorded AppSync direct-Lambda events (tests/events) against moto."""

from __future__ import annotations

import copy
import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from resolvers import handler, store, tickets
from resolvers.errors import (
    TICKET_NOT_FOUND,
    ConflictError,
    InternalFailure,
    NotFoundError,
    UnauthorizedException,
    ValidationError,
)

pytestmark = pytest.mark.usefixtures("table")

INPUT = {
    "vehicle": {
        "make": "Honda",
        "model": "Accord",
        "year": 2003,
        "vin": "1HGCM82633A004352",
        "mileage": 182000,
    },
    "description": "Grinding noise when braking.",
    "customer": {"name": "Alex Example", "email": "alex@example.com", "phone": "+1 415 555 0123"},
}


def call(load_event: Any, name: str, **arguments: Any) -> Any:
    return handler.lambda_handler(load_event(name, **arguments), None)


def create(load_event: Any, mode: str = "api_key", **changes: Any) -> dict[str, Any]:
    data = {**copy.deepcopy(INPUT), **changes}
    return call(load_event, f"createTicket.{mode}", input=data)


# ------------------------------------------------------------------------------------------- createTicket


def test_create_public_returns_ticket_and_token_without_customer(load_event: Any) -> None:
    result = call(load_event, "createTicket.api_key")  # the recorded event, as AppSync sends it
    ticket, token = result["ticket"], result["trackingToken"]
    assert tickets.is_ticket_id(ticket["id"]) and len(token) >= 40
    assert ticket["reference"].startswith("PS-") and ticket["status"] == "SUBMITTED"
    assert ticket["version"] == 1 and ticket["createdAt"] == ticket["updatedAt"]
    assert ticket["history"] == [{"status": "SUBMITTED", "at": ticket["createdAt"], "by": "customer"}]
    assert ticket["vehicle"]["vin"] == "1HGCM82633A004352"
    assert "customer" not in ticket
    assert not {"pk", "entity", "tokenHash", "createdKey"} & set(ticket)


def test_create_staff_sees_customer_with_normalised_phone(load_event: Any) -> None:
    ticket = call(load_event, "createTicket.cognito_staff")["ticket"]
    assert ticket["customer"] == {
        "name": "Alex Example",
        "email": "alex@example.com",
        "phone": "+14155550123",
        "notifyBy": ["EMAIL"],
    }
    assert ticket["history"][0]["by"] == "customer"


def test_create_stores_only_the_token_hash(load_event: Any, ddb: Any) -> None:
    result = create(load_event)
    item = ddb.get_item(
        TableName="pitstop-tickets-test", Key={"pk": {"S": f"TICKET#{result['ticket']['id']}"}}
    )
    raw = json.dumps(item["Item"])
    assert result["trackingToken"] not in raw
    assert item["Item"]["tokenHash"]["S"] == tickets.hash_token(result["trackingToken"])
    assert item["Item"]["createdKey"]["S"] == f"{result['ticket']['createdAt']}#{result['ticket']['id']}"
    ref = ddb.get_item(
        TableName="pitstop-tickets-test", Key={"pk": {"S": f"REF#{result['ticket']['reference']}"}}
    )
    assert ref["Item"]["id"]["S"] == result["ticket"]["id"] and ref["Item"]["entity"]["S"] == "REF"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"vehicle": {"make": " ", "model": "Accord"}}, "vehicle.make must not be empty"),
        (
            {"vehicle": {"make": "Honda", "model": "Accord", "year": 1885}},
            "vehicle.year must be between 1886",
        ),
        ({"vehicle": {"make": "Honda", "model": "A", "mileage": -1}}, "vehicle.mileage must be between 0"),
        (
            {"vehicle": {"make": "Honda", "model": "A", "vin": "1HGCM82633A004353"}},
            "vehicle.vin has an invalid",
        ),
        ({"customer": {"name": "Alex"}}, "customer needs an email or a phone"),
        ({"customer": {"name": "Alex", "email": "not-an-email"}}, "customer.email must be"),
        ({"customer": {"name": "Alex", "phone": "12"}}, "customer.phone must be"),
        ({"description": ""}, "description must not be empty"),
        ({"clientToken": "short"}, "clientToken must be 16 to 128"),
    ],
)
def test_create_validation_names_the_field(load_event: Any, change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        create(load_event, **change)


def test_create_idempotent_same_token_same_ticket_and_tracking_token(load_event: Any) -> None:
    first = create(load_event, clientToken="retry-token-0000000001")
    again = create(load_event, clientToken="retry-token-0000000001")
    assert again == first
    staff = create(load_event, "cognito_staff", clientToken="retry-token-0000000001")
    assert staff["ticket"]["id"] == first["ticket"]["id"] and "customer" in staff["ticket"]
    other = create(load_event, clientToken="retry-token-0000000002")
    assert other["ticket"]["id"] != first["ticket"]["id"]


def test_create_same_token_different_input_conflicts(load_event: Any) -> None:
    create(load_event, clientToken="retry-token-0000000003")
    with pytest.raises(ConflictError, match="clientToken"):
        create(load_event, clientToken="retry-token-0000000003", description="Something else entirely.")


def test_concurrent_creates_with_one_client_token_make_one_ticket(load_event: Any, ddb: Any) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(
            pool.map(lambda _: create(load_event, clientToken="concurrent-token-000001"), range(20))
        )
    assert len({r["ticket"]["id"] for r in results}) == 1
    assert len({r["trackingToken"] for r in results}) == 1
    page = handler.lambda_handler(load_event("tickets.cognito_staff", limit=100), None)
    assert [t["id"] for t in page["items"]] == [results[0]["ticket"]["id"]]


# ------------------------------------------------------------------------------------------------- ticket


def test_ticket_public_with_token(load_event: Any) -> None:
    made = create(load_event)
    got = call(load_event, "ticket.api_key", id=made["ticket"]["id"], trackingToken=made["trackingToken"])
    assert got == made["ticket"]
    assert "customer" not in got


@pytest.mark.parametrize("token", [None, "", "wrong-token", "x" * 300, 42])
def test_ticket_public_without_or_with_wrong_token_is_not_found(load_event: Any, token: Any) -> None:
    made = create(load_event)
    args = (
        {"id": made["ticket"]["id"]}
        if token is None
        else {"id": made["ticket"]["id"], "trackingToken": token}
    )
    with pytest.raises(NotFoundError) as wrong:
        call(load_event, "ticket.api_key", **args)
    with pytest.raises(NotFoundError) as unknown:
        call(load_event, "ticket.api_key", id="A" * 24, trackingToken=made["trackingToken"])
    assert str(wrong.value) == str(unknown.value) == TICKET_NOT_FOUND


def test_ticket_unknown_or_malformed_id_is_not_found(load_event: Any) -> None:
    for bad in ("A" * 24, "../etc", "", "x" * 300):
        with pytest.raises(NotFoundError, match=f"^{TICKET_NOT_FOUND}$"):
            call(load_event, "ticket.cognito_staff", id=bad)


def test_ticket_staff_needs_no_token_and_sees_customer(load_event: Any) -> None:
    made = create(load_event)
    got = call(load_event, "ticket.cognito_staff", id=made["ticket"]["id"])
    assert got["customer"]["email"] == "alex@example.com"


# --------------------------------------------------------------------------------------- ticketByReference


def test_ticket_by_reference_forgiving_format(load_event: Any) -> None:
    made = create(load_event)["ticket"]
    spoken = made["reference"].lower().replace("-", " ")
    got = call(load_event, "ticketByReference.cognito_staff", reference=spoken)
    assert got["id"] == made["id"] and "customer" in got


def test_ticket_by_reference_unknown_and_malformed(load_event: Any) -> None:
    with pytest.raises(NotFoundError):
        call(load_event, "ticketByReference.cognito_staff", reference="PS-222222")
    with pytest.raises(ValidationError, match="reference must look like"):
        call(load_event, "ticketByReference.cognito_staff", reference="PS-0O1IL")


# -------------------------------------------------------------------------------------- updateTicketStatus


def update(load_event: Any, ticket_id: str, status: str, **extra: Any) -> dict[str, Any]:
    return call(
        load_event, "updateTicketStatus.cognito_staff", input={"id": ticket_id, "status": status, **extra}
    )


def test_update_appends_history_and_bumps_version(load_event: Any) -> None:
    made = create(load_event)["ticket"]
    got = update(load_event, made["id"], "RECEIVED", note="In bay 3.", expectedVersion=1)
    assert got["status"] == "RECEIVED" and got["version"] == 2 and got["updatedAt"] >= made["updatedAt"]
    assert got["history"][-1] == {
        "status": "RECEIVED",
        "at": got["updatedAt"],
        "by": "staff-jane",
        "note": "In bay 3.",
    }
    assert got["history"][0] == made["history"][0] and "customer" in got
    got = update(load_event, made["id"], "DIAGNOSING")
    assert got["version"] == 3 and [h["status"] for h in got["history"]] == [
        "SUBMITTED",
        "RECEIVED",
        "DIAGNOSING",
    ]


def test_public_callers_see_who_changed_a_ticket_as_a_role_staff_see_the_username(load_event: Any) -> None:
    made = create(load_event)
    ticket_id, token = made["ticket"]["id"], made["trackingToken"]
    update(load_event, ticket_id, "RECEIVED", note="In bay 3.")
    public = call(load_event, "ticket.api_key", id=ticket_id, trackingToken=token)
    assert [(h["status"], h["by"]) for h in public["history"]] == [
        ("SUBMITTED", "customer"),
        ("RECEIVED", "staff"),
    ]
    assert public["history"][1]["note"] == "In bay 3."
    assert "staff-jane" not in json.dumps(public)
    staff = call(load_event, "ticket.cognito_staff", id=ticket_id)
    assert [h["by"] for h in staff["history"]] == ["customer", "staff-jane"]


def test_update_recorded_event(load_event: Any) -> None:
    made = create(load_event)["ticket"]
    event = load_event("updateTicketStatus.cognito_staff")
    event["arguments"]["input"]["id"] = made["id"]
    assert handler.lambda_handler(event, None)["status"] == "RECEIVED"


def test_update_stale_version_conflicts(load_event: Any) -> None:
    made = create(load_event)["ticket"]
    update(load_event, made["id"], "RECEIVED", expectedVersion=1)
    with pytest.raises(ConflictError, match="expectedVersion 1"):
        update(load_event, made["id"], "DIAGNOSING", expectedVersion=1)


@pytest.mark.parametrize("target", ["SUBMITTED", "COMPLETED", "IN_REPAIR"])
def test_update_forbidden_transition_conflicts(load_event: Any, target: str) -> None:
    made = create(load_event)["ticket"]
    with pytest.raises(ConflictError, match=f"from SUBMITTED to {target}"):
        update(load_event, made["id"], target)


def test_update_final_status_is_final(load_event: Any) -> None:
    made = create(load_event)["ticket"]
    update(load_event, made["id"], "CANCELLED")
    with pytest.raises(ConflictError, match="from CANCELLED"):
        update(load_event, made["id"], "RECEIVED")


def test_update_unknown_ticket_and_bad_input(load_event: Any) -> None:
    with pytest.raises(NotFoundError):
        update(load_event, "A" * 24, "RECEIVED")
    with pytest.raises(NotFoundError):
        update(load_event, "no/such", "RECEIVED")
    with pytest.raises(ValidationError, match="status must be one of"):
        update(load_event, "A" * 24, "FIXED")
    with pytest.raises(ValidationError, match="expectedVersion must be between"):
        update(load_event, "A" * 24, "RECEIVED", expectedVersion=0)


def test_concurrent_updates_without_expected_version_all_apply(load_event: Any) -> None:
    made = create(load_event)["ticket"]
    update(load_event, made["id"], "RECEIVED")
    update(load_event, made["id"], "DIAGNOSING")
    statuses = ["IN_REPAIR", "WAITING_FOR_PARTS"] * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda s: _try(lambda: update(load_event, made["id"], s)), statuses))
    final = call(load_event, "ticket.cognito_staff", id=made["id"])
    applied = [o for o in outcomes if isinstance(o, dict)]
    assert final["version"] == 3 + len(applied)
    assert len(final["history"]) == final["version"]
    assert all(isinstance(o, dict | ConflictError) for o in outcomes)


def _try(fn: Any) -> Any:
    try:
        return fn()
    except ConflictError as exc:
        return exc


# ------------------------------------------------------------------------------------------------ tickets


def test_tickets_pages_newest_first_across_pages(load_event: Any) -> None:
    made = [create(load_event)["ticket"]["id"] for _ in range(7)]
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        args = {"limit": 3, **({"nextToken": token} if token else {})}
        page = call(load_event, "tickets.cognito_staff", **args)
        assert page["items"], "never an empty page"
        assert all("customer" in t for t in page["items"])
        seen += [t["id"] for t in page["items"]]
        pages += 1
        token = page["nextToken"]
        if not token:
            break
    assert pages == 3 and seen == list(reversed(made))


def test_tickets_exactly_full_last_page_has_no_token(load_event: Any) -> None:
    for _ in range(4):
        create(load_event)
    first = call(load_event, "tickets.cognito_staff", limit=2)
    second = call(load_event, "tickets.cognito_staff", limit=2, nextToken=first["nextToken"])
    assert len(second["items"]) == 2 and second["nextToken"] is None
    everything = call(load_event, "tickets.cognito_staff", limit=4)
    assert len(everything["items"]) == 4 and everything["nextToken"] is None


def test_tickets_by_status(load_event: Any) -> None:
    ids = [create(load_event)["ticket"]["id"] for _ in range(5)]
    for i in ids[:3]:
        update(load_event, i, "RECEIVED")
    received = call(load_event, "tickets.cognito_staff", status="RECEIVED", limit=2)
    rest = call(
        load_event, "tickets.cognito_staff", status="RECEIVED", limit=2, nextToken=received["nextToken"]
    )
    assert [t["id"] for t in received["items"] + rest["items"]] == list(reversed(ids[:3]))
    assert rest["nextToken"] is None
    submitted = call(load_event, "tickets.cognito_staff", status="SUBMITTED")
    assert [t["id"] for t in submitted["items"]] == list(reversed(ids[3:]))
    assert call(load_event, "tickets.cognito_staff", status="COMPLETED") == {"items": [], "nextToken": None}
    # the recorded event: SUBMITTED, limit 20
    assert len(handler.lambda_handler(load_event("tickets.cognito_staff"), None)["items"]) == 2


@pytest.mark.parametrize("limit", [0, -1, 101, True])
def test_tickets_limit_bounds(load_event: Any, limit: Any) -> None:
    with pytest.raises(ValidationError, match=r"^limit must be between 1 and 100$"):
        call(load_event, "tickets.cognito_staff", limit=limit)


def test_tickets_tampered_next_token(load_event: Any) -> None:
    for _ in range(3):
        create(load_event)
    token = call(load_event, "tickets.cognito_staff", limit=1)["nextToken"]
    assert token
    tampered = [token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "not base64 !", token + "x" * 600, "e30"]
    for bad in tampered:
        with pytest.raises(ValidationError, match=r"^nextToken is invalid$"):
            call(load_event, "tickets.cognito_staff", limit=1, nextToken=bad)
    with pytest.raises(ValidationError, match=r"^nextToken is invalid$"):  # a token of another listing
        call(load_event, "tickets.cognito_staff", status="SUBMITTED", limit=1, nextToken=token)


# ---------------------------------------------------------------------------------------- onTicketUpdated


def test_subscription_token_checked_at_subscribe_time(load_event: Any) -> None:
    made = create(load_event)
    tid, token = made["ticket"]["id"], made["trackingToken"]
    assert call(load_event, "onTicketUpdated.api_key", id=tid, trackingToken=token) is None
    assert call(load_event, "onTicketUpdated.cognito_staff", id=tid) is None
    # Refusals are returned, not raised: the check runs in a pipeline function (errors.as_refusal).
    refusal = {"errorType": "NotFoundError", "errorMessage": TICKET_NOT_FOUND}
    for args in ({"id": tid}, {"id": tid, "trackingToken": "nope"}, {"id": "A" * 24, "trackingToken": token}):
        assert call(load_event, "onTicketUpdated.api_key", **args) == refusal
    assert call(load_event, "onTicketUpdated.api_key") == refusal  # the recorded event: an unknown id


# ------------------------------------------------------------------------------------------ auth and errors


def test_staff_only_fields_refuse_public_and_iam_callers(load_event: Any) -> None:
    made = create(load_event)["ticket"]
    public = {"identity": None}
    not_staff = {
        "identity": {
            **load_event("ticket.cognito_staff")["identity"],
            "groups": ["drivers"],
            "claims": {"cognito:groups": ["drivers"], "username": "x"},
        }
    }
    for who in (public, not_staff):
        for name, args in (
            ("tickets.cognito_staff", {}),
            ("ticketByReference.cognito_staff", {"reference": made["reference"]}),
            ("updateTicketStatus.cognito_staff", {"input": {"id": made["id"], "status": "RECEIVED"}}),
        ):
            event = {**load_event(name, **args), **who}
            with pytest.raises(UnauthorizedException, match=r"You are not authorized to make this call\."):
                handler.lambda_handler(event, None)
    with pytest.raises(UnauthorizedException):
        handler.lambda_handler(load_event("tickets.iam"), None)


def test_staff_group_from_claims_only(load_event: Any) -> None:
    made = create(load_event)["ticket"]
    event = load_event("ticket.cognito_staff", id=made["id"])
    event["identity"]["groups"] = None  # older events: only the claim
    assert "customer" in handler.lambda_handler(event, None)


def test_unexpected_error_becomes_generic(
    load_event: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*_: Any, **__: Any) -> None:
        raise RuntimeError("table pitstop-tickets-test exploded at arn:aws:dynamodb:secret")

    monkeypatch.setattr(store, "get", boom)
    with pytest.raises(InternalFailure) as err:
        call(load_event, "ticket.cognito_staff", id="A" * 24)
    assert str(err.value) == "An internal error occurred." and type(err.value).__name__ == "InternalFailure"
    assert err.value.__cause__ is None


def test_unknown_field_is_generic_error(load_event: Any) -> None:
    event = load_event("ticket.cognito_staff")
    event["info"]["fieldName"] = "nope"
    with pytest.raises(InternalFailure):
        handler.lambda_handler(event, None)


def test_logs_hold_no_customer_data(load_event: Any) -> None:
    buffer = io.StringIO()
    log_handler = handler.logger.registered_handler
    previous = log_handler.setStream(buffer)
    try:
        _log_a_session(load_event, buffer)
    finally:
        log_handler.setStream(previous)


def _log_a_session(load_event: Any, buffer: io.StringIO) -> None:
    made = call(load_event, "createTicket.cognito_staff")
    call(load_event, "ticket.api_key", id=made["ticket"]["id"], trackingToken=made["trackingToken"])
    update(load_event, made["ticket"]["id"], "RECEIVED", note="Called Alex")
    with pytest.raises(ValidationError):
        create(load_event, customer={"name": "Alex Example", "email": "alex@bad"})
    text = buffer.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines and all(line["service"] == "pitstop" for line in lines)
    assert {"Mutation.createTicket", "Query.ticket", "Mutation.updateTicketStatus"} <= {
        line.get("field") for line in lines
    }
    for secret in ("Alex", "alex@example.com", "4155550123", "Grinding", made["trackingToken"], "Called"):
        assert secret not in text


def test_concurrent_invocations_do_not_share_events(load_event: Any) -> None:
    """Public and staff calls interleaved on threads: each sees its own identity."""
    made = create(load_event)
    tid, token = made["ticket"]["id"], made["trackingToken"]
    barrier = threading.Barrier(8)

    def one(i: int) -> bool:
        barrier.wait()
        if i % 2:
            return "customer" in call(load_event, "ticket.cognito_staff", id=tid)
        return "customer" not in call(load_event, "ticket.api_key", id=tid, trackingToken=token)

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(one, range(48)))


def test_staff_group_as_comma_separated_claim_and_request_id(load_event: Any) -> None:
    made = create(load_event)["ticket"]
    event = load_event("ticket.cognito_staff", id=made["id"])
    event["identity"]["groups"] = None
    event["identity"]["claims"]["cognito:groups"] = "mechanics, staff"

    class Context:
        aws_request_id = "4b1c7a52-0000-4000-8000-000000000001"

    buffer = io.StringIO()
    previous = handler.logger.registered_handler.setStream(buffer)
    try:
        assert "customer" in handler.lambda_handler(event, Context())
    finally:
        handler.logger.registered_handler.setStream(previous)
    assert json.loads(buffer.getvalue().splitlines()[-1])["requestId"] == Context.aws_request_id
