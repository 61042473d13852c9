"""Where AppSync's behaviour is easy to get wrong: arguments bound to unsupplied variables, the
subscription check's pipeline event, and a list published to a filtered subscription."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from appsync_local.engine import create_app
from engine_testkit import Keys, api_key_headers, make_settings, serve, sigv4_headers, staff_headers
from realtime_helpers import api_key_auth, init, nothing_but_ka, open_ws, recv, start

TRACK = "query($id: ID!, $token: String) { ticket(id: $id, trackingToken: $token) { id } }"
UPDATED = "subscription($id: ID!, $token: String) { onTicketUpdated(id: $id, trackingToken: $token) { id } }"


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, 30))


@pytest.fixture
def base(keys: Keys) -> Iterator[str]:
    with serve(create_app(make_settings(keys))) as url:
        yield url


def post(base: str, query: str, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables})
    response = httpx.post(f"{base}/graphql", content=body, headers=headers, timeout=10)
    return dict(response.json())


# -- arguments ---------------------------------------------------------------------------------------
def test_a_declared_but_unsupplied_variable_reaches_the_resolver_as_null(
    base: str, events: list[Any]
) -> None:
    """AppSync passes `trackingToken: null` when `$token` is declared and not sent; an argument the
    document leaves out stays out (https://github.com/aws/aws-appsync-community/issues/348)."""
    headers = api_key_headers()
    post(base, TRACK, {"id": "t-1"}, headers)
    post(base, TRACK, {"id": "t-1", "token": "abc"}, headers)
    post(base, '{ ticket(id: "t-1") { id } }', {}, headers)
    unsupplied, supplied, left_out = (e["arguments"] for e in events)
    assert unsupplied == {"id": "t-1", "trackingToken": None}
    assert supplied == {"id": "t-1", "trackingToken": "abc"}
    assert left_out == {"id": "t-1"}


def test_the_subscription_check_gets_the_pipeline_event(base: str, events: list[Any], keys: Keys) -> None:
    """The check runs as the pipeline's function after an empty before-handler: `prev` is
    {"result": {}}; an unsupplied `$token` is an explicit null there too."""
    staff = {"host": base.removeprefix("http://"), **staff_headers(keys)}

    async def scenario() -> dict[str, Any]:
        async with await open_ws(base, staff) as ws:
            await init(ws)
            return await start(ws, "s", UPDATED, {"id": "t-9"}, staff)

    assert run(scenario()) == {"type": "start_ack", "id": "s"}
    (event,) = events
    assert event["prev"] == {"result": {}}
    assert event["arguments"] == {"id": "t-9", "trackingToken": None}
    assert event["info"]["fieldName"] == "onTicketUpdated"


# -- a list published to a filtered subscription -------------------------------------------------------
LIST_SDL = """
type Item @aws_api_key @aws_iam {
  id: ID!
  group: String
}
input ItemInput {
  id: ID!
  group: String
}
type Query {
  item(id: ID!): Item
}
type Mutation {
  publishItems(items: [ItemInput!]!): [Item] @aws_iam
}
type Subscription {
  onGroupItems(group: String!): [Item] @aws_subscribe(mutations: ["publishItems"])
  onAllItems: [Item] @aws_subscribe(mutations: ["publishItems"])
}
"""
LIST_CONFIG = {
    "authorization": {"default": "API_KEY", "additional": ["AWS_IAM"]},
    "dataSources": {"none": {"type": "NONE"}},
    "resolvers": {"Mutation.publishItems": "none"},
    "noneResolverResult": {"Mutation.publishItems": "items"},
    "subscriptionFilters": {
        "Subscription.onGroupItems": {
            "filterGroup": [
                {"filters": [{"fieldName": "group", "operator": "eq", "valueFromArgument": "group"}]}
            ]
        }
    },
}


def test_a_list_payload_reaches_no_filtered_subscriber(keys: Keys) -> None:
    """AppSync ignores the data a mutation publishes as a top-level list to a filtered subscription
    (enhanced filtering's restrictions): the filtered subscriber gets nothing, even for items its
    filter would pass; an unfiltered one gets the list."""
    app = create_app(make_settings(keys, api_config=LIST_CONFIG, schema_sdl=LIST_SDL))
    items = [{"id": "1", "group": "a"}, {"id": "2", "group": "b"}]

    async def scenario(base: str) -> tuple[Any, Any, bool, dict[str, Any]]:
        async with await open_ws(base) as ws:
            await init(ws)
            auth = api_key_auth(base)
            filtered = await start(
                ws, "f", 'subscription { onGroupItems(group: "a") { id group } }', None, auth
            )
            unfiltered = await start(ws, "u", "subscription { onAllItems { id group } }", None, auth)
            body = json.dumps(
                {
                    "query": "mutation($i: [ItemInput!]!) { publishItems(items: $i) { id group } }",
                    "variables": {"i": items},
                }
            )
            url = f"{base}/graphql"
            async with httpx.AsyncClient() as client:
                published = await client.post(url, content=body, headers=sigv4_headers(url, body), timeout=10)
            assert published.json() == {"data": {"publishItems": items}}
            delivered = await recv(ws)
            return filtered, unfiltered, await nothing_but_ka(ws, 0.5), delivered

    with serve(app) as base:
        filtered, unfiltered, quiet, delivered = run(scenario(base))
    assert filtered == {"type": "start_ack", "id": "f"}
    assert unfiltered == {"type": "start_ack", "id": "u"}
    assert delivered == {"type": "data", "id": "u", "payload": {"data": {"onAllItems": items}}}
    assert quiet  # nothing for "f"


# -- AWSTime ---------------------------------------------------------------------------------------------
TIME_SDL = """
type Query {
  now: AWSTime
}
type Mutation {
  echoTime(time: AWSTime!): AWSTime
}
"""
TIME_CONFIG = {
    "authorization": {"default": "API_KEY", "additional": []},
    "dataSources": {"none": {"type": "NONE"}},
    "resolvers": {"Mutation.echoTime": "none"},
    "noneResolverResult": {"Mutation.echoTime": "time"},
}


def test_aws_time_may_end_in_a_bare_dot(keys: Keys) -> None:
    """AWS's scalar docs list "12:00:34." as a valid AWSTime; "12:00." stays invalid."""
    app = create_app(make_settings(keys, api_config=TIME_CONFIG, schema_sdl=TIME_SDL))
    query = "mutation($t: AWSTime!) { echoTime(time: $t) }"
    with serve(app) as base:
        dotted = post(base, query, {"t": "12:00:34."}, api_key_headers())
        literal = post(base, 'mutation { echoTime(time: "12:00:34.") }', {}, api_key_headers())
        bad = post(base, query, {"t": "12:00."}, api_key_headers())
    assert dotted == {"data": {"echoTime": "12:00:34."}}
    assert literal == {"data": {"echoTime": "12:00:34."}}
    assert bad["data"] is None
    assert bad["errors"][0]["message"] == (
        "Variable 't' has an invalid value. Unable to parse `12:00.` as a valid Time."
    )
