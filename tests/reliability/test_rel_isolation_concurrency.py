"""Subscription isolation (50 customers x their own ticket while 50 tickets change) and concurrency
(20 racing updateTicketStatus with one expectedVersion; 20 racing createTicket with one clientToken).
Real clients only: gql's AIOHTTPTransport and AppSyncWebsocketsTransport."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from gql.transport.exceptions import TransportQueryError
from rel_helpers import (
    CREATE,
    LIST,
    MOVE,
    MOVE_ID,
    ON_ACTIVITY,
    ON_UPDATED,
    STAFF_GET,
    Subscription,
    api_key_auth,
    gql_http,
    gql_ws,
    jwt_auth,
    run,
    ticket_input,
    wait_until,
)

CUSTOMERS = 50
CHANGES = ("RECEIVED", "DIAGNOSING", "WAITING_FOR_PARTS")  # three changes per ticket: versions 2, 3, 4


def test_fifty_customers_each_get_exactly_their_own_ticket(local_stack: Any) -> None:
    stack = local_stack
    tag = uuid.uuid4().hex[:6]

    async def scenario() -> None:
        async with contextlib.AsyncExitStack() as stack_ctx:
            customer = await stack_ctx.enter_async_context(gql_http(stack, api_key_auth(stack)))
            staff = await stack_ctx.enter_async_context(gql_http(stack, jwt_auth(stack)))
            staff_ws = await stack_ctx.enter_async_context(gql_ws(stack, jwt_auth(stack)))
            feed = await Subscription(*staff_ws, ON_ACTIVITY, {}).start()

            sem = asyncio.Semaphore(10)

            async def create(n: int) -> dict[str, Any]:
                async with sem:
                    return dict(
                        (await run(customer, CREATE, {"input": ticket_input(f"iso{tag}{n}")}))["createTicket"]
                    )

            created = await asyncio.gather(*[create(n) for n in range(CUSTOMERS)])
            ids = [c["ticket"]["id"] for c in created]
            # the stream's version-1 publishes are done before the customers subscribe (exact counts)
            assert await wait_until(
                lambda: {p["id"] for p in feed.payloads("onTicketActivity")} >= set(ids), 20
            )

            subs: list[Subscription] = []
            for c in created:  # 50 customers, 50 sockets, each with its own ticket and token
                ws = await stack_ctx.enter_async_context(gql_ws(stack, api_key_auth(stack)))
                variables = {"id": c["ticket"]["id"], "token": c["trackingToken"]}
                subs.append(await Subscription(*ws, ON_UPDATED, variables).start())

            async def change(ticket_id: str) -> None:
                for version, status in enumerate(CHANGES, start=1):
                    async with sem:
                        await run(
                            staff,
                            MOVE_ID,
                            {"input": {"id": ticket_id, "status": status, "expectedVersion": version}},
                        )

            await asyncio.gather(*[change(i) for i in ids])  # all 50 tickets change at the same time
            expected = len(CHANGES)
            assert await wait_until(lambda: all(len(s.received) >= expected for s in subs), 30), [
                len(s.received) for s in subs
            ]
            await asyncio.sleep(1.0)  # anything extra (another's event, a duplicate) would arrive now

            for c, sub in zip(created, subs, strict=True):
                events = sub.payloads("onTicketUpdated")
                assert len(sub.received) == expected == len(events), sub.received
                assert {e["id"] for e in events} == {c["ticket"]["id"]}
                assert [e["version"] for e in events] == [2, 3, 4]
                assert [e["status"] for e in events] == list(CHANGES)
                assert [h["status"] for h in events[-1]["history"]] == ["SUBMITTED", *CHANGES]
                assert all(e["reference"] == c["ticket"]["reference"] for e in events)
            activity = [(p["id"], p["version"]) for p in feed.payloads("onTicketActivity") if p["id"] in ids]
            assert sorted(activity) == sorted((i, v) for i in ids for v in (1, 2, 3, 4))
            for sub in [*subs, feed]:
                await sub.stop()

    asyncio.run(scenario())


def test_twenty_racing_updates_with_one_expected_version(local_stack: Any) -> None:
    """Exactly one wins; 19 ConflictError; exactly one new history entry."""
    stack = local_stack

    async def scenario() -> tuple[list[Any], dict[str, Any]]:
        async with gql_http(stack, api_key_auth(stack)) as customer:
            ticket = (await run(customer, CREATE, {"input": ticket_input("race")}))["createTicket"]["ticket"]
        sessions = []
        async with contextlib.AsyncExitStack() as ctx:
            for _ in range(20):  # 20 separate clients (connections), like 20 staff members
                sessions.append(await ctx.enter_async_context(gql_http(stack, jwt_auth(stack))))
            move = {"id": ticket["id"], "status": "RECEIVED", "expectedVersion": 1}
            results = await asyncio.gather(
                *[run(s, MOVE, {"input": {**move, "note": f"by {n}"}}) for n, s in enumerate(sessions)],
                return_exceptions=True,
            )
            back = (await run(sessions[0], STAFF_GET, {"id": ticket["id"]}))["ticket"]
        return results, back

    results, back = asyncio.run(scenario())
    ok = [r for r in results if isinstance(r, dict)]
    conflicts = [
        r
        for r in results
        if isinstance(r, TransportQueryError) and r.errors and r.errors[0].get("errorType") == "ConflictError"
    ]
    other = [r for r in results if r not in ok and r not in conflicts]
    assert (len(ok), len(conflicts), other) == (1, 19, []), (ok, conflicts, other)
    assert back["version"] == 2 and back["status"] == "RECEIVED"
    assert [h["status"] for h in back["history"]] == ["SUBMITTED", "RECEIVED"]
    assert back["history"][-1]["note"] == ok[0]["updateTicketStatus"]["history"][-1]["note"]


def test_twenty_racing_creates_with_one_client_token(local_stack: Any) -> None:
    """One ticket; all 20 responses name it."""
    stack = local_stack
    client_token = f"retry-{uuid.uuid4()}"
    marker = f"ctok-{uuid.uuid4().hex[:8]}"

    async def scenario() -> tuple[list[Any], list[dict[str, Any]]]:
        async with contextlib.AsyncExitStack() as ctx:
            sessions = [
                await ctx.enter_async_context(gql_http(stack, api_key_auth(stack))) for _ in range(20)
            ]
            value = ticket_input(marker, clientToken=client_token)
            results = await asyncio.gather(
                *[run(s, CREATE, {"input": value}) for s in sessions], return_exceptions=True
            )
        async with gql_http(stack, jwt_auth(stack)) as staff:
            items: list[dict[str, Any]] = []
            next_token = None
            while True:  # every ticket, newest first, until the page with ours is past
                page = (await run(staff, LIST, {"limit": 100, "next": next_token}))["tickets"]
                items += page["items"]
                next_token = page["nextToken"]
                if not next_token:
                    break
        return results, items

    results, items = asyncio.run(scenario())
    failures = [r for r in results if not isinstance(r, dict)]
    assert not failures, failures
    ids = {r["createTicket"]["ticket"]["id"] for r in results}
    assert len(ids) == 1, ids
    mine = [t for t in items if marker in t["description"]]
    assert [t["id"] for t in mine] == list(ids)
