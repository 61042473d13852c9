"""The estimate rules: lines, exact money, tax, totals, answers, and the texts of their history entries.

Pure: values in, values out or a named error; no AWS import and no key format. Money is integer
minor units (cents) throughout; quantities are `Decimal`s read from the text the client wrote, so
0.29 is 0.29 and never the binary float nearest to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from . import limits, tickets
from .errors import ConflictError, ValidationError

_LIMITS = limits.LIMITS
#: The stack's money settings (currency, server locale, default tax rate), declared once in money.json.
MONEY_SETTINGS: dict[str, Any] = json.loads(
    Path(__file__).with_name("money.json").read_text(encoding="utf-8")
)

MAX_LINES: int = _LIMITS["estimateMaxLines"]
MAX_LINE_DESCRIPTION: int = _LIMITS["estimateLineDescriptionMaxLength"]
MAX_UNIT_PRICE: int = _LIMITS["estimateMaxUnitPrice"]
MAX_QUANTITY: int = _LIMITS["estimateMaxQuantity"]
MAX_COMMENT: int = _LIMITS["estimateCommentMaxLength"]
MAX_TAX_BASIS_POINTS = 10_000  # 100 %
MAX_SIGNED_BY = tickets.MAX_NAME
#: GraphQL's Int is 32-bit signed: no amount or total may exceed it (a larger one could not be returned).
MAX_MONEY = 2**31 - 1

KINDS = frozenset({"LABOR", "PART", "FEE"})
PENDING, APPROVED, DECLINED = "PENDING", "APPROVED", "DECLINED"
DECISIONS = frozenset({PENDING, APPROVED, DECLINED})

#: The estimate's own state, kept beside its version: every write is conditional on both.
SENT, ANSWERED = "SENT", "ANSWERED"

#: What the API returns of an estimate; the rest (state, answer fingerprint) stays inside.
PUBLIC_FIELDS = (
    "version",
    "currency",
    "lines",
    "subtotal",
    "taxRateBasisPoints",
    "tax",
    "total",
    "approvedTotal",
    "sentAt",
    "answeredAt",
    "signedBy",
    "comment",
)
_LINE_FIELDS = ("id", "kind", "description", "quantity", "unitPrice", "amount", "decision")
_LINE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_CENT = Decimal(1)
_QUANTITY_STEP = Decimal("0.01")


# -------------------------------------------------------------------------------------------------- money


def line_amount(quantity: Decimal, unit_price: int) -> int:
    """quantity * unitPrice, rounded half up to a whole minor unit (exact decimal arithmetic)."""
    return int((quantity * unit_price).quantize(_CENT, rounding=ROUND_HALF_UP))


def tax_of(amount: int, basis_points: int) -> int:
    """amount * basis points / 10,000, rounded half up to a whole minor unit."""
    return int((Decimal(amount) * basis_points / Decimal(10_000)).quantize(_CENT, rounding=ROUND_HALF_UP))


def approved_total(lines: Sequence[Mapping[str, Any]], basis_points: int) -> int:
    """The approved lines' amounts plus the tax on their sum; 0 while nothing is approved."""
    approved = sum(int(line["amount"]) for line in lines if line["decision"] == APPROVED)
    return approved + tax_of(approved, basis_points)


# ---------------------------------------------------------------------------------------------- validation


