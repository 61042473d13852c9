"""The resolvers ship without table.json (the Lambda asset is resolvers/ only): their index names are
checked against it here."""

from __future__ import annotations

import json
from pathlib import Path

from resolvers import store

TABLE = json.loads((Path(__file__).resolve().parents[2] / "table.json").read_text(encoding="utf-8"))


def test_the_indexes_the_store_queries_are_the_declared_ones() -> None:
    declared = {index["indexName"]: index for index in TABLE["globalSecondaryIndexes"]}
    assert {store.BY_STATUS, store.BY_CREATED} == set(declared)
    assert declared[store.BY_STATUS]["partitionKey"] == "status"
    assert declared[store.BY_CREATED]["partitionKey"] == "entity"
    assert {index["sortKey"] for index in declared.values()} == {"createdKey"} <= store.INTERNAL_KEYS
