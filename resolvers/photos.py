"""The photo rules: accepted types and sizes, limits per ticket, file signatures, captions, visibility.

Pure: values in, values out or a named error; no AWS import and no storage format (object keys and
item attributes are the store's and the storage adapter's business).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import NotFoundError, ValidationError
from .tickets import _text as text_field  # the tickets' one definition of a clean single-line text

LIMITS: dict[str, Any] = json.loads((Path(__file__).resolve().parent / "limits.json").read_text("utf-8"))
MAX_BYTES: int = LIMITS["photoMaxBytes"]
MAX_CAPTION: int = LIMITS["photoCaptionMaxLength"]

PENDING, READY, REJECTED = "PENDING", "READY", "REJECTED"
CUSTOMER, STAFF = "CUSTOMER", "STAFF"
#: uploader -> the most photos of theirs a ticket may hold (PENDING and READY count)
PER_TICKET: dict[str, int] = {
    CUSTOMER: LIMITS["customerPhotosPerTicket"],
    STAFF: LIMITS["staffPhotosPerTicket"],
}
#: The most photos a ticket lists, whatever their status: the two limits above, and room for
#: rejectedPhotosPerTicket REJECTED ones (which stay listed but free their slot). Without it, requesting
#: and confirming uploads that never arrive would grow the ticket item until DynamoDB refuses every write.
MAX_LISTED: int = sum(PER_TICKET.values()) + LIMITS["rejectedPhotosPerTicket"]
PHOTO_NOT_FOUND = "Photo not found"

# The first bytes each accepted type starts with (https://en.wikipedia.org/wiki/List_of_file_signatures;
# HEIC: ISO/IEC 23008-12, an ISO-BMFF `ftyp` box whose major brand is one of the HEIF image brands).
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_HEIC_BRANDS = (b"heic", b"heix", b"mif1", b"msf1")
SIGNATURE_BYTES = 32  # how many leading bytes `matches_signature` needs


def _is_jpeg(head: bytes) -> bool:
    return head.startswith(_JPEG)


def _is_png(head: bytes) -> bool:
    return head.startswith(_PNG)


def _is_webp(head: bytes) -> bool:
    return len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _is_heic(head: bytes) -> bool:
    return len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS


_SIGNATURES = {
    "image/jpeg": _is_jpeg,
    "image/png": _is_png,
    "image/webp": _is_webp,
    "image/heic": _is_heic,
}
CONTENT_TYPES: tuple[str, ...] = tuple(_SIGNATURES)


def matches_signature(content_type: str, head: bytes) -> bool:
    """Whether the object's first bytes are those of `content_type` (False for a type we do not take)."""
    check = _SIGNATURES.get(content_type)
    return bool(check and check(head))


# ---------------------------------------------------------------------------------------------- input


@dataclass(frozen=True)
class UploadRequest:
    ticket_id: str
    content_type: str
    size: int
    caption: str | None


def validate_content_type(value: Any) -> str:
    if not isinstance(value, str) or value.strip().lower() not in _SIGNATURES:
        raise ValidationError(f"contentType must be one of {', '.join(CONTENT_TYPES)}")
    return value.strip().lower()


def validate_size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("size must be an integer")
    if not 1 <= value <= MAX_BYTES:
        raise ValidationError(f"size must be between 1 and {MAX_BYTES} bytes ({MAX_BYTES // 2**20} MiB)")
    return value


def validate_caption(value: Any) -> str | None:
    return text_field(value, "caption", MAX_CAPTION, required=False)


def validate_upload_input(value: Any) -> UploadRequest:
    """RequestPhotoUploadInput -> UploadRequest (the tracking token is the handler's business)."""
    if not isinstance(value, Mapping):
        raise ValidationError("input is required")
    ticket_id = value.get("ticketId")
    if not isinstance(ticket_id, str) or not ticket_id.strip():
        raise ValidationError("ticketId is required")
    return UploadRequest(
        ticket_id=ticket_id.strip(),
        content_type=validate_content_type(value.get("contentType")),
        size=validate_size(value.get("size")),
        caption=validate_caption(value.get("caption")),
    )


_PHOTO_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_photo_id() -> str:
    """128 random bits, URL-safe (22 characters): also a path segment of the object's key."""
    return secrets.token_urlsafe(16)


def is_photo_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_PHOTO_ID_RE.match(value))


# ---------------------------------------------------------------------------------------------- photos


def uploader(staff: bool) -> str:
    return STAFF if staff else CUSTOMER


