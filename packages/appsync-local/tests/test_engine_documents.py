"""Document work over real HTTP: fragments expanded once per selection set, costly documents kept off
the event loop, a field bound before validation, invalid documents cached."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import httpx
from appsync_local.engine import create_app
from engine_testkit import api_key_headers, make_settings, serve, sigv4_headers
from realtime_helpers import api_key_auth, init, open_ws, published_ticket, recv, start

# Each level spreads the next fragment twice: expanded per use, the last one is reached 2**30 times
# (hours); expanded once per selection set, 30 times. The generous timeouts below only catch a hang.
LEVELS = 30
TIMEOUT = 60.0


def bomb(fragment: str, type_name: str, leaf: str) -> str:
    levels = [
        f"fragment {fragment}{i} on {type_name} {{ ...{fragment}{i + 1} ...{fragment}{i + 1} }}"
        for i in range(LEVELS)
    ]
    return "\n".join([*levels, f"fragment {fragment}{LEVELS} on {type_name} {{ {leaf} }}"])


def post(base: str, query: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(
        f"{base}/graphql", json={"query": query}, headers=headers or api_key_headers(), timeout=TIMEOUT
    )


def test_a_fragment_bomb_on_a_mutation_is_answered(keys: Any) -> None:
    with serve(create_app(make_settings(keys))) as base:
        response = post(base, "mutation { ...M0 }\n" + bomb("M", "Mutation", "__typename"))
    assert response.json() == {"data": {"__typename": "Mutation"}}


def test_a_fragment_bomb_reaches_the_resolver_as_its_fields(keys: Any, events: list[Any]) -> None:
    query = '{ ticket(id: "t-1") { ...T0 } }\n' + bomb("T", "Ticket", "id vehicle { make }")
    with serve(create_app(make_settings(keys))) as base:
        response = post(base, query)
    assert response.json() == {"data": {"ticket": {"id": "t-1", "vehicle": {"make": "Volvo"}}}}
    assert len(events) == 1
    assert events[0]["info"]["selectionSetList"] == ["id", "vehicle", "vehicle/make"]


def test_a_fragment_bomb_is_published_and_delivered(keys: Any) -> None:
    subscription = (
        "subscription($id: ID!, $token: String) { onTicketUpdated(id: $id, trackingToken: $token)"
        " { ...S0 } }\n" + bomb("S", "Ticket", "id status")
    )
    mutation = "mutation($t: PublishedTicketInput!) { publishTicketChange(ticket: $t) { ...P0 } }\n" + bomb(
        "P", "Ticket", "id status description"
    )

    async def scenario(base: str) -> dict[str, Any]:
        async with await open_ws(base) as ws:
            await init(ws)
            ack = await start(ws, "s", subscription, {"id": "t-9", "token": "good-token"}, api_key_auth(base))
            assert ack["type"] == "start_ack", ack
            body = json.dumps({"query": mutation, "variables": {"t": published_ticket("t-9")}})
            async with httpx.AsyncClient() as client:
                published = await client.post(
                    f"{base}/graphql",
                    content=body,
                    headers=sigv4_headers(f"{base}/graphql", body),
                    timeout=TIMEOUT,
                )
            assert published.json()["data"]["publishTicketChange"]["id"] == "t-9", published.text
            return await recv(ws, timeout=TIMEOUT)

    with serve(create_app(make_settings(keys))) as base:
        message = asyncio.run(scenario(base))
    assert message["payload"]["data"] == {"onTicketUpdated": {"id": "t-9", "status": "RECEIVED"}}


def _costly(n: int) -> str:
    """Valid, and slow to validate: n same-named fields, which field merging compares pairwise."""
    return "{ " + " ".join(f'a{i}: ticket(id: "t-{i}") {{ id }}' for i in range(n)) + " }"


def test_a_costly_document_does_not_hold_up_other_clients(keys: Any) -> None:
    # The field bound is raised so that this document is validated (for seconds, not milliseconds):
    # meanwhile a simple request must be answered. Validated on the event loop, it would wait.
    settings = make_settings(keys, max_query_fields=10_000, max_query_tokens=100_000, resolver_count_limit=1)
    app = create_app(settings)
    costly: dict[str, httpx.Response] = {}
    with serve(app) as base:
        assert post(base, "{ __typename }").status_code == 200  # the simple document, cached
        worker = threading.Thread(target=lambda: costly.update(r=post(base, _costly(1200))))
        worker.start()
        try:
            time.sleep(0.5)  # let it arrive (ordering only; with the fix nothing depends on it)
            simple = post(base, "{ __typename }")
            answered_while_costly_ran = worker.is_alive()
        finally:
            worker.join(TIMEOUT * 4)
    assert simple.json() == {"data": {"__typename": "Query"}}
    assert answered_while_costly_ran
    assert costly["r"].json()["data"]["a0"] == {"id": "t-0"}


def test_too_many_fields_are_refused_before_validation(keys: Any, events: list[Any]) -> None:
    query = "{ " + " ".join(f'a{i}: ticket(id: "i") {{ id }}' for i in range(600)) + " }"
    with serve(create_app(make_settings(keys))) as base:
        body = post(base, query).json()
    assert body["data"] is None
    assert [e["errorType"] for e in body["errors"]] == ["QueryTooComplex"]
    assert body["errors"][0]["message"].startswith("The query selects more than 500 fields")
    assert events == []


def test_invalid_documents_are_checked_once(keys: Any) -> None:
    query = "{ " + " ".join(f'a{i}: ticket(id: "i") {{ nope }}' for i in range(50)) + " }"
    app = create_app(make_settings(keys))
    with serve(app) as base:
        first = post(base, query).json()
        cached = app.state.engine.documents.cached(query)
        second = post(base, query).json()
    assert first == second and first["data"] is None
    assert len(first["errors"]) == 50
    assert first["errors"][0]["message"] == (
        "Validation error of type FieldUndefined: Field 'nope' in type 'Ticket' is undefined @ 'ticket/nope'"
    )
    assert cached == first["errors"]
