"""Photos: the pure rules, and the resolvers (handler -> service -> S3 adapter + store) against moto."""

from __future__ import annotations

import base64
import copy
import json
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from resolvers import dynamo_json, handler, photo_storage, photos, store
from resolvers.errors import NotFoundError, UnauthorizedException, ValidationError

BUCKET = "pitstop-photos-test"
INPUT = {
    "vehicle": {"make": "Honda", "model": "Accord", "year": 2003},
    "description": "Oil under the engine.",
    "customer": {"name": "Alex Example", "email": "alex@example.com"},
}


def png_bytes() -> bytes:
    """A real 1x1 PNG (signature, IHDR, IDAT, IEND with their CRCs)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


# ---------------------------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("content_type", "head", "ok"),
    [
        ("image/jpeg", JPEG, True),
        ("image/png", png_bytes(), True),
        ("image/webp", b"RIFF\x24\x00\x00\x00WEBPVP8 ", True),
        ("image/heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", True),
        ("image/heic", b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", True),
        ("image/heic", b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00", False),  # an MP4
        ("image/png", JPEG, False),
        ("image/jpeg", png_bytes(), False),
        ("image/webp", b"RIFF\x24\x00\x00\x00WAVEfmt ", False),
        ("image/png", b"just some text", False),
        ("image/gif", b"GIF89a", False),
        ("image/png", b"", False),
    ],
)
def test_signatures(content_type: str, head: bytes, ok: bool) -> None:
    assert photos.matches_signature(content_type, head) is ok


def test_upload_input_rules() -> None:
    good = {"ticketId": "t" * 24, "contentType": "IMAGE/PNG", "size": 10, "caption": "  leak  "}
    request = photos.validate_upload_input(good)
    assert (request.content_type, request.size, request.caption) == ("image/png", 10, "leak")
    assert photos.validate_upload_input({**good, "size": photos.MAX_BYTES}).size == 10 * 2**20
    for bad, field in [
        ({**good, "contentType": "image/gif"}, "contentType"),
        ({**good, "contentType": "text/plain"}, "contentType"),
        ({**good, "size": photos.MAX_BYTES + 1}, "size"),
        ({**good, "size": 0}, "size"),
        ({**good, "size": True}, "size"),
        ({**good, "caption": "x" * (photos.MAX_CAPTION + 1)}, "caption"),
        ({**good, "caption": "two\nlines"}, "caption"),
        ({**good, "ticketId": " "}, "ticketId"),
    ]:
        with pytest.raises(ValidationError, match=field):
            photos.validate_upload_input(bad)


def test_limits_count_pending_and_ready_not_rejected() -> None:
    def p(status: str, who: str = photos.CUSTOMER) -> dict[str, Any]:
        return {"status": status, "uploadedBy": who}

    nine = [p("READY")] * 5 + [p("PENDING")] * 4 + [p("REJECTED")] * 7 + [p("READY", photos.STAFF)] * 29
    photos.check_limit(nine, photos.CUSTOMER)
    photos.check_limit(nine, photos.STAFF)
    with pytest.raises(ValidationError, match="10 customer photos, the most"):
        photos.check_limit([*nine, p("PENDING")], photos.CUSTOMER)
    with pytest.raises(ValidationError, match="30 staff photos, the most"):
        photos.check_limit([*nine, p("PENDING", photos.STAFF)], photos.STAFF)


def test_visibility_rules() -> None:
    mine = {
        "id": "c" * 22,
        "uploadedBy": "CUSTOMER",
        "visibleToCustomer": True,
        "status": "READY",
        "createdAt": "x",
    }
    hidden = {
        "id": "h" * 22,
        "uploadedBy": "STAFF",
        "visibleToCustomer": False,
        "status": "READY",
        "createdAt": "x",
    }
    shown = {**hidden, "id": "s" * 22, "visibleToCustomer": True}
    listed = [mine, hidden, shown]
    assert [p["id"] for p in photos.visible_list(listed, staff=False)] == [mine["id"], shown["id"]]
    assert [p["id"] for p in photos.visible_list(listed, staff=True)] == [
        mine["id"],
        hidden["id"],
        shown["id"],
    ]
    with pytest.raises(NotFoundError):
        photos.find(listed, hidden["id"], staff=False)
    assert photos.find(listed, hidden["id"], staff=True)[0] == 1
    assert [p["id"] for p in photos.published(listed)] == [mine["id"], shown["id"]]
    assert all("url" not in p for p in photos.published(listed))
    with pytest.raises(ValidationError, match="visibleToCustomer"):
        photos.check_visibility_change(mine)


# ---------------------------------------------------------------------------------------- resolvers


@pytest.fixture
def s3(table: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("BUCKET_NAME", BUCKET)
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


def event(load_event: Any, mode: str, field: str, **arguments: Any) -> dict[str, Any]:
    """A recorded event of this caller kind (api_key or cognito_staff), for another field."""
    base = load_event(f"createTicket.{mode}", **arguments)
    base["info"]["fieldName"] = field
    base["info"]["parentTypeName"] = "Query" if field == "ticket" else "Mutation"
    return base


def call(load_event: Any, mode: str, field: str, **arguments: Any) -> Any:
    return handler.lambda_handler(event(load_event, mode, field, **arguments), None)


def new_ticket(load_event: Any) -> tuple[str, str]:
    result = call(load_event, "api_key", "createTicket", input=copy.deepcopy(INPUT))
    return result["ticket"]["id"], result["trackingToken"]


def request(
    load_event: Any,
    ticket_id: str,
    token: str | None,
    data: bytes | int,
    content_type: str = "image/png",
    **extra: Any,
) -> Any:
    mode = "api_key" if token else "cognito_staff"
    size = data if isinstance(data, int) else len(data)
    return call(
        load_event,
        mode,
        "requestPhotoUpload",
        input={
            "ticketId": ticket_id,
            "trackingToken": token,
            "contentType": content_type,
            "size": size,
            **extra,
        },
    )


def upload(s3: Any, ticket_id: str, photo_id: str, data: bytes, content_type: str) -> None:
    """What the browser's POST stores (moto's in-process mock cannot take a form POST)."""
    s3.put_object(Bucket=BUCKET, Key=f"pending/{ticket_id}/{photo_id}", Body=data, ContentType=content_type)


def confirm(load_event: Any, ticket_id: str, token: str | None, photo_id: str) -> Any:
    mode = "api_key" if token else "cognito_staff"
    return call(
        load_event, mode, "confirmPhotoUpload", ticketId=ticket_id, trackingToken=token, photoId=photo_id
    )


def keys(s3: Any) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_presigned_post_pins_key_type_length_and_expiry(load_event: Any, s3: Any) -> None:
    ticket_id, token = new_ticket(load_event)
    result = request(load_event, ticket_id, token, 1234, caption="the leak")
    photo, fields = result["photo"], json.loads(result["fields"])
    assert result["url"] == f"https://{BUCKET}.s3.us-east-1.amazonaws.com/"
    assert photo["status"] == "PENDING" and photo["uploadedBy"] == "CUSTOMER" and photo["visibleToCustomer"]
    assert photo["url"] is None and photo["caption"] == "the leak"
    assert fields["key"] == f"pending/{ticket_id}/{photo['id']}"
    assert fields["Content-Type"] == "image/png"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"bucket": BUCKET} in conditions
    assert {"key": fields["key"]} in conditions  # the exact key, not a prefix
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1234, 1234] in conditions
    assert not any(isinstance(c, list) and c[0] == "starts-with" for c in conditions)
    assert policy["expiration"][:19] == result["expiresAt"][:19]  # five minutes from now
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"


@pytest.mark.parametrize(("data", "content_type"), [(png_bytes(), "image/png"), (JPEG, "image/jpeg")])
def test_confirm_accepts_a_real_image_and_moves_it(
    load_event: Any, s3: Any, data: bytes, content_type: str
) -> None:
    ticket_id, token = new_ticket(load_event)
    photo = request(load_event, ticket_id, token, data, content_type)["photo"]
    upload(s3, ticket_id, photo["id"], data, content_type)
    confirmed = confirm(load_event, ticket_id, token, photo["id"])
    assert confirmed["status"] == "READY" and confirmed["url"]
    assert keys(s3) == [f"photos/{ticket_id}/{photo['id']}"]
    assert s3.get_object(Bucket=BUCKET, Key=f"photos/{ticket_id}/{photo['id']}")["Body"].read() == data
    ticket = call(load_event, "api_key", "ticket", id=ticket_id, trackingToken=token)
    assert [p["status"] for p in ticket["photos"]] == ["READY"] and ticket["version"] == 3  # added, confirmed
    assert confirm(load_event, ticket_id, token, photo["id"])["status"] == "READY"  # repeated: unchanged


@pytest.mark.parametrize(
    ("stored", "stored_type"),
    [
        (b"this is a text file, not an image", "image/png"),  # wrong bytes
        (png_bytes(), "image/jpeg"),  # another type than declared
        (png_bytes() + b"x", "image/png"),  # another size than declared
        (None, None),  # never uploaded
    ],
)
def test_confirm_rejects_and_deletes(
    load_event: Any, s3: Any, stored: bytes | None, stored_type: str | None
) -> None:
    ticket_id, token = new_ticket(load_event)
    photo = request(load_event, ticket_id, token, png_bytes(), "image/png")["photo"]
    if stored is not None:
        upload(s3, ticket_id, photo["id"], stored, str(stored_type))
    rejected = confirm(load_event, ticket_id, token, photo["id"])
    assert rejected["status"] == "REJECTED" and rejected["url"] is None
    assert keys(s3) == []
    listed = call(load_event, "api_key", "ticket", id=ticket_id, trackingToken=token)["photos"]
    assert [(p["id"], p["status"], p["url"]) for p in listed] == [(photo["id"], "REJECTED", None)]


def test_rejected_photos_free_their_slot(load_event: Any, s3: Any) -> None:
    ticket_id, token = new_ticket(load_event)
    for _ in range(photos.PER_TICKET["CUSTOMER"]):
        request(load_event, ticket_id, token, 10)
    with pytest.raises(ValidationError, match="10 customer photos, the most"):
        request(load_event, ticket_id, token, 10)
    first = call(load_event, "api_key", "ticket", id=ticket_id, trackingToken=token)["photos"][0]
    assert confirm(load_event, ticket_id, token, first["id"])["status"] == "REJECTED"  # nothing uploaded
    request(load_event, ticket_id, token, 10)  # the slot is free again
    staff = request(load_event, ticket_id, None, 10)  # staff count apart
    assert staff["photo"]["uploadedBy"] == "STAFF"


def test_rejected_uploads_cannot_grow_the_ticket_without_end(load_event: Any, s3: Any) -> None:
    """Requesting and confirming uploads that never arrive frees each slot, but every REJECTED photo stays
    listed: past MAX_LISTED the ticket refuses more, so its item stays small and staff can still change
    it."""
    ticket_id, token = new_ticket(load_event)
    for _ in range(2):  # two real cycles, then the rest as those cycles leave the item
        photo = request(load_event, ticket_id, token, 10)["photo"]
        assert confirm(load_event, ticket_id, token, photo["id"])["status"] == "REJECTED"
    stored = store.get(ticket_id)
    assert stored is not None
    rejected = stored.ticket["photos"][0]
    store.client().update_item(
        TableName=store.table_name(),
        Key={"pk": {"S": f"TICKET#{ticket_id}"}},
        UpdateExpression="SET photos = list_append(photos, :more)",
        ExpressionAttributeValues=dynamo_json.serialize_item(
            {":more": [{**rejected, "id": f"earlier-{n}"} for n in range(photos.MAX_LISTED - 3)]}
        ),
    )
    last = request(load_event, ticket_id, token, 10)["photo"]  # the MAX_LISTED-th: still room
    assert confirm(load_event, ticket_id, token, last["id"])["status"] == "REJECTED"
    with pytest.raises(ValidationError, match=f"already lists {photos.MAX_LISTED} photos"):
        request(load_event, ticket_id, token, 10)
    with pytest.raises(ValidationError, match=f"already lists {photos.MAX_LISTED} photos"):
        request(load_event, ticket_id, None, 10)  # staff too: the bound is the item's
    stored = store.get(ticket_id)
    assert stored is not None and len(stored.ticket["photos"]) == photos.MAX_LISTED
    changed = call(
        load_event, "cognito_staff", "updateTicketStatus", input={"id": ticket_id, "status": "CANCELLED"}
    )
    assert changed["status"] == "CANCELLED"


def age_photos(ticket_id: str, indexes: range, at: str) -> None:
    """Set these photos' createdAt to `at`, as if they had been requested then."""
    store.client().update_item(
        TableName=store.table_name(),
        Key={"pk": {"S": f"TICKET#{ticket_id}"}},
        UpdateExpression="SET " + ", ".join(f"photos[{i}].createdAt = :at" for i in indexes),
        ExpressionAttributeValues={":at": {"S": at}},
    )


