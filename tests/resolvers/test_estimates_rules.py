"""resolvers.estimates: the pure estimate rules, with plain pytest and hypothesis (no AWS)."""

from __future__ import annotations

import json
import shutil
import subprocess
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resolvers import estimates, tickets
from resolvers.errors import ConflictError, ValidationError

TICKET_ID = "A" * 24


def line(
    kind: str = "LABOR", description: str = "Brake pads", quantity: Any = 1, unit_price: int = 100
) -> dict:
    return {"kind": kind, "description": description, "quantity": quantity, "unitPrice": unit_price}


def send_input(lines: list[dict], **extra: Any) -> dict:
    return {"ticketId": TICKET_ID, "lines": lines, **extra}


def sent(lines: list[dict], rate: int = 2100, previous: dict | None = None) -> dict:
    request = estimates.validate_send_input(send_input(lines, taxRateBasisPoints=rate), 2100)
    return estimates.new_estimate(request, previous, "EUR", "2026-12-01T10:00:00.000Z")


def answer_input(estimate: dict, decisions: list[str], **extra: Any) -> dict:
    return {
        "ticketId": TICKET_ID,
        "estimateVersion": estimate["version"],
        "decisions": [
            {"lineId": ln["id"], "decision": d} for ln, d in zip(estimate["lines"], decisions, strict=True)
        ],
        "signedBy": "Ada Lovelace",
        **extra,
    }


# ------------------------------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("quantity", "unit_price", "amount"),
    [
        (0.29, 100, 29),  # 0.29 as written, never 0.28999999999999998
        (1.5, 3333, 5000),  # 4999.5 rounds half up
        (2.25, 1, 2),  # 2.25 -> 2
        (0.5, 1, 1),  # half up, not to even
        (1.15, 10, 12),  # 11.5 -> 12 (binary 1.15 is 1.149999...)
        (3, 12345, 37035),
        (0.01, 10_000_000, 100_000),
    ],
)
def test_line_amount_is_exact_and_half_up(quantity: float, unit_price: int, amount: int) -> None:
    parsed = estimates.parse_quantity(quantity, "q")
    assert estimates.line_amount(parsed, unit_price) == amount


@pytest.mark.parametrize(
    ("amount", "bp", "tax"), [(1000, 2100, 210), (50, 1000, 5), (5, 1000, 1), (4, 1250, 1), (3, 1250, 0)]
)
def test_tax_from_basis_points_half_up(amount: int, bp: int, tax: int) -> None:
    assert estimates.tax_of(amount, bp) == tax


@pytest.mark.parametrize(
    "bad", [0, -1, 0.001, 1.005, 10_000.01, float("nan"), float("inf"), True, "x", None, [1]]
)
def test_quantity_rejects(bad: Any) -> None:
    with pytest.raises(ValidationError, match="quantity"):
        estimates.validate_line(line(quantity=bad), "lines[0]")


@given(st.integers(min_value=1, max_value=1_000_000))
def test_any_two_decimal_quantity_reads_as_written(hundredths: int) -> None:
    written = Decimal(hundredths) / 100
    as_float = float(written)  # what GraphQL's Float hands the resolver
    assert estimates.parse_quantity(as_float, "q") == written


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kind", "TIP", "kind must be one of"),
        ("description", "", "description must not be empty"),
        ("description", "x" * (estimates.MAX_LINE_DESCRIPTION + 1), "at most"),
        ("unitPrice", -1, "unitPrice must be between"),
        ("unitPrice", estimates.MAX_UNIT_PRICE + 1, "unitPrice must be between"),
        ("unitPrice", 1.5, "unitPrice must be an integer"),
    ],
)
def test_line_validation(field: str, value: Any, message: str) -> None:
    bad = {**line(), field: value}
    with pytest.raises(ValidationError, match=message):
        estimates.validate_send_input(send_input([line(), bad]), 0)


def test_line_count_bounds() -> None:
    with pytest.raises(ValidationError, match="1 to 50"):
        estimates.validate_send_input(send_input([]), 0)
    with pytest.raises(ValidationError, match="1 to 50"):
        estimates.validate_send_input(send_input([line()] * (estimates.MAX_LINES + 1)), 0)
    assert len(estimates.validate_send_input(send_input([line()] * estimates.MAX_LINES), 0).lines) == 50


def test_totals_beyond_a_graphql_int_are_refused() -> None:
    huge = line(quantity=estimates.MAX_QUANTITY, unit_price=estimates.MAX_UNIT_PRICE)
    with pytest.raises(ValidationError, match="more than an estimate can hold"):
        estimates.validate_send_input(send_input([huge] * 3), 0)


