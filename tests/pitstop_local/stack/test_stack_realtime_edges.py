"""The real-time protocol's edges against the real stack (real handler, real Cognito tokens from moto)."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import time
from pathlib import Path
from typing import Any

import jwt
import moto
import pytest
import websockets
from appsync_clients import CREATE_TICKET, MOVE_ID_ONLY, ON_TICKET_UPDATED, TICKET_FIELDS, Api, ticket_input
from gql import gql
from gql.transport.exceptions import TransportQueryError

UPDATED = f"""subscription U($id: ID!, $token: String) {{
  onTicketUpdated(id: $id, trackingToken: $token) {{ {TICKET_FIELDS} }}
}}"""


def header_param(auth: dict[str, str]) -> str:
    return base64.b64encode(json.dumps(auth).encode()).decode()


class Raw:
    """A hand-driven AppSync real-time connection."""

    def __init__(self, target: Any, auth: dict[str, str]) -> None:
        self.target, self.auth = target, auth

    async def __aenter__(self) -> Raw:
        url = f"{self.target.realtime_url}?header={header_param(self.auth)}&payload=e30="
        self.ws = await websockets.connect(url, subprotocols=["graphql-ws"])  # type: ignore[list-item]
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.ws.close()

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def recv(self, timeout: float = 10.0) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if message.get("type") != "ka":
                return message

    async def start(self, sid: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps({"query": query, "variables": variables})
        payload = {"data": data, "extensions": {"authorization": self.auth}}
        await self.send({"id": sid, "type": "start", "payload": payload})
        return await self.recv()


async def new_ticket(api: Api, n: int) -> tuple[dict[str, Any], str]:
    async with api.http(api.api_key_auth()) as customer:
        created = (await customer.execute(CREATE_TICKET, variable_values={"input": ticket_input(n)}))[
            "createTicket"
        ]
    return created["ticket"], created["trackingToken"]


async def move(api: Api, ticket_id: str, status: str) -> None:
    async with api.http(api.jwt_auth()) as staff:
        await staff.execute(MOVE_ID_ONLY, variable_values={"input": {"id": ticket_id, "status": status}})


async def changed(subscription: Any) -> dict[str, Any]:
    """The next event that is not the creation's own publish (which may land after the start)."""
    while True:
        event = (await subscription.next())["onTicketUpdated"]
        if event["version"] > 1:
            return dict(event)


def api_key_header(api: Api, key: str | None = None) -> dict[str, str]:
    return {"host": api.host, "x-api-key": key or api.target.api_key}


def test_no_connection_init_then_start_stop_complete(api: Api) -> None:
    async def run() -> list[dict[str, Any]]:
        ticket, token = await new_ticket(api, 21)
        async with Raw(api.target, api_key_header(api)) as raw:  # no connection_init at all
            ack = await raw.start("s1", UPDATED, {"id": ticket["id"], "token": token})
            await move(api, ticket["id"], "RECEIVED")
            data = await raw.recv()
            while data["payload"]["data"]["onTicketUpdated"]["status"] == "SUBMITTED":
                data = await raw.recv()  # the creation's own publish may land after the start
            await raw.send({"type": "stop", "id": "s1"})
            complete = await raw.recv()
            await move(api, ticket["id"], "DIAGNOSING")
            with pytest.raises(TimeoutError):
                await raw.recv(timeout=1.0)  # stopped: nothing more
            return [ack, data, complete]

    ack, data, complete = asyncio.run(run())
    assert ack == {"type": "start_ack", "id": "s1"}
    assert data["type"] == "data" and data["id"] == "s1"
    assert data["payload"]["data"]["onTicketUpdated"]["status"] == "RECEIVED"
    assert complete == {"type": "complete", "id": "s1"}


def test_wrong_token_gets_an_error_and_never_an_event(api: Api) -> None:
    async def run() -> tuple[dict[str, Any], bool]:
        ticket, _ = await new_ticket(api, 22)
        async with Raw(api.target, api_key_header(api)) as raw:
            await raw.send({"type": "connection_init"})
            assert (await raw.recv())["type"] == "connection_ack"
            refused = await raw.start("w", UPDATED, {"id": ticket["id"], "token": "not-the-token"})
            await move(api, ticket["id"], "RECEIVED")
            try:
                await raw.recv(timeout=1.5)
            except TimeoutError:
                return refused, True
            return refused, False

    refused, silent = asyncio.run(run())
    assert refused["type"] == "error" and refused["id"] == "w"
    assert refused["payload"]["errors"][0]["errorType"] == "NotFoundError"
    assert silent


