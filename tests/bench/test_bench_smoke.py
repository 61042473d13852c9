"""Smoke of every benchmark (`python -m bench --smoke`: tiny sizes), so the benches cannot rot.

One run of the whole bench in a subprocess (it starts its own local stack); each test then checks
its bench's entries in the results file. Values are not held to their targets here (tiny sizes on a
shared machine say nothing); structure and sanity are.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

from bench import cost  # noqa: E402
from bench.common import percentile  # noqa: E402
from bench.cost import breakdown  # noqa: E402
from bench.items import item_size  # noqa: E402

PREFIXES = {
    "cold_start": "cold start:",
    "scaling": "scaling:",
    "request_path": "request path:",
    "estimates": "estimates:",
    "fanout": "fan-out:",
    "photos": "photos:",
    "frontend": "frontend:",
    "cost": "cost:",
}
HEADLINES = {  # bench -> how many figures with a target it must report
    "cold_start": 2,
    "scaling": 2,
    "request_path": 2,
    "estimates": 2,  # sendEstimate and answerEstimate p50 against updateTicketStatus p50
    "fanout": 1,
    "photos": 2,  # requestPhotoUpload and confirmPhotoUpload p50
    "frontend": 1,
    "cost": 2,  # the workshop's month; variable cost / design floor
}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )
    report = f"{proc.stdout}\n{proc.stderr[-4000:]}"
    assert proc.returncode == 0, f"bench --smoke exited {proc.returncode}:\n{report}"
    assert "figure" in proc.stdout and "target" in proc.stdout  # the table was printed
    return dict(json.loads(out.read_text(encoding="utf-8")))


def test_results_file_structure(smoke: dict[str, Any]) -> None:
    assert smoke["smoke"] is True and smoke["errors"] == {}
    assert isinstance(smoke["figures"], list) and smoke["figures"]
    names = [f["name"] for f in smoke["figures"]]
    assert len(names) == len(set(names)), "figure names must be unique (later runs compare by name)"
    for figure in smoke["figures"]:
        assert set(figure) == {"name", "value", "unit", "target", "pass"}, figure
        assert isinstance(figure["name"], str) and isinstance(figure["unit"], str) and figure["unit"]
        value = figure["value"]
        assert isinstance(value, int | float) and not isinstance(value, bool), figure
        assert math.isfinite(value) and value > 0, figure
        if figure["target"] is None:
            assert figure["pass"] is None, figure
        else:
            assert figure["target"].startswith("<= "), figure
            assert figure["pass"] is (value <= float(figure["target"][3:])), figure


@pytest.mark.parametrize("bench", list(PREFIXES))
def test_each_bench_reports(smoke: dict[str, Any], bench: str) -> None:
    mine = [f for f in smoke["figures"] if f["name"].startswith(PREFIXES[bench])]
    assert len([f for f in mine if f["target"] is not None]) == HEADLINES[bench], mine
    assert bench in smoke["details"] and smoke["details"][bench]["seconds"] >= 0


def test_smoke_details_are_sane(smoke: dict[str, Any]) -> None:
    details = smoke["details"]
    assert details["scaling"]["large"]["scanned_count"] == 21  # limit + 1 through the index, no Scan
    assert details["request_path"]["create"]["n"] >= 3
    assert all(details["estimates"][k]["n"] >= 3 for k in ("send", "answer", "revise", "update"))
    assert all(r["samples"] > 0 for r in details["fanout"].values() if isinstance(r, dict))
    assert details["frontend"]["console"]["total_gzip_bytes"] > 0
    assert {k: details["photos"][k]["n"] for k in ("request", "post", "confirm")} == dict.fromkeys(
        ("request", "post", "confirm"), 3
    )
    cost = details["cost"]
    assert math.isclose(
        sum(cost["usd_per_1000_tickets"].values()), cost["total_usd_per_1000_tickets"], rel_tol=1e-3
    )
    month = cost["monthly"]
    assert math.isclose(sum(month["lines_usd"].values()), month["total_usd"], rel_tol=1e-3)
    assert "waf_rules" in month["lines_usd"] and "xray_traces (x500 tickets)" in month["lines_usd"]


def test_percentile_and_item_size() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 99) == 5
    # name bytes + value bytes; map: 3 + per entry (name + value + 1)
    assert item_size({"pk": {"S": "TICKET#a"}}) == 2 + 8
    assert item_size({"n": {"N": "123"}}) == 1 + 3
    assert item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)


def test_cost_arithmetic() -> None:
    sizes = {f"ticket_v{v}": 900 for v in range(1, 7)} | {"ref": 50}
    result = breakdown({"create": 10.2, "view": 5, "change": 8, "publish": 6}, sizes)
    q = result["quantities_per_ticket"]
    assert q["appsync_operations"] == 1 + 5 + 5 + 6
    assert q["dynamodb_write_units"] == (2 + 2 + 2) + 5 * 4
    assert q["dynamodb_read_units"] == 6 + 5
    assert result["billed_ms"]["create"] == 11  # Lambda bills whole milliseconds
    assert math.isclose(result["usd_per_1000_tickets"]["sns_email"], 0.02)


def test_cost_floor_is_the_unavoidable_part_of_the_total() -> None:
    """The floor: 17 AppSync operations, the customer's 5 messages and 60 minutes, one staff e-mail,
    and the customer's 3 e-mails (SES) and, where SMS is offered, for the half who tick it, 3 US texts."""
    sizes = {f"ticket_v{v}": 900 for v in range(1, 7)} | {"ref": 50}
    request_path = 17 * 4e-6 + 5 * 2e-6 + 60 * 0.08e-6 + 2e-5
    for sms, customer in ((False, 3 * 0.10 / 1000), (True, 3 * 0.10 / 1000 + 3 * 0.5 * (0.00581 + 0.003))):
        result = breakdown({"create": 1, "view": 1, "change": 1, "publish": 1}, sizes, sms=sms)
        floor = result["floor_usd_per_1000_tickets"]
        assert math.isclose(floor, 1000 * (request_path + customer))
        assert math.isclose(result["request_path_floor_usd_per_1000_tickets"], 1000 * request_path)
        usd = result["usd_per_1000_tickets"]
        assert floor < result["total_usd_per_1000_tickets"]
        assert (
            floor
            <= usd["appsync_operations"]
            + usd["appsync_realtime_messages"]
            + usd["appsync_connection_minutes"]
            + usd["sns_email"]
            + usd["ses_customer_email"]
            + usd["sms_customer_us"]
        )
        # Without the e-mails and texts on either side: the stack over the request path's floor.
        sent = usd["ses_customer_email"] + usd["sms_customer_us"]
        assert math.isclose(
            result["variable_over_floor_without_customer_messages"],
            (result["total_usd_per_1000_tickets"] - sent) / (1000 * request_path),
        )


