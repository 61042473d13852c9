"""Figure 6: cost on paper per 1,000 tickets, from this run's measured durations and item sizes and
the published list prices below (us-east-1, on-demand, no free tier). bench/README.md writes the
arithmetic out; `breakdown` in results.json carries every line.

Per ticket: created once, viewed 5 times (ticket query), changed 5 times (updateTicketStatus), and
watched live for 1 hour by its customer (onTicketUpdated). Every committed change (the create and
the 5 changes) goes through the stream -> publisher Lambda -> publish mutation -> real-time
messages to the customer's subscription (the 5 changes it is watching) and to one staff
onTicketActivity subscription (all 6).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from .common import RESOLVER_ENV, Figure, at_most, info, patched_env
from .items import item_size, stored_items, ticket

TARGET_USD = 0.10

# ----------------------------------------------------------------------------- list prices (USD)
# AWS AppSync pricing, https://aws.amazon.com/appsync/pricing/ (GraphQL APIs):
APPSYNC_PER_OPERATION = 4.00 / 1e6  # query and data modification operations
APPSYNC_PER_MESSAGE = 2.00 / 1e6  # real-time updates (messages delivered)
APPSYNC_PER_CONNECTION_MINUTE = 0.08 / 1e6
# AWS Lambda pricing, https://aws.amazon.com/lambda/pricing/ (Arm, first 6 billion GB-s per month):
LAMBDA_ARM_PER_GB_SECOND = 0.0000133334
LAMBDA_PER_REQUEST = 0.20 / 1e6
# Amazon DynamoDB on-demand pricing, https://aws.amazon.com/dynamodb/pricing/on-demand/
# (Standard table class; prices since 1 Nov 2024). Streams read by a Lambda trigger are free.
DYNAMODB_PER_WRITE_UNIT = 0.625 / 1e6
DYNAMODB_PER_READ_UNIT = 0.125 / 1e6
# Amazon SNS pricing, https://aws.amazon.com/sns/pricing/
SNS_PER_EMAIL = 2.00 / 100_000
SNS_PER_PUBLISH = 0.50 / 1e6
# Function sizes as the CDK app declares them (cdk_app/functions.py default, cdk_app/notifications.py).
RESOLVER_MEMORY_GB = 512 / 1024
PUBLISHER_MEMORY_GB = 256 / 1024

VIEWS, CHANGES, WATCH_MINUTES, STAFF_WATCHERS = 5, 5, 60, 1


def item_sizes() -> dict[str, int]:
    """Bytes of the items the store writes: ticket new, after each of 5 changes, and its REF item."""
    with patched_env({"TABLE_NAME": RESOLVER_ENV["TABLE_NAME"]}):
        now = datetime.now(UTC)
        sizes = {}
        for changes in range(CHANGES + 1):
            ticket_item, ref_item = stored_items(*ticket(now, changes))
            sizes[f"ticket_v{changes + 1}"] = item_size(ticket_item)
        sizes["ref"] = item_size(ref_item)
    return sizes


def _units(size: int, per: int) -> int:
    return max(1, math.ceil(size / per))


def breakdown(durations_ms: dict[str, float], sizes: dict[str, int]) -> dict[str, Any]:
    """Cost lines per ticket. durations_ms: create, view, change, publish (p50 from figure 3)."""
    events = 1 + CHANGES  # committed changes: stream records, publish mutations
    ops = 1 + VIEWS + CHANGES + events
    messages = CHANGES + STAFF_WATCHERS * events
    # Lambda: billed per 1 ms, per invocation; the subscribe-time check costs about one view.
    bill = {k: math.ceil(v) / 1000 for k, v in durations_ms.items()}
    resolver_invocations = 1 + VIEWS + CHANGES + 1
    resolver_seconds = bill["create"] + (VIEWS + 1) * bill["view"] + CHANGES * bill["change"]
    publisher_invocations = events  # worst case: one record per batch
    publisher_seconds = events * bill["publish"]
    # DynamoDB writes (1 unit per 1 KB; transactions 2x; GSI writes at the item's size, an index key
    # change = delete + put): create = TransactWriteItems(ticket, REF) + ticket into byStatus and
    # byCreated; each change = UpdateItem (larger of before/after) + byStatus delete+put + byCreated.
    wru_create = 2 * _units(sizes["ticket_v1"], 1024) + 2 * _units(sizes["ref"], 1024)
    wru_create += 2 * _units(sizes["ticket_v1"], 1024)
    wru_changes = sum(4 * _units(sizes[f"ticket_v{v + 1}"], 1024) for v in range(1, CHANGES + 1))
    # Reads (strongly consistent GetItem, 1 unit per 4 KB): each view, the subscribe check, and the
    # read-before-update of each change.
    viewed = sizes[f"ticket_v{CHANGES + 1}"]
    rru = (VIEWS + 1) * _units(viewed, 4096) + sum(
        _units(sizes[f"ticket_v{v}"], 4096) for v in range(1, CHANGES + 1)
    )
    lines = {
        "appsync_operations": (ops, APPSYNC_PER_OPERATION),
        "appsync_realtime_messages": (messages, APPSYNC_PER_MESSAGE),
        "appsync_connection_minutes": (WATCH_MINUTES, APPSYNC_PER_CONNECTION_MINUTE),
        "lambda_requests": (resolver_invocations + publisher_invocations, LAMBDA_PER_REQUEST),
        "lambda_resolver_gb_seconds": (RESOLVER_MEMORY_GB * resolver_seconds, LAMBDA_ARM_PER_GB_SECOND),
        "lambda_publisher_gb_seconds": (PUBLISHER_MEMORY_GB * publisher_seconds, LAMBDA_ARM_PER_GB_SECOND),
        "dynamodb_write_units": (wru_create + wru_changes, DYNAMODB_PER_WRITE_UNIT),
        "dynamodb_read_units": (rru, DYNAMODB_PER_READ_UNIT),
        "sns_publish": (1, SNS_PER_PUBLISH),
        "sns_email": (1, SNS_PER_EMAIL),
    }
    per_1000 = {name: qty * price * 1000 for name, (qty, price) in lines.items()}
    # What no implementation of this scenario and of DESIGN.md's stream -> publish mutation can avoid,
    # however fast or small: every AppSync operation (the publishes included), the customer's messages
    # and connection-minutes, and the staff e-mail. No Lambda, DynamoDB or staff messages in it.
    floor = 1000 * (
        ops * APPSYNC_PER_OPERATION
        + CHANGES * APPSYNC_PER_MESSAGE
        + WATCH_MINUTES * APPSYNC_PER_CONNECTION_MINUTE
        + SNS_PER_EMAIL
    )
    return {
        "quantities_per_ticket": {name: round(qty, 6) for name, (qty, _) in lines.items()},
        "unit_prices_usd": {name: price for name, (_, price) in lines.items()},
        "usd_per_1000_tickets": {name: round(v, 6) for name, v in per_1000.items()},
        "total_usd_per_1000_tickets": sum(per_1000.values()),
        "floor_usd_per_1000_tickets": floor,
        "billed_ms": {k: round(v * 1000) for k, v in bill.items()},
        "item_bytes": sizes,
    }


def run(request_path: dict[str, Any], smoke: bool = False) -> tuple[list[Figure], dict[str, Any]]:
    durations = {
        "create": request_path["create"]["p50"],
        "view": request_path["get_gql"]["p50"],
        "change": request_path["update"]["p50"],
        "publish": request_path["publish"]["p50"],
    }
    result = breakdown(durations, item_sizes())
    usd = result["usd_per_1000_tickets"]
    figures = [
        at_most("cost: per 1,000 tickets", result["total_usd_per_1000_tickets"], "USD", TARGET_USD),
        info("cost: floor fixed by the scenario and the design (see bench/README.md)",
             result["floor_usd_per_1000_tickets"], "USD"),
        info("cost: AppSync share (ops + messages + minutes)",
             usd["appsync_operations"] + usd["appsync_realtime_messages"] + usd["appsync_connection_minutes"],
             "USD"),
        info("cost: Lambda share", usd["lambda_requests"] + usd["lambda_resolver_gb_seconds"]
             + usd["lambda_publisher_gb_seconds"], "USD"),
        info("cost: DynamoDB share", usd["dynamodb_write_units"] + usd["dynamodb_read_units"], "USD"),
        info("cost: SNS share", usd["sns_publish"] + usd["sns_email"], "USD"),
    ]
    return figures, result
