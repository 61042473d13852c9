"""resolvers.store against moto: the paths the handler tests do not reach (retries, races, early stops)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from resolvers import store, tickets

pytestmark = pytest.mark.usefixtures("table")

DATA = tickets.validate_create_input(
    {
        "vehicle": {"make": "Ford", "model": "Transit"},
        "description": "Check engine light.",
        "customer": {"name": "Sam", "phone": "+44 20 7946 0958"},
    }
)


def test_no_scan_anywhere() -> None:
    root = Path(store.__file__).resolve().parent
    for path in root.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"scan\s*\(", text, re.IGNORECASE), path


def test_put_new_retries_a_taken_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = store.put_new(DATA)
    refs = iter([first["reference"], first["reference"], "PS-XYZ234"])
    monkeypatch.setattr(tickets, "new_reference", lambda: next(refs))
    second, _ = store.put_new(DATA)
    assert second["reference"] == "PS-XYZ234" and second["id"] != first["id"]
    assert store.get_by_reference("PS-XYZ234").ticket["id"] == second["id"]  # type: ignore[union-attr]


def test_put_new_gives_up_after_many_collisions(monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = store.put_new(DATA)
    monkeypatch.setattr(tickets, "new_reference", lambda: first["reference"])
    monkeypatch.setattr(store.time, "sleep", lambda _: None)
    with pytest.raises(store.StoreError):
        store.put_new(DATA)


class FakeClient:
    """Wraps the real moto client; lets a test inject errors or short pages."""

    def __init__(self, real: Any, errors: list[ClientError] | None = None) -> None:
        self.real, self.errors, self.calls = real, errors or [], 0

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.real.transact_write_items(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def _cancelled(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": c} for c in codes],
        },
        "TransactWriteItems",
    )


def test_put_new_retries_transaction_conflicts(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeClient(store.client(), [_cancelled("None", "None", "TransactionConflict")])
    monkeypatch.setattr(store, "client", lambda: fake)
    ticket, token = store.put_new({**DATA, "clientToken": "conflict-token-000001"})
    assert fake.calls == 2 and store.get(ticket["id"]) is not None
    assert token == tickets.new_tracking_token("conflict-token-000001")


def test_put_new_unexpected_cancellation_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeClient(store.client(), [_cancelled("ValidationError", "None")])
    monkeypatch.setattr(store, "client", lambda: fake)
    with pytest.raises(store.StoreError):
        store.put_new(DATA)
    fake.errors = [ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "Tx")]
    with pytest.raises(ClientError):
        store.put_new(DATA)


def test_client_token_record_gone_meanwhile_creates_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLIENT item expired (TTL) between the failed condition and our read: create a new ticket."""
    fake = FakeClient(store.client(), [_cancelled("None", "None", "ConditionalCheckFailed")])
    monkeypatch.setattr(store, "client", lambda: fake)
    ticket, _ = store.put_new({**DATA, "clientToken": "expired-token-000001"})
    assert fake.calls == 2 and store.get(ticket["id"]) is not None


def test_client_token_record_without_ticket_is_an_error(ddb: Any) -> None:
    data = {**DATA, "clientToken": "orphan-token-0000001"}
    ticket, _ = store.put_new(data)
    ddb.delete_item(TableName=store.table_name(), Key={"pk": {"S": f"TICKET#{ticket['id']}"}})
    with pytest.raises(store.StoreError):
        store.put_new(data)


def test_client_record_has_ttl_and_no_raw_token(ddb: Any) -> None:
    store.put_new({**DATA, "clientToken": "ttl-token-0000000001"})
    key = f"CLIENT#{tickets.client_token_key('ttl-token-0000000001')}"
    item = ddb.get_item(TableName=store.table_name(), Key={"pk": {"S": key}})["Item"]
    assert item["entity"]["S"] == "CLIENT" and int(item["expiresAt"]["N"]) > 0
    assert "ttl-token-0000000001" not in str(item)


def test_reads_of_unknown_and_foreign_items(ddb: Any) -> None:
    assert store.get("A" * 24) is None
    assert store.get("bad id") is None
    assert store.get_by_reference("PS-222222") is None
    ddb.put_item(TableName=store.table_name(), Item={"pk": {"S": "TICKET#" + "B" * 24}, "entity": {"S": "X"}})
    assert store.get("B" * 24) is None


def test_page_keeps_querying_when_dynamodb_stops_early(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB may return fewer items than Limit with a LastEvaluatedKey (1 MB): fill the page anyway."""
    made = [store.put_new(DATA)[0]["id"] for _ in range(5)]
    real = store.client()
    limits: list[int] = []

    class OneAtATime(FakeClient):
        def query(self, **kwargs: Any) -> Any:
            limits.append(kwargs["Limit"])
            return self.real.query(**{**kwargs, "Limit": 1})

    monkeypatch.setattr(store, "client", lambda: OneAtATime(real))
    items, token = store.page(None, 2, None)
    assert [t["id"] for t in items] == made[::-1][:2] and token
    assert limits == [3, 2, 1]
    items, token = store.page(None, 3, token)
    assert [t["id"] for t in items] == made[::-1][2:] and token is None


def test_client_is_created_lazily_per_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    a = store.client()
    assert store.client() is a
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    b = store.client()
    assert b is not a and b.meta.endpoint_url == "http://127.0.0.1:1"
