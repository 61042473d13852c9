"""AppSync direct Lambda resolver: Powertools AppSyncResolver routes each field to a short function.

Auth modes are enforced by the schema's directives before this runs; this adds what directives
cannot say: tracking-token checks, hiding `customer` from non-staff callers, and a second staff check.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, NamedTuple

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import AppSyncResolver

from . import comms, comms_store, service, store, tickets
from .errors import (
    TICKET_NOT_FOUND,
    InternalFailure,
    NotFoundError,
    PitstopError,
    UnauthorizedException,
    ValidationError,
    as_refusal,
)

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "pitstop"))
# api_config.json "staffGroup", set by the CDK app and the local stack; tests/resolvers check the default.
STAFF_GROUP = os.environ.get("STAFF_GROUP", "staff")


# A NamedTuple rather than a frozen dataclass: as immutable, at a fraction of the class-creation cost
# on import (cold start of the resolver Lambdas; bench/cold_start.py).
class Caller(NamedTuple):
    staff: bool
    username: str | None = None


def caller_of(identity: Any) -> Caller:
    """Staff = a Cognito user-pool identity in the group STAFF_GROUP; API key (null), IAM etc. are not."""
    if not isinstance(identity, Mapping) or "userArn" in identity or "claims" not in identity:
        return Caller(staff=False)
    claims = identity.get("claims") or {}
    groups = identity.get("groups") or claims.get("cognito:groups") or []
    if isinstance(groups, str):
        groups = [g.strip() for g in groups.split(",")]
    if STAFF_GROUP not in groups:
        return Caller(staff=False)
    username = identity.get("username") or claims.get("cognito:username") or claims.get("username")
    username = username or identity.get("sub")
    return Caller(staff=True, username=str(username) if username else None)


def _require_staff(caller: Caller) -> None:
    if not caller.staff:
        raise UnauthorizedException()


def _visible(caller: Caller, ticket_id: Any, tracking_token: Any) -> store.Stored:
    """The ticket, if this caller may see it; otherwise the very same NotFoundError as an unknown id.

    A public caller's token is the ticket's own (its hash on the ticket) or one a message issued
    (a live LINK item of this ticket)."""
    stored = store.get(ticket_id) if tickets.is_ticket_id(ticket_id) else None
    if stored is None or not (
        caller.staff
        or tickets.token_matches(tracking_token, stored.token_hash)
        or comms_store.link_opens(tracking_token, str(ticket_id))
    ):
        raise NotFoundError(TICKET_NOT_FOUND)
    return stored


def _view(ticket: tickets.Ticket, *, staff: bool) -> dict[str, Any]:
    """tickets.view, plus the latest estimate as callers may read it (token holder and staff alike) and
    the photos this caller may see (each READY one with a fresh presigned GET)."""
    out = tickets.view(ticket, staff=staff)
    if ticket.get("estimate"):
        # Lazy: only a ticket with an estimate needs estimates.py (cold start; bench/cold_start.py).
        from . import estimates

        estimate = estimates.view(ticket.get("estimate"))
        if estimate is not None:
            out["estimate"] = estimate
    if ticket.get("photos"):
        # Lazy: only a ticket with photos needs photo_service.py and S3 (cold start; bench/cold_start.py).
        from . import photo_service

        out["photos"] = photo_service.ticket_photos(ticket, staff=staff)
    else:
        out["photos"] = []
    return out


# ------------------------------------------------------------------------------------------------ fields


def get_ticket(caller: Caller, args: Mapping[str, Any]) -> dict[str, Any]:
    stored = _visible(caller, args.get("id"), args.get("trackingToken"))
    return _view(stored.ticket, staff=caller.staff)


def list_tickets(caller: Caller, args: Mapping[str, Any]) -> dict[str, Any]:
    _require_staff(caller)
    status = args.get("status")
    if status is not None:
        status = tickets.validate_status(status)
    limit = tickets.validate_limit(args.get("limit"))
    items, next_token = store.page(status, limit, args.get("nextToken"))
    return {"items": [_view(t, staff=True) for t in items], "nextToken": next_token}


def ticket_by_reference(caller: Caller, args: Mapping[str, Any]) -> dict[str, Any]:
    _require_staff(caller)
    stored = store.get_by_reference(tickets.normalize_reference(args.get("reference")))
    if stored is None:
        raise NotFoundError(TICKET_NOT_FOUND)
    return _view(stored.ticket, staff=True)


def create_ticket(caller: Caller, args: Mapping[str, Any]) -> dict[str, Any]:
    data = tickets.validate_create_input(args.get("input"), channels=comms.offered_channels(os.environ))
    ticket, token = store.put_new(data)
    logger.info("ticket created", extra={"ticketId": ticket["id"], "reference": ticket["reference"]})
    return {"ticket": _view(ticket, staff=caller.staff), "trackingToken": token}


def update_ticket_status(caller: Caller, args: Mapping[str, Any]) -> dict[str, Any]:
    _require_staff(caller)
    data = tickets.validate_update_input(args.get("input"))
    if not tickets.is_ticket_id(data["id"]):
        raise NotFoundError(TICKET_NOT_FOUND)
    ticket = service.change_status(
        data["id"],
        data["status"],
        caller.username,
        data.get("note"),
        data.get("expectedVersion"),
        data.get("internalNote"),
    )
    logger.info("status changed", extra={"ticketId": ticket["id"], "status": ticket["status"]})
    return _view(ticket, staff=True)


def send_estimate(caller: Caller, args: Mapping[str, Any]) -> dict[str, Any]:
    _require_staff(caller)
    # Lazy: only the estimate mutations need estimate_service.py (cold start; bench/cold_start.py).
    from . import estimate_service

    ticket = estimate_service.send_estimate(caller.username, args.get("input"))
    logger.info("estimate sent", extra={"ticketId": ticket["id"], "estimate": ticket["estimate"]["version"]})
    return _view(ticket, staff=True)


def answer_estimate(caller: Caller, args: Mapping[str, Any]) -> dict[str, Any]:
    # Lazy: only the estimate mutations need estimate_service.py (cold start; bench/cold_start.py).
    from . import estimate_service

    by = caller.username if caller.staff else tickets.SUBMITTER
    ticket = estimate_service.answer_estimate(caller.staff, by, args.get("input"))
    logger.info("estimate answered", extra={"ticketId": ticket["id"], "byStaff": caller.staff})
    return _view(ticket, staff=caller.staff)


def request_photo_upload(caller: Caller, args: Mapping[str, Any]) -> dict[str, Any]:
    # Lazy: only the photo mutations need photos.py and photo_service.py (cold start; bench/cold_start.py).
    from . import photo_service, photos

    raw = args.get("input")
    request = photos.validate_upload_input(raw)
    stored = _visible(
        caller, request.ticket_id, raw.get("trackingToken") if isinstance(raw, Mapping) else None
    )
    result = photo_service.request_upload(stored, request, staff=caller.staff)
    logger.info(
        "photo upload requested", extra={"ticketId": request.ticket_id, "photoId": result["photo"]["id"]}
    )
    return result


def confirm_photo_upload(caller: Caller, args: Mapping[str, Any]) -> dict[str, Any]:
    # Lazy: only the photo mutations need photo_service.py (cold start; bench/cold_start.py).
    from . import photo_service

    stored = _visible(caller, args.get("ticketId"), args.get("trackingToken"))
    photo = photo_service.confirm_upload(stored, args.get("photoId"), staff=caller.staff)
    logger.info("photo confirmed", extra={"photoId": photo["id"], "status": photo["status"]})
    return photo


def set_photo_visibility(caller: Caller, args: Mapping[str, Any]) -> dict[str, Any]:
    _require_staff(caller)
    # Lazy: only the photo mutations need photo_service.py (cold start; bench/cold_start.py).
    from . import photo_service

    stored = _visible(caller, args.get("ticketId"), None)
    return photo_service.set_visibility(stored, args.get("photoId"), args.get("visibleToCustomer"))


def request_tracking_link(caller: Caller, args: Mapping[str, Any]) -> bool:
    """Always true. The same store work whatever the reference and contact: one conditional write of
    a request (the contact as a hash); the publisher reads the ticket and sends, from the stream."""
    reference = tickets.normalize_reference(args.get("reference"))
    contact = args.get("contact")
    if not isinstance(contact, str) or not contact.strip() or len(contact) > tickets.MAX_EMAIL:
        raise ValidationError(
            f"contact must be an e-mail address or a phone number (at most {tickets.MAX_EMAIL})"
        )
    comms_store.record_link_request(reference, comms.contact_key(contact))
    return True


def set_notify_by(caller: Caller, args: Mapping[str, Any]) -> dict[str, Any]:
    stored = _visible(caller, args.get("id"), args.get("trackingToken"))
    customer: Mapping[str, Any] = stored.ticket.get("customer") or {}
    choice = comms.validate_notify_by(
        args.get("notifyBy") or [], customer, offered=comms.offered_channels(os.environ)
    )
    ticket = comms_store.set_notify_by(str(stored.ticket["id"]), choice)
    logger.info("channels changed", extra={"ticketId": ticket["id"], "notifyBy": choice})
    return _view(ticket, staff=caller.staff)


def subscribe_ticket_updated(caller: Caller, args: Mapping[str, Any]) -> dict[str, str] | None:
    """Runs once at subscribe time, from the subscription's pipeline function: None allows; unless the
    caller may see the ticket, the NotFoundError is returned as a refusal (errors.as_refusal)."""
    try:
        _visible(caller, args.get("id"), args.get("trackingToken"))
    except NotFoundError as refused:
        logger.info("subscription refused", extra={"errorType": "NotFoundError"})
        return as_refusal(refused)
    return None


# --------------------------------------------------------------------------------------------- entry point

# Powertools' standard module-level router: each Lambda instance runs one event at a time (locally too:
# every emulated instance is a process of its own), so the event it keeps between calls is never shared.
app = AppSyncResolver()  # type: ignore[no-untyped-call]  # Powertools' __init__ has no annotations


def _caller() -> Caller:
    event = app.current_event
    assert event is not None, "Powertools sets the event before it calls a resolver"
    return caller_of(event.raw_event.get("identity"))


@app.resolver(type_name="Query", field_name="ticket")
def _get_ticket(**arguments: Any) -> Any:
    return get_ticket(_caller(), arguments)


@app.resolver(type_name="Query", field_name="tickets")
def _list_tickets(**arguments: Any) -> Any:
    return list_tickets(_caller(), arguments)


@app.resolver(type_name="Query", field_name="ticketByReference")
def _ticket_by_reference(**arguments: Any) -> Any:
    return ticket_by_reference(_caller(), arguments)


@app.resolver(type_name="Mutation", field_name="createTicket")
def _create_ticket(**arguments: Any) -> Any:
    return create_ticket(_caller(), arguments)


@app.resolver(type_name="Mutation", field_name="updateTicketStatus")
def _update_ticket_status(**arguments: Any) -> Any:
    return update_ticket_status(_caller(), arguments)


@app.resolver(type_name="Mutation", field_name="requestTrackingLink")
def _request_tracking_link(**arguments: Any) -> Any:
    return request_tracking_link(_caller(), arguments)


@app.resolver(type_name="Mutation", field_name="setNotifyBy")
def _set_notify_by(**arguments: Any) -> Any:
    return set_notify_by(_caller(), arguments)


@app.resolver(type_name="Mutation", field_name="sendEstimate")
def _send_estimate(**arguments: Any) -> Any:
    return send_estimate(_caller(), arguments)


@app.resolver(type_name="Mutation", field_name="answerEstimate")
def _answer_estimate(**arguments: Any) -> Any:
    return answer_estimate(_caller(), arguments)


@app.resolver(type_name="Mutation", field_name="requestPhotoUpload")
def _request_photo_upload(**arguments: Any) -> Any:
    return request_photo_upload(_caller(), arguments)


@app.resolver(type_name="Mutation", field_name="confirmPhotoUpload")
def _confirm_photo_upload(**arguments: Any) -> Any:
    return confirm_photo_upload(_caller(), arguments)


@app.resolver(type_name="Mutation", field_name="setPhotoVisibility")
def _set_photo_visibility(**arguments: Any) -> Any:
    return set_photo_visibility(_caller(), arguments)


@app.resolver(type_name="Subscription", field_name="onTicketUpdated")
def _subscribe_ticket_updated(**arguments: Any) -> Any:
    return subscribe_ticket_updated(_caller(), arguments)


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    """Entry point. Named errors pass through; anything else is logged and becomes InternalFailure."""
    info = (event.get("info") or {}) if isinstance(event, dict) else {}
    log = {"field": f"{info.get('parentTypeName')}.{info.get('fieldName')}"}
    request_id = getattr(context, "aws_request_id", None)
    if request_id:
        log["requestId"] = str(request_id)
    try:
        result = app.resolve(event, context)
    except PitstopError as exc:
        logger.info("refused", extra={**log, "errorType": type(exc).__name__})
        raise
    except Exception:
        logger.exception("unexpected failure", extra=log)
        raise InternalFailure() from None
    logger.info("resolved", extra=log)
    return result
