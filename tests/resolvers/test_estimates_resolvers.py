"""sendEstimate / answerEstimate / Ticket.estimate through resolvers.handler against moto: every error
type, the superseded versions' own items, and the races (20 answers, an answer against a new version)."""

from __future__ import annotations

import copy
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from resolvers import handler, tickets
from resolvers.errors import ConflictError, NotFoundError, UnauthorizedException, ValidationError

TABLE = "pitstop-tickets-test"  # tests/resolvers/conftest.py
INPUT = {
    "vehicle": {"make": "Honda", "model": "Accord", "year": 2003},
    "description": "Grinding noise when braking.",
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
}

pytestmark = pytest.mark.usefixtures("table")

LINES = [
    {"kind": "LABOR", "description": "Replace front brake pads", "quantity": 1.5, "unitPrice": 9000},
    {"kind": "PART", "description": "Brake pads (set)", "quantity": 1, "unitPrice": 6450},
    {"kind": "FEE", "description": "Disposal", "quantity": 1, "unitPrice": 550},
]


@pytest.fixture(autouse=True)
def _events(load_event: Any) -> None:
    global _load_event
    _load_event = load_event


_load_event: Any = None


def load_event(name: str, **arguments: Any) -> dict[str, Any]:
    return _load_event(name, **arguments)


def invoke(field: str, mode: str, **arguments: Any) -> Any:
    """A recorded event of that caller kind, re-aimed at `field` (the shape AppSync sends for any field)."""
    bases = {"api_key": "ticket.api_key", "staff": "updateTicketStatus.cognito_staff", "iam": "tickets.iam"}
    base = bases[mode]
    event = load_event(base, **arguments)
    event["info"]["fieldName"] = field
    event["info"]["parentTypeName"] = "Query" if field == "ticket" else "Mutation"
    return handler.lambda_handler(event, None)


def new_ticket(status: str = "DIAGNOSING") -> tuple[str, str]:
    created = handler.lambda_handler(load_event("createTicket.api_key", input=copy.deepcopy(INPUT)), None)
    ticket_id, token = created["ticket"]["id"], created["trackingToken"]
    path = {
        "RECEIVED": ["RECEIVED"],
        "DIAGNOSING": ["RECEIVED", "DIAGNOSING"],
        "IN_REPAIR": ["RECEIVED", "IN_REPAIR"],
    }
    for step in path.get(status, []):
        invoke("updateTicketStatus", "staff", input={"id": ticket_id, "status": step})
    return ticket_id, token


def send(ticket_id: str, lines: list[dict] | None = None, **extra: Any) -> dict[str, Any]:
    return invoke("sendEstimate", "staff", input={"ticketId": ticket_id, "lines": lines or LINES, **extra})


def answer_input(ticket: dict, decisions: list[str], token: str | None, **extra: Any) -> dict[str, Any]:
    estimate = ticket["estimate"]
    data = {
        "ticketId": ticket["id"],
        "estimateVersion": estimate["version"],
        "decisions": [
            {"lineId": ln["id"], "decision": d} for ln, d in zip(estimate["lines"], decisions, strict=True)
        ],
        "signedBy": "Ada Lovelace",
        **extra,
    }
    if token is not None:
        data["trackingToken"] = token
    return data


def answer(ticket: dict, decisions: list[str], token: str | None = None, **extra: Any) -> dict[str, Any]:
    mode = "api_key" if token else "staff"
    return invoke("answerEstimate", mode, input=answer_input(ticket, decisions, token, **extra))


# ----------------------------------------------------------------------------------------------- sending


