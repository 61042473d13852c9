"""Figure 3: request path. createTicket and ticket p50/p99 through the local stack with gql (HTTP,
API key) vs a bare DynamoDB PutItem / GetItem of the same ticket item through the same moto server.

Samples are interleaved (gql create, bare put, bare transaction, gql get, bare get, ...) so load
from elsewhere on the machine hits both sides alike. Each create's aftermath (stream → poller →
publisher → publish mutation and staff e-mail) is let finish before the next sample, so every sample
times one request on an idle stack, not that background work: the e-mail in the local outbox is its
last step. For information, the bare TransactWriteItems
that createTicket really sends (ticket + REF, conditional): moto deep-copies the whole table for
every transaction, so its cost grows with the table, unlike DynamoDB's. Also measured, for the cost
figure: updateTicketStatus (staff JWT) and one publisher invocation (resolvers.publisher with a
MODIFY stream record, posting the signed publish mutation to the stack), in this process.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from . import gqlclient
from .common import REGION, RESOLVER_ENV, Figure, at_most, info, latency_ms, patched_env
from .items import stored_items, ticket

TARGET = 2.0


def _bare_client(target: Any) -> Any:
    import boto3

    return boto3.session.Session().client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=target.aws_endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


RETRIES = {"connection": 0}


async def _gql(session: Any, document: Any, variables: dict[str, Any]) -> tuple[float, Any]:
    """(seconds, result) of one request. A keep-alive connection the server closed at the moment it
    was reused (TransportConnectionFailed) is retried on a new one; only the successful try counts."""
    from gql.transport.exceptions import TransportConnectionFailed

    for attempt in range(3):
        started = time.perf_counter()
        try:
            result = await session.execute(gqlclient.request(document, variables))
        except TransportConnectionFailed:
            RETRIES["connection"] += 1
            if attempt == 2:
                raise
            continue
        return time.perf_counter() - started, result
    raise AssertionError("unreachable")


async def _outbox_size(http: Any) -> int:
    return len((await http.get("/_local/outbox")).json())


async def _settled(http: Any, emails: int, timeout: float = 10.0) -> None:
    """Wait until the local outbox holds `emails` staff e-mails: the creates' pipelines have run."""
    deadline = time.monotonic() + timeout
    while await _outbox_size(http) < emails:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the outbox did not reach {emails} e-mails")
        await asyncio.sleep(0.002)


def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


async def _gql_and_bare(target: Any, count: int, updates: int) -> dict[str, list[float]]:
    from datetime import UTC, datetime

    ddb = _bare_client(target)
    table = "pitstop-bench-bare"
    from pitstop_local.bootstrap import create_table

    create_table(ddb, table)  # same design as the stack's table, so the bare put pays the same GSIs
    samples: dict[str, list[float]] = {
        k: [] for k in ("create", "put", "transact", "get_gql", "get", "update")
    }
    created: list[tuple[str, str]] = []
    with patched_env({"TABLE_NAME": table}):
        pairs = [stored_items(*ticket(datetime.now(UTC), 0, n)) for n in range(count + 3)]
        spare = [stored_items(*ticket(datetime.now(UTC), 0, n)) for n in range(count + 3)]
    items = [p[0] for p in pairs]

    def transact(pair: list[dict[str, Any]]) -> Any:  # what store.put_new sends: 2 conditional puts
        return ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}
                for item in pair
            ]
        )

    import httpx

    async with (
        httpx.AsyncClient(base_url=target.base_url) as outbox,
        gqlclient.http_client(target, gqlclient.api_key_auth(target)) as public,
    ):
        emails = await _outbox_size(outbox)
        for n in range(count + 3):  # 3 warm-ups
            create, result = await _gql(public, gqlclient.CREATE_TICKET, {"input": gqlclient.ticket_input(n)})
            new = result["createTicket"]
            created.append((new["ticket"]["id"], new["trackingToken"]))
            await _settled(outbox, emails + n + 1)
            put, _ = _timed(ddb.put_item, TableName=table, Item=items[n])
            tx, _ = _timed(transact, spare[n])
            get_gql, _ = await _gql(
                public, gqlclient.TRACK_TICKET, {"id": created[-1][0], "token": created[-1][1]}
            )
            get, _ = _timed(ddb.get_item, TableName=table, Key={"pk": items[n]["pk"]}, ConsistentRead=True)
            if n >= 3:
                samples["create"].append(create)
                samples["put"].append(put)
                samples["transact"].append(tx)
                samples["get_gql"].append(get_gql)
                samples["get"].append(get)
    async with gqlclient.http_client(target, gqlclient.staff_auth(target)) as staff:
        ticket_id = created[0][0]
        steps = ["RECEIVED"] + ["DIAGNOSING", "IN_REPAIR"] * updates
        for i, status in enumerate(steps[: updates + 1]):
            move = {"input": {"id": ticket_id, "status": status}}
            moved, _ = await _gql(staff, gqlclient.UPDATE_STATUS, move)
            if i >= 1:
                samples["update"].append(moved)
    samples["_created"] = created  # type: ignore[assignment]
    return samples


