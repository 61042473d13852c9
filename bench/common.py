"""Shared pieces: the Figure record, percentiles, the resolvers' environment, a table in moto."""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
BENCH_TABLE = "pitstop-bench"


@dataclass
class Figure:
    """One row of the table / one entry of results.json.

    `target` is text ("<= 1.25"); `passed` is None for informational rows (no target of their own).
    """

    name: str
    value: float
    unit: str
    target: str | None = None
    passed: bool | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["pass"] = data.pop("passed")
        data["value"] = round(self.value, 4)
        return data


def at_most(name: str, value: float, unit: str, limit: float) -> Figure:
    return Figure(name, value, unit, f"<= {limit:g}", value <= limit)


def info(name: str, value: float, unit: str) -> Figure:
    return Figure(name, value, unit)


def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); p in [0, 100]."""
    if not values:
        raise ValueError("no samples")
    data = sorted(values)
    k = (len(data) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def latency_ms(samples: Mapping[str, Sequence[float]]) -> dict[str, dict[str, float]]:
    """Per named series of durations in seconds: p50 and p99 in milliseconds, and the sample count."""
    return {
        k: {"p50": percentile(v, 50) * 1000, "p99": percentile(v, 99) * 1000, "n": len(v)}
        for k, v in samples.items()
    }


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


RESOLVER_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "TABLE_NAME": BENCH_TABLE,
    "POWERTOOLS_SERVICE_NAME": "pitstop",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "STAFF_PAGE_URL": "https://shop.example.com/staff",
}


@contextmanager
def patched_env(values: dict[str, str], remove: Sequence[str] = ()) -> Iterator[None]:
    """Set (and remove) environment variables for the duration of the block."""
    saved = {k: os.environ.get(k) for k in [*values, *remove]}
    os.environ.update(values)
    for key in remove:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def staff_event(field: str, parent: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """An AppSync direct-Lambda event from a staff member (Cognito, group "staff"),
    https://docs.aws.amazon.com/appsync/latest/devguide/resolver-context-reference.html."""
    claims = {
        "sub": "00000000-0000-4000-8000-000000000001",
        "cognito:groups": ["staff"],
        "cognito:username": "staff@example.com",
        "email": "staff@example.com",
        "token_use": "id",
    }
    return {
        "arguments": arguments,
        "identity": {
            "sub": claims["sub"],
            "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_bench",
            "username": "staff@example.com",
            "claims": claims,
            "sourceIp": ["127.0.0.1"],
            "defaultAuthStrategy": "ALLOW",
            "groups": ["staff"],
        },
        "source": None,
        "request": {"headers": {}, "domainName": None},
        "info": {
            "fieldName": field,
            "parentTypeName": parent,
            "variables": arguments,
            "selectionSetList": ["items", "items/id", "items/status", "nextToken"],
            "selectionSetGraphQL": "{ items { id status } nextToken }",
        },
        "prev": None,
        "stash": {},
    }
