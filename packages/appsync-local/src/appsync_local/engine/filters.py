"""Subscription filters: AppSync's argument filtering and enhanced filters
(https://docs.aws.amazon.com/appsync/latest/devguide/aws-appsync-real-time-enhanced-filtering.html)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_MISSING = object()
MAX_PATH_DEPTH = 5


def _lookup(payload: Any, dotted: str) -> Any:
    parts = dotted.split(".")
    if len(parts) > MAX_PATH_DEPTH:
        return _MISSING
    value = payload
    for part in parts:
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(actual: Any, expected: Any) -> bool:
        try:
            return actual is not None and expected is not None and op(actual, expected)
        except TypeError:
            return False

    return check


def _contains(actual: Any, expected: Any) -> bool:
    if (isinstance(actual, str) and isinstance(expected, str)) or isinstance(actual, list):
        return expected in actual
    return False


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, e: a == e,
    "ne": lambda a, e: a != e,
    "lt": _compare(lambda a, e: a < e),
    "le": _compare(lambda a, e: a <= e),
    "gt": _compare(lambda a, e: a > e),
    "ge": _compare(lambda a, e: a >= e),
    "contains": _contains,
    "notContains": lambda a, e: not _contains(a, e),
    "beginsWith": lambda a, e: isinstance(a, str) and isinstance(e, str) and a.startswith(e),
    "in": lambda a, e: isinstance(e, list) and a in e,
    "notIn": lambda a, e: isinstance(e, list) and a not in e,
    "between": lambda a, e: (
        isinstance(e, list) and len(e) == 2 and _compare(lambda x, y: y[0] <= x <= y[1])(a, e)
    ),
    "containsAny": lambda a, e: isinstance(a, list) and isinstance(e, list) and any(x in a for x in e),
}


def resolve_filter(spec: Mapping[str, Any], arguments: Mapping[str, Any]) -> dict[str, Any]:
    """An api_config filter with `valueFromArgument` replaced by the subscriber's argument value."""
    groups = []
    for group in spec.get("filterGroup", []):
        filters = []
        for item in group.get("filters", []):
            value = (
                arguments.get(item["valueFromArgument"]) if "valueFromArgument" in item else item.get("value")
            )
            filters.append({"fieldName": item["fieldName"], "operator": item["operator"], "value": value})
        groups.append({"filters": filters})
    return {"filterGroup": groups}


def enhanced_match(resolved: Mapping[str, Any], payload: Any) -> bool:
    """Filters in a group AND together; groups OR.

    A top-level list payload matches nothing: AppSync ignores the data a mutation publishes as a
    list to a filtered subscription (https://docs.aws.amazon.com/appsync/latest/devguide/aws-appsync-real-time-enhanced-filtering.html),
    so a filtered subscriber never gets what its filter could not judge."""
    if isinstance(payload, list):
        return False
    for group in resolved.get("filterGroup", []):
        ok = True
        for item in group.get("filters", []):
            operator = OPERATORS.get(item["operator"])
            actual = _lookup(payload, item["fieldName"])
            if operator is None:
                continue  # unsupported: AppSync fails silently; ignore the condition
            if actual is _MISSING:
                actual = None
            if not operator(actual, item["value"]):
                ok = False
                break
        if ok:
            return True
    return False


def argument_match(arguments: Mapping[str, Any], payload: Any) -> bool:
    """Each supplied argument equals the same-named top-level field of the payload (AND)."""
    if not isinstance(payload, Mapping):
        return not arguments
    return all(payload.get(name, _MISSING) == value for name, value in arguments.items())