def test_customer_sms_costs_only_where_the_stage_offers_it() -> None:
    """SMS off: no texts, no sender number, e-mail writes only. On: half the customers get 3 texts
    each, and the month carries the US toll-free number."""
    durations = {"create": 10, "view": 5, "change": 8, "publish": 6}
    off = breakdown(durations, SIZES, sms=False)
    on = breakdown(durations, SIZES, sms=True)
    assert off["quantities_per_ticket"]["sms_customer_us"] == 0
    assert on["quantities_per_ticket"]["sms_customer_us"] == 3 * 0.5
    # per message: claim 1 + link 1 + settle transaction 2 x (1 + 1) + the log append in 2 GSIs (1 each)
    assert off["quantities_per_ticket"]["dynamodb_message_write_units"] == 3 * (1 + 1 + 4 + 2)
    assert on["quantities_per_ticket"]["dynamodb_message_write_units"] == 3 * 1.5 * (1 + 1 + 4 + 2)
    month_off, month_on = cost.monthly_bill(off, SIZES), cost.monthly_bill(on, SIZES)
    assert "sms_us_toll_free_number" not in month_off["fixed_usd"]
    assert month_on["fixed_usd"]["sms_us_toll_free_number"] == 2.00
    assert math.isclose(month_on["variable_usd"]["sms_customer_us"], 500 * 1.5 * (0.00581 + 0.003))
    assert "customer SMS on" in cost.lines_table({"monthly": month_on})
    assert "customer SMS off" in cost.lines_table({"monthly": month_off})