def test_send_moves_to_awaiting_approval_with_exact_totals_and_history() -> None:
    ticket_id, token = new_ticket()
    ticket = send(ticket_id, taxRateBasisPoints=2100)
    estimate = ticket["estimate"]
    assert ticket["status"] == "AWAITING_APPROVAL" and ticket["version"] == 4
    assert [ln["amount"] for ln in estimate["lines"]] == [13500, 6450, 550]
    assert (estimate["subtotal"], estimate["tax"], estimate["total"]) == (20500, 4305, 24805)
    assert estimate["approvedTotal"] == 0 and estimate["currency"] == "EUR"
    assert {ln["decision"] for ln in estimate["lines"]} == {"PENDING"}
    assert ticket["history"][-1]["status"] == "AWAITING_APPROVAL"
    assert ticket["history"][-1]["note"] == "Estimate 1 sent: 3 lines, €248.05"
    public = invoke("ticket", "api_key", id=ticket_id, trackingToken=token)
    assert public["estimate"] == estimate and "state" not in public["estimate"]


def test_send_uses_the_stack_default_tax_rate() -> None:
    ticket_id, _ = new_ticket()
    estimate = send(ticket_id, [LINES[1]])["estimate"]
    from resolvers import estimates

    assert estimate["tax"] == estimates.tax_of(6450, estimates.MONEY_SETTINGS["taxRateBasisPoints"])


def test_revision_keeps_status_and_stores_the_superseded_version_as_its_own_item(ddb: Any) -> None:
    ticket_id, _ = new_ticket()
    first = send(ticket_id)
    second = send(ticket_id, LINES[:2], note="Disposal is free")
    assert second["status"] == "AWAITING_APPROVAL" and second["estimate"]["version"] == 2
    assert second["history"][-1]["note"].startswith("Estimate 2 sent: 2 lines, ")
    assert second["history"][-1]["note"].endswith("\nDisposal is free")
    old = ddb.get_item(TableName=TABLE, Key={"pk": {"S": f"ESTIMATE#{ticket_id}#1"}})["Item"]
    assert old["entity"]["S"] == "ESTIMATE" and int(old["total"]["N"]) == first["estimate"]["total"]
    assert "status" not in old and "createdKey" not in old  # in no index: not a ticket on the board
    item = ddb.get_item(TableName=TABLE, Key={"pk": {"S": f"TICKET#{ticket_id}"}})["Item"]
    assert int(item["estimate"]["M"]["version"]["N"]) == 2  # only the latest lives in the ticket


@pytest.mark.parametrize("status", ["SUBMITTED", "RECEIVED"])
def test_send_from_a_status_that_does_not_allow_it_conflicts(status: str) -> None:
    ticket_id, _ = new_ticket(status)
    with pytest.raises(ConflictError, match="cannot be sent"):
        send(ticket_id)


def test_update_status_to_awaiting_approval_conflicts_and_moves_on_from_it() -> None:
    ticket_id, _ = new_ticket()
    with pytest.raises(ConflictError):
        invoke("updateTicketStatus", "staff", input={"id": ticket_id, "status": "AWAITING_APPROVAL"})
    send(ticket_id)
    moved = invoke("updateTicketStatus", "staff", input={"id": ticket_id, "status": "IN_REPAIR"})
    assert moved["status"] == "IN_REPAIR" and moved["estimate"]["version"] == 1


def test_send_errors() -> None:
    ticket_id, _token = new_ticket()
    with pytest.raises(ValidationError, match=r"lines\[0\].quantity may have at most 2 decimals"):
        send(ticket_id, [{**LINES[0], "quantity": 1.005}])
    with pytest.raises(NotFoundError):
        send("B" * 24)
    with pytest.raises(ConflictError, match="expectedVersion"):
        send(ticket_id, expectedVersion=1)
    # invalid and stale: the input is checked first
    with pytest.raises(ValidationError):
        send(ticket_id, [{**LINES[0], "quantity": 0}], expectedVersion=1)
    with pytest.raises(UnauthorizedException):
        invoke("sendEstimate", "api_key", input={"ticketId": ticket_id, "lines": LINES})


# --------------------------------------------------------------------------------------------- answering