def test_tax_rate_default_and_bounds() -> None:
    assert estimates.validate_send_input(send_input([line()]), 2100).tax_rate == 2100
    assert estimates.validate_send_input(send_input([line()], taxRateBasisPoints=0), 2100).tax_rate == 0
    for bad in (-1, 10_001, 2.5):
        with pytest.raises(ValidationError, match="taxRateBasisPoints"):
            estimates.validate_send_input(send_input([line()], taxRateBasisPoints=bad), 2100)


# ---------------------------------------------------------------------------------------------- properties

line_strategy = st.builds(
    lambda kind, q, p: line(kind=kind, quantity=float(Decimal(q) / 100), unit_price=p),
    st.sampled_from(sorted(estimates.KINDS)),
    st.integers(min_value=1, max_value=100_000),
    st.integers(min_value=0, max_value=100_000),
)


@given(
    st.lists(line_strategy, min_size=1, max_size=estimates.MAX_LINES),
    st.integers(min_value=0, max_value=10_000),
    st.data(),
)
def test_totals_and_approved_declined_split(lines: list[dict], rate: int, data: st.DataObject) -> None:
    estimate = sent(lines, rate)
    amounts = [ln["amount"] for ln in estimate["lines"]]
    assert estimate["subtotal"] == sum(amounts)
    assert estimate["total"] == sum(amounts) + estimate["tax"]
    assert estimate["approvedTotal"] == 0
    for ln, raw in zip(estimate["lines"], lines, strict=True):
        exact = Decimal(repr(raw["quantity"])) * raw["unitPrice"]
        assert abs(Decimal(ln["amount"]) - exact) <= Decimal("0.5")
    decisions = data.draw(
        st.lists(st.sampled_from(["APPROVED", "DECLINED"]), min_size=len(lines), max_size=len(lines))
    )
    request = estimates.validate_answer_input(answer_input(estimate, decisions))
    estimates.check_answer(estimate, request)
    answered = estimates.answered_estimate(
        estimate, request, None, "2026-12-01T11:00:00.000Z", by_staff=False
    )
    approved = sum(ln["amount"] for ln in answered["lines"] if ln["decision"] == "APPROVED")
    declined = sum(ln["amount"] for ln in answered["lines"] if ln["decision"] == "DECLINED")
    assert approved + declined == answered["subtotal"]
    assert answered["approvedTotal"] == approved + estimates.tax_of(approved, rate)
    assert answered["approvedTotal"] <= answered["total"]
    if all(d == "APPROVED" for d in decisions):
        assert answered["approvedTotal"] == answered["total"]


# ---------------------------------------------------------------------------------------------- lifecycle


def test_only_send_enters_awaiting_approval() -> None:
    assert tickets.predecessors("AWAITING_APPROVAL") == frozenset()
    with pytest.raises(ConflictError):
        tickets.check_transition("DIAGNOSING", "AWAITING_APPROVAL")
    assert tickets.TRANSITIONS["AWAITING_APPROVAL"] == {
        "DIAGNOSING",
        "WAITING_FOR_PARTS",
        "IN_REPAIR",
        "READY_FOR_PICKUP",
        "CANCELLED",
    }
    assert {"DIAGNOSING", "WAITING_FOR_PARTS", "IN_REPAIR", "AWAITING_APPROVAL"} == tickets.ESTIMATE_FROM
    for status in tickets.STATUSES:
        if status in tickets.ESTIMATE_FROM:
            estimates.check_can_send(status)
        else:
            with pytest.raises(ConflictError, match="cannot be sent"):
                estimates.check_can_send(status)


def test_revision_numbers_versions_and_line_ids() -> None:
    first = sent([line()])
    second = sent([line(), line(kind="PART")], previous=first)
    assert (first["version"], second["version"]) == (1, 2)
    assert [ln["id"] for ln in second["lines"]] == ["v2l1", "v2l2"]
    assert all(ln["decision"] == "PENDING" for ln in second["lines"])


# ------------------------------------------------------------------------------------------------- answers


def test_answer_must_decide_every_line_and_only_its_lines() -> None:
    estimate = sent([line(), line(), line()])
    missing = answer_input(estimate, ["APPROVED", "DECLINED", "APPROVED"])
    missing["decisions"].pop()
    with pytest.raises(ValidationError, match="every line"):
        estimates.check_answer(estimate, estimates.validate_answer_input(missing))
    unknown = answer_input(estimate, ["APPROVED", "DECLINED", "APPROVED"])
    unknown["decisions"][0]["lineId"] = "v9l1"
    with pytest.raises(ValidationError, match="not in this estimate"):
        estimates.check_answer(estimate, estimates.validate_answer_input(unknown))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"decisions": []}, "decisions must hold"),
        ({"signedBy": "  "}, "signedBy must not be empty"),
        ({"signedBy": None}, "signedBy is required"),
        ({"estimateVersion": 0}, "estimateVersion"),
        ({"clientToken": "short"}, "clientToken"),
        ({"comment": "x" * (estimates.MAX_COMMENT + 1)}, "comment"),
    ],
)
def test_answer_shape(change: dict, message: str) -> None:
    estimate = sent([line()])
    with pytest.raises(ValidationError, match=message):
        estimates.validate_answer_input({**answer_input(estimate, ["APPROVED"]), **change})


