"""DynamoDB's attribute-value JSON, both ways, for the values a ticket holds.

Hand-written rather than boto3's TypeSerializer/TypeDeserializer on purpose: those live in the boto3
package, whose import pulls in s3transfer (about a third of this function's cold start) although we
only need botocore's DynamoDB and SNS clients. The format is small and fixed; tests check that this
module produces exactly what boto3's serializer does.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def serialize(value: Any) -> dict[str, Any]:
    """A Python value (str, int, Decimal, bool, None, dict, list) as a DynamoDB attribute value."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): serialize(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [serialize(v) for v in value]}
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def deserialize(attribute: Mapping[str, Any]) -> Any:
    """A DynamoDB attribute value as plain Python; numbers become int (every number we store is one)
    unless they have a fraction, then Decimal."""
    (kind, value), *_ = attribute.items()
    if kind == "S":
        return value
    if kind == "N":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else number
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: deserialize(v) for k, v in value.items()}
    if kind == "L":
        return [deserialize(v) for v in value]
    raise TypeError(f"unexpected DynamoDB attribute type {kind}")


def serialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: serialize(v) for k, v in item.items()}


def deserialize_item(image: Mapping[str, Any]) -> dict[str, Any]:
    """An item, or a stream record's NewImage, as plain Python."""
    return {k: deserialize(v) for k, v in image.items()}