def test_two_subscriptions_on_one_connection_each_get_their_ticket(api: Api) -> None:
    async def run() -> tuple[dict[str, Any], dict[str, Any], str, str]:
        (first, t1), (second, t2) = await new_ticket(api, 23), await new_ticket(api, 24)
        async with api.realtime(api.api_key_auth()) as ws:
            sub1 = await api.subscribe(ws, ON_TICKET_UPDATED, {"id": first["id"], "token": t1})
            sub2 = await api.subscribe(ws, ON_TICKET_UPDATED, {"id": second["id"], "token": t2})
            await move(api, second["id"], "RECEIVED")
            await move(api, first["id"], "CANCELLED")
            got1, got2 = await changed(sub1), await changed(sub2)
            await sub1.stop()
            await sub2.stop()
        return got1, got2, first["id"], second["id"]

    got1, got2, first_id, second_id = asyncio.run(run())
    assert (got1["id"], got1["status"]) == (first_id, "CANCELLED")
    assert (got2["id"], got2["status"]) == (second_id, "RECEIVED")


def test_unknown_subscription_is_a_validation_error(api: Api) -> None:
    async def run() -> None:
        async with api.realtime(api.api_key_auth()) as ws:
            await api.subscribe(ws, gql("subscription { onSomethingElse { id } }"))

    with pytest.raises(TransportQueryError) as refused:
        asyncio.run(run())
    assert "FieldUndefined" in str(refused.value)


def connection_answer(api: Api, auth: dict[str, str]) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        async with Raw(api.target, auth) as raw:
            await raw.send({"type": "connection_init"})
            return await raw.recv()

    return asyncio.run(run())


def test_bad_api_key_is_a_connection_error_then_the_socket_closes(api: Api) -> None:
    """AppSync's form since 2023 (the 2021 one was `com.amazonaws.deepdish…` with code 400)."""

    async def run() -> dict[str, Any]:
        async with Raw(api.target, api_key_header(api, "da2-notthekey00000000000000000")) as raw:
            await raw.send({"type": "connection_init"})
            answer = await raw.recv()
            await asyncio.wait_for(raw.ws.wait_closed(), 10)  # the server closes the socket
            return answer

    answer = asyncio.run(run())
    assert answer == {
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


def test_apollo_style_start_is_one_error_without_an_id(api: Api) -> None:
    """Apollo / StrawberryShake put `{query, variables}` in the payload instead of `data`."""

    async def run() -> dict[str, Any]:
        async with Raw(api.target, api_key_header(api, api.target.api_key)) as raw:
            await raw.send({"type": "connection_init"})
            assert (await raw.recv())["type"] == "connection_ack"
            payload = {"query": UPDATED, "variables": {"id": "x"}, "extensions": {"authorization": raw.auth}}
            await raw.send({"id": "apollo-1", "type": "start", "payload": payload})
            return await raw.recv()

    assert asyncio.run(run()) == {
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


def moto_signed(claims: dict[str, Any]) -> str:
    """A token signed with moto's own key (what moto's Cognito signs with)."""
    resource = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz"
    key = jwt.PyJWK(json.loads(gzip.decompress(resource.read_bytes())))
    return jwt.encode(claims, key.key, algorithm="RS256", headers={"kid": "dummy"})


def test_expired_or_foreign_jwt_is_a_connection_error(api: Api, local_only: Any) -> None:
    real = jwt.decode(local_only.staff_id_token(), options={"verify_signature": False})
    valid = moto_signed(real)
    expired = moto_signed({**real, "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600})
    foreign = moto_signed({**real, "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"})
    other_client = moto_signed({**real, "aud": "someotherclient"})
    assert connection_answer(api, {"host": api.host, "Authorization": valid})["type"] == "connection_ack"
    for token in (expired, foreign, other_client, valid[:-4] + "AAAA"):
        answer = connection_answer(api, {"host": api.host, "Authorization": token})
        assert answer["type"] == "connection_error", answer