def test_uploads_never_confirmed_give_their_slots_back_once_long_expired(load_event: Any, s3: Any) -> None:
    """A page closed mid-upload never confirms: its PENDING photo would hold a slot for good. Once it is
    twice as old as the POST's life, the uploader's next request turns it REJECTED first."""
    ticket_id, token = new_ticket(load_event)
    limit = photos.PER_TICKET["CUSTOMER"]
    for _ in range(limit):
        request(load_event, ticket_id, token, 10)
    staff_photo = request(load_event, ticket_id, None, 10)["photo"]
    with pytest.raises(ValidationError, match="customer photos, the most"):
        request(load_event, ticket_id, token, 10)
    age_photos(ticket_id, range(limit - 1), "2020-01-01T00:00:00.000Z")  # all but the newest customer one
    age_photos(ticket_id, range(limit, limit + 1), "2020-01-01T00:00:00.000Z")  # and the staff one
    fresh = request(load_event, ticket_id, token, 10)["photo"]  # room again
    listed = {
        p["id"]: p["status"] for p in call(load_event, "cognito_staff", "ticket", id=ticket_id)["photos"]
    }
    assert list(listed.values()).count("REJECTED") == limit - 1
    assert listed[fresh["id"]] == "PENDING" and listed[staff_photo["id"]] == "PENDING"  # others' untouched
    for _ in range(limit - 2):  # 2 slots held: the newest of the first ten and the fresh one
        request(load_event, ticket_id, token, 10)
    with pytest.raises(ValidationError, match="customer photos, the most"):
        request(load_event, ticket_id, token, 10)


