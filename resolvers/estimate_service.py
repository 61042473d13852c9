"""The estimate use cases: send one, answer one. Each reads with the store, decides with the rules
(estimates.py, tickets.py) and writes with one conditional store call; when the ticket moved on
meanwhile it reads again and decides again (or, when the caller named a version, refuses)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import estimate_store, estimates, store, tickets
from .errors import TICKET_NOT_FOUND, ConflictError, NotFoundError

_ATTEMPTS = 3


def _settings() -> tuple[str, str, int]:
    money = estimates.MONEY_SETTINGS
    return str(money["currency"]), str(money["locale"]), int(money["taxRateBasisPoints"])


def _read(ticket_id: str) -> store.Stored:
    stored = store.get(ticket_id) if tickets.is_ticket_id(ticket_id) else None
    if stored is None:
        raise NotFoundError(TICKET_NOT_FOUND)
    return stored


def send_estimate(by: str | None, data: Any) -> dict[str, Any]:
    """Staff send an estimate (or a revision): the ticket moves to AWAITING_APPROVAL."""
    currency, locale, default_rate = _settings()
    request = estimates.validate_send_input(data, default_rate)
    for _ in range(_ATTEMPTS):
        ticket = _read(request.ticket_id).ticket
        version = int(ticket["version"])
        if request.expected_version is not None and request.expected_version != version:
            raise ConflictError(
                f"ticket has version {version}, not expectedVersion {request.expected_version}"
            )
        estimates.check_can_send(ticket["status"])
        at = tickets.now_iso()
        estimate = estimates.new_estimate(request, ticket.get("estimate"), currency, at)
        entry = tickets.history_entry(
            tickets.AWAITING_APPROVAL, at, by, estimates.sent_text(estimate, locale, request.note)
        )
        change = estimates.decide_write(ticket, estimate, tickets.AWAITING_APPROVAL, entry)
        try:
            estimate_store.write(change, ticket.get("estimate"))
            return dict(change.ticket)
        except store.StaleWrite:
            if request.expected_version is not None:
                raise ConflictError(
                    f"ticket was changed meanwhile; expectedVersion {request.expected_version} is stale"
                ) from None
    raise ConflictError("ticket is being changed by someone else; try again")


def answer_estimate(staff: bool, by: str | None, data: Any) -> dict[str, Any]:
    """The token holder (or staff, taking it by phone) answers the estimate version they saw.

    Final once answered: a second answer is a ConflictError unless it repeats the first one's
    clientToken, which returns the ticket as it is now. Never recorded against another version: the
    write holds the named version and its state SENT.
    """
    request = estimates.validate_answer_input(data)
    answer_key = tickets.client_token_key(request.client_token) if request.client_token else None
    for _ in range(_ATTEMPTS):
        stored = _read(request.ticket_id)
        if not (staff or tickets.token_matches(request.tracking_token, stored.token_hash)):
            raise NotFoundError(TICKET_NOT_FOUND)
        ticket = stored.ticket
        if _repeats(ticket, request, answer_key):
            return ticket
        current = ticket.get("estimate")
        estimates.check_answer(current, request)
        assert current is not None
        at = tickets.now_iso()
        answered = estimates.answered_estimate(current, request, answer_key, at, by_staff=staff)
        _, locale, _ = _settings()
        entry = tickets.history_entry(ticket["status"], at, by, estimates.answered_text(answered, locale))
        change = estimates.decide_write(ticket, answered, ticket["status"], entry)
        try:
            estimate_store.write(change, current)
            return dict(change.ticket)
        except store.StaleWrite:
            continue  # read again: answered meanwhile (repeat or conflict), a new version, or another change
    raise ConflictError("ticket is being changed by someone else; try again")


def _repeats(ticket: Mapping[str, Any], request: estimates.AnswerRequest, answer_key: str | None) -> bool:
    """Is this request the recorded answer of the version it names, sent again (same clientToken)?"""
    if answer_key is None:
        return False
    current = ticket.get("estimate")
    if current is not None and int(current["version"]) == request.estimate_version:
        return estimates.is_repeat(current, answer_key)
    if current is not None and int(current["version"]) > request.estimate_version:
        superseded = estimate_store.get_superseded(str(ticket["id"]), request.estimate_version)
        return estimates.is_repeat(superseded, answer_key)
    return False
