"""resolvers.service.change_status on moto: read, decide, one conditional write; races; bounded history."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from bench.items import item_size
from resolvers import dynamo_json, limits, service, store, tickets
from resolvers.errors import ConflictError, NotFoundError

pytestmark = pytest.mark.usefixtures("table")

DATA = tickets.validate_create_input(
    {
        "vehicle": {"make": "Ford", "model": "Transit"},
        "description": "Check engine light.",
        "customer": {"name": "Sam", "phone": "+44 20 7946 0958"},
    }
)
DYNAMODB_ITEM_LIMIT = 400 * 1024


class Failing:
    """The real moto client, except that the named operation raises the given error code."""

    def __init__(self, real: Any, operation: str, code: str, reasons: list[str] | None = None) -> None:
        self.real, self.operation, self.code, self.reasons = real, operation, code, reasons

    def __getattr__(self, name: str) -> Any:
        if name != self.operation:
            return getattr(self.real, name)

        def fail(**kwargs: Any) -> Any:
            response: dict[str, Any] = {"Error": {"Code": self.code}}
            if self.reasons is not None:
                response["CancellationReasons"] = [{"Code": r} for r in self.reasons]
            raise ClientError(response, name)  # type: ignore[arg-type]

        return fail


def raw_item(ddb: Any, ticket_id: str) -> dict[str, Any]:
    return ddb.get_item(TableName=store.table_name(), Key={"pk": {"S": f"TICKET#{ticket_id}"}})["Item"]


def test_change_gives_up_after_repeated_races(monkeypatch: pytest.MonkeyPatch) -> None:
    ticket, _ = store.put_new(DATA)
    real = store.client()
    monkeypatch.setattr(
        store, "client", lambda: Failing(real, "update_item", "ConditionalCheckFailedException")
    )
    with pytest.raises(ConflictError, match="try again"):
        service.change_status(ticket["id"], "RECEIVED", "jane", None, None)
    with pytest.raises(ConflictError, match="stale"):
        service.change_status(ticket["id"], "RECEIVED", "jane", None, 1)


def test_change_other_errors_propagate(monkeypatch: pytest.MonkeyPatch) -> None:
    ticket, _ = store.put_new(DATA)
    real = store.client()
    monkeypatch.setattr(store, "client", lambda: Failing(real, "update_item", "ThrottlingException"))
    with pytest.raises(ClientError):
        service.change_status(ticket["id"], "RECEIVED", "jane", None, None)


def test_change_condition_protects_against_a_concurrent_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone changes the ticket between our read and our write: our update must not apply blindly."""
    ticket, _ = store.put_new(DATA)
    real_get = store.get
    raced = []

    def get_then_race(ticket_id: str) -> Any:
        current = real_get(ticket_id)
        if not raced:
            raced.append(True)
            service.change_status(ticket_id, "CANCELLED", "other", None, None)
        return current

    monkeypatch.setattr(store, "get", get_then_race)
    with pytest.raises(ConflictError, match="from CANCELLED to RECEIVED"):
        service.change_status(ticket["id"], "RECEIVED", "jane", None, None)
    final = real_get(ticket["id"])
    assert final is not None and final.ticket["version"] == 2
    assert [h["status"] for h in final.ticket["history"]] == ["SUBMITTED", "CANCELLED"]


def test_change_unknown_ticket() -> None:
    with pytest.raises(NotFoundError):
        service.change_status("C" * 24, "RECEIVED", "jane", None, None)


def walk(ticket_id: str, changes: int, note: str) -> tickets.Ticket:
    """`changes` status changes, bouncing between DIAGNOSING and IN_REPAIR after RECEIVED."""
    ticket = service.change_status(ticket_id, "RECEIVED", "jane", note, None)
    for i in range(changes - 1):
        ticket = service.change_status(
            ticket_id, "IN_REPAIR" if i % 2 == 0 else "DIAGNOSING", "jane", note, None
        )
    return ticket


def test_history_beyond_the_bound_moves_to_archive_items(ddb: Any) -> None:
    most = limits.HISTORY_MAX_ENTRIES
    ticket, _ = store.put_new(DATA)
    changes = most + 3
    after = walk(ticket["id"], changes, "n")
    stored = store.get(ticket["id"])
    assert stored is not None and stored.ticket == {**ticket, **after}
    history = stored.ticket["history"]
    assert len(history) == most and history[0]["status"] == "SUBMITTED"
    assert stored.ticket["olderHistoryCount"] == changes + 1 - most
    archived = store.archived_history(ticket["id"])
    assert len(archived) == changes + 1 - most
    whole = [history[0], *archived, *history[1:]]
    assert [h["status"] for h in whole[1:3]] == ["RECEIVED", "IN_REPAIR"]
    assert len(whole) == changes + 1 and whole[-1]["status"] == after["status"]
    assert [h["at"] for h in whole] == sorted(h["at"] for h in whole)
    # the archive is not a ticket: not listed, not found by id
    listed, _ = store.page(None, 100, None)
    assert [t["id"] for t in listed] == [ticket["id"]]


