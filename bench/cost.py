"""Figure 6: what Pitstop costs a workshop, on paper, from this run's measured durations and item
sizes and the published list prices below (us-east-1, on-demand, no free tier). Two figures:

- the monthly AWS bill of a workshop with 500 tickets a month, everything the stack deploys (the
  `prod` stage: WAF, KMS, CloudFront, logs, X-Ray, Cognito Plus, AppSync, Lambda, DynamoDB, SNS, SES),
  with customer SMS as cdk.json deploys it (context `customerSms`, off until the workshop has a
  registered sender); the month with SMS on is printed beside it, with its own lines;
- the variable cost per 1,000 tickets divided by the design's floor (what no implementation of the
  scenario and of the stream -> publish mutation design can avoid).

bench/README.md writes the arithmetic out; `details.cost` in results.json carries every line.

Per ticket: created once, viewed 5 times (ticket query), changed 5 times (updateTicketStatus), and
watched live for 1 hour by its customer (onTicketUpdated), who opens the tracking page once. Every
committed change (the create and the 5 changes) goes through the stream -> publisher Lambda ->
publish mutation -> real-time messages to the customer's subscription (the 5 changes it is watching)
and to one staff onTicketActivity subscription (all 6).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .common import RESOLVER_ENV, Figure, at_most, info, patched_env
from .items import item_size, stored_items, ticket

TARGET_MONTHLY_USD = 12.0
TARGET_VARIABLE_OVER_FLOOR = 1.4

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
# Amazon SES pricing, https://aws.amazon.com/ses/pricing/ (outbound e-mail, no attachments):
SES_PER_EMAIL = 0.10 / 1000
# SMS, one destination country: the United States, from a registered toll-free number. SNS/End User
# Messaging list price per outbound message part, https://aws.amazon.com/sns/sms-pricing/ , plus the
# carriers' pass-through fee (about $0.0025-0.003 a message; the higher figure is used).
SMS_US_PER_MESSAGE = 0.00581
SMS_US_CARRIER_FEE = 0.00300
# The origination identity US texts need: a toll-free number, leased per month (AWS End User Messaging
# pricing, https://aws.amazon.com/end-user-messaging/pricing/ ; registration itself is free).
SMS_US_TOLL_FREE_NUMBER_MONTH = 2.00
# Customer messages per ticket (resolvers/comms.py's event table): the confirmation, one estimate,
# READY_FOR_PICKUP, each by e-mail; SMS for the customers who tick it (assumed: half of them).
CUSTOMER_EVENTS_PER_TICKET = 3
SMS_OPT_IN_SHARE = 0.5
# AWS WAF pricing, https://aws.amazon.com/waf/pricing/ (an AWS managed rule group counts as one rule):
WAF_PER_WEB_ACL_MONTH = 5.00
WAF_PER_RULE_MONTH = 1.00
WAF_PER_REQUEST = 0.60 / 1e6
# AWS KMS pricing, https://aws.amazon.com/kms/pricing/ (customer managed key, symmetric requests):
KMS_PER_KEY_MONTH = 1.00
KMS_PER_REQUEST = 0.03 / 10_000
# Amazon CloudFront pricing, https://aws.amazon.com/cloudfront/pricing/ (North America / Europe, the
# only edges of PRICE_CLASS_100; first 10 TB out; HTTPS requests; CloudFront Functions):
CLOUDFRONT_PER_GB_OUT = 0.085
CLOUDFRONT_PER_HTTPS_REQUEST = 0.0100 / 10_000
CLOUDFRONT_PER_FUNCTION_INVOCATION = 0.10 / 1e6
# Amazon CloudWatch pricing, https://aws.amazon.com/cloudwatch/pricing/ (Logs: standard ingestion):
LOGS_PER_GB_INGESTED = 0.50
# AWS X-Ray pricing, https://aws.amazon.com/xray/pricing/ (traces recorded):
XRAY_PER_TRACE = 5.00 / 1e6
# Amazon Cognito pricing, https://aws.amazon.com/cognito/pricing/ (Plus feature plan, per monthly
# active user; the prod user pool has threat protection, which needs Plus: cdk_app/auth.py):
COGNITO_PLUS_PER_MAU = 0.02
# Storage: DynamoDB Standard https://aws.amazon.com/dynamodb/pricing/on-demand/, S3 Standard
# https://aws.amazon.com/s3/pricing/ (per GB-month).
DYNAMODB_PER_GB_MONTH = 0.25
S3_PER_GB_MONTH = 0.023
# Function sizes as the CDK app declares them (cdk_app/functions.py default, cdk_app/notifications.py).
_ROOT = Path(__file__).resolve().parent.parent
_API_CONFIG = json.loads((_ROOT / "api_config.json").read_text(encoding="utf-8"))
RESOLVER_MEMORY_GB = _API_CONFIG["dataSources"]["resolverLambda"]["memorySize"] / 1024
PUBLISHER_MEMORY_GB = _API_CONFIG["publisher"]["memorySize"] / 1024
_CONTEXT = json.loads((_ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
# X-Ray and customer SMS as deployed: cdk.json's context `tracing` and `customerSms` (Settings reads them)
TRACING = bool(_CONTEXT.get("tracing", False))
CUSTOMER_SMS = bool(_CONTEXT.get("customerSms", False))

VIEWS, CHANGES, WATCH_MINUTES, STAFF_WATCHERS = 5, 5, 60, 1

# ----------------------------------------------------------------------------- the workshop's month
TICKETS_PER_MONTH = 500
# Web ACL rules as the CDK app declares them (cdk_app/waf.py): 2 rate-based, 1 body size, 2 AWS
# managed rule groups. The one number to change when the firewall changes.
WAF_RULES = 5
KMS_KEYS = 1  # the SNS topic's key (cdk_app/notifications.py); the table and buckets use AWS-owned keys
STAFF_USERS = 5  # Cognito monthly active users; customers use the API key, not Cognito
# The staff console is open, subscribed to onTicketActivity, 8 hours a working day (22 a month).
STAFF_CONSOLE_MINUTES = 8 * 60 * 22
# One customer page load: the HTML, amplify_outputs.json, the JS and the CSS (4 requests through the
# CloudFront router function), about 100 kB compressed (the frontend bench measures 88 kB of JS+CSS).
PAGE_REQUESTS, PAGE_BYTES, CUSTOMER_PAGE_LOADS = 4, 100_000, 1
# CloudWatch Logs written per Lambda invocation (START/END/REPORT lines and one Powertools INFO line).
LOG_BYTES_PER_INVOCATION = 1_000
# SNS on a KMS-encrypted topic: a GenerateDataKey on publish and a Decrypt on delivery (at a
# workshop's pace the 5-minute data-key reuse never applies).
KMS_REQUESTS_PER_PUBLISH = 2
# One year of tickets stored (ticket item in the table and its 2 GSIs, plus the REF item).
STORED_MONTHS = 12


OPERATIONS_LINES = (
    "kms_requests",
    "waf_requests",
    "xray_traces",
    "logs_ingested_gb",
    "cloudfront_requests",
    "cloudfront_functions",
    "cloudfront_gb_out",
)


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


def breakdown(
    durations_ms: dict[str, float],
    sizes: dict[str, int],
    tracing: bool | None = None,
    sms: bool | None = None,
) -> dict[str, Any]:
    """Cost lines per ticket. durations_ms: create, view, change, publish (p50 from figure 3).
    tracing: X-Ray on (`-c tracing=true`); sms: customer SMS offered (`-c customerSms=true`);
    None: as cdk.json deploys them."""
    tracing = TRACING if tracing is None else tracing
    sms = CUSTOMER_SMS if sms is None else sms
    sms_share = SMS_OPT_IN_SHARE if sms else 0.0
    customer_messages = CUSTOMER_EVENTS_PER_TICKET * (1 + sms_share)
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
    logged_units = _units(sizes[f"ticket_v{CHANGES + 1}"], 1024)
    invocations = resolver_invocations + publisher_invocations
    # X-Ray: every AppSync request is a trace (the resolver Lambda's segments join it; at a workshop's
    # pace the default sampling rule, 1 request a second then 5 %, records them all) and so is every
    # stream-triggered publisher invocation (its publish call carries no trace header).
    traces = ops + publisher_invocations
    # WAF sees every HTTP request to the API: the operations and the customer's WebSocket handshake.
    waf_requests = ops + 1
    lines = {
        "appsync_operations": (ops, APPSYNC_PER_OPERATION),
        "appsync_realtime_messages": (messages, APPSYNC_PER_MESSAGE),
        "appsync_connection_minutes": (WATCH_MINUTES, APPSYNC_PER_CONNECTION_MINUTE),
        "lambda_requests": (invocations, LAMBDA_PER_REQUEST),
        "lambda_resolver_gb_seconds": (RESOLVER_MEMORY_GB * resolver_seconds, LAMBDA_ARM_PER_GB_SECOND),
        "lambda_publisher_gb_seconds": (PUBLISHER_MEMORY_GB * publisher_seconds, LAMBDA_ARM_PER_GB_SECOND),
        "dynamodb_write_units": (wru_create + wru_changes, DYNAMODB_PER_WRITE_UNIT),
        "dynamodb_read_units": (rru, DYNAMODB_PER_READ_UNIT),
        "sns_publish": (1, SNS_PER_PUBLISH),
        "sns_email": (1, SNS_PER_EMAIL),
        "ses_customer_email": (CUSTOMER_EVENTS_PER_TICKET, SES_PER_EMAIL),
        "sms_customer_us": (
            CUSTOMER_EVENTS_PER_TICKET * sms_share,
            SMS_US_PER_MESSAGE + SMS_US_CARRIER_FEE,
        ),
        # per message: the claim (put), the issued link (put), the transaction settling the claim and
        # appending to the ticket's delivery log (2x, at the ticket's size), and that append rewriting
        # the ticket's entries in both GSIs (projection ALL, table.json; 1x each, at the ticket's size)
        "dynamodb_message_write_units": (
            customer_messages * (2 + 2 * (1 + logged_units) + 2 * logged_units),
            DYNAMODB_PER_WRITE_UNIT,
        ),
        # per message: the settle reads the delivery log it trims (strongly consistent, the ticket's size)
        "dynamodb_message_read_units": (
            customer_messages * _units(sizes[f"ticket_v{CHANGES + 1}"], 4096),
            DYNAMODB_PER_READ_UNIT,
        ),
        "kms_requests": (KMS_REQUESTS_PER_PUBLISH, KMS_PER_REQUEST),
        "waf_requests": (waf_requests, WAF_PER_REQUEST),
        "xray_traces": (traces if tracing else 0, XRAY_PER_TRACE),
        "logs_ingested_gb": (invocations * LOG_BYTES_PER_INVOCATION / 1e9, LOGS_PER_GB_INGESTED),
        "cloudfront_requests": (CUSTOMER_PAGE_LOADS * PAGE_REQUESTS, CLOUDFRONT_PER_HTTPS_REQUEST),
        "cloudfront_functions": (CUSTOMER_PAGE_LOADS * PAGE_REQUESTS, CLOUDFRONT_PER_FUNCTION_INVOCATION),
        "cloudfront_gb_out": (CUSTOMER_PAGE_LOADS * PAGE_BYTES / 1e9, CLOUDFRONT_PER_GB_OUT),
    }
    per_1000 = {name: qty * price * 1000 for name, (qty, price) in lines.items()}
    # What no implementation of this scenario and of its stream -> publish mutation design
    # (resolvers/publisher.py) can avoid, however fast or small: every AppSync operation (the publishes
    # included), the customer's real-time messages and connection-minutes, the staff e-mail (the
    # request path's floor), and the messages the customer asked for: e-mail, and SMS where offered.
    # No Lambda, DynamoDB, WAF, logs or staff board messages in it.
    request_path_floor = 1000 * (
        ops * APPSYNC_PER_OPERATION
        + CHANGES * APPSYNC_PER_MESSAGE
        + WATCH_MINUTES * APPSYNC_PER_CONNECTION_MINUTE
        + SNS_PER_EMAIL
    )
    messages_floor = (
        1000
        * CUSTOMER_EVENTS_PER_TICKET
        * (SES_PER_EMAIL + sms_share * (SMS_US_PER_MESSAGE + SMS_US_CARRIER_FEE))
    )
    floor = request_path_floor + messages_floor
    total = sum(per_1000.values())
    # The same ratio with the customers' e-mails and texts taken off both sides: what the stack costs
    # over the request path's floor (the messages' own DynamoDB writes stay on the stack's side).
    sent = per_1000["ses_customer_email"] + per_1000["sms_customer_us"]
    return {
        "quantities_per_ticket": {name: round(qty, 9) for name, (qty, _) in lines.items()},
        "unit_prices_usd": {name: price for name, (_, price) in lines.items()},
        "usd_per_1000_tickets": {name: round(v, 6) for name, v in per_1000.items()},
        "total_usd_per_1000_tickets": total,
        "floor_usd_per_1000_tickets": floor,
        "request_path_floor_usd_per_1000_tickets": request_path_floor,
        "variable_over_floor": total / floor,
        "variable_over_floor_without_customer_messages": (total - sent) / request_path_floor,
        "customer_sms": sms,
        "billed_ms": {k: round(v * 1000) for k, v in bill.items()},
        "item_bytes": sizes,
    }


def monthly_bill(
    result: dict[str, Any],
    sizes: dict[str, int],
    tickets: int = TICKETS_PER_MONTH,
    waf_rules: int = WAF_RULES,
) -> dict[str, Any]:
    """The month's bill, USD per line: the fixed lines of what the stack deploys, plus `tickets` times
    the variable cost per ticket (`breakdown`; with SMS on, the sender's number is a fixed line)."""
    stored_gb = STORED_MONTHS * tickets * (3 * sizes[f"ticket_v{CHANGES + 1}"] + sizes["ref"]) / 1e9
    fixed = {
        "waf_web_acl": WAF_PER_WEB_ACL_MONTH,
        "waf_rules": waf_rules * WAF_PER_RULE_MONTH,
        "kms_keys": KMS_KEYS * KMS_PER_KEY_MONTH,
        "cognito_plus_staff_mau": STAFF_USERS * COGNITO_PLUS_PER_MAU,
        "appsync_staff_console_minutes": STAFF_CONSOLE_MINUTES * APPSYNC_PER_CONNECTION_MINUTE,
        "dynamodb_storage": stored_gb * DYNAMODB_PER_GB_MONTH,
        "s3_site_storage": PAGE_BYTES * 10 / 1e9 * S3_PER_GB_MONTH,  # the built site, a few MB at most
    }
    if result["customer_sms"]:
        fixed["sms_us_toll_free_number"] = SMS_US_TOLL_FREE_NUMBER_MONTH
    variable = {name: usd * tickets / 1000 for name, usd in result["usd_per_1000_tickets"].items()}
    lines = {**fixed, **{f"{name} (x{tickets} tickets)": usd for name, usd in variable.items()}}
    return {
        "tickets": tickets,
        "waf_rules": waf_rules,
        "customer_sms": result["customer_sms"],
        "fixed_usd": {name: round(v, 6) for name, v in fixed.items()},
        "variable_usd": {name: round(v, 6) for name, v in variable.items()},
        "lines_usd": {name: round(v, 6) for name, v in lines.items()},
        "total_fixed_usd": sum(fixed.values()),
        "total_variable_usd": sum(variable.values()),
        "total_usd": sum(lines.values()),
    }


def lines_table(details: dict[str, Any], key: str = "monthly") -> str:
    """The month's bill, one line per item, as `make bench` prints it after the figures."""
    month = details[key]
    rows = [(name, f"${usd:.4f}") for name, usd in month["lines_usd"].items() if usd >= 0.00005]
    rest = sum(usd for usd in month["lines_usd"].values() if usd < 0.00005)
    rows.append(("(lines under $0.0001, together)", f"${rest:.4f}"))
    rows.append(("total per month", f"${month['total_usd']:.2f}"))
    width = max(len(name) for name, _ in rows)
    sms = "customer SMS on (US, half opt in)" if month["customer_sms"] else "customer SMS off"
    head = (
        f"cost: the month of a workshop with {month['tickets']} tickets "
        f"({month['waf_rules']} WAF rules, {sms})"
    )
    return "\n".join([head, *(f"  {name.ljust(width)}  {usd:>9}" for name, usd in rows)])


def run(request_path: dict[str, Any], smoke: bool = False) -> tuple[list[Figure], dict[str, Any]]:
    durations = {
        "create": request_path["create"]["p50"],
        "view": request_path["get_gql"]["p50"],
        "change": request_path["update"]["p50"],
        "publish": request_path["publish"]["p50"],
    }
    sizes = item_sizes()
    result = breakdown(durations, sizes)
    result["monthly"] = month = monthly_bill(result, sizes)
    with_sms = breakdown(durations, sizes, sms=True)
    result["monthly_with_sms"] = month_sms = monthly_bill(with_sms, sizes)
    usd = result["usd_per_1000_tickets"]
    sms_state = "on" if CUSTOMER_SMS else "off"
    figures = [
        at_most(
            f"cost: monthly AWS bill, {TICKETS_PER_MONTH} tickets, customer SMS {sms_state} (as deployed)",
            month["total_usd"],
            "USD",
            TARGET_MONTHLY_USD,
        ),
        at_most(
            "cost: variable cost per 1,000 tickets / design floor",
            result["variable_over_floor"],
            "x",
            TARGET_VARIABLE_OVER_FLOOR,
        ),
        info(
            "cost: monthly AWS bill with customer SMS on (-c customerSms=true; US toll-free, half opt in)",
            month_sms["total_usd"],
            "USD",
        ),
        info(
            "cost: of which customer SMS (the texts + the toll-free number)",
            month_sms["variable_usd"]["sms_customer_us"] + month_sms["fixed_usd"]["sms_us_toll_free_number"],
            "USD",
        ),
        info(
            "cost: variable cost per 1,000 tickets / design floor, customer SMS on",
            with_sms["variable_over_floor"],
            "x",
        ),
        info(
            "cost: variable cost / floor without the customer e-mails and texts on either side",
            result["variable_over_floor_without_customer_messages"],
            "x",
        ),
        info(
            "cost: variable cost per 1,000 tickets / design floor, with X-Ray tracing on (-c tracing=true)",
            breakdown(durations, sizes, tracing=True)["variable_over_floor"],
            "x",
        ),
        info("cost: fixed part of the month (WAF, KMS, Cognito, storage)", month["total_fixed_usd"], "USD"),
        info("cost: variable cost per 1,000 tickets", result["total_usd_per_1000_tickets"], "USD"),
        info(
            "cost: floor per 1,000 tickets fixed by the scenario and the design (see bench/README.md)",
            result["floor_usd_per_1000_tickets"],
            "USD",
        ),
        info(
            "cost: AppSync share (ops + messages + minutes)",
            usd["appsync_operations"] + usd["appsync_realtime_messages"] + usd["appsync_connection_minutes"],
            "USD",
        ),
        info(
            "cost: Lambda share",
            usd["lambda_requests"] + usd["lambda_resolver_gb_seconds"] + usd["lambda_publisher_gb_seconds"],
            "USD",
        ),
        info(
            "cost: DynamoDB share (tickets + customer messages)",
            usd["dynamodb_write_units"]
            + usd["dynamodb_read_units"]
            + usd["dynamodb_message_write_units"]
            + usd["dynamodb_message_read_units"],
            "USD",
        ),
        info("cost: SNS share (staff e-mail)", usd["sns_publish"] + usd["sns_email"], "USD"),
        info("cost: customer e-mail share (SES)", usd["ses_customer_email"], "USD"),
        info(
            "cost: operations share (WAF requests, X-Ray, logs, KMS, CloudFront)",
            sum(usd[k] for k in OPERATIONS_LINES),
            "USD",
        ),
    ]
    return figures, result
