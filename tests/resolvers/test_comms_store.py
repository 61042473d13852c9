"""The delivery log on the ticket item (comms_store.settle) on real moto: bounded to its newest
entries, in step with the claims, and never losing an entry to a concurrent writer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from resolvers import comms_store, dynamo_json, limits, store, tickets

pytestmark = pytest.mark.usefixtures("table")


def new_ticket() -> str:
    data = tickets.validate_create_input(
        {
            "vehicle": {"make": "VW", "model": "Golf"},
            "description": "x",
            "customer": {"name": "A", "email": "a@example.com"},
        }
    )
    return str(store.put_new(data)[0]["id"])


def entry(n: int) -> dict[str, Any]:
    return {
        "channel": "EMAIL",
        "event": "TRACKING_LINK",
        "to": "a@example.com",
        "status": "SENT",
        "at": str(n),
    }


def logged(ticket_id: str) -> list[str]:
    stored = store.get(ticket_id)
    assert stored is not None
    return [e["at"] for e in stored.ticket.get("notifications") or []]


def claim_state(key: str) -> str:
    item = store.client().get_item(TableName=store.table_name(), Key={"pk": {"S": key}})["Item"]
    return str(dynamo_json.deserialize_item(item)["state"])


def test_the_log_keeps_its_newest_entries_and_every_claim_settles() -> None:
    ticket_id, most = new_ticket(), limits.DELIVERY_LOG_MAX_ENTRIES
    store.client().update_item(  # a log already full, as `most` earlier messages would leave it
        TableName=store.table_name(),
        Key={"pk": {"S": f"TICKET#{ticket_id}"}},
        UpdateExpression="SET notifications = :full, notificationsSeq = :seq",
        ExpressionAttributeValues=dynamo_json.serialize_item(
            {":full": [entry(n) for n in range(most)], ":seq": most}
        ),
    )
    for n in range(most, most + 3):
        key = comms_store.claim_key(ticket_id, "TRACKING_LINK", str(n), "EMAIL")
        assert comms_store.claim(key, 3600) == comms_store.PENDING
        comms_store.settle(key, ticket_id, "SENT", entry(n))
        assert claim_state(key) == "SENT"
    assert logged(ticket_id) == [str(n) for n in range(3, most + 3)]


@pytest.fixture
def concurrent_log_write() -> Iterator[list[int]]:
    """Before the first TransactWriteItems, another writer appends to the log (a real UpdateItem on
    moto, as a second publisher would): the settle's read is then stale."""
    client, done = store.client(), []

    def interfere(params: dict[str, Any], **_: Any) -> None:
        log_write = params["TransactItems"][-1].get("Update") or {}
        if done or "notifications" not in log_write.get("UpdateExpression", ""):
            return  # only the first delivery-log write (not the ticket's creation)
        done.append(1)
        key = log_write["Key"]
        client.update_item(
            TableName=store.table_name(),
            Key=key,
            UpdateExpression=(
                "SET notifications = list_append(if_not_exists(notifications, :none), :e) "
                "ADD notificationsSeq :one"
            ),
            ExpressionAttributeValues=dynamo_json.serialize_item({":e": [entry(-1)], ":none": [], ":one": 1}),
        )

    client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", interfere)
    yield done
    client.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", interfere)


def test_a_concurrent_log_write_makes_the_settle_retry_not_lose_either_entry(
    concurrent_log_write: list[int],
) -> None:
    ticket_id = new_ticket()
    first = comms_store.claim_key(ticket_id, "TRACKING_LINK", "0", "EMAIL")
    comms_store.claim(first, 3600)
    comms_store.settle(first, ticket_id, "SENT", entry(0))
    assert concurrent_log_write  # the other writer did write, between this settle's read and write
    second = comms_store.claim_key(ticket_id, "TRACKING_LINK", "1", "EMAIL")
    comms_store.claim(second, 3600)
    comms_store.settle(second, ticket_id, "SENT", entry(1))
    assert sorted(logged(ticket_id), key=int) == ["-1", "0", "1"]
    assert claim_state(first) == claim_state(second) == "SENT"
