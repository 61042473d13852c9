"""Subscription matching (argument and enhanced filters) and payload shaping."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from appsync_local.engine import create_app
from appsync_local.engine.fanout import restrict_to_selection
from appsync_local.engine.filters import argument_match, enhanced_match, resolve_filter
from engine_testkit import Keys, make_settings, serve
from graphql import parse
from realtime_helpers import (
    api_key_auth,
    init,
    nothing_but_ka,
    open_ws,
    publish,
    published_ticket,
    recv,
    start,
)

ID_FILTER = {"filterGroup": [{"filters": [{"fieldName": "id", "operator": "eq", "valueFromArgument": "id"}]}]}


def test_enhanced_filter_eq_from_argument() -> None:
    resolved = resolve_filter(ID_FILTER, {"id": "t-1", "trackingToken": "x"})
    assert resolved == {"filterGroup": [{"filters": [{"fieldName": "id", "operator": "eq", "value": "t-1"}]}]}
    assert enhanced_match(resolved, {"id": "t-1", "status": "RECEIVED"})
    assert not enhanced_match(resolved, {"id": "t-2"})
    assert not enhanced_match(resolve_filter(ID_FILTER, {}), {"id": "t-1"})  # missing argument: null


def test_enhanced_filter_operators_and_groups() -> None:
    spec = {
        "filterGroup": [
            {
                "filters": [
                    {"fieldName": "status", "operator": "in", "value": ["RECEIVED", "IN_REPAIR"]},
                    {"fieldName": "vehicle.make", "operator": "ne", "value": "Saab"},
                ]
            },
            {"filters": [{"fieldName": "version", "operator": "ge", "value": 10}]},
        ]
    }
    resolved = resolve_filter(spec, {})
    assert enhanced_match(resolved, {"status": "RECEIVED", "vehicle": {"make": "Volvo"}, "version": 1})
    assert not enhanced_match(resolved, {"status": "RECEIVED", "vehicle": {"make": "Saab"}, "version": 1})
    assert enhanced_match(resolved, {"status": "COMPLETED", "vehicle": {"make": "Saab"}, "version": 12})
    assert not enhanced_match(resolved, {"status": "COMPLETED", "version": 2})
    others = {
        "filterGroup": [
            {
                "filters": [
                    {"fieldName": "reference", "operator": "beginsWith", "value": "PS-"},
                    {"fieldName": "tags", "operator": "containsAny", "value": ["a", "z"]},
                    {"fieldName": "version", "operator": "between", "value": [1, 3]},
                    {"fieldName": "status", "operator": "notIn", "value": ["CANCELLED"]},
                ]
            }
        ]
    }
    assert enhanced_match(others, {"reference": "PS-1", "tags": ["a"], "version": 2, "status": "RECEIVED"})
    assert not enhanced_match(
        others, {"reference": "PS-1", "tags": ["b"], "version": 2, "status": "RECEIVED"}
    )


def test_argument_filtering() -> None:
    payload = {"id": "t-1", "status": "RECEIVED", "note": None}
    assert argument_match({}, payload)
    assert argument_match({"id": "t-1"}, payload)
    assert not argument_match({"id": "t-2"}, payload)
    assert argument_match({"note": None}, payload)  # explicit null matches only null
    assert not argument_match({"status": None}, payload)
    assert not argument_match({"trackingToken": "x"}, payload)  # not a payload field: never matches


def test_restrict_to_selection_uses_field_names() -> None:
    document = parse("mutation { p(x: 1) { ident: id v: vehicle { make } ...F } } fragment F on T { status }")
    field = document.definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]
    fragments = {"F": document.definitions[1]}
    value = {"ident": "t-1", "v": {"make": "Saab"}, "status": "RECEIVED"}
    assert restrict_to_selection(value, [field.selection_set], fragments) == {
        "id": "t-1",
        "vehicle": {"make": "Saab"},
        "status": "RECEIVED",
    }


def test_argument_filtering_when_no_enhanced_filter_is_configured(keys: Keys) -> None:
    """Without the server-side filter, AppSync filters on arguments: a trackingToken argument (not a
    payload field) then filters every event out; an id-only subscription still gets its ticket."""
    config = json.loads(json.dumps(make_settings(keys).config()))
    config["subscriptionFilters"] = {}
    app = create_app(make_settings(keys, api_config=config))
    query = (
        "subscription($id: ID!, $token: String) { onTicketUpdated(id: $id, trackingToken: $token) { id } }"
    )
    id_only = "subscription($id: ID!) { onTicketUpdated(id: $id) { id } }"

    async def scenario(base: str) -> list[Any]:
        staff = {"host": base.removeprefix("http://"), "Authorization": keys.token(groups=["staff"])}
        async with await open_ws(base, staff) as ws:
            await init(ws)
            await start(ws, "with-token", query, {"id": "t-9", "token": "good-token"}, staff)
            await start(ws, "unsupplied-token", query, {"id": "t-9"}, staff)  # acts like null: filtered out
            await start(ws, "id-only", id_only, {"id": "t-9"}, staff)
            await publish(base, published_ticket("t-9"))
            first = await recv(ws)
            await publish(base, published_ticket("t-8"))
            await publish(base, published_ticket("t-9"))
            second = await recv(ws)
            quiet = await nothing_but_ka(ws, 0.3)
            return [first, second, quiet]

    with serve(app) as base:
        first, second, quiet = asyncio.run(asyncio.wait_for(scenario(base), 30))
    assert first["id"] == "id-only" and second["id"] == "id-only" and quiet


def test_publisher_mode_must_read_the_subscriber_selection(keys: Keys) -> None:
    sdl = """
    type Query { noop: String @aws_api_key }
    type Item @aws_api_key @aws_iam { id: ID!  secret: String @aws_api_key }
    input ItemInput { id: ID!  secret: String }
    type Mutation { put(item: ItemInput!): Item @aws_iam }
    type Subscription { onPut: Item @aws_subscribe(mutations: ["put"]) @aws_api_key }
    """
    config = {
        "authorization": {"default": "API_KEY", "additional": ["AWS_IAM"]},
        "dataSources": {"none": {"type": "NONE"}},
        "resolvers": {"Mutation.put": "none"},
        "noneResolverResult": {"Mutation.put": "item"},
    }
    app = create_app(make_settings(keys, schema_sdl=sdl, api_config=config))

    async def scenario(base: str) -> list[Any]:
        import httpx
        from realtime_helpers import sigv4_headers  # type: ignore[attr-defined]

        auth = api_key_auth(base)
        async with await open_ws(base) as ws:
            await init(ws)
            await start(ws, "with-secret", "subscription { onPut { id secret } }", None, auth)
            await start(ws, "id-only", "subscription { onPut { id } }", None, auth)
            body = json.dumps({"query": 'mutation { put(item: {id: "1", secret: "s"}) { id } }'})
            async with httpx.AsyncClient() as client:
                await client.post(
                    f"{base}/graphql", content=body, headers=sigv4_headers(f"{base}/graphql", body)
                )
            got = [await recv(ws)]
            with contextlib.suppress(TimeoutError):
                got.append(await recv(ws, timeout=0.5))
            return got

    with serve(app) as base:
        got = asyncio.run(asyncio.wait_for(scenario(base), 30))
    assert got == [{"type": "data", "id": "id-only", "payload": {"data": {"onPut": {"id": "1"}}}}]


def _shape_key(document: str, mode: str = "API_KEY", groups: tuple[str, ...] = ()) -> str | None:
    from appsync_local.engine.auth import AuthContext
    from appsync_local.engine.fanout import Subscriber
    from graphql import parse

    doc = parse(document)
    op = doc.definitions[0]
    fragments = {d.name.value: d for d in doc.definitions[1:]}
    return Subscriber(
        connection_id="c",
        subscription_id="s",
        field_name="onTicketUpdated",
        response_key="onTicketUpdated",
        arguments={},
        auth=AuthContext(mode=mode, groups=groups),
        executor=None,  # type: ignore[arg-type]
        selection=op.selection_set.selections[0],
        fragments=fragments,
        send=lambda message: None,
    ).shape_key


def test_event_payloads_are_shared_only_between_identical_selections_and_auth() -> None:
    """The fan-out executes one payload per shape key; what can change a payload must change the key."""
    base = "subscription A($id: ID!) { onTicketUpdated(id: $id) { id status } }"
    other_args = (
        "subscription B($id: ID!, $t: String) { onTicketUpdated(id: $id, trackingToken: $t) { id status } }"
    )
    assert _shape_key(base) == _shape_key(base)
    assert _shape_key(base) == _shape_key(other_args)  # arguments filter, they do not shape the payload
    assert _shape_key(base) != _shape_key(base.replace("status", "version"))
    assert _shape_key(base) != _shape_key(base.replace("onTicketUpdated(", "x: onTicketUpdated("))  # alias
    assert _shape_key(base) != _shape_key(base, mode="AMAZON_COGNITO_USER_POOLS", groups=("staff",))
    assert _shape_key(base, "AMAZON_COGNITO_USER_POOLS", ("staff",)) != _shape_key(
        base, "AMAZON_COGNITO_USER_POOLS", ()
    )
    with_fragment = (
        "subscription A($id: ID!) { onTicketUpdated(id: $id) { ...F } } fragment F on Ticket { id }"
    )
    assert _shape_key(with_fragment) != _shape_key(with_fragment.replace("{ id }", "{ status }"))
    variable_inside = (
        "subscription A($id: ID!, $s: Boolean!) { onTicketUpdated(id: $id) { id status @include(if: $s) } }"
    )
    assert _shape_key(variable_inside) is None  # may differ per subscriber: never shared