def test_pending_and_duplicate_decisions_are_invalid() -> None:
    estimate = sent([line(), line()])
    pending = answer_input(estimate, ["APPROVED", "PENDING"])
    with pytest.raises(ValidationError, match="APPROVED or DECLINED"):
        estimates.validate_answer_input(pending)
    twice = answer_input(estimate, ["APPROVED", "DECLINED"])
    twice["decisions"][1]["lineId"] = twice["decisions"][0]["lineId"]
    with pytest.raises(ValidationError, match="twice"):
        estimates.validate_answer_input(twice)


def test_stale_and_answered_are_conflicts_and_repeat_is_recognised() -> None:
    first = sent([line()])
    second = sent([line()], previous=first)
    stale = estimates.validate_answer_input(answer_input(first, ["APPROVED"]))
    with pytest.raises(ConflictError, match="no longer current"):
        estimates.check_answer(second, stale)
    request = estimates.validate_answer_input(answer_input(second, ["APPROVED"]))
    answered = estimates.answered_estimate(second, request, "key", "2026-12-01T11:00:00.000Z", by_staff=False)
    with pytest.raises(ConflictError, match="already answered"):
        estimates.check_answer(answered, request)
    assert estimates.is_repeat(answered, "key") and not estimates.is_repeat(answered, "other")
    assert not estimates.is_repeat(second, "key") and not estimates.is_repeat(answered, None)
    with pytest.raises(ConflictError, match="no estimate"):
        estimates.check_answer(None, request)


# --------------------------------------------------------------------------------------------------- texts


def three_lines() -> list[dict]:
    return [
        line(quantity=2, unit_price=10_000),
        line(kind="PART", unit_price=10_000),
        line(kind="FEE", unit_price=4_050),
    ]


def test_history_texts() -> None:
    estimate = sent(three_lines(), rate=0, previous=sent([line()]))
    assert estimates.sent_text(estimate, "en-IE", None) == "Estimate 2 sent: 3 lines, €340.50"
    request = estimates.validate_answer_input(answer_input(estimate, ["APPROVED", "APPROVED", "DECLINED"]))
    answered = estimates.answered_estimate(
        estimate, request, None, "2026-12-01T11:00:00.000Z", by_staff=False
    )
    assert estimates.answered_text(answered, "en-IE") == (
        "Estimate 2 answered by Ada Lovelace: 2 of 3 approved, €300.00"
    )
    by_phone = estimates.answered_estimate(estimate, request, None, "2026-12-01T11:00:00.000Z", by_staff=True)
    assert "answered by Ada Lovelace (by phone, taken by staff): 2 of 3" in estimates.answered_text(
        by_phone, "en-IE"
    )


def test_view_hides_internal_fields_and_gives_numbers() -> None:
    estimate = sent([line(quantity=0.29)])
    out = estimates.view(estimate)
    assert out is not None and set(out) <= set(estimates.PUBLIC_FIELDS)
    assert "state" not in out and "answerKey" not in out and out["taxRateBasisPoints"] == 2100
    assert out["lines"][0]["quantity"] == 0.29 and json.dumps(out)
    assert estimates.view(None) is None


MONEY_CASES = [0, 5, 99, 100, 41200, 31200, 123456789, 2**31 - 1]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize(
    ("currency", "locale"),
    [
        (estimates.MONEY_SETTINGS["currency"], estimates.MONEY_SETTINGS["locale"]),
        ("EUR", "en-IE"),
        ("GBP", "en-GB"),
        ("USD", "en-US"),
        ("USD", "en-IE"),
        ("CHF", "en-IE"),
    ],
)
def test_format_money_matches_intl_number_format(currency: str, locale: str) -> None:
    """The server's texts format money exactly as the pages do (Intl.NumberFormat, stack locale)."""
    options = json.dumps({"style": "currency", "currency": currency})
    script = (
        f"const f = new Intl.NumberFormat({json.dumps(locale)}, {options});"
        f"console.log(JSON.stringify({json.dumps(MONEY_CASES)}.map(c => f.format(c / 100))));"
    )
    expected = json.loads(
        subprocess.run(["node", "-e", script], check=True, capture_output=True, text=True).stdout
    )
    assert [estimates.format_money(c, currency, locale) for c in MONEY_CASES] == expected
