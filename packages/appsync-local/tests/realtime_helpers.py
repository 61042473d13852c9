"""Helpers for the real-time tests: a raw AppSync WebSocket client and a signed publisher."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx
from engine_testkit import API_KEY, sigv4_headers
from websockets.asyncio.client import ClientConnection, connect

PUBLISH = "mutation($t: PublishedTicketInput!) { publishTicketChange(ticket: $t) { %s } }"


def published_ticket(ticket_id: str = "t-9", status: str = "RECEIVED", **extra: Any) -> dict[str, Any]:
    return {
        "id": ticket_id,
        "reference": "PS-ZZZZZZ",
        "status": status,
        "vehicle": {"make": "Saab", "model": "900"},
        "description": "rattle",
        "customer": {"name": "Ada", "email": "ada@example.com"},
        "history": [{"status": "SUBMITTED", "at": "2024-01-01T00:00:00Z"}],
        "version": 2,
        "createdAt": "2024-01-01T00:00:00Z",
        "updatedAt": "2024-01-01T00:00:00Z",
        **extra,
    }


async def publish(base: str, ticket: dict[str, Any], selection: str = "id status") -> dict[str, Any]:
    """The backend publisher: an IAM-signed publishTicketChange."""
    body = json.dumps({"query": PUBLISH % selection, "variables": {"t": ticket}})
    headers = sigv4_headers(f"{base}/graphql", body)
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{base}/graphql", content=body, headers=headers, timeout=10)
    return dict(response.json())


def encode_header(headers: dict[str, str], urlsafe: bool = False) -> str:
    raw = json.dumps(headers).encode()
    if urlsafe:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return base64.b64encode(raw).decode()


def realtime_url(base: str, headers: dict[str, str] | None = None) -> str:
    url = base.replace("http://", "ws://") + "/graphql/realtime"
    if headers is None:
        return url
    return f"{url}?header={encode_header(headers)}&payload=e30="


def api_key_auth(base: str, key: str = API_KEY) -> dict[str, str]:
    return {"host": base.removeprefix("http://"), "x-api-key": key}


async def open_ws(
    base: str, auth: dict[str, str] | None = None, subprotocols: list[str] | None = None
) -> ClientConnection:
    url = realtime_url(base, auth if auth is not None else api_key_auth(base))
    return await connect(url, subprotocols=subprotocols or ["graphql-ws"])  # type: ignore[list-item]


async def recv(ws: ClientConnection, timeout: float = 5.0, skip_ka: bool = True) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if not (skip_ka and message.get("type") == "ka"):
            return dict(message)


async def nothing_but_ka(ws: ClientConnection, seconds: float = 0.5) -> bool:
    """True when only keep-alives arrive within `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    try:
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return True
            message = json.loads(await asyncio.wait_for(ws.recv(), remaining))
            if message.get("type") != "ka":
                return False
    except TimeoutError:
        return True


async def init(ws: ClientConnection) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "connection_init"}))
    return await recv(ws)


def start_message(
    sid: str, query: str, variables: dict[str, Any] | None = None, auth: dict[str, str] | None = None
) -> str:
    data = json.dumps({"query": query, "variables": variables or {}})
    payload: dict[str, Any] = {"data": data}
    if auth is not None:
        payload["extensions"] = {"authorization": auth}
    return json.dumps({"id": sid, "type": "start", "payload": payload})


async def start(
    ws: ClientConnection,
    sid: str,
    query: str,
    variables: dict[str, Any] | None = None,
    auth: dict[str, str] | None = None,
) -> dict[str, Any]:
    await ws.send(start_message(sid, query, variables, auth))
    return await recv(ws)
