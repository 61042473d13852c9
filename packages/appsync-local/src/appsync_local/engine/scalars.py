"""AppSync's AWS scalars: input coercion, literal coercion and serialization
(https://docs.aws.amazon.com/appsync/latest/devguide/scalars.html)."""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from graphql import (
    BooleanValueNode,
    FloatValueNode,
    GraphQLScalarType,
    GraphQLSchema,
    IntValueNode,
    StringValueNode,
    ValueNode,
)

from .errors import ScalarSerializeError

_OFFSET = r"(?:Z|[+-]\d{2}:\d{2}(?::\d{2})?)"
_DATE = r"(-?\d{4,})-(\d{2})-(\d{2})"
# Seconds may end in a bare "." (no digits), as Java's ISO-8601 parser that AppSync uses accepts;
# AWS's scalar docs give "12:00:34." as a valid AWSTime.
_TIME = r"(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{0,9})?)?"
DATE_RE = re.compile(rf"^{_DATE}{_OFFSET}?$")
TIME_RE = re.compile(rf"^{_TIME}{_OFFSET}?$")
DATETIME_RE = re.compile(rf"^{_DATE}T{_TIME}{_OFFSET}$")
OFFSET_RE = re.compile(r"([+-])(\d{2}):(\d{2})(?::(\d{2}))?$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)*$")
SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
PHONE_STRIP_RE = re.compile(r"[\s-]")


class ScalarParseError(ValueError):
    """An input value an AWS scalar refuses; the message is AppSync's reason text."""


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _valid_date(year: str, month: str, day: str) -> bool:
    m, d = int(month), int(day)
    return 1 <= m <= 12 and 1 <= d <= _days_in_month(int(year), m)


def _valid_time(hour: str, minute: str, second: str | None) -> bool:
    return int(hour) <= 23 and int(minute) <= 59 and (second is None or int(second) <= 59)


def _valid_offset(text: str) -> bool:
    match = OFFSET_RE.search(text)
    if text.endswith("Z") or match is None:
        return True
    hours, minutes, seconds = int(match.group(2)), int(match.group(3)), int(match.group(4) or 0)
    return hours <= 23 and minutes <= 59 and seconds <= 59


def is_aws_date(value: str) -> bool:
    match = DATE_RE.match(value)
    return match is not None and _valid_date(*match.groups()) and _valid_offset(value)


def is_aws_time(value: str) -> bool:
    match = TIME_RE.match(value)
    return match is not None and _valid_time(*match.groups()) and _valid_offset(value)


def is_aws_datetime(value: str) -> bool:
    match = DATETIME_RE.match(value)
    if not match:
        return False
    year, month, day, hour, minute, second = match.groups()
    return _valid_date(year, month, day) and _valid_time(hour, minute, second) and _valid_offset(value)


def is_aws_email(value: str) -> bool:
    return bool(EMAIL_RE.match(value))


def is_aws_url(value: str) -> bool:
    if not SCHEME_RE.match(value) or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    if not parts.scheme:
        return False
    if not parts.netloc and not parts.path:
        return False
    return "//" not in parts.path


def is_aws_ip_address(value: str) -> bool:
    try:
        if "/" in value:
            ipaddress.ip_network(value, strict=False)
        else:
            ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _valid_nanp(digits: str) -> bool:
    """A North American number: NXX area code and NXX exchange (N = 2-9), not N11 service codes."""
    if len(digits) != 10:
        return False
    area, exchange = digits[:3], digits[3:6]
    return area[0] in "23456789" and exchange[0] in "23456789" and area[1:] != "11"


def is_aws_phone(value: str) -> bool:
    text = PHONE_STRIP_RE.sub("", value)
    if text.startswith("+"):
        digits = text[1:]
        if not digits.isdigit():
            return False
        if digits.startswith("1"):
            return _valid_nanp(digits[1:])
        return 7 <= len(digits) <= 15 and digits[0] != "0"
    if not text.isdigit():
        return False
    if len(text) == 11 and text.startswith("1"):
        text = text[1:]
    return _valid_nanp(text)


def is_aws_json(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class AwsScalar:
    """One AWS scalar: the string check, what AppSync calls the kind in its messages, and the wire type."""

    name: str
    kind: str  # as AppSync words it: "Unable to parse `x` as a valid <kind>."
    check: Callable[[str], bool] | None = None  # string scalars
    integer: bool = False  # AWSTimestamp

    def parse(self, value: Any) -> Any:
        """Input coercion of a variable's value (raises ScalarParseError with AppSync's reason)."""
        if self.integer:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ScalarParseError(f"Unable to parse `{_show(value)}` as a valid {self.kind}.")
            if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
                raise ScalarParseError(f"Unable to parse `{_show(value)}` as a valid {self.kind}.")
            return int(value)
        if not isinstance(value, str) or not (self.check and self.check(value)):
            raise ScalarParseError(f"Unable to parse `{_show(value)}` as a valid {self.kind}.")
        return json.loads(value) if self.name == "AWSJSON" else value

    def parse_literal(self, node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
        if self.integer:
            if isinstance(node, IntValueNode):
                return int(node.value)
            raise ScalarParseError(f"Unable to parse literal as a valid {self.kind}.")
        if not isinstance(node, StringValueNode):
            raise ScalarParseError(f"Unable to parse literal as a valid {self.kind}.")
        return self.parse(node.value)

    def serialize(self, value: Any) -> Any:
        if self.name == "AWSJSON":
            if isinstance(value, str):
                return value
            try:
                return json.dumps(value, separators=(",", ":"), allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise ScalarSerializeError(f"Unable to serialize `{_show(value)}` as a valid JSON.") from exc
        try:
            return self.parse(value)
        except ScalarParseError as exc:
            raise ScalarSerializeError(
                f"Unable to serialize `{_show(value)}` as a valid {self.kind}."
            ) from exc


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


AWS_SCALARS: dict[str, AwsScalar] = {
    s.name: s
    for s in (
        AwsScalar("AWSDate", "Date", is_aws_date),
        AwsScalar("AWSTime", "Time", is_aws_time),
        AwsScalar("AWSDateTime", "DateTime Object", is_aws_datetime),
        AwsScalar("AWSTimestamp", "Timestamp", integer=True),
        AwsScalar("AWSEmail", "email address", is_aws_email),
        AwsScalar("AWSJSON", "JSON", is_aws_json),
        AwsScalar("AWSURL", "URL", is_aws_url),
        AwsScalar("AWSPhone", "phone number", is_aws_phone),
        AwsScalar("AWSIPAddress", "IP address", is_aws_ip_address),
    )
}

LITERAL_NODES = (StringValueNode, IntValueNode, FloatValueNode, BooleanValueNode)


def install_aws_scalars(schema: GraphQLSchema) -> GraphQLSchema:
    """Give the schema's AWS scalar types their AppSync behaviour (in place)."""
    # graphql-core declares serialize/parse_value/parse_literal as methods, yet its own constructor
    # overrides them per instance the same way (GraphQLScalarType.__init__): hence the method-assign ignores.
    for name, scalar in AWS_SCALARS.items():
        type_ = schema.get_type(name)
        if not isinstance(type_, GraphQLScalarType):
            continue
        type_.serialize = scalar.serialize  # type: ignore[method-assign]
        type_.coerce_output_value = scalar.serialize
        type_.parse_value = scalar.parse  # type: ignore[method-assign]
        type_.coerce_input_value = scalar.parse
        type_.parse_literal = scalar.parse_literal  # type: ignore[method-assign]
        type_.coerce_input_literal = scalar.parse_literal
    return schema
