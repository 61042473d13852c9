"""Photos through the running local stack: gql mutations, the browser's form POST to the URL the
mutation returns (moto's S3), confirm, the presigned GET, and the event subscribers receive.

moto's S3 does not enforce a POST policy (it stores what is posted), so these tests prove the confirm
step's checks; tests/resolvers/test_photos.py checks the policy document that S3 enforces when deployed.
"""

from __future__ import annotations

import asyncio
import json
import struct
import zlib
from typing import Any

import pytest
import requests
from appsync_clients import Api, ticket_input
from gql import gql
from gql.transport.exceptions import TransportQueryError

PHOTO_FIELDS = "id status contentType size url uploadedBy visibleToCustomer caption createdAt"
CREATE = gql(
    "mutation C($input: CreateTicketInput!) { createTicket(input: $input) { ticket { id } trackingToken } }"
)
REQUEST = gql(
    f"""mutation R($input: RequestPhotoUploadInput!) {{
  requestPhotoUpload(input: $input) {{ photo {{ {PHOTO_FIELDS} }} url fields expiresAt }} }}"""
)
CONFIRM = gql(
    f"""mutation F($t: ID!, $token: String, $p: ID!) {{
  confirmPhotoUpload(ticketId: $t, trackingToken: $token, photoId: $p) {{ {PHOTO_FIELDS} }} }}"""
)
SHOW = gql(
    f"""mutation V($t: ID!, $p: ID!, $v: Boolean!) {{
  setPhotoVisibility(ticketId: $t, photoId: $p, visibleToCustomer: $v) {{ {PHOTO_FIELDS} }} }}"""
)
TRACK = gql(
    f"""query T($id: ID!, $token: String) {{ ticket(id: $id, trackingToken: $token) {{
  id version photos {{ {PHOTO_FIELDS} }} }} }}"""
)
UPDATED = gql(
    f"""subscription U($id: ID!, $token: String) {{ onTicketUpdated(id: $id, trackingToken: $token) {{
  id version photos {{ {PHOTO_FIELDS} }} }} }}"""
)


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb0043000101010101ffd9")


def post(upload: dict[str, Any], data: bytes, content_type: str) -> requests.Response:
    """What the page does: a multipart form POST of the fields, then the file, to the returned URL."""
    fields = json.loads(upload["fields"])
    return requests.post(
        upload["url"], data=fields, files={"file": ("photo", data, content_type)}, timeout=30
    )


async def _new_ticket(api: Api) -> tuple[str, str]:
    async with api.http(api.api_key_auth()) as s:
        created = (await s.execute(CREATE, {"input": ticket_input(7)}))["createTicket"]
    return created["ticket"]["id"], created["trackingToken"]


async def _customer(api: Api, document: Any, variables: dict[str, Any]) -> Any:
    async with api.http(api.api_key_auth()) as s:
        return await s.execute(document, variables)


async def _staff(api: Api, document: Any, variables: dict[str, Any]) -> Any:
    async with api.http(api.jwt_auth()) as s:
        return await s.execute(document, variables)


@pytest.mark.parametrize(
    ("data", "content_type"), [(png(), "image/png"), (JPEG, "image/jpeg")], ids=["png", "jpeg"]
)
def test_post_confirm_get_returns_the_same_bytes(
    local_only: Any, api: Api, data: bytes, content_type: str
) -> None:
    async def run() -> None:
        ticket_id, token = await _new_ticket(api)
        upload = (
            await _customer(
                api,
                REQUEST,
                {
                    "input": {
                        "ticketId": ticket_id,
                        "trackingToken": token,
                        "contentType": content_type,
                        "size": len(data),
                    }
                },
            )
        )["requestPhotoUpload"]
        assert upload["url"] == f"{local_only.aws_endpoint_url}/pitstop-photos"  # path style, the local S3
        response = await asyncio.to_thread(post, upload, data, content_type)
        assert response.status_code == 204, response.text
        photo_id = upload["photo"]["id"]
        confirmed = (await _customer(api, CONFIRM, {"t": ticket_id, "token": token, "p": photo_id}))[
            "confirmPhotoUpload"
        ]
        assert confirmed["status"] == "READY"
        got = await asyncio.to_thread(requests.get, confirmed["url"], timeout=30)
        assert got.status_code == 200 and got.content == data
        listed = (await _customer(api, TRACK, {"id": ticket_id, "token": token}))["ticket"]["photos"]
        assert [(p["id"], p["status"]) for p in listed] == [(photo_id, "READY")]

    asyncio.run(run())


