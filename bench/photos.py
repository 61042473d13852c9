"""Figure: photo upload through the local stack, as the customer page does it: requestPhotoUpload
(gql, API key), the form POST of a small real PNG straight to the URL it returns (moto's S3), and
confirmPhotoUpload (HeadObject + ranged GET + copy + conditional update). p50 and p99 of the two
mutations (the headline figures) and of the POST (information: S3's time, not ours).

A ticket holds at most 10 customer photos, so each ticket takes 10 samples and a new one follows.
"""

from __future__ import annotations

import asyncio
import json
import struct
import time
import zlib
from typing import Any

import httpx
from gql import gql

from . import gqlclient
from .common import Figure, at_most, info, percentile

TARGET = 2.0  # seconds, p50 of each mutation, as the request path's target
PER_TICKET = 10
PHOTO_FIELDS = "id status"
CREATE = gql(
    "mutation C($input: CreateTicketInput!) { createTicket(input: $input) { trackingToken ticket { id } } }"
)
REQUEST = gql(
    "mutation R($input: RequestPhotoUploadInput!) "
    f"{{ requestPhotoUpload(input: $input) {{ url fields photo {{ {PHOTO_FIELDS} }} }} }}"
)
CONFIRM = gql(
    "mutation F($t: ID!, $token: String, $p: ID!) "
    f"{{ confirmPhotoUpload(ticketId: $t, trackingToken: $token, photoId: $p) {{ {PHOTO_FIELDS} }} }}"
)


def png() -> bytes:
    """A real 32x32 PNG (~100 bytes): the mutations' cost does not depend on the size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xc8\x78\x28" * 32 for _ in range(32))
    header = struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def _samples(target: Any, count: int) -> dict[str, list[float]]:
    data = png()
    times: dict[str, list[float]] = {"request": [], "post": [], "confirm": []}
    ticket_id, token = "", ""
    async with (
        gqlclient.http_client(target, gqlclient.api_key_auth(target)) as session,
        httpx.AsyncClient(timeout=30) as s3,
    ):
        for n in range(count):
            if n % PER_TICKET == 0:
                made = (
                    await session.execute(gqlclient.request(CREATE, {"input": gqlclient.ticket_input(n)}))
                )["createTicket"]
                ticket_id, token = made["ticket"]["id"], made["trackingToken"]
            ask = {
                "ticketId": ticket_id,
                "trackingToken": token,
                "contentType": "image/png",
                "size": len(data),
            }
            t0 = time.perf_counter()
            upload = (await session.execute(gqlclient.request(REQUEST, {"input": ask})))["requestPhotoUpload"]
            t1 = time.perf_counter()
            posted = await s3.post(
                upload["url"],
                data=json.loads(upload["fields"]),
                files={"file": ("p.png", data, "image/png")},
            )
            t2 = time.perf_counter()
            if posted.status_code != 204:
                raise RuntimeError(f"the POST to S3 answered {posted.status_code}")
            variables = {"t": ticket_id, "token": token, "p": upload["photo"]["id"]}
            photo = (await session.execute(gqlclient.request(CONFIRM, variables)))["confirmPhotoUpload"]
            t3 = time.perf_counter()
            if photo["status"] != "READY":
                raise RuntimeError(f"a valid PNG was {photo['status']}")
            times["request"].append(t1 - t0)
            times["post"].append(t2 - t1)
            times["confirm"].append(t3 - t2)
    return times


def run(target: Any, smoke: bool) -> tuple[list[Figure], dict[str, Any]]:
    count = 3 if smoke else 40
    times = asyncio.run(_samples(target, count))
    figures = [
        at_most("photos: requestPhotoUpload p50", percentile(times["request"], 50), "s", TARGET),
        at_most("photos: confirmPhotoUpload p50", percentile(times["confirm"], 50), "s", TARGET),
        info("photos: requestPhotoUpload p99", percentile(times["request"], 99), "s"),
        info("photos: confirmPhotoUpload p99", percentile(times["confirm"], 99), "s"),
        info("photos: POST to S3 (moto) p50", percentile(times["post"], 50), "s"),
    ]
    detail = {
        name: {"n": len(values), "p50": percentile(values, 50), "p99": percentile(values, 99)}
        for name, values in times.items()
    }
    return figures, detail
