"""Facts the local stack reads from their one declaration, and the moto version guard."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import moto
import pytest
from moto import mock_aws

from pitstop_local import bootstrap, moto_patches

ROOT = Path(__file__).resolve().parents[2]


def test_the_local_table_is_table_json(monkeypatch: pytest.MonkeyPatch) -> None:
    declared = json.loads((ROOT / "table.json").read_text(encoding="utf-8"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        bootstrap.create_table(ddb, "t")
        table: dict[str, Any] = ddb.describe_table(TableName="t")["Table"]
        ttl = ddb.describe_time_to_live(TableName="t")["TimeToLiveDescription"]
    assert {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]} == declared[
        "attributeTypes"
    ]
    assert table["KeySchema"] == [{"AttributeName": declared["partitionKey"], "KeyType": "HASH"}]
    assert [(g["IndexName"], g["KeySchema"], g["Projection"]) for g in table["GlobalSecondaryIndexes"]] == [
        (
            i["indexName"],
            [
                {"AttributeName": i["partitionKey"], "KeyType": "HASH"},
                {"AttributeName": i["sortKey"], "KeyType": "RANGE"},
            ],
            {"ProjectionType": "ALL"},
        )
        for i in declared["globalSecondaryIndexes"]
    ]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": declared["streamViewType"],
    }
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": declared["timeToLiveAttribute"]}


def test_moto_patches_accept_the_version_they_were_written_for() -> None:
    assert moto.__version__ == moto_patches.MOTO_VERSION
    moto_patches.require_moto_version()  # raises nothing


def test_moto_patches_refuse_another_moto_version_by_name() -> None:
    with pytest.raises(moto_patches.UnsupportedMotoVersion) as refused:
        moto_patches.require_moto_version("5.3.0")
    message = str(refused.value)
    assert "5.3.0" in message and moto_patches.MOTO_VERSION in message and "moto_patches.py" in message


def test_importing_the_patches_under_another_moto_version_fails_with_the_message() -> None:
    """A fresh interpreter whose moto reports another version cannot import the patches at all."""
    code = "import moto; moto.__version__ = '9.9.9'; import pitstop_local.moto_patches"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode != 0
    assert "UnsupportedMotoVersion" in result.stderr and "moto 9.9.9 is installed" in result.stderr