def test_twenty_concurrent_requests_at_nine_photos_one_succeeds(load_event: Any, s3: Any) -> None:
    ticket_id, token = new_ticket(load_event)
    for _ in range(9):
        request(load_event, ticket_id, token, 10)

    def attempt(_: int) -> str:
        try:
            request(load_event, ticket_id, token, 10)
            return "ok"
        except ValidationError:
            return "refused"

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(attempt, range(20)))
    assert outcomes.count("ok") == 1 and outcomes.count("refused") == 19
    listed = call(load_event, "api_key", "ticket", id=ticket_id, trackingToken=token)["photos"]
    assert len(listed) == 10


def test_staff_photo_hidden_until_shown(load_event: Any, s3: Any) -> None:
    ticket_id, token = new_ticket(load_event)
    staff_photo = request(load_event, ticket_id, None, JPEG, "image/jpeg", caption="worn pads")["photo"]
    assert staff_photo["visibleToCustomer"] is False
    upload(s3, ticket_id, staff_photo["id"], JPEG, "image/jpeg")
    assert confirm(load_event, ticket_id, None, staff_photo["id"])["status"] == "READY"

    def customer_view() -> list[str]:
        return [
            p["id"]
            for p in call(load_event, "api_key", "ticket", id=ticket_id, trackingToken=token)["photos"]
        ]

    assert customer_view() == []
    with pytest.raises(NotFoundError):  # nor can the customer confirm (or learn of) it
        confirm(load_event, ticket_id, token, staff_photo["id"])
    shown = call(
        load_event,
        "cognito_staff",
        "setPhotoVisibility",
        ticketId=ticket_id,
        photoId=staff_photo["id"],
        visibleToCustomer=True,
    )
    assert shown["visibleToCustomer"] is True and shown["url"]
    assert customer_view() == [staff_photo["id"]]
    call(
        load_event,
        "cognito_staff",
        "setPhotoVisibility",
        ticketId=ticket_id,
        photoId=staff_photo["id"],
        visibleToCustomer=False,
    )
    assert customer_view() == []


