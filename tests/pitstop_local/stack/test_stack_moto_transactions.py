"""The moto child's DynamoDB transactions: all-or-nothing, without copying whole tables."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pitstop_local import bootstrap, moto_patches, moto_server


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


def test_checked_transactions_never_copy_a_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's own path deep-copies every table a transaction touches (O(table) per create); the checked
    path must not, whether the transaction passes or is cancelled. In-process, with a spy on the `copy`
    module moto uses; moto's own path (a repeated key) shows the spy sees copies."""
    from moto import mock_aws

    models, Table = moto_patches.models, moto_patches.Table

    copied: list[str] = []

    class Spy:
        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            if isinstance(value, Table):
                copied.append(value.name)
            return copy.deepcopy(value, memo)

    monkeypatch.setattr(models, "copy", Spy)
    monkeypatch.setattr(
        models.DynamoDBBackend, "transact_write_items", models.DynamoDBBackend.transact_write_items
    )
    moto_patches.transactions_without_table_copies()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        bootstrap.create_table(client, "t")
        client.transact_write_items(TransactItems=[put("e1", **NEW), put("e2", **NEW)])
        with pytest.raises(ClientError):
            client.transact_write_items(TransactItems=[put("e3", **NEW), put("e1", **NEW)])
        assert copied == []
        with pytest.raises(ClientError):
            client.transact_write_items(TransactItems=[put("e4"), put("e4")])
        assert copied and set(copied) == {"t"}  # moto's own path, which the spy does see
