"""The photo use cases: request an upload, confirm it, change a staff photo's visibility, list photos.

Each reads the ticket (the caller has been checked by the handler), decides with the rules
(photos.py), talks to S3 through the adapter (photo_storage.py) and writes with one conditional
update (photo_store.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from . import photo_storage, photo_store, photos, store, tickets
from .errors import TICKET_NOT_FOUND, NotFoundError, ValidationError


def url_for(ticket_id: str) -> Any:
    """A presigned GET per READY photo of this ticket (only called for photos the caller may see)."""
    return lambda photo: photo_storage.presign_get(photo_storage.final_key(ticket_id, photo["id"]))


def ticket_photos(ticket: Mapping[str, Any], *, staff: bool) -> list[dict[str, Any]]:
    """Ticket.photos for this caller, with fresh urls."""
    return photos.visible_list(ticket.get("photos"), staff=staff, url_for=url_for(str(ticket["id"])))


def _view(ticket_id: str, photo: Mapping[str, Any]) -> dict[str, Any]:
    url = url_for(ticket_id)(photo) if photo.get("status") == photos.READY else None
    return photos.view(photo, url)


#: A PENDING photo this old was never confirmed (its page was closed mid-upload): twice the POST's life.
STALE_PENDING_SECONDS = 2 * photo_storage.UPLOAD_SECONDS


def _expire_stale(stored: store.Stored, who: str) -> store.Stored:
    """The uploader's long-abandoned PENDING photos become REJECTED, giving their slots back (each a
    conditional write; one a concurrent confirm settled first is left as it is). Without this, uploads
    a closed page never confirmed would hold the uploader's slots for good."""
    ticket_id = str(stored.ticket["id"])
    before = (datetime.now(UTC) - timedelta(seconds=STALE_PENDING_SECONDS)).strftime("%Y-%m-%dT%H:%M:%S")
    stale = photos.stale_pending(stored.ticket.get("photos") or [], who, before)
    for index, photo in stale:
        try:
            photo_store.settle(ticket_id, index, photo, photos.REJECTED)
        except photo_store.PhotoChanged:
            continue
        photo_storage.discard(photo_storage.pending_key(ticket_id, str(photo["id"])))
    return (store.get(ticket_id) or stored) if stale else stored


def request_upload(stored: store.Stored, request: photos.UploadRequest, *, staff: bool) -> dict[str, Any]:
    """Count and record a PENDING photo (refused past the limit), then presign its POST."""
    ticket_id = str(stored.ticket["id"])
    stored = _expire_stale(stored, photos.uploader(staff))
    photos.check_limit(stored.ticket.get("photos") or [], photos.uploader(staff))  # early, clear refusal
    photo = photos.new_photo(request, photos.new_photo_id(), staff, tickets.now_iso())
    photo_store.add(ticket_id, photo)  # the limit's real guard: a conditional increment
    post = photo_storage.presign_post(
        photo_storage.pending_key(ticket_id, photo["id"]), photo["contentType"], photo["size"]
    )
    return {
        "photo": photos.view(photo, None),
        "url": post.url,
        "fields": json.dumps(post.fields, separators=(",", ":")),
        "expiresAt": post.expires_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
    }


def confirm_upload(stored: store.Stored, photo_id: Any, *, staff: bool) -> dict[str, Any]:
    """Check the stored object: size and type (HeadObject), first bytes (ranged GET) against the
    declared type. READY after the copy to its final key; otherwise REJECTED and deleted. A photo
    already settled is returned as it is (a repeated confirm changes nothing)."""
    ticket_id = str(stored.ticket["id"])
    index, photo = photos.find(stored.ticket.get("photos"), photo_id, staff=staff)
    if not photos.may_confirm(photo, staff=staff):
        raise NotFoundError(photos.PHOTO_NOT_FOUND)
    if photo["status"] != photos.PENDING:
        return _view(ticket_id, photo)
    pending = photo_storage.pending_key(ticket_id, photo["id"])
    upload = photo_storage.inspect(pending, photos.SIGNATURE_BYTES)
    accepted = (
        upload is not None
        and upload.size == photo["size"]
        and upload.content_type == photo["contentType"]
        and photos.matches_signature(photo["contentType"], upload.head)
    )
    if accepted and photo_storage.promote(pending, photo_storage.final_key(ticket_id, photo["id"])):
        status = photos.READY
    else:
        status = photos.REJECTED
        photo_storage.discard(pending)
    try:
        photo_store.settle(ticket_id, index, photo, status)
    except photo_store.PhotoChanged:
        return _current(ticket_id, photo["id"], staff=staff)  # a concurrent confirm settled it
    if status == photos.READY:
        photo_storage.discard(pending)
    return _view(ticket_id, {**photo, "status": status})


def _current(ticket_id: str, photo_id: str, *, staff: bool) -> dict[str, Any]:
    fresh = store.get(ticket_id)
    if fresh is None:
        raise NotFoundError(TICKET_NOT_FOUND)
    return _view(ticket_id, photos.find(fresh.ticket.get("photos"), photo_id, staff=staff)[1])


def set_visibility(stored: store.Stored, photo_id: Any, visible: Any) -> dict[str, Any]:
    """Staff: show a staff photo to the customer or hide it again."""
    ticket_id = str(stored.ticket["id"])
    index, photo = photos.find(stored.ticket.get("photos"), photo_id, staff=True)
    photos.check_visibility_change(photo)
    if not isinstance(visible, bool):
        raise ValidationError("visibleToCustomer must be true or false")
    photo_store.set_visibility(ticket_id, index, photo["id"], visible)
    return _view(ticket_id, {**photo, "visibleToCustomer": visible})