def parse_quantity(value: Any, path: str) -> Decimal:
    """A quantity > 0 with at most 2 decimals, read as the decimal it is written as.

    GraphQL's Float arrives as a Python float (or int); repr() gives the shortest text that reads
    back as the same float, which is the text the client wrote for any value with at most 2
    decimals (e.g. 0.29 -> "0.29"), so Decimal(repr(value)) is that decimal exactly. A string is
    accepted too (the same text, as a client may send it).
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValidationError(f"{path} must be a number")
    try:
        text = value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
        quantity = Decimal(text.strip())
    except InvalidOperation:
        raise ValidationError(f"{path} must be a number") from None
    if not quantity.is_finite():
        raise ValidationError(f"{path} must be a number")
    if quantity <= 0 or quantity > MAX_QUANTITY:
        raise ValidationError(f"{path} must be more than 0 and at most {MAX_QUANTITY}")
    if quantity != quantity.quantize(_QUANTITY_STEP, rounding=ROUND_HALF_UP):
        raise ValidationError(f"{path} may have at most 2 decimals")
    return quantity


def _unit_price(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{path} must be an integer number of minor units (cents)")
    if not 0 <= value <= MAX_UNIT_PRICE:
        raise ValidationError(f"{path} must be between 0 and {MAX_UNIT_PRICE}")
    return value


def _kind(value: Any, path: str) -> str:
    if not isinstance(value, str) or value not in KINDS:
        raise ValidationError(f"{path} must be one of {', '.join(sorted(KINDS))}")
    return value


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError(f"{path} is required")
    return value


def _text(value: Any, path: str, max_len: int, *, required: bool, multiline: bool = False) -> str | None:
    if value is None or isinstance(value, str):
        return tickets._text(value, path, max_len, required=required, multiline=multiline)
    raise ValidationError(f"{path} must be a string")


def _positive_int(value: Any, path: str, *, required: bool) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
        raise ValidationError(f"{path} must be a positive integer")
    return value


def _ticket_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("ticketId is required")
    return value.strip()


def validate_line(value: Any, path: str) -> dict[str, Any]:
    raw = _mapping(value, path)
    return {
        "kind": _kind(raw.get("kind"), f"{path}.kind"),
        "description": _text(
            raw.get("description"), f"{path}.description", MAX_LINE_DESCRIPTION, required=True
        ),
        "quantity": parse_quantity(raw.get("quantity"), f"{path}.quantity"),
        "unitPrice": _unit_price(raw.get("unitPrice"), f"{path}.unitPrice"),
    }


def validate_lines(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list | tuple) or not 1 <= len(value) <= MAX_LINES:
        raise ValidationError(f"lines must hold 1 to {MAX_LINES} lines")
    return [validate_line(line, f"lines[{i}]") for i, line in enumerate(value)]


def validate_tax_rate(value: Any, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TAX_BASIS_POINTS:
        raise ValidationError(f"taxRateBasisPoints must be between 0 and {MAX_TAX_BASIS_POINTS}")
    return value


@dataclass(frozen=True)
class SendRequest:
    ticket_id: str
    lines: list[dict[str, Any]]
    tax_rate: int
    note: str | None
    expected_version: int | None


def validate_send_input(value: Any, default_tax_rate: int) -> SendRequest:
    raw = _mapping(value, "input")
    request = SendRequest(
        ticket_id=_ticket_id(raw.get("ticketId")),
        lines=validate_lines(raw.get("lines")),
        tax_rate=validate_tax_rate(raw.get("taxRateBasisPoints"), default_tax_rate),
        note=_text(raw.get("note"), "note", limits.NOTE_MAX_LENGTH, required=False, multiline=True),
        expected_version=_positive_int(raw.get("expectedVersion"), "expectedVersion", required=False),
    )
    subtotal = sum(line_amount(line["quantity"], line["unitPrice"]) for line in request.lines)
    if subtotal + tax_of(subtotal, request.tax_rate) > MAX_MONEY:
        raise ValidationError(f"lines add up to more than an estimate can hold ({MAX_MONEY} minor units)")
    return request


@dataclass(frozen=True)
class AnswerRequest:
    ticket_id: str
    tracking_token: Any
    estimate_version: int
    decisions: dict[str, str]  # line id -> APPROVED | DECLINED
    signed_by: str
    comment: str | None
    client_token: str | None


def validate_answer_input(value: Any) -> AnswerRequest:
    """The answer's shape, checked before any state is read (so invalid-and-stale is a ValidationError)."""
    raw = _mapping(value, "input")
    decisions_raw = raw.get("decisions")
    if not isinstance(decisions_raw, list | tuple) or not 1 <= len(decisions_raw) <= MAX_LINES:
        raise ValidationError(f"decisions must hold 1 to {MAX_LINES} decisions, one per line")
    decisions: dict[str, str] = {}
    for i, item in enumerate(decisions_raw):
        entry = _mapping(item, f"decisions[{i}]")
        line_id, decision = entry.get("lineId"), entry.get("decision")
        if not isinstance(line_id, str) or not _LINE_ID_RE.match(line_id):
            raise ValidationError(f"decisions[{i}].lineId is not a line of this estimate")
        if decision not in (APPROVED, DECLINED):
            raise ValidationError(f"decisions[{i}].decision must be APPROVED or DECLINED")
        if line_id in decisions:
            raise ValidationError(f"decisions[{i}].lineId decides a line twice")
        decisions[line_id] = str(decision)
    signed_by = _text(raw.get("signedBy"), "signedBy", MAX_SIGNED_BY, required=True)
    assert signed_by is not None
    return AnswerRequest(
        ticket_id=_ticket_id(raw.get("ticketId")),
        tracking_token=raw.get("trackingToken"),
        estimate_version=_positive_int(raw.get("estimateVersion"), "estimateVersion", required=True) or 0,
        decisions=decisions,
        signed_by=signed_by,
        comment=_text(raw.get("comment"), "comment", MAX_COMMENT, required=False, multiline=True),
        client_token=tickets.validate_client_token(raw.get("clientToken")),
    )