def new_photo(request: UploadRequest, photo_id: str, staff: bool, at: str) -> dict[str, Any]:
    """A PENDING photo; a customer's is theirs to see, a staff photo starts hidden from the customer."""
    photo: dict[str, Any] = {
        "id": photo_id,
        "status": PENDING,
        "contentType": request.content_type,
        "size": request.size,
        "uploadedBy": uploader(staff),
        "visibleToCustomer": not staff,
        "createdAt": at,
    }
    if request.caption is not None:
        photo["caption"] = request.caption
    return photo


def limit_message(who: str) -> str:
    kind = "customer" if who == CUSTOMER else "staff"
    return f"ticketId already has {PER_TICKET[who]} {kind} photos, the most a ticket may hold"


def counts(photos: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Photos per uploader that count against the limits (PENDING and READY)."""
    out = dict.fromkeys(PER_TICKET, 0)
    for photo in photos:
        if photo.get("status") != REJECTED and photo.get("uploadedBy") in out:
            out[photo["uploadedBy"]] += 1
    return out


LISTED_MESSAGE = (
    f"ticketId already lists {MAX_LISTED} photos, rejected uploads included: the most a ticket may list"
)


def stale_pending(
    photos: Iterable[Mapping[str, Any]], who: str, before: str
) -> list[tuple[int, Mapping[str, Any]]]:
    """(index, photo) of `who`'s PENDING photos created before `before` (ISO times compare as text):
    uploads whose page never confirmed them, long after their presigned POST expired."""
    return [
        (index, photo)
        for index, photo in enumerate(photos)
        if photo.get("status") == PENDING
        and photo.get("uploadedBy") == who
        and str(photo.get("createdAt", "")) < before
    ]


def check_limit(photos: Iterable[Mapping[str, Any]], who: str) -> None:
    listed = list(photos)
    if counts(listed)[who] >= PER_TICKET[who]:
        raise ValidationError(limit_message(who))
    if len(listed) >= MAX_LISTED:
        raise ValidationError(LISTED_MESSAGE)


def may_see(photo: Mapping[str, Any], *, staff: bool) -> bool:
    """Staff see every photo; the token holder sees the customer's photos and staff photos made visible."""
    return staff or photo.get("uploadedBy") == CUSTOMER or photo.get("visibleToCustomer") is True


def may_confirm(photo: Mapping[str, Any], *, staff: bool) -> bool:
    """Staff confirm any upload; the token holder only the customer's own."""
    return staff or photo.get("uploadedBy") == CUSTOMER


def check_visibility_change(photo: Mapping[str, Any]) -> None:
    if photo.get("uploadedBy") != STAFF:
        raise ValidationError(
            "visibleToCustomer cannot change for a customer's photo (always visible to them)"
        )


def find(
    photos: Sequence[Mapping[str, Any]] | None, photo_id: Any, *, staff: bool
) -> tuple[int, dict[str, Any]]:
    """(position, photo) of the photo the caller may see, or the same NotFoundError as for an unknown id.
    A ticket's photos are a list in upload order, never reordered: the position names the photo."""
    if is_photo_id(photo_id):
        for index, photo in enumerate(photos or ()):
            if photo.get("id") == photo_id and may_see(photo, staff=staff):
                return index, dict(photo)
    raise NotFoundError(PHOTO_NOT_FOUND)


PHOTO_FIELDS = (
    "id",
    "status",
    "contentType",
    "size",
    "uploadedBy",
    "visibleToCustomer",
    "caption",
    "createdAt",
)


def view(photo: Mapping[str, Any], url: str | None) -> dict[str, Any]:
    """A Photo as the API returns it; `url` only for a READY photo (the caller decides who gets one)."""
    out = {k: photo[k] for k in PHOTO_FIELDS if k in photo}
    out["url"] = url if photo.get("status") == READY else None
    return out


def visible_list(
    photos: Sequence[Mapping[str, Any]] | None,
    *,
    staff: bool,
    url_for: Callable[[Mapping[str, Any]], str] | None = None,
) -> list[dict[str, Any]]:
    """Ticket.photos for a caller: what they may see, oldest first, each READY one with its url
    (`url_for` is only called for those; without it, url is null, as in published events)."""
    return [
        view(p, url_for(p) if url_for is not None and p.get("status") == READY else None)
        for p in photos or ()
        if may_see(p, staff=staff)
    ]


def published(photos: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The photos a ticket's events carry: those every subscriber of the ticket may see (the customer's,
    and staff photos made visible), as metadata without a url. A url is made per caller and lasts
    minutes, so pages fetch `ticket` for urls (and staff for their hidden photos) when photos change."""
    return [{k: p[k] for k in PHOTO_FIELDS if k in p} for p in photos or () if may_see(p, staff=False)]