def _publisher_samples(target: Any, ticket_ids: list[str], count: int) -> list[float]:
    """resolvers.publisher.lambda_handler on one MODIFY record, as the stream mapping invokes it."""
    ddb = _bare_client(target)
    from pitstop_local.bootstrap import TABLE_NAME as table
    from pitstop_local.config import api_config as read_api_config
    from resolvers import publisher_settings

    api_config = read_api_config()
    env = {
        **RESOLVER_ENV,
        "AWS_ACCESS_KEY_ID": target.iam_access_key_id,
        "AWS_SECRET_ACCESS_KEY": target.iam_secret_access_key,
        "GRAPHQL_URL": target.graphql_url,
        "TABLE_NAME": table,
        publisher_settings.ENV: publisher_settings.environment_value(api_config["publisher"]),
    }
    images = [ddb.get_item(TableName=table, Key={"pk": {"S": f"TICKET#{i}"}})["Item"] for i in ticket_ids]
    out = []
    with patched_env(env, remove=("AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL")):
        from resolvers import publisher

        publisher.logger.setLevel("WARNING")
        for n in range(count + 3):
            image = images[n % len(images)]
            event = {
                "Records": [
                    {
                        "eventID": f"bench-{n}",
                        "eventName": "MODIFY",
                        "eventVersion": "1.1",
                        "eventSource": "aws:dynamodb",
                        "awsRegion": REGION,
                        "dynamodb": {
                            "Keys": {"pk": image["pk"]},
                            "NewImage": image,
                            # a change that causes no customer message (the publish path alone)
                            "OldImage": image,
                            "SequenceNumber": str(10**20 + n),
                            "SizeBytes": 1000,
                            "StreamViewType": "NEW_AND_OLD_IMAGES",
                        },
                        "eventSourceARN": (
                            f"arn:aws:dynamodb:{REGION}:000000000000:table/{table}/stream/bench"
                        ),
                    }
                ]
            }
            elapsed, result = _timed(publisher.lambda_handler, event, None)
            if result.get("batchItemFailures"):
                raise RuntimeError(f"publisher failed: {result}")
            if n >= 3:
                out.append(elapsed)
    return out


def run(target: Any, smoke: bool = False) -> tuple[list[Figure], dict[str, Any]]:
    count = 5 if smoke else 200
    updates = 3 if smoke else 50
    samples = asyncio.run(_gql_and_bare(target, count, updates))
    created = samples.pop("_created")  # type: ignore[arg-type]
    samples["publish"] = _publisher_samples(target, [c[0] for c in created[:10]], 5 if smoke else 50)
    ms = latency_ms(samples)
    figures = [
        at_most(
            "request path: createTicket p50 (gql) / bare PutItem p50",
            ms["create"]["p50"] / ms["put"]["p50"],
            "x",
            TARGET,
        ),
        at_most(
            "request path: ticket p50 (gql) / bare GetItem p50",
            ms["get_gql"]["p50"] / ms["get"]["p50"],
            "x",
            TARGET,
        ),
        info("request path: createTicket p50", ms["create"]["p50"], "ms"),
        info("request path: createTicket p99", ms["create"]["p99"], "ms"),
        info("request path: ticket p50", ms["get_gql"]["p50"], "ms"),
        info("request path: ticket p99", ms["get_gql"]["p99"], "ms"),
        info("request path: bare PutItem p50", ms["put"]["p50"], "ms"),
        info("request path: bare GetItem p50", ms["get"]["p50"], "ms"),
        info("request path: bare TransactWriteItems (ticket + REF) p50", ms["transact"]["p50"], "ms"),
        info(
            "request path: createTicket p50 / bare TransactWriteItems p50",
            ms["create"]["p50"] / ms["transact"]["p50"],
            "x",
        ),
        info("request path: updateTicketStatus p50", ms["update"]["p50"], "ms"),
        info("request path: publisher invocation p50", ms["publish"]["p50"], "ms"),
    ]
    details: dict[str, Any] = {k: {kk: round(vv, 3) for kk, vv in v.items()} for k, v in ms.items()}
    details["connection_retries"] = RETRIES["connection"]
    return figures, details