# ------------------------------------------------------------------------------------------------- decide


def check_can_send(status: str) -> None:
    if status not in tickets.ESTIMATE_FROM:
        allowed = ", ".join(s for s in tickets.STATUSES if s in tickets.ESTIMATE_FROM)
        raise ConflictError(f"an estimate cannot be sent while the ticket is {status} (only from {allowed})")


def new_estimate(
    request: SendRequest, previous: Mapping[str, Any] | None, currency: str, at: str
) -> dict[str, Any]:
    """The estimate to store: version previous + 1, lines with ids and amounts, totals, state SENT."""
    version = int(previous["version"]) + 1 if previous else 1
    lines = [
        {
            "id": f"v{version}l{i + 1}",
            **line,
            "amount": line_amount(line["quantity"], line["unitPrice"]),
            "decision": PENDING,
        }
        for i, line in enumerate(request.lines)
    ]
    subtotal = sum(line["amount"] for line in lines)
    tax = tax_of(subtotal, request.tax_rate)
    return {
        "version": version,
        "state": SENT,
        "currency": currency,
        "taxRateBasisPoints": request.tax_rate,
        "lines": lines,
        "subtotal": subtotal,
        "tax": tax,
        "total": subtotal + tax,
        "approvedTotal": 0,
        "sentAt": at,
    }


def check_answer(estimate: Mapping[str, Any] | None, request: AnswerRequest) -> None:
    """The current version only, not answered yet; every line decided (no more, no less)."""
    if estimate is None:
        raise ConflictError("this ticket has no estimate to answer")
    if int(estimate["version"]) != request.estimate_version:
        raise ConflictError(
            f"estimate {request.estimate_version} is no longer current; estimate {estimate['version']} is"
        )
    if estimate.get("state") == ANSWERED:
        raise ConflictError(f"estimate {estimate['version']} was already answered")
    line_ids = [line["id"] for line in estimate["lines"]]
    missing = [lid for lid in line_ids if lid not in request.decisions]
    unknown = [lid for lid in request.decisions if lid not in line_ids]
    if unknown:
        raise ValidationError("decisions name a line that is not in this estimate")
    if missing:
        raise ValidationError(f"decisions must decide every line; {len(missing)} undecided")


def answered_estimate(
    estimate: Mapping[str, Any], request: AnswerRequest, answer_key: str | None, at: str, by_staff: bool
) -> dict[str, Any]:
    """The estimate with every line decided, the approved total, who signed and when."""
    lines = [{**line, "decision": request.decisions[line["id"]]} for line in estimate["lines"]]
    answered = {
        **estimate,
        "state": ANSWERED,
        "lines": lines,
        "approvedTotal": approved_total(lines, int(estimate["taxRateBasisPoints"])),
        "answeredAt": at,
        "signedBy": request.signed_by,
        "answeredByStaff": by_staff,
    }
    if request.comment is not None:
        answered["comment"] = request.comment
    if answer_key is not None:
        answered["answerKey"] = answer_key
    return answered