def test_customer_answers_two_of_three() -> None:
    ticket_id, token = new_ticket()
    sent = send(ticket_id, taxRateBasisPoints=0)
    answered = answer(sent, ["APPROVED", "APPROVED", "DECLINED"], token, comment="Call me first")
    estimate = answered["estimate"]
    assert answered["status"] == "AWAITING_APPROVAL", "the answer does not change the status"
    assert answered["version"] == sent["version"] + 1
    assert estimate["approvedTotal"] == 13500 + 6450 and estimate["signedBy"] == "Ada Lovelace"
    assert estimate["comment"] == "Call me first" and estimate["answeredAt"]
    assert [ln["decision"] for ln in estimate["lines"]] == ["APPROVED", "APPROVED", "DECLINED"]
    entry = answered["history"][-1]
    assert entry["by"] == "customer"
    assert entry["note"] == "Estimate 1 answered by Ada Lovelace: 2 of 3 approved, €199.50\nCall me first"
    assert "customer" not in answered


def test_staff_takes_an_answer_by_phone() -> None:
    ticket_id, _ = new_ticket()
    sent = send(ticket_id)
    answered = answer(sent, ["APPROVED", "DECLINED", "DECLINED"], None, signedBy="Ada Lovelace")
    assert answered["history"][-1]["by"] == "staff-jane"
    assert "(by phone, taken by staff)" in answered["history"][-1]["note"]
    assert "customer" in answered


def test_answer_errors() -> None:
    ticket_id, token = new_ticket()
    other_id, other_token = new_ticket()
    sent = send(ticket_id)
    with pytest.raises(NotFoundError):  # no token, or another ticket's token: as if it did not exist
        invoke("answerEstimate", "api_key", input=answer_input(sent, ["APPROVED"] * 3, None))
    with pytest.raises(NotFoundError):
        answer(sent, ["APPROVED"] * 3, other_token)
    with pytest.raises(ConflictError, match="no estimate"):
        answer({**sent, "id": other_id}, ["APPROVED"] * 3, other_token)
    with pytest.raises(ValidationError, match="APPROVED or DECLINED"):
        answer(sent, ["APPROVED", "PENDING", "APPROVED"], token)
    partial = answer_input(sent, ["APPROVED"] * 3, token)
    partial["decisions"].pop()
    with pytest.raises(ValidationError, match="every line"):
        invoke("answerEstimate", "api_key", input=partial)
    revised = send(ticket_id)
    with pytest.raises(ConflictError, match="no longer current"):
        answer(sent, ["APPROVED"] * 3, token)
    # invalid and stale: ValidationError
    with pytest.raises(ValidationError, match="signedBy"):
        answer(sent, ["APPROVED"] * 3, token, signedBy=" ")
    answer(revised, ["APPROVED"] * 3, token)
    with pytest.raises(ConflictError, match="already answered"):
        answer(revised, ["DECLINED"] * 3, token)


def test_same_client_token_returns_the_ticket_as_it_is() -> None:
    ticket_id, token = new_ticket()
    sent = send(ticket_id)
    client_token = "answer-token-0123456789"
    first = answer(sent, ["APPROVED", "DECLINED", "APPROVED"], token, clientToken=client_token)
    again = answer(sent, ["APPROVED", "DECLINED", "APPROVED"], token, clientToken=client_token)
    assert again == first
    with pytest.raises(ConflictError):
        answer(sent, ["APPROVED", "DECLINED", "APPROVED"], token, clientToken="another-token-0123456789")
    # still recognised after a revision superseded the answered version
    revised = send(ticket_id)
    repeat = answer(sent, ["APPROVED", "DECLINED", "APPROVED"], token, clientToken=client_token)
    assert repeat["estimate"]["version"] == 2 and repeat["version"] == revised["version"]


# ------------------------------------------------------------------------------------------------- races


def _outcome(fn: Any) -> Any:
    try:
        return fn()
    except (ConflictError, ValidationError, NotFoundError) as exc:
        return type(exc).__name__


