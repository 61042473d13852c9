"""The moto child's DynamoDB transactions: all-or-nothing, without copying whole tables."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from appsync_local import bootstrap, moto_server


@pytest.fixture(scope="module")
def ddb() -> Iterator[Any]:
    process = moto_server.start()
    try:
        client = bootstrap.client("dynamodb", process.url)
        bootstrap.create_table(client, "t")
        yield client
    finally:
        process.stop()


def put(pk: str, **condition: str) -> dict[str, Any]:
    return {"Put": {"TableName": "t", "Item": {"pk": {"S": pk}, "entity": {"S": "X"}}, **condition}}


NEW = {"ConditionExpression": "attribute_not_exists(pk)"}


def test_a_failing_condition_cancels_the_whole_transaction_and_writes_nothing(ddb: Any) -> None:
    ddb.transact_write_items(TransactItems=[put("a1", **NEW)])
    with pytest.raises(ClientError) as caught:
        ddb.transact_write_items(TransactItems=[put("a2", **NEW), put("a1", **NEW)])
    error = caught.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in error["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    assert "Item" not in ddb.get_item(TableName="t", Key={"pk": {"S": "a2"}})


def test_a_passing_transaction_writes_every_item(ddb: Any) -> None:
    ddb.transact_write_items(TransactItems=[put("b1", **NEW), put("b2", **NEW), put("b3")])
    for pk in ("b1", "b2", "b3"):
        assert ddb.get_item(TableName="t", Key={"pk": {"S": pk}})["Item"]["pk"] == {"S": pk}


def test_a_repeated_key_keeps_moto_s_own_error(ddb: Any) -> None:
    with pytest.raises(ClientError) as caught:
        ddb.transact_write_items(TransactItems=[put("c1"), put("c1")])
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "Item" not in ddb.get_item(TableName="t", Key={"pk": {"S": "c1"}})


def test_transaction_cost_does_not_grow_with_the_table(ddb: Any) -> None:
    """moto's own path deep-copies the table per transaction; ours must not (generous bound, not a timing
    target: 2,000 more items made one transaction several times slower before)."""

    def one_transaction() -> float:
        started = time.perf_counter()
        ddb.transact_write_items(TransactItems=[put(f"d{time.monotonic_ns()}", **NEW)])
        return time.perf_counter() - started

    small = min(one_transaction() for _ in range(5))
    for start in range(0, 2000, 25):
        items = [{"PutRequest": {"Item": {"pk": {"S": f"fill{i}"}}}} for i in range(start, start + 25)]
        ddb.batch_write_item(RequestItems={"t": items})
    large = min(one_transaction() for _ in range(5))
    assert large < small * 3 + 0.01
