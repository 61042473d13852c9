# ruff: noqa: E501 - AppSync messages are compared verbatim
"""AppSync's real-time protocol: gql's AppSyncWebsocketsTransport and raw frames for the edges."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from appsync_local.engine import create_app
from engine_testkit import API_KEY, Keys, make_settings, serve
from gql import Client, GraphQLRequest, gql
from gql.transport.appsync_auth import AppSyncApiKeyAuthentication, AppSyncJWTAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.exceptions import TransportQueryError, TransportServerError
from realtime_helpers import (
    api_key_auth,
    encode_header,
    init,
    nothing_but_ka,
    open_ws,
    publish,
    published_ticket,
    realtime_url,
    recv,
    start,
)
from websockets.asyncio.client import connect

UPDATED = "subscription($id: ID!, $token: String) { onTicketUpdated(id: $id, trackingToken: $token) { %s } }"
ACTIVITY = "subscription { onTicketActivity { %s } }"
GOOD = "good-token"


@pytest.fixture
def app(keys: Keys) -> Any:
    return create_app(make_settings(keys, keep_alive_seconds=0.2, max_subscriptions_per_connection=3))


@pytest.fixture
def base(app: Any) -> Iterator[str]:
    with serve(app) as url:
        yield url


async def wait_for_subscribers(app: Any, count: int) -> None:
    for _ in range(200):
        if app.state.engine.hub.count() >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"expected {count} subscriber(s)")


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, 30))


# -- gql ---------------------------------------------------------------------------------------------
def test_gql_api_key_subscriber_gets_its_ticket_only(app: Any, base: str) -> None:
    async def scenario() -> list[Any]:
        auth = AppSyncApiKeyAuthentication(host=base.removeprefix("http://"), api_key=API_KEY)
        transport = AppSyncWebsocketsTransport(url=realtime_url(base), auth=auth)
        received: list[Any] = []
        async with Client(transport=transport) as session:
            request = GraphQLRequest(
                UPDATED % "id status vehicle { make }", variable_values={"id": "t-9", "token": GOOD}
            )

            async def listen() -> None:
                async for result in session.subscribe(request):
                    received.append(result)
                    if len(received) == 2:
                        return

            task = asyncio.create_task(listen())
            await wait_for_subscribers(app, 1)
            await publish(base, published_ticket("t-other"), "id status vehicle { make }")
            await publish(base, published_ticket("t-9", "RECEIVED"), "id status vehicle { make }")
            await publish(base, published_ticket("t-9", "DIAGNOSING"), "id status vehicle { make }")
            await asyncio.wait_for(task, 10)
        return received

    received = run(scenario())
    assert received == [
        {"onTicketUpdated": {"id": "t-9", "status": "RECEIVED", "vehicle": {"make": "Saab"}}},
        {"onTicketUpdated": {"id": "t-9", "status": "DIAGNOSING", "vehicle": {"make": "Saab"}}},
    ]


def test_gql_staff_activity_feed_and_wrong_token(app: Any, base: str, keys: Keys) -> None:
    async def scenario() -> tuple[list[Any], Exception | None]:
        host = base.removeprefix("http://")
        staff = AppSyncWebsocketsTransport(
            url=realtime_url(base), auth=AppSyncJWTAuthentication(host=host, jwt=keys.token(groups=["staff"]))
        )
        received: list[Any] = []
        async with Client(transport=staff) as session:

            async def listen() -> None:
                async for result in session.subscribe(gql(ACTIVITY % "id customer { name }")):
                    received.append(result)
                    if len(received) == 2:
                        return

            task = asyncio.create_task(listen())
            await wait_for_subscribers(app, 1)
            await publish(base, published_ticket("t-1"), "id customer { name }")
            await publish(base, published_ticket("t-2"), "id customer { name }")
            await asyncio.wait_for(task, 10)
        refused: Exception | None = None
        customer = AppSyncWebsocketsTransport(
            url=realtime_url(base), auth=AppSyncApiKeyAuthentication(host=host, api_key=API_KEY)
        )
        async with Client(transport=customer) as session:
            try:
                async for _ in session.subscribe(
                    GraphQLRequest(UPDATED % "id", variable_values={"id": "t-9", "token": "bad"})
                ):
                    break
            except TransportQueryError as exc:
                refused = exc
        return received, refused

    received, refused = run(scenario())
    assert received == [
        {"onTicketActivity": {"id": "t-1", "customer": {"name": "Ada"}}},
        {"onTicketActivity": {"id": "t-2", "customer": {"name": "Ada"}}},
    ]
    assert refused is not None and "NotFoundError" in str(refused)


def test_gql_bad_api_key_is_a_connection_error(base: str) -> None:
    async def scenario() -> None:
        auth = AppSyncApiKeyAuthentication(host=base.removeprefix("http://"), api_key="da2-wrong")
        async with Client(transport=AppSyncWebsocketsTransport(url=realtime_url(base), auth=auth)) as session:
            async for _ in session.subscribe(gql(ACTIVITY % "id")):
                break

    with pytest.raises((TransportServerError, TransportQueryError, Exception)) as info:
        run(scenario())
    assert "UnauthorizedException" in str(info.value) or "not authorized" in str(info.value).lower()


# -- raw frames --------------------------------------------------------------------------------------
def test_subprotocol_is_required(base: str) -> None:
    async def scenario() -> list[Any]:
        out = []
        for protocols in (None, ["graphql-transport-ws"]):
            async with connect(realtime_url(base, api_key_auth(base)), subprotocols=protocols) as ws:  # type: ignore[arg-type]
                out.append(json.loads(await ws.recv()))
        return out

    no_protocol, wrong_protocol = run(scenario())
    assert no_protocol == {
        "type": "connection_error",
        "payload": {"errors": [{"message": "NoProtocolError", "errorCode": 400}]},
    }
    assert wrong_protocol["payload"]["errors"][0]["message"] == "SubProtocolNotSupportedError"


def test_connection_init_ack_and_keep_alive(base: str) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any], str | None]:
        async with await open_ws(base) as ws:
            ack = await init(ws)
            ka = await recv(ws, skip_ka=False)
            return ack, ka, ws.subprotocol

    ack, ka, protocol = run(scenario())
    assert ack == {"type": "connection_ack", "payload": {"connectionTimeoutMs": 300000}}
    assert ka == {"type": "ka"}
    assert protocol == "graphql-ws"


def test_bad_credentials_get_connection_error_then_close(base: str, keys: Keys) -> None:
    async def scenario() -> list[Any]:
        out = []
        host = base.removeprefix("http://")
        for auth in (
            {"host": host, "x-api-key": "da2-wrong"},
            {"host": host, "Authorization": keys.token(exp=1)},
            {"host": host},
        ):
            async with await open_ws(base, auth) as ws:
                out.append(json.loads(await ws.recv()))
                await asyncio.wait_for(ws.wait_closed(), 5)
        return out

    wrong_key, expired, missing = run(scenario())
    assert wrong_key == {
        "type": "connection_error",
        "payload": {
            "errors": [
                {
                    "errorType": "UnauthorizedException",
                    "message": "You are not authorized to make this call.",
                    "errorCode": 401,
                }
            ]
        },
    }
    assert expired["payload"]["errors"] == [
        {"errorType": "UnauthorizedException", "message": "Token has expired.", "errorCode": 401}
    ]
    assert missing["payload"]["errors"][0]["message"] == "Valid authorization header not provided."


def test_amplify_v6_header_subprotocol(base: str) -> None:
    async def scenario() -> tuple[dict[str, Any], str | None]:
        header = "header-" + encode_header(api_key_auth(base), urlsafe=True)
        async with connect(realtime_url(base), subprotocols=["graphql-ws", header]) as ws:  # type: ignore[list-item]
            return await init(ws), ws.subprotocol

    ack, protocol = run(scenario())
    assert ack["type"] == "connection_ack" and protocol == "graphql-ws"


def test_start_stop_complete_and_no_events_after_stop(app: Any, base: str) -> None:
    async def scenario() -> list[Any]:
        out = []
        async with await open_ws(base) as ws:
            await init(ws)
            out.append(
                await start(ws, "s1", UPDATED % "id", {"id": "t-9", "token": GOOD}, api_key_auth(base))
            )
            await publish(base, published_ticket("t-9"))
            out.append(await recv(ws))
            await ws.send(json.dumps({"type": "stop", "id": "s1"}))
            out.append(await recv(ws))
            await publish(base, published_ticket("t-9"))
            out.append(await nothing_but_ka(ws))
        return out

    ack, data, complete, quiet = run(scenario())
    assert ack == {"type": "start_ack", "id": "s1"}
    assert data == {"type": "data", "id": "s1", "payload": {"data": {"onTicketUpdated": {"id": "t-9"}}}}
    assert complete == {"type": "complete", "id": "s1"}
    assert quiet


def test_start_without_connection_init(base: str) -> None:
    async def scenario() -> dict[str, Any]:
        async with await open_ws(base) as ws:
            return await start(ws, "s1", ACTIVITY % "id", None, None)

    # the connection's API key may not read onTicketActivity (staff only)
    assert run(scenario()) == {
        "type": "error",
        "id": "s1",
        "payload": {
            "errors": [
                {
                    "errorType": "Unauthorized",
                    "message": "Not Authorized to access onTicketActivity on type Subscription",
                }
            ]
        },
    }


def test_wrong_token_gets_an_error_and_never_an_event(app: Any, base: str) -> None:
    async def scenario() -> tuple[dict[str, Any], bool]:
        async with await open_ws(base) as ws:
            await init(ws)
            error = await start(ws, "s1", UPDATED % "id", {"id": "t-9", "token": "bad"}, api_key_auth(base))
            await publish(base, published_ticket("t-9"))
            return error, await nothing_but_ka(ws)

    error, quiet = run(scenario())
    assert error == {
        "type": "error",
        "id": "s1",
        "payload": {"errors": [{"errorType": "NotFoundError", "message": "Ticket not found"}]},
    }
    assert quiet


def test_a_check_that_raises_is_lambda_unhandled_as_in_a_pipeline_function(app: Any, base: str) -> None:
    """The filtered subscription's check runs in a pipeline function: a refusal is a returned
    {errorType, errorMessage}; a raised error reaches the function as `Lambda:Unhandled`."""

    async def scenario() -> dict[str, Any]:
        async with await open_ws(base) as ws:
            await init(ws)
            return await start(ws, "s1", UPDATED % "id", {"id": "t-9", "token": "raise"}, api_key_auth(base))

    assert run(scenario()) == {
        "type": "error",
        "id": "s1",
        "payload": {"errors": [{"errorType": "Lambda:Unhandled", "message": "Ticket not found"}]},
    }


def test_two_subscriptions_duplicates_and_the_limit(app: Any, base: str, keys: Keys) -> None:
    staff = {"host": base.removeprefix("http://"), "Authorization": keys.token(groups=["staff"])}

    async def scenario() -> list[Any]:
        out = []
        async with await open_ws(base, staff) as ws:
            await init(ws)
            out.append(await start(ws, "a", ACTIVITY % "id", None, staff))
            out.append(await start(ws, "b", UPDATED % "status", {"id": "t-9"}, staff))
            out.append(await start(ws, "a", ACTIVITY % "id", None, staff))
            out.append(await start(ws, "c", ACTIVITY % "id", None, staff))
            out.append(await start(ws, "d", ACTIVITY % "id", None, staff))
            await publish(base, published_ticket("t-9"))
            events = [await recv(ws) for _ in range(3)]
            out.append(sorted((e["id"], json.dumps(e["payload"])) for e in events))
        return out

    ack_a, ack_b, duplicate, ack_c, limit, events = run(scenario())
    assert ack_a == {"type": "start_ack", "id": "a"} and ack_b == {"type": "start_ack", "id": "b"}
    assert duplicate["type"] == "error" and duplicate["id"] == "a"
    assert duplicate["payload"]["errors"][0]["errorType"] == "DuplicatedOperationError"
    assert ack_c == {"type": "start_ack", "id": "c"}
    assert limit == {
        "type": "error",
        "id": "d",
        "payload": {
            "errors": {
                "errorType": "MaxSubscriptionsReachedError",
                "message": "Max number of 3 subscriptions reached",
            }
        },
    }
    assert events == [
        ("a", json.dumps({"data": {"onTicketActivity": {"id": "t-9"}}})),
        ("b", json.dumps({"data": {"onTicketUpdated": {"status": "RECEIVED"}}})),
        ("c", json.dumps({"data": {"onTicketActivity": {"id": "t-9"}}})),
    ]


def test_malformed_frames_never_crash_the_connection(base: str) -> None:
    async def scenario() -> list[Any]:
        out = []
        async with await open_ws(base) as ws:
            await init(ws)
            for frame in (
                "not json",
                "[]",
                json.dumps({"type": "unknown"}),
                json.dumps({"type": "start", "id": ""}),
                json.dumps({"type": "start", "id": "x", "payload": {"data": "{not json"}}),
                json.dumps({"type": "start", "id": "y", "payload": "nope"}),
            ):
                await ws.send(frame)
                out.append(await recv(ws))
            await ws.send(b"\x00\x01")
            out.append(await recv(ws))
            out.append(
                await start(ws, "ok", UPDATED % "id", {"id": "t-9", "token": GOOD}, api_key_auth(base))
            )
        return out

    *errors, ack = run(scenario())
    assert all(e["type"] == "error" for e in errors)
    assert errors[2]["payload"]["errors"][0] == {
        "errorType": "UnsupportedOperation",
        "message": "unknown not supported through the realtime channel",
    }
    assert errors[3]["payload"]["errors"][0]["errorType"] == "UnsupportedOperation"
    unreadable = {
        "type": "error",
        "payload": {
            "errors": [
                {
                    "errorType": "UnsupportedOperation",
                    "message": "unknown not supported through the realtime channel",
                }
            ]
        },
    }
    assert errors[4] == unreadable and errors[5] == unreadable  # no `id`, as AppSync answers
    assert ack == {"type": "start_ack", "id": "ok"}


def test_apollo_style_start_without_payload_data(base: str) -> None:
    """Apollo / StrawberryShake send `{query, variables}` in the payload: AppSync answers with one
    error that has no `id`, and the connection stays usable."""

    async def scenario() -> list[Any]:
        async with await open_ws(base) as ws:
            await init(ws)
            payload = {"query": UPDATED % "id", "variables": {"id": "t-9", "token": GOOD}}
            await ws.send(json.dumps({"id": "s1", "type": "start", "payload": payload}))
            error = await recv(ws)
            quiet = await nothing_but_ka(ws, 0.3)
            ack = await start(ws, "s2", UPDATED % "id", {"id": "t-9", "token": GOOD}, api_key_auth(base))
            return [error, quiet, ack]

    error, quiet, ack = run(scenario())
    assert error == {
        "type": "error",
        "payload": {
            "errors": [
                {
                    "errorType": "UnsupportedOperation",
                    "message": "unknown not supported through the realtime channel",
                }
            ]
        },
    }
    assert quiet  # one answer only
    assert ack == {"type": "start_ack", "id": "s2"}


def test_invalid_documents_in_start(base: str) -> None:
    async def scenario() -> list[Any]:
        async with await open_ws(base) as ws:
            await init(ws)
            auth = api_key_auth(base)
            return [
                await start(ws, "v", 'subscription { onTicketUpdated(id: "1") { nope } }', None, auth),
                await start(ws, "q", '{ ticket(id: "t-1") { id } }', None, auth),
                await start(ws, "p", "subscription {", None, auth),
                await start(
                    ws, "k", UPDATED % "id", {"id": "t-9", "token": GOOD}, {**auth, "x-api-key": "da2-no"}
                ),
            ]

    validation, query, unparseable, bad_key = run(scenario())
    assert validation["payload"]["errors"][0]["message"] == (
        "Validation error of type FieldUndefined: Field 'nope' in type 'Ticket' is undefined @ 'onTicketUpdated/nope'"
    )
    assert query["payload"]["errors"][0]["errorType"] == "UnsupportedOperation"
    assert unparseable["payload"]["errors"][0]["message"] == "Unable to parse GraphQL query."
    assert bad_key["payload"]["errors"] == [
        {"errorType": "UnauthorizedException", "message": "You are not authorized to make this call."}
    ]


def test_payload_holds_only_what_the_mutation_selected(app: Any, base: str, keys: Keys) -> None:
    staff = {"host": base.removeprefix("http://"), "Authorization": keys.token(groups=["staff"])}

    async def scenario() -> list[Any]:
        async with await open_ws(base, staff) as ws:
            await init(ws)
            await start(
                ws, "full", ACTIVITY % "id status description vehicle { make model year }", None, staff
            )
            await start(ws, "nullable", ACTIVITY % "id customer { name }", None, staff)
            await publish(base, published_ticket("t-9"), "id status")
            first = [await recv(ws), await recv(ws)]
            await publish(
                base,
                published_ticket("t-9"),
                "id status description vehicle { make model year } customer { name }",
            )
            second = [await recv(ws), await recv(ws)]
            return sorted(first, key=lambda m: m["id"]) + sorted(second, key=lambda m: m["id"])

    full_1, nullable_1, full_2, nullable_2 = run(scenario())
    assert full_1["payload"] == {
        "data": {"onTicketActivity": None},
        "errors": [
            {
                "path": ["onTicketActivity", "description"],
                "locations": None,
                "message": "Cannot return null for non-nullable type: 'String' within parent 'Ticket' "
                "(/onTicketActivity/description)",
            }
        ],
    }
    assert nullable_1["payload"] == {"data": {"onTicketActivity": {"id": "t-9", "customer": None}}}
    assert full_2["payload"] == {
        "data": {
            "onTicketActivity": {
                "id": "t-9",
                "status": "RECEIVED",
                "description": "rattle",
                "vehicle": {"make": "Saab", "model": "900", "year": None},
            }
        }
    }
    assert nullable_2["payload"] == {"data": {"onTicketActivity": {"id": "t-9", "customer": {"name": "Ada"}}}}


def test_subscriber_mode_applies_to_nested_fields(app: Any, base: str) -> None:
    async def scenario() -> dict[str, Any]:
        async with await open_ws(base) as ws:
            await init(ws)
            await start(
                ws, "s", UPDATED % "id customer { name }", {"id": "t-9", "token": GOOD}, api_key_auth(base)
            )
            await publish(base, published_ticket("t-9"), "id customer { name }")
            return await recv(ws)

    message = run(scenario())
    assert message["payload"]["data"] == {"onTicketUpdated": {"id": "t-9", "customer": None}}
    assert message["payload"]["errors"][0]["message"] == "Not Authorized to access customer on type Ticket"


def test_oversized_events_are_dropped(keys: Keys) -> None:
    app = create_app(make_settings(keys, max_message_bytes=2048))

    async def scenario(base: str) -> tuple[bool, dict[str, Any]]:
        async with await open_ws(base) as ws:
            await init(ws)
            await start(ws, "s", UPDATED % "id description", {"id": "t-9", "token": GOOD}, api_key_auth(base))
            await publish(base, published_ticket("t-9", description="x" * 4000), "id description")
            quiet = await nothing_but_ka(ws, 0.3)
            await publish(base, published_ticket("t-9"), "id description")
            return quiet, await recv(ws)

    with serve(app) as base:
        quiet, message = run(scenario(base))
    assert quiet
    assert message["payload"]["data"]["onTicketUpdated"]["description"] == "rattle"


def test_gql_iam_connect_and_start_are_verified(base: str) -> None:
    from botocore.credentials import Credentials
    from engine_testkit import AKID, REGION, SECRET
    from gql.transport.appsync_auth import AppSyncIAMAuthentication

    async def attempt(secret: str) -> str:
        auth = AppSyncIAMAuthentication(
            host=base.removeprefix("http://"), region_name=REGION, credentials=Credentials(AKID, secret)
        )
        try:
            async with Client(
                transport=AppSyncWebsocketsTransport(url=realtime_url(base), auth=auth)
            ) as session:
                async for _ in session.subscribe(gql(ACTIVITY % "id")):
                    return "event"
        except Exception as exc:
            return str(exc)
        return "closed"

    # a valid signature connects; the subscription field itself is not readable with IAM
    assert "Not Authorized to access onTicketActivity on type Subscription" in run(attempt(SECRET))
    assert "not authorized" in run(attempt("wrong-secret")).lower()