SIZES = {f"ticket_v{v}": 900 for v in range(1, 7)} | {"ref": 50}


def test_x_ray_costs_only_when_tracing_is_on() -> None:
    durations = {"create": 10, "view": 5, "change": 8, "publish": 6}
    off = breakdown(durations, SIZES, tracing=False)
    on = breakdown(durations, SIZES, tracing=True)
    assert off["usd_per_1000_tickets"]["xray_traces"] == 0
    assert math.isclose(
        on["total_usd_per_1000_tickets"] - off["total_usd_per_1000_tickets"], 23 * 5.00 / 1000
    )


def test_variable_cost_covers_what_every_ticket_adds_to_the_bill() -> None:
    result = breakdown({"create": 10, "view": 5, "change": 8, "publish": 6}, SIZES, tracing=True)
    q = result["quantities_per_ticket"]
    assert q["waf_requests"] == 17 + 1  # every operation, and the customer's WebSocket handshake
    assert q["xray_traces"] == 17 + 6  # every AppSync request, every stream-triggered publisher run
    assert math.isclose(q["logs_ingested_gb"], (12 + 6) * cost.LOG_BYTES_PER_INVOCATION / 1e9)
    assert q["kms_requests"] == 2  # the encrypted topic: data key on publish, decrypt on delivery
    usd = result["usd_per_1000_tickets"]
    assert math.isclose(usd["xray_traces"], 23 * 5.00 / 1000)  # $5 per million traces, x 1,000 tickets
    assert math.isclose(usd["waf_requests"], 18 * 0.60 / 1000)
    assert math.isclose(
        result["variable_over_floor"],
        result["total_usd_per_1000_tickets"] / result["floor_usd_per_1000_tickets"],
    )


def test_monthly_bill_is_the_fixed_lines_plus_500_tickets_of_variable_cost() -> None:
    result = breakdown({"create": 10, "view": 5, "change": 8, "publish": 6}, SIZES)
    month = cost.monthly_bill(result, SIZES)
    fixed = month["fixed_usd"]
    assert fixed["waf_web_acl"] == 5.00
    assert fixed["waf_rules"] == cost.WAF_RULES * 1.00  # an AWS managed rule group counts as a rule
    assert fixed["kms_keys"] == 1.00
    assert math.isclose(fixed["cognito_plus_staff_mau"], cost.STAFF_USERS * 0.02)
    assert math.isclose(month["total_variable_usd"], result["total_usd_per_1000_tickets"] / 2, rel_tol=1e-4)
    total = month["total_usd"]
    assert math.isclose(total, month["total_fixed_usd"] + month["total_variable_usd"], rel_tol=1e-6)
    # One more WAF rule costs a dollar a month, whatever the traffic.
    one_more = cost.monthly_bill(result, SIZES, waf_rules=cost.WAF_RULES + 1)["total_usd"]
    assert math.isclose(one_more - total, 1.0)
    table = cost.lines_table({"monthly": month})
    assert "waf_rules" in table and "appsync_operations (x500 tickets)" in table
    assert f"${month['total_usd']:.2f}" in table.splitlines()[-1]


def test_waf_rule_count_is_the_cdk_apps() -> None:
    """WAF_RULES in bench/cost.py is the number of rules the CDK app puts in the web ACL."""
    waf = pytest.importorskip("cdk_app.waf", reason="the CDK app declares no web ACL")
    limits = json.loads((ROOT / "api_config.json").read_text(encoding="utf-8"))["limits"]
    assert len(waf.web_acl_rules(limits)) == cost.WAF_RULES