def test_customers_cannot_change_visibility_or_reach_other_tickets(load_event: Any, s3: Any) -> None:
    ticket_id, token = new_ticket(load_event)
    other_id, _ = new_ticket(load_event)
    photo = request(load_event, ticket_id, token, 10)["photo"]
    with pytest.raises(UnauthorizedException):
        call(
            load_event,
            "api_key",
            "setPhotoVisibility",
            ticketId=ticket_id,
            photoId=photo["id"],
            visibleToCustomer=True,
        )
    with pytest.raises(NotFoundError):
        request(load_event, other_id, token, 10)  # a token of another ticket
    with pytest.raises(NotFoundError):
        confirm(load_event, other_id, token, photo["id"])
    with pytest.raises(NotFoundError):
        call(  # the API key without the ticket's token
            load_event,
            "api_key",
            "requestPhotoUpload",
            input={"ticketId": ticket_id, "contentType": "image/png", "size": 1},
        )
    with pytest.raises(ValidationError, match="visibleToCustomer"):  # a customer photo is always theirs
        call(
            load_event,
            "cognito_staff",
            "setPhotoVisibility",
            ticketId=ticket_id,
            photoId=photo["id"],
            visibleToCustomer=False,
        )
    with pytest.raises(NotFoundError):
        confirm(load_event, ticket_id, token, "no-such-photo-id-at-all")


def test_presigned_get_is_short_lived_and_for_the_final_key(load_event: Any, s3: Any) -> None:
    url = photo_storage.presign_get("photos/t/p")
    assert url.startswith(f"https://{BUCKET}.s3.us-east-1.amazonaws.com/photos/t/p?")
    assert "X-Amz-Expires=600" in url and "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url


def test_events_carry_customer_visible_photos_without_url(load_event: Any, s3: Any) -> None:
    """What the stream publisher sends for a ticket item: the photos every subscriber may see."""
    from resolvers import publisher, store

    ticket_id, token = new_ticket(load_event)
    mine = request(load_event, ticket_id, token, 10)["photo"]
    hidden = request(load_event, ticket_id, None, 10, caption="internal")["photo"]
    stored = store.get(ticket_id)
    assert stored is not None
    published = publisher.published_ticket({**stored.ticket, "entity": "TICKET"})
    assert [p["id"] for p in published["photos"]] == [mine["id"]]
    assert "url" not in published["photos"][0] and hidden["id"] not in json.dumps(published)
    assert "customerPhotoCount" not in published and published["version"] == 3
