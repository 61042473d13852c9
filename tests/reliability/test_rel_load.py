"""Bounded load test (`make test-heavy`): 200 live subscribers (180 customers on their own tickets, 20 staff
on the activity feed) and 20 concurrent writers for REL_LOAD_SECONDS (default 60) on loopback, against its
own stack. Reports requests/s, p50/p95/p99 latency of queries and mutations, subscription delivery
latency, lost events (must be 0) and the server's memory before and after (growth <= 20 %).
Figures are printed and written to .pytest_cache/reliability/load.json (PITSTOP_REPORT_DIR moves it)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
from typing import Any

import pytest
from rel_helpers import (
    CREATE,
    LIST,
    MOVE_ID,
    ON_ACTIVITY,
    ON_UPDATED,
    TRACK,
    Subscription,
    api_key_auth,
    children_of,
    gql_http,
    gql_ws,
    jwt_auth,
    percentile,
    report_dir,
    rss_kib,
    run,
    ticket_input,
)

SECONDS = float(os.environ.get("REL_LOAD_SECONDS", "60"))
# The same load first runs unmeasured for WARMUP_SECONDS: a fresh process grows while its allocator arenas,
# worker threads and connection pools fill up; "before" is taken after that, so growth means a leak.
WARMUP_SECONDS = float(os.environ.get("REL_LOAD_WARMUP_SECONDS", "15"))
CUSTOMERS, STAFF_SUBSCRIBERS, WRITERS = 180, 20, 20
CYCLE = {
    "SUBMITTED": "RECEIVED",
    "RECEIVED": "DIAGNOSING",
    "DIAGNOSING": "WAITING_FOR_PARTS",
    "WAITING_FOR_PARTS": "DIAGNOSING",
}


@pytest.mark.heavy
def test_load_200_subscribers_20_writers(local_stack_factory: Any) -> None:
    stack = local_stack_factory({"PITSTOP_LOG_LEVEL": "warning"})
    assert stack.process is not None
    pid = stack.process.pid
    rng = random.Random(7)
    latencies: dict[str, list[float]] = {"query": [], "mutation": []}
    committed: dict[tuple[str, int], float] = {}  # (ticket id, version) -> when the mutation answered
    delivery: list[float] = []
    errors: list[str] = []
    figures: dict[str, Any] = {}

    async def scenario() -> None:
        async with contextlib.AsyncExitStack() as ctx:
            customer = await ctx.enter_async_context(gql_http(stack, api_key_auth(stack)))
            sem = asyncio.Semaphore(10)

            async def create(n: int) -> dict[str, Any]:
                async with sem:
                    return dict(
                        (await run(customer, CREATE, {"input": ticket_input(f"load{n}")}))["createTicket"]
                    )

            activity: list[Subscription] = []
            for _ in range(STAFF_SUBSCRIBERS):
                ws = await ctx.enter_async_context(gql_ws(stack, jwt_auth(stack)))
                activity.append(await Subscription(*ws, ON_ACTIVITY, {}).start())
            created = await asyncio.gather(*[create(n) for n in range(CUSTOMERS)])
            state = {
                c["ticket"]["id"]: {"status": "SUBMITTED", "version": 1, "token": c["trackingToken"]}
                for c in created
            }
            # the creations' own events are done before the customers subscribe
            ids = set(state)
            deadline = time.monotonic() + 60
            while not all(ids <= {p["id"] for p in s.payloads("onTicketActivity")} for s in activity):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.1)
            customers: dict[str, Subscription] = {}
            for ticket_id, st in state.items():
                ws = await ctx.enter_async_context(gql_ws(stack, api_key_auth(stack)))
                customers[ticket_id] = await Subscription(
                    *ws, ON_UPDATED, {"id": ticket_id, "token": st["token"]}
                ).start()
            for sub in [*activity, *customers.values()]:
                sub.received.clear()

            def on_event(now: float, result: dict[str, Any]) -> None:
                ticket = result.get("onTicketUpdated") or result.get("onTicketActivity")
                if ticket:
                    sent = committed.get((ticket["id"], ticket["version"]))
                    if sent is not None:
                        delivery.append(max(0.0, now - sent))

            for sub in [*activity, *customers.values()]:
                sub.on_result = on_event
            owned = list(state)
            counts = {"query": 0, "mutation": 0}

            async def timed(kind: str, coro: Any) -> Any:
                t0 = time.monotonic()
                try:
                    return await coro
                except Exception as exc:
                    errors.append(f"{kind}: {type(exc).__name__}: {exc}"[:300])
                    return None
                finally:
                    latencies[kind].append(time.monotonic() - t0)
                    counts[kind] += 1

            async def writer(w: int, stop_at: float) -> None:
                mine = owned[w::WRITERS]
                async with (
                    gql_http(stack, jwt_auth(stack)) as staff_w,
                    gql_http(stack, api_key_auth(stack)) as customer_w,
                ):
                    while time.monotonic() < stop_at:
                        roll = rng.random()
                        if roll < 0.55:
                            ticket_id = rng.choice(mine)
                            st = state[ticket_id]
                            move = {
                                "id": ticket_id,
                                "status": CYCLE[st["status"]],
                                "expectedVersion": st["version"],
                            }
                            result = await timed("mutation", run(staff_w, MOVE_ID, {"input": move}))
                            if result:
                                version = result["updateTicketStatus"]["version"]
                                committed[(ticket_id, version)] = time.monotonic()
                                st.update(status=move["status"], version=version)
                        elif roll < 0.85:
                            ticket_id = rng.choice(mine)
                            await timed(
                                "query",
                                run(customer_w, TRACK, {"id": ticket_id, "token": state[ticket_id]["token"]}),
                            )
                        elif roll < 0.95:
                            await timed("query", run(staff_w, LIST, {"limit": 20}))
                        else:
                            result = await timed(
                                "mutation", run(customer_w, CREATE, {"input": ticket_input(f"w{w}")})
                            )
                            if result:
                                committed[(result["createTicket"]["ticket"]["id"], 1)] = time.monotonic()

            warm_until = time.monotonic() + WARMUP_SECONDS
            await asyncio.gather(*[writer(w, warm_until) for w in range(WRITERS)])
            for values in latencies.values():
                values.clear()
            counts.update(query=0, mutation=0)
            delivery.clear()
            errors_in_warmup = len(errors)
            await asyncio.sleep(1.0)
            figures["rss_kib_before"] = rss_kib(pid)
            figures["moto_rss_kib_before"] = sum(rss_kib(c) for c in children_of(pid))

            started = time.monotonic()
            await asyncio.gather(*[writer(w, started + SECONDS) for w in range(WRITERS)])
            elapsed = time.monotonic() - started
            figures["errors_in_warmup"] = errors_in_warmup
            figures["requests_per_second"] = round((counts["query"] + counts["mutation"]) / elapsed, 1)
            figures["requests"] = dict(counts)
            figures["seconds"] = round(elapsed, 1)

            # every committed change reaches every subscriber it belongs to
            def missing() -> tuple[int, int]:
                lost_customers = 0
                for ticket_id, sub in customers.items():
                    want = {v for (i, v) in committed if i == ticket_id}
                    got = {p["version"] for p in sub.payloads("onTicketUpdated")}
                    lost_customers += len(want - got)
                lost_staff = 0
                for sub in activity:
                    got_pairs = {(p["id"], p["version"]) for p in sub.payloads("onTicketActivity")}
                    lost_staff += len(set(committed) - got_pairs)
                return lost_customers, lost_staff

            deadline = time.monotonic() + 60
            while sum(missing()) and time.monotonic() < deadline:
                await asyncio.sleep(0.25)
            figures["drain_seconds"] = round(time.monotonic() - (started + elapsed), 1)
            lost_customers, lost_staff = missing()
            figures["events_committed"] = len(committed)
            figures["deliveries_expected"] = sum(
                len({v for (i, v) in committed if i == t}) for t in customers
            ) + len(committed) * len(activity)
            figures["lost_events"] = {"customers": lost_customers, "staff": lost_staff}
            wrong = sum(
                1 for t, s in customers.items() for p in s.payloads("onTicketUpdated") if p["id"] != t
            )
            figures["events_to_the_wrong_customer"] = wrong
            for sub in [*activity, *customers.values()]:
                await sub.stop()
        await asyncio.sleep(2.0)
        figures["rss_kib_after"] = rss_kib(pid)
        figures["moto_rss_kib_after"] = sum(rss_kib(c) for c in children_of(pid))

    asyncio.run(scenario())
    for kind, values in latencies.items():
        figures[f"{kind}_latency_ms"] = {
            f"p{q}": round(percentile(values, q) * 1000, 1) for q in (50, 95, 99)
        }
    figures["delivery_latency_ms"] = {f"p{q}": round(percentile(delivery, q) * 1000, 1) for q in (50, 95, 99)}
    figures["deliveries_measured"] = len(delivery)
    figures["errors"] = len(errors)
    figures["memory_growth_percent"] = round(
        100 * (figures["rss_kib_after"] / figures["rss_kib_before"] - 1), 1
    )
    (report_dir() / "load.json").write_text(json.dumps(figures, indent=1))
    print("\nload figures: " + json.dumps(figures))
    assert errors == [], errors[:10]
    assert figures["lost_events"] == {"customers": 0, "staff": 0}, figures
    assert figures["events_to_the_wrong_customer"] == 0
    assert figures["memory_growth_percent"] <= 20, figures
