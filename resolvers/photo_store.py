"""DynamoDB writes for a ticket's photos: each one conditional UpdateItem of the ticket item.

The photos' metadata is a list attribute `photos` of the ticket item, in upload order (never
reordered, so a position names a photo and a write checks the id at that position), and the counts
that the limits hold are `customerPhotoCount` / `staffPhotoCount` in the same item. The table has a
partition key only, so items "under the ticket" could not be listed without a second index; in the
item, the stream carries every photo change to subscribers with the ticket, and one conditional
update both counts and appends. Size: at most 40 photos of ~300 bytes, far below DynamoDB's 400 KB.

Every write bumps `version` and `updatedAt`: a photo is a committed change of the ticket.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from . import dynamo_json, photos, store, tickets
from .errors import TICKET_NOT_FOUND, NotFoundError, ValidationError

COUNT_ATTRIBUTES = {photos.CUSTOMER: "customerPhotoCount", photos.STAFF: "staffPhotoCount"}


class PhotoChanged(Exception):
    """The photo was no longer as the write expected (a concurrent confirm); re-read it."""


def _update(
    ticket_id: str, expression: str, condition: str, names: dict[str, str], values: dict[str, Any]
) -> tickets.Ticket:
    resp = store.client().update_item(
        TableName=store.table_name(),
        Key={"pk": {"S": f"TICKET#{ticket_id}"}},
        UpdateExpression=f"{expression}, #version = #version + :one, #updatedAt = :at",
        ConditionExpression=condition,
        ExpressionAttributeNames={**names, "#version": "version", "#updatedAt": "updatedAt"},
        ExpressionAttributeValues=dynamo_json.serialize_item({**values, ":one": 1, ":at": tickets.now_iso()}),
        ReturnValues="ALL_NEW",
    )
    return store.to_stored(store.deserialize(resp["Attributes"])).ticket


def _failed(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) == "ConditionalCheckFailedException"


def add(ticket_id: str, photo: Mapping[str, Any]) -> tickets.Ticket:
    """Append a PENDING photo and count it, if the uploader's count is below its limit and the ticket
    lists fewer than MAX_LISTED photos; atomically, so concurrent requests never exceed either.
    Returns the ticket."""
    who = str(photo["uploadedBy"])
    try:
        return _update(
            ticket_id,
            "SET #photos = list_append(if_not_exists(#photos, :empty), :new), "
            "#count = if_not_exists(#count, :zero) + :one",
            "attribute_exists(pk) AND (attribute_not_exists(#count) OR #count < :max) "
            "AND (attribute_not_exists(#photos) OR size(#photos) < :listed)",
            {"#photos": "photos", "#count": COUNT_ATTRIBUTES[who]},
            {
                ":empty": [],
                ":new": [dict(photo)],
                ":zero": 0,
                ":max": photos.PER_TICKET[who],
                ":listed": photos.MAX_LISTED,
            },
        )
    except ClientError as exc:
        if not _failed(exc):
            raise
    current = store.get(ticket_id)
    if current is None:
        raise NotFoundError(TICKET_NOT_FOUND)
    photos.check_limit(current.ticket.get("photos") or [], who)  # names the limit that was reached
    raise ValidationError(photos.limit_message(who))


def _at(index: int) -> str:
    return f"#photos[{int(index)}]"  # an int, never caller text: list positions cannot be placeholders


def settle(ticket_id: str, index: int, photo: Mapping[str, Any], status: str) -> tickets.Ticket:
    """PENDING -> READY, or -> REJECTED (which gives the uploader's slot back). Raises PhotoChanged
    when the photo is no longer PENDING (another confirm settled it first)."""
    names = {"#photos": "photos", "#id": "id", "#status": "status"}
    values: dict[str, Any] = {":id": photo["id"], ":pending": photos.PENDING, ":status": status}
    expression = f"SET {_at(index)}.#status = :status"
    if status == photos.REJECTED:
        names["#count"] = COUNT_ATTRIBUTES[str(photo["uploadedBy"])]
        expression += ", #count = #count - :one"
    try:
        return _update(
            ticket_id,
            expression,
            f"{_at(index)}.#id = :id AND {_at(index)}.#status = :pending",
            names,
            values,
        )
    except ClientError as exc:
        if _failed(exc):
            raise PhotoChanged(photo["id"]) from None
        raise


def set_visibility(ticket_id: str, index: int, photo_id: str, visible: bool) -> tickets.Ticket:
    try:
        return _update(
            ticket_id,
            f"SET {_at(index)}.#visible = :visible",
            f"{_at(index)}.#id = :id",
            {"#photos": "photos", "#id": "id", "#visible": "visibleToCustomer"},
            {":id": photo_id, ":visible": visible},
        )
    except ClientError as exc:
        if _failed(exc):
            raise NotFoundError(photos.PHOTO_NOT_FOUND) from None
        raise
