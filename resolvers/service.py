"""Use cases that combine the rules (tickets.py) with storage (store.py): read, decide, write."""

from __future__ import annotations

from . import store, tickets
from .errors import TICKET_NOT_FOUND, ConflictError, NotFoundError

#: Tries of a change without expectedVersion when other writers keep changing the ticket meanwhile.
CHANGE_ATTEMPTS = 3


def change_status(
    ticket_id: str,
    status: str,
    by: str | None,
    note: str | None,
    expected_version: int | None,
    internal_note: str | None = None,
) -> tickets.Ticket:
    """Move the ticket to `status`; returns the ticket as written.

    Read the ticket, let the rules decide (expectedVersion, lifecycle, bounded history), write with one
    conditional store call. If the ticket changed between read and write: with expectedVersion that is
    a ConflictError; without it the change is decided again on a fresh read, a few times.
    """
    for _ in range(CHANGE_ATTEMPTS):
        current = store.get(ticket_id)
        if current is None:
            raise NotFoundError(TICKET_NOT_FOUND)
        change = tickets.decide_status_change(
            current.ticket, status, by, note, expected_version, tickets.now_iso(), internal_note
        )
        try:
            store.write_change(change)
        except store.StaleWrite:
            if expected_version is not None:
                raise ConflictError(
                    f"ticket was changed meanwhile; expectedVersion {expected_version} is stale"
                ) from None
            continue
        return change.ticket
    raise ConflictError("ticket is being changed by someone else; try again")
