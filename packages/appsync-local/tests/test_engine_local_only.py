"""The engine answers loopback host names only, CORS on /graphql only, signed payloads, bounded bodies.

Real uvicorn, real httpx / websockets clients.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from appsync_local.engine import create_app
from engine_testkit import API_KEY, Keys, make_settings, serve, sigv4_headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

QUERY = json.dumps({"query": "{ __typename }"})
EVIL = "http://evil.example"
BODY_LIMIT = 4096


@pytest.fixture(scope="module")
def served(keys: Keys) -> Iterator[dict[str, Any]]:
    """The engine with a state-changing route of the embedding stack's kind (like /_local/*)."""
    pokes: list[str] = []

    async def poke(_: Request) -> Response:
        pokes.append("poked")
        return JSONResponse({"ok": True})

    async def state(_: Request) -> Response:
        return JSONResponse(pokes)

    settings = make_settings(
        keys,
        extra_routes=[Route("/_local/poke", poke, methods=["POST"]), Route("/_local/state", state)],
        max_request_body_bytes=BODY_LIMIT,
    )
    with serve(create_app(settings)) as url:
        yield {"url": url, "pokes": pokes}


def _api_key() -> dict[str, str]:
    return {"x-api-key": API_KEY, "content-type": "application/json"}


# ------------------------------------------------------------------ Host (DNS rebinding)


@pytest.mark.parametrize("path", ["/graphql", "/_local/state"])
def test_a_foreign_host_header_is_refused(served: dict[str, Any], path: str) -> None:
    port = urlsplit(served["url"]).port
    response = httpx.post(
        f"{served['url']}{path}", content=QUERY, headers={**_api_key(), "Host": f"evil.example:{port}"}
    )
    assert response.status_code == 421
    assert "access-control-allow-origin" not in response.headers


def test_loopback_names_are_answered(served: dict[str, Any]) -> None:
    port = urlsplit(served["url"]).port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        response = httpx.post(f"{served['url']}/graphql", content=QUERY, headers={**_api_key(), "Host": host})
        assert response.status_code == 200, host


def test_a_stack_port_is_enforced(keys: Keys) -> None:
    with serve(create_app(make_settings(keys, port=1))) as url:  # not the port it listens on
        response = httpx.post(f"{url}/graphql", content=QUERY, headers=_api_key())
    assert response.status_code == 421


def test_websocket_upgrade_with_a_foreign_host_is_refused(served: dict[str, Any]) -> None:
    ws_url = served["url"].replace("http://", "ws://") + "/graphql/realtime"
    port = urlsplit(served["url"]).port

    async def attempt(host: str) -> None:
        async with connect(
            ws_url, subprotocols=["graphql-ws"], additional_headers={"Host": host}, open_timeout=20
        ):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(attempt(f"rebound.example:{port}"))
    assert refused.value.response.status_code == 421
    asyncio.run(attempt(f"127.0.0.1:{port}"))  # the same upgrade with our own name is accepted


# ------------------------------------------------------------------ CORS and cross-site writes


def test_graphql_answers_cors_preflight_from_any_origin(served: dict[str, Any]) -> None:
    response = httpx.options(
        f"{served['url']}/graphql",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key,content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"


def test_other_routes_send_no_cors_headers(served: dict[str, Any]) -> None:
    read = httpx.get(f"{served['url']}/_local/state", headers={"Origin": EVIL})
    assert read.status_code == 200
    assert "access-control-allow-origin" not in read.headers
    preflight = httpx.options(
        f"{served['url']}/_local/poke",
        headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://localhost:1"},
    ],
)
def test_cross_site_writes_to_other_routes_are_refused(
    served: dict[str, Any], headers: dict[str, str]
) -> None:
    before = len(served["pokes"])
    response = httpx.post(f"{served['url']}/_local/poke", content=b"x=1", headers=headers)
    assert response.status_code == 403
    assert len(served["pokes"]) == before


def test_same_origin_and_non_browser_writes_pass(served: dict[str, Any]) -> None:
    before = len(served["pokes"])
    own = {"Origin": served["url"], "Sec-Fetch-Site": "same-origin"}
    assert httpx.post(f"{served['url']}/_local/poke", headers=own).status_code == 200
    assert httpx.post(f"{served['url']}/_local/poke").status_code == 200  # curl, moto: no Origin
    assert len(served["pokes"]) == before + 2


# ------------------------------------------------------------------ SigV4 covers the body


def test_sigv4_body_swapped_after_signing_is_refused(served: dict[str, Any]) -> None:
    url = f"{served['url']}/graphql"
    signed = sigv4_headers(url, QUERY, **{"X-Amz-Content-SHA256": hashlib.sha256(QUERY.encode()).hexdigest()})
    assert httpx.post(url, content=QUERY, headers=signed).status_code == 200
    other = json.dumps({"query": "{ __schema { queryType { name } } }"})
    response = httpx.post(url, content=other, headers=signed)
    assert response.status_code == 401
    assert response.json()["errors"][0]["errorType"] == "UnauthorizedException"


def test_sigv4_unsigned_payload_is_refused(served: dict[str, Any]) -> None:
    url = f"{served['url']}/graphql"
    signed = sigv4_headers(url, QUERY, **{"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    response = httpx.post(url, content=QUERY, headers=signed)
    assert response.status_code == 401


# ------------------------------------------------------------------ body size, before auth


def test_a_body_over_the_limit_is_refused_before_auth(served: dict[str, Any]) -> None:
    padding = " " * BODY_LIMIT
    big = json.dumps({"query": "{ __typename }" + padding})
    for headers in ({"content-type": "application/json"}, _api_key()):  # no credentials, then valid ones
        response = httpx.post(f"{served['url']}/graphql", content=big, headers=headers)
        assert response.status_code == 413
        assert response.json()["errors"][0]["errorType"] == "MalformedHttpRequestException"
    fits = json.dumps({"query": "{ __typename }" + " " * (BODY_LIMIT - 100)})
    assert httpx.post(f"{served['url']}/graphql", content=fits, headers=_api_key()).status_code == 200


def test_a_chunked_body_over_the_limit_is_refused(served: dict[str, Any]) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ __typename }'
        for _ in range(4 * 1024):  # 4 MB in all, no Content-Length
            yield b" " * 1024
        yield b'"}'

    response = httpx.post(f"{served['url']}/graphql", content=chunks(), headers=_api_key())
    assert response.status_code == 413


def test_a_declared_30mb_body_is_refused_without_reading_it(served: dict[str, Any]) -> None:
    """Headers only: the answer comes although none of the 30 MB is ever sent."""
    parts = urlsplit(served["url"])
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(
            (
                f"POST /graphql HTTP/1.1\r\nHost: {parts.netloc}\r\nx-api-key: {API_KEY}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {30 * 1024 * 1024}\r\n\r\n"
            ).encode()
        )
        status_line = sock.recv(4096).split(b"\r\n", 1)[0]
    assert status_line.split()[1] == b"413"