def test_twenty_concurrent_answers_record_exactly_one() -> None:
    ticket_id, token = new_ticket()
    sent = send(ticket_id)
    start = threading.Barrier(20)

    def one(i: int) -> Any:
        decisions = ["APPROVED" if (i >> bit) & 1 else "DECLINED" for bit in range(3)]
        start.wait()
        return _outcome(lambda: answer(sent, decisions, token, signedBy=f"Caller {i}"))

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, range(20)))
    recorded = [r for r in results if isinstance(r, dict)]
    assert len(recorded) == 1 and results.count("ConflictError") == 19
    final = invoke("ticket", "staff", id=ticket_id)
    assert final["estimate"]["signedBy"] == recorded[0]["estimate"]["signedBy"]
    assert final["version"] == sent["version"] + 1
    assert sum("answered by" in (h.get("note") or "") for h in final["history"]) == 1


def test_concurrent_repeats_of_one_client_token_all_get_the_one_answer() -> None:
    ticket_id, token = new_ticket()
    sent = send(ticket_id)
    start = threading.Barrier(10)

    def one(_: int) -> Any:
        start.wait()
        return answer(sent, ["APPROVED"] * 3, token, clientToken="same-token-abcdefghijkl")

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(one, range(10)))
    assert all(r["version"] == sent["version"] + 1 for r in results)


@pytest.mark.parametrize("round_", range(4))
def test_answer_racing_a_new_version_is_never_recorded_against_it(round_: int) -> None:
    ticket_id, token = new_ticket()
    sent = send(ticket_id)
    start = threading.Barrier(2)

    def answering() -> Any:
        start.wait()
        return _outcome(lambda: answer(sent, ["APPROVED"] * 3, token))

    def revising() -> Any:
        start.wait()
        return send(ticket_id, LINES[:2])

    with ThreadPoolExecutor(max_workers=2) as pool:
        a, r = pool.submit(answering), pool.submit(revising)
        answered, revised = a.result(), r.result()
    final = invoke("ticket", "staff", id=ticket_id)
    assert final["estimate"]["version"] == 2
    assert "answeredAt" not in final["estimate"]
    assert {ln["decision"] for ln in final["estimate"]["lines"]} == {"PENDING"}, "never against v2"
    if isinstance(answered, dict):  # recorded against v1, before the revision superseded it
        assert answered["estimate"]["version"] == 1
        notes = [h.get("note") or "" for h in final["history"]]
        assert any(n.startswith("Estimate 1 answered") for n in notes)
    else:
        assert answered == "ConflictError"
    assert revised["estimate"]["version"] == 2


def test_item_stays_bounded_over_many_revisions(ddb: Any) -> None:
    ticket_id, _ = new_ticket()
    fifty = [{**LINES[0], "description": "x" * 200}] * 50
    for _ in range(5):
        send(ticket_id, fifty)
    item = ddb.get_item(TableName=TABLE, Key={"pk": {"S": f"TICKET#{ticket_id}"}})["Item"]
    size = len(json.dumps(item))
    one_estimate = len(json.dumps(item["estimate"]))
    assert size < one_estimate + 20_000, "older versions are not kept in the ticket item"
    assert tickets.is_ticket_id(ticket_id)


def test_the_published_ticket_carries_the_estimate_as_the_schema_types_it(ddb: Any) -> None:
    """The publisher sends the estimate to subscribers: numbers for quantities, no internal fields."""
    from resolvers import publisher, store

    ticket_id, _ = new_ticket()
    answer(
        send(ticket_id), ["APPROVED", "DECLINED", "APPROVED"], None, clientToken="publish-check-0123456789"
    )
    item = store.deserialize(ddb.get_item(TableName=TABLE, Key={"pk": {"S": f"TICKET#{ticket_id}"}})["Item"])
    published = publisher.published_ticket(item)
    estimate = published["estimate"]
    assert json.loads(json.dumps(published))["estimate"]["lines"][0]["quantity"] == 1.5
    assert not {"state", "answerKey", "answeredByStaff"} & set(estimate)
    assert estimate["approvedTotal"] > 0 and estimate["signedBy"] == "Ada Lovelace"
