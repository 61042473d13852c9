"""Figure 4: fan-out. Delivery latency of onTicketUpdated with 1, 50 and 200 subscribers.

Each subscriber is its own gql AppSyncWebsocketsTransport connection (API key + tracking token, as
the customer page subscribes). A staff member then changes the ticket's status over HTTP, round
after round; a sample is (moment the event is parsed at a subscriber) - (moment the mutation's
response arrived), for every subscriber and round. The path in between is the real one: DynamoDB
stream -> poller -> resolvers.publisher -> signed publish mutation -> fan-out to every subscriber.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from gql import Client

from . import gqlclient
from .common import Figure, at_most, info, percentile

TARGET = 3.0
_CONNECT_CONCURRENCY = 20


class _Watcher:
    """One subscriber: its own connection; records (version, arrival time) of each event."""

    def __init__(self, target: Any, ticket_id: str, token: str, arrived: Any) -> None:
        self.transport = gqlclient.TimedTransport(
            url=target.realtime_url, auth=gqlclient.api_key_auth(target), on_message=self._on_message
        )
        self.client = Client(transport=self.transport, fetch_schema_from_transport=False)
        self.variables = {"id": ticket_id, "token": token}
        self.arrived = arrived  # callback(version, time)
        self.acked = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def _on_message(self, kind: str, result: Any, at: float) -> None:
        if kind == "start_ack":
            self.acked.set()
        elif kind == "data" and result is not None and result.data:
            self.arrived(int(result.data["onTicketUpdated"]["version"]), at)

    async def start(self) -> None:
        session = await self.client.connect_async()

        async def consume() -> None:
            async for _ in session.subscribe(gqlclient.request(gqlclient.ON_TICKET_UPDATED, self.variables)):
                pass

        self.task = asyncio.create_task(consume())
        waiter = asyncio.create_task(self.acked.wait())
        done, _ = await asyncio.wait({waiter, self.task}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if self.task in done:
            self.task.result()
            raise RuntimeError("subscription ended before start_ack")
        if waiter not in done:
            waiter.cancel()
            raise TimeoutError("no start_ack within 30 s")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
        with contextlib.suppress(Exception):
            await self.client.close_async()


async def _measure(target: Any, subscribers: int, rounds: int) -> dict[str, Any]:
    async with gqlclient.http_client(target, gqlclient.api_key_auth(target)) as public:
        new = await public.execute(
            gqlclient.request(gqlclient.CREATE_TICKET, {"input": gqlclient.ticket_input(subscribers)})
        )
    ticket_id, token = new["createTicket"]["ticket"]["id"], new["createTicket"]["trackingToken"]
    arrivals: dict[int, list[float]] = {}
    complete: dict[int, asyncio.Event] = {}

    def arrived(version: int, at: float) -> None:
        got = arrivals.setdefault(version, [])
        got.append(at)
        if len(got) == subscribers and version in complete:
            complete[version].set()

    watchers = [_Watcher(target, ticket_id, token, arrived) for _ in range(subscribers)]
    gate = asyncio.Semaphore(_CONNECT_CONCURRENCY)

    async def start(w: _Watcher) -> None:
        async with gate:
            await w.start()

    connect_started = time.perf_counter()
    latencies: list[float] = []
    try:
        await asyncio.gather(*(start(w) for w in watchers))
        connect_seconds = time.perf_counter() - connect_started
        statuses = ["RECEIVED"] + ["DIAGNOSING", "IN_REPAIR"] * rounds
        async with gqlclient.http_client(target, gqlclient.staff_auth(target)) as staff:
            for status in statuses[: rounds + 1]:
                move = {"input": {"id": ticket_id, "status": status}}
                pending = asyncio.Event()
                result = await staff.execute(gqlclient.request(gqlclient.UPDATE_STATUS, move))
                responded = time.perf_counter()
                version = int(result["updateTicketStatus"]["version"])
                complete[version] = pending
                if len(arrivals.get(version, [])) >= subscribers:
                    pending.set()
                await asyncio.wait_for(pending.wait(), timeout=30)
                if status != "RECEIVED":  # the first change is the warm-up
                    latencies.extend(at - responded for at in arrivals[version])
    finally:
        await asyncio.gather(*(w.stop() for w in watchers))
    return {
        "subscribers": subscribers,
        "connect_seconds": round(connect_seconds, 2),
        "samples": len(latencies),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


def run(target: Any, smoke: bool = False) -> tuple[list[Figure], dict[str, Any]]:
    sizes = (1, 3, 6) if smoke else (1, 50, 200)
    rounds = 3 if smoke else 20
    results = {n: asyncio.run(_measure(target, n, rounds if n > 1 else rounds * 3)) for n in sizes}
    one, many = results[sizes[0]], results[sizes[-1]]
    figures = [
        at_most(
            f"fan-out: p99 at {sizes[-1]} / p99 at {sizes[0]} subscriber(s)",
            many["p99_ms"] / one["p99_ms"],
            "x",
            TARGET,
        ),
    ]
    for n in sizes:
        figures.append(info(f"fan-out: {n} subscriber(s) p50", results[n]["p50_ms"], "ms"))
        figures.append(info(f"fan-out: {n} subscriber(s) p99", results[n]["p99_ms"], "ms"))
    return figures, {
        str(n): {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
        for n, r in results.items()
    }
