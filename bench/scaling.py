"""Figure 2: scaling. One `tickets(status)` page of 20 with 100 and with 10,000 tickets stored.

In-process: moto (mock_aws) and resolvers.handler.lambda_handler called with a staff event, the
way AppSync calls it. Half the tickets are IN_REPAIR (the listed status), the rest spread over the
other statuses, so a full page exists at both sizes and a Scan would have to skip the others.

moto evaluates a GSI Query by walking and sorting every item of the table
(moto/dynamodb/models/table.py, Table.query: `for item in self.all_items()`), so the emulator's own
time grows with the table whatever the access pattern; real DynamoDB reads an index partition in
key order. The headline therefore times what runs in the Lambda function (handler, store, boto3
request and response handling) with the time spent inside the emulated service (moto's
DynamoHandler.call_action: backend + response serialisation) subtracted. A Scan, or a Query without
a Limit sliced in Python, would still grow here (more requests, more items to parse). DynamoDB's own
measure of the work, ScannedCount (items a request evaluated, which reads are billed on), is the
second figure; the raw wall-clock ratio including moto is shown for information.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from .common import BENCH_TABLE, REGION, RESOLVER_ENV, Figure, at_most, info, median, patched_env, staff_event

TARGET = 1.5
LISTED = "IN_REPAIR"
_IN_REPAIR_CHANGES = 4  # RECEIVED, DIAGNOSING, WAITING_FOR_PARTS, IN_REPAIR
_OTHER_CHANGES = (0, 1, 2, 3, 5, 6)  # SUBMITTED .. COMPLETED except IN_REPAIR


def _changes(i: int) -> int:
    return _IN_REPAIR_CHANGES if i % 2 == 0 else _OTHER_CHANGES[(i // 2) % len(_OTHER_CHANGES)]


class _ServiceMeter:
    """Time spent inside moto's DynamoDB service (DynamoHandler.call_action) and the ScannedCount
    each DynamoDBBackend.query returned."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.scanned: list[int] = []

    def install(self) -> tuple[Any, Any]:
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.responses import DynamoHandler

        original_query, original_call = DynamoDBBackend.query, DynamoHandler.call_action
        meter = self

        @functools.wraps(original_query)
        def query(*args: Any, **kwargs: Any) -> Any:
            result = original_query(*args, **kwargs)
            meter.scanned.append(int(result[1]))
            return result

        @functools.wraps(original_call)
        def call_action(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return original_call(*args, **kwargs)
            finally:
                meter.seconds += time.thread_time() - started

        DynamoDBBackend.query = query  # type: ignore[method-assign]
        DynamoHandler.call_action = call_action  # type: ignore[method-assign]
        return original_query, original_call

    @staticmethod
    def uninstall(originals: tuple[Any, Any]) -> None:
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.responses import DynamoHandler

        DynamoDBBackend.query, DynamoHandler.call_action = originals  # type: ignore[method-assign]


def _seed(count: int) -> None:
    """Put the store-shaped items straight into moto's backend (what BatchWriteItem ends in, minus
    the HTTP-level (de)serialisation, which would take most of the run at 10,000 tickets)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from .items import seed_items

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
    for item in seed_items(count, _changes):
        backend.put_item(BENCH_TABLE, item)


def measure(count: int, repeats: int) -> dict[str, Any]:
    """Seed `count` tickets in a fresh moto, then time `repeats` page requests (after 3 warm-ups)."""
    import boto3
    from moto import mock_aws

    from pitstop_local.bootstrap import create_table

    meter = _ServiceMeter()
    with patched_env(RESOLVER_ENV, remove=("AWS_ENDPOINT_URL", "AWS_PROFILE")), mock_aws():
        from resolvers import handler

        handler.logger.setLevel("WARNING")
        originals = meter.install()
        try:
            ddb = boto3.session.Session().client("dynamodb", region_name=REGION)
            create_table(ddb, BENCH_TABLE)
            seeded = time.perf_counter()
            _seed(count)
            seed_seconds = time.perf_counter() - seeded
            event = staff_event("tickets", "Query", {"status": LISTED, "limit": 20})
            walls, cpus, inside = [], [], []
            for i in range(repeats + 3):
                meter.seconds = 0.0
                started, cpu_started = time.perf_counter(), time.thread_time()
                page = handler.lambda_handler(event, None)
                wall, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
                if len(page["items"]) != 20 or not page["nextToken"]:
                    raise RuntimeError(f"expected a full page of 20 with a nextToken at {count} tickets")
                if i >= 3:
                    walls.append(wall)
                    cpus.append(cpu)
                    inside.append(meter.seconds)
        finally:
            meter.uninstall(originals)
    outside = [c - m for c, m in zip(cpus, inside, strict=True)]
    return {
        "tickets": count,
        "seed_seconds": round(seed_seconds, 2),
        "wall_ms": median(walls) * 1000,
        "moto_service_ms": median(inside) * 1000,
        "outside_moto_ms": median(outside) * 1000,
        "scanned_count": max(meter.scanned[-repeats:]),
    }


def run(smoke: bool = False) -> tuple[list[Figure], dict[str, Any]]:
    small_n, large_n = (60, 300) if smoke else (100, 10_000)
    repeats = 5 if smoke else 15
    small, large = measure(small_n, repeats), measure(large_n, repeats)
    tag = f"{large_n} vs {small_n} tickets"
    figures = [
        at_most(
            f"scaling: page of 20, {tag} (excl. emulated service)",
            large["outside_moto_ms"] / small["outside_moto_ms"],
            "x",
            TARGET,
        ),
        at_most(
            f"scaling: items evaluated per page, {tag}",
            large["scanned_count"] / small["scanned_count"],
            "x",
            TARGET,
        ),
        info(f"scaling: page of 20 wall time incl. moto, {tag}", large["wall_ms"] / small["wall_ms"], "x"),
        info(
            f"scaling: page of 20 at {large_n} tickets (excl. emulated service)",
            large["outside_moto_ms"],
            "ms",
        ),
    ]
    return figures, {"small": small, "large": large}