def test_text_declared_as_png_is_rejected_and_gone(local_only: Any, api: Api) -> None:
    async def run() -> None:
        ticket_id, token = await _new_ticket(api)
        text = b"definitely not a picture\n" * 4
        upload = (
            await _customer(
                api,
                REQUEST,
                {
                    "input": {
                        "ticketId": ticket_id,
                        "trackingToken": token,
                        "contentType": "image/png",
                        "size": len(text),
                    }
                },
            )
        )["requestPhotoUpload"]
        assert (await asyncio.to_thread(post, upload, text, "image/png")).status_code == 204
        photo_id = upload["photo"]["id"]
        rejected = (await _customer(api, CONFIRM, {"t": ticket_id, "token": token, "p": photo_id}))[
            "confirmPhotoUpload"
        ]
        assert rejected["status"] == "REJECTED" and rejected["url"] is None
        key = json.loads(upload["fields"])["key"]
        gone = await asyncio.to_thread(requests.get, f"{upload['url']}/{key}", timeout=30)
        assert gone.status_code in (403, 404)  # moto: 404 NoSuchKey

    asyncio.run(run())


def _error_type(exc: TransportQueryError) -> str | None:
    return (exc.errors or [{}])[0].get("errorType")


def test_too_big_and_the_eleventh_photo_are_validation_errors(local_only: Any, api: Api) -> None:
    async def run() -> None:
        ticket_id, token = await _new_ticket(api)

        def ask(size: int) -> dict[str, Any]:
            return {
                "input": {
                    "ticketId": ticket_id,
                    "trackingToken": token,
                    "contentType": "image/jpeg",
                    "size": size,
                }
            }

        with pytest.raises(TransportQueryError) as too_big:
            await _customer(api, REQUEST, ask(11 * 2**20))
        assert _error_type(too_big.value) == "ValidationError" and "size" in str(too_big.value)
        for _ in range(10):
            await _customer(api, REQUEST, ask(100))
        with pytest.raises(TransportQueryError) as eleventh:
            await _customer(api, REQUEST, ask(100))
        assert _error_type(eleventh.value) == "ValidationError"
        assert "10 customer photos, the most" in str(eleventh.value)

    asyncio.run(run())


def test_hidden_staff_photo_stays_hidden_until_shown_and_arrives_live(local_only: Any, api: Api) -> None:
    async def run() -> None:
        ticket_id, token = await _new_ticket(api)
        data = JPEG
        upload = (
            await _staff(
                api,
                REQUEST,
                {
                    "input": {
                        "ticketId": ticket_id,
                        "contentType": "image/jpeg",
                        "size": len(data),
                        "caption": "Worn pads",
                    }
                },
            )
        )["requestPhotoUpload"]
        photo_id = upload["photo"]["id"]
        assert upload["photo"]["visibleToCustomer"] is False
        assert (await asyncio.to_thread(post, upload, data, "image/jpeg")).status_code == 204
        assert (await _staff(api, CONFIRM, {"t": ticket_id, "p": photo_id}))["confirmPhotoUpload"][
            "status"
        ] == "READY"
        seen = (await _customer(api, TRACK, {"id": ticket_id, "token": token}))["ticket"]["photos"]
        assert seen == []
        with pytest.raises(TransportQueryError) as hidden:  # confirming it tells nothing either
            await _customer(api, CONFIRM, {"t": ticket_id, "token": token, "p": photo_id})
        assert _error_type(hidden.value) == "NotFoundError"

        async with api.realtime(api.api_key_auth()) as ws:
            sub = await api.subscribe(ws, UPDATED, {"id": ticket_id, "token": token})
            shown = (await _staff(api, SHOW, {"t": ticket_id, "p": photo_id, "v": True}))[
                "setPhotoVisibility"
            ]
            assert shown["visibleToCustomer"] is True
            event = (await sub.next())["onTicketUpdated"]
            await sub.stop()
        assert [(p["id"], p["caption"], p["url"]) for p in event["photos"]] == [(photo_id, "Worn pads", None)]
        seen = (await _customer(api, TRACK, {"id": ticket_id, "token": token}))["ticket"]["photos"]
        assert [p["id"] for p in seen] == [photo_id] and seen[0]["url"]

    asyncio.run(run())