def is_repeat(estimate: Mapping[str, Any] | None, answer_key: str | None) -> bool:
    """Is this the answered estimate's own answer again (the same clientToken)?"""
    return bool(
        estimate
        and answer_key
        and estimate.get("state") == ANSWERED
        and estimate.get("answerKey") == answer_key
    )


def decide_write(
    ticket: tickets.Ticket, estimate: Mapping[str, Any], status: str, entry: tickets.HistoryEntry
) -> tickets.Change:
    """The ticket with this estimate, status and history entry (history bounded as for status changes)."""
    version = int(ticket["version"])
    kept, moved_out = tickets.bound_history([*ticket["history"], entry], limits.HISTORY_MAX_ENTRIES)
    older = int(ticket.get("olderHistoryCount", 0))
    after: dict[str, Any] = {
        **ticket,
        "status": status,
        "estimate": dict(estimate),
        "history": kept,
        "version": version + 1,
        "updatedAt": entry["at"],
    }
    if moved_out:
        after["olderHistoryCount"] = older + len(moved_out)
    return tickets.Change(
        from_version=version,
        from_status=ticket["status"],
        ticket=after,  # type: ignore[arg-type]
        moved_out=tuple(moved_out),
        moved_out_position=older + 2,
    )


# ------------------------------------------------------------------------------------------------ texts


def format_money(minor: int, currency: str, locale: str) -> str:
    """Money as the pages show it with Intl.NumberFormat(locale, {style: "currency", currency}).

    Python's standard library has no CLDR data, and Babel (which has) is not a dependency of the
    Lambda asset; the server formats only in the stack's own locale (money.json), so this covers that
    case: English-style locales (symbol before the number, "," grouping, "." decimals) and currencies
    with 2 minor digits. tests/resolvers/test_estimates_rules.py compares it with Node's Intl output.
    """
    if not locale.lower().startswith("en"):
        raise ValueError(f"format_money supports English locales only, not {locale}")
    symbol = _SYMBOLS.get(currency, currency + "\u00a0")
    if currency == "USD" and locale != "en-US":
        symbol = "US$"  # CLDR: "$" only where the dollar is the US dollar's home
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 100)
    return f"{sign}{symbol}{units:,}.{cents:02d}"


#: CLDR's symbols in English locales for the currencies a stack is likely to be set to; others are
#: written as their code and a no-break space, as Intl does.
_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


def sent_text(estimate: Mapping[str, Any], locale: str, note: str | None) -> str:
    count = len(estimate["lines"])
    text = (
        f"Estimate {estimate['version']} sent: {count} line{'s' if count != 1 else ''}, "
        f"{format_money(int(estimate['total']), estimate['currency'], locale)}"
    )
    return f"{text}\n{note}" if note else text


def answered_text(estimate: Mapping[str, Any], locale: str) -> str:
    lines = estimate["lines"]
    approved = sum(1 for line in lines if line["decision"] == APPROVED)
    who = f"by {estimate['signedBy']}"
    if estimate.get("answeredByStaff"):
        who += " (by phone, taken by staff)"
    text = (
        f"Estimate {estimate['version']} answered {who}: {approved} of {len(lines)} approved, "
        f"{format_money(int(estimate['approvedTotal']), estimate['currency'], locale)}"
    )
    comment = estimate.get("comment")
    return f"{text}\n{comment}" if comment else text


# -------------------------------------------------------------------------------------------------- view


def view(estimate: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What a caller may read of an estimate (token holder and staff alike); quantities as numbers."""
    if not estimate:
        return None
    out = {k: estimate[k] for k in PUBLIC_FIELDS if estimate.get(k) is not None}
    out["lines"] = [
        {**{k: line[k] for k in _LINE_FIELDS}, "quantity": float(line["quantity"])}
        for line in estimate["lines"]
    ]
    return out
