"""resolvers.dynamo_json: the attribute-value JSON of boto3's serializer, and back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from resolvers import dynamo_json

values = st.recursive(
    st.none() | st.booleans() | st.text(max_size=20) | st.integers(-(10**12), 10**12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(values)
def test_serializes_exactly_as_boto3_does(value: Any) -> None:
    assert dynamo_json.serialize(value) == TypeSerializer().serialize(value)


@given(values)
def test_round_trips(value: Any) -> None:
    assert dynamo_json.deserialize(dynamo_json.serialize(value)) == value


def test_numbers_with_a_fraction_stay_decimal_and_tuples_are_lists() -> None:
    assert dynamo_json.deserialize({"N": "1.50"}) == Decimal("1.5")
    assert dynamo_json.serialize(Decimal("2.5")) == {"N": "2.5"}
    assert dynamo_json.serialize((1, "a")) == {"L": [{"N": "1"}, {"S": "a"}]}
    item = {"pk": "TICKET#x", "version": 3, "history": [{"status": "SUBMITTED"}]}
    assert dynamo_json.deserialize_item(dynamo_json.serialize_item(item)) == item


def test_unsupported_types_are_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        dynamo_json.serialize(1.5)
    with pytest.raises(TypeError, match="SS"):
        dynamo_json.deserialize({"SS": ["a"]})