def test_many_long_notes_and_the_ticket_can_still_be_cancelled(ddb: Any, load_event: Any) -> None:
    """Without the bound, ~100 changes with the longest notes (4-byte characters) pass DynamoDB's 400 KB
    item limit and every later change, CANCELLED included, fails."""
    from resolvers import handler

    ticket, _ = store.put_new(DATA)
    note = "\U0001f527" * limits.NOTE_MAX_LENGTH  # the longest note, 4 UTF-8 bytes per character
    changes = DYNAMODB_ITEM_LIMIT // len(note.encode()) + 10  # enough to overflow an unbounded item
    statuses = ["RECEIVED", *(["IN_REPAIR", "DIAGNOSING"] * changes)][:changes]
    for status in statuses:
        event = load_event(
            "updateTicketStatus.cognito_staff", input={"id": ticket["id"], "status": status, "note": note}
        )
        assert handler.lambda_handler(event, None)["status"] == status
    event = load_event(
        "updateTicketStatus.cognito_staff", input={"id": ticket["id"], "status": "CANCELLED", "note": note}
    )
    cancelled = handler.lambda_handler(event, None)
    assert cancelled["status"] == "CANCELLED" and cancelled["version"] == changes + 2
    assert len(cancelled["history"]) == limits.HISTORY_MAX_ENTRIES
    size = item_size(raw_item(ddb, ticket["id"]))
    assert size < DYNAMODB_ITEM_LIMIT * 3 // 4, size
    assert len(store.archived_history(ticket["id"])) == changes + 2 - limits.HISTORY_MAX_ENTRIES


def test_a_ticket_stored_before_the_bound_sheds_its_surplus_at_its_next_change(ddb: Any) -> None:
    """A ticket written with a long history (before the bound): its next change writes it small again."""
    ticket, _ = store.put_new(DATA)
    long = [ticket["history"][0]] + [
        tickets.history_entry("IN_REPAIR" if i % 2 else "DIAGNOSING", tickets.now_iso(), "jane", "x" * 100)
        for i in range(3 * limits.HISTORY_MAX_ENTRIES)
    ]
    ddb.update_item(
        TableName=store.table_name(),
        Key={"pk": {"S": f"TICKET#{ticket['id']}"}},
        UpdateExpression="SET #h = :h, #s = :s",
        ExpressionAttributeNames={"#h": "history", "#s": "status"},
        ExpressionAttributeValues={":h": dynamo_json.serialize(long), ":s": {"S": long[-1]["status"]}},
    )
    after = service.change_status(ticket["id"], "CANCELLED", "jane", None, 1)
    assert len(after["history"]) == limits.HISTORY_MAX_ENTRIES
    assert [*after["history"][:1], *store.archived_history(ticket["id"]), *after["history"][1:-1]] == long


@pytest.mark.parametrize(
    ("reasons", "outcome"),
    [
        (
            ["ConditionalCheckFailed", "None"],
            ConflictError,
        ),  # the ticket changed: stale, with expectedVersion
        (["TransactionConflict", "None"], ConflictError),
        (["None", "ConditionalCheckFailed"], store.StoreError),  # the archive item exists: never expected
    ],
)
def test_archiving_change_cancelled(
    monkeypatch: pytest.MonkeyPatch, reasons: list[str], outcome: type
) -> None:
    ticket, _ = store.put_new(DATA)
    full = walk(ticket["id"], limits.HISTORY_MAX_ENTRIES - 1, "n")
    real = store.client()
    failing = Failing(real, "transact_write_items", "TransactionCanceledException", reasons)
    monkeypatch.setattr(store, "client", lambda: failing)
    with pytest.raises(outcome):
        service.change_status(ticket["id"], "IN_REPAIR", "jane", None, full["version"])


def test_archiving_change_other_errors_propagate(monkeypatch: pytest.MonkeyPatch) -> None:
    ticket, _ = store.put_new(DATA)
    walk(ticket["id"], limits.HISTORY_MAX_ENTRIES - 1, "n")
    real = store.client()
    monkeypatch.setattr(store, "client", lambda: Failing(real, "transact_write_items", "ThrottlingException"))
    with pytest.raises(ClientError):
        service.change_status(ticket["id"], "IN_REPAIR", "jane", None, None)
