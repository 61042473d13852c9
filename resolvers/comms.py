"""Customer communication rules: channels, which committed changes tell the customer, contacts, texts.

Pure: values in, values out or a named error; no AWS import and no key format (the store and the
publisher know those), so it is tested without moto.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from .errors import ValidationError

EMAIL, SMS = "EMAIL", "SMS"
CHANNELS: tuple[str, ...] = (EMAIL, SMS)
#: the customer contact each channel needs
CHANNEL_CONTACT: dict[str, str] = {EMAIL: "email", SMS: "phone"}
SENT, FAILED, SKIPPED = "SENT", "FAILED", "SKIPPED"

#: The stage's SMS switch (CDK context `customerSms`, docs/deploy.md), given to the resolver and the
#: publisher functions as this environment variable: "true" offers SMS, anything else (or unset) does
#: not. SMS costs the workshop per message and needs the SMS registration done first, so it is off
#: unless the stage turns it on. The local stack turns it on (pitstop_local/settings.py).
ENV_CUSTOMER_SMS = "CUSTOMER_SMS"
SMS_OFF_MESSAGE = "this workshop does not send text messages; choose EMAIL"

TICKET_CREATED = "TICKET_CREATED"
ESTIMATE_SENT = "ESTIMATE_SENT"
READY_FOR_PICKUP = "READY_FOR_PICKUP"
CANCELLED = "CANCELLED"
TRACKING_LINK = "TRACKING_LINK"

#: The events that tell the customer, and what in a committed change (old image -> new image) makes
#: each happen. This table is the only place that says so:
#:   "created": the ticket did not exist before;
#:   "status": the status became this value;
#:   "estimateSent": the ticket carries an estimate whose version it did not carry before.
#: TRACKING_LINK is not caused by a change: the customer asks for it (requestTrackingLink).
CUSTOMER_EVENTS: dict[str, dict[str, Any]] = {
    TICKET_CREATED: {"created": True},
    ESTIMATE_SENT: {"estimateSent": True},
    READY_FOR_PICKUP: {"status": "READY_FOR_PICKUP"},
    CANCELLED: {"status": "CANCELLED"},
}

#: What each event says: the e-mail's subject and sentence, and the SMS's (shorter: one segment).
EVENT_TEXT: dict[str, tuple[str, str, str]] = {
    TICKET_CREATED: (
        "We have your repair request {reference}",
        "We have received your repair request.",
        "request received.",
    ),
    ESTIMATE_SENT: (
        "Your estimate for {reference}",
        "Your estimate is ready for your approval.",
        "estimate ready to approve.",
    ),
    READY_FOR_PICKUP: (
        "{reference}: your vehicle is ready",
        "Your vehicle is ready for pick-up.",
        "ready for pick-up.",
    ),
    CANCELLED: ("{reference} was cancelled", "Your repair request was cancelled.", "cancelled."),
    TRACKING_LINK: ("Your tracking link for {reference}", "Here is your new tracking link.", "your link:"),
}
SMS_WORKSHOP_MAX = 24

SMS_SEGMENT_GSM = 160  # one GSM-7 segment; a message with other characters is UCS-2, 70 per segment


def _happened(rule: Mapping[str, Any], old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> bool:
    if rule.get("created"):
        return old is None
    if "status" in rule:
        return new.get("status") == rule["status"] and (old is None or old.get("status") != rule["status"])
    if rule.get("estimateSent"):
        estimate, before = new.get("estimate"), (old or {}).get("estimate")
        if not isinstance(estimate, Mapping) or estimate.get("version") is None:
            return False
        return not isinstance(before, Mapping) or before.get("version") != estimate.get("version")
    return False


def customer_events(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """The customer events one committed change caused (old None: the ticket was created)."""
    return [event for event, rule in CUSTOMER_EVENTS.items() if _happened(rule, old, new)]


# ------------------------------------------------------------------------------------------- channels


def channels_environment(sms: bool) -> dict[str, str]:
    """The functions' environment for the stage's SMS switch (the CDK app and the local stack set it)."""
    return {ENV_CUSTOMER_SMS: "true" if sms else "false"}


def offered_channels(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The channels this stage offers: EMAIL always, SMS only when ENV_CUSTOMER_SMS is "true"."""
    sms_on = environ.get(ENV_CUSTOMER_SMS, "").strip().lower() == "true"
    return CHANNELS if sms_on else tuple(c for c in CHANNELS if c != SMS)


def default_notify_by(customer: Mapping[str, Any]) -> list[str]:
    """When the customer did not choose: e-mail if they gave one; SMS is never on by default."""
    return [EMAIL] if customer.get("email") else []


def validate_notify_by(
    value: Any,
    customer: Mapping[str, Any],
    path: str = "notifyBy",
    *,
    offered: Sequence[str] = CHANNELS,
) -> list[str]:
    """Channels in a fixed order without repeats; each is one the stage `offered` (offered_channels)
    and needs its contact on the ticket."""
    if value is None:
        return default_notify_by(customer)
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ValidationError(f"{path} must be a list of channels")
    chosen = set()
    for channel in value:
        if channel not in CHANNELS:
            raise ValidationError(f"{path} may hold only {', '.join(CHANNELS)}")
        if channel not in offered:
            raise ValidationError(f"{path}: {SMS_OFF_MESSAGE}")  # EMAIL is always offered
        if not customer.get(CHANNEL_CONTACT[channel]):
            raise ValidationError(f"{path}: {channel} needs the customer's {CHANNEL_CONTACT[channel]}")
        chosen.add(channel)
    return [c for c in CHANNELS if c in chosen]


def notify_by(customer: Mapping[str, Any]) -> list[str]:
    """The stored choice, or the default for tickets created before choices existed."""
    stored = customer.get("notifyBy")
    return list(stored) if isinstance(stored, list) else default_notify_by(customer)


def recipients(event: str, customer: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(channel, address) for each channel the customer chose that has its contact."""
    out = []
    for channel in notify_by(customer):
        address = customer.get(CHANNEL_CONTACT[channel])
        if address:
            out.append((channel, str(address)))
    return out


# ------------------------------------------------------------------------------------------- contacts

_LINK_DOMAIN = "pitstop-contact:v1:"


def normalize_contact(value: Any) -> str:
    """An e-mail lower-cased, or a phone as its digits (a leading 00 or + dropped, a 10-digit number
    read as North American); anything else as its trimmed lower-case text. Never raises: the answer to
    requestTrackingLink must not depend on the contact."""
    # Lazy: the unicode database is only needed to normalise text (cold start; bench/cold_start.py).
    import unicodedata

    text = unicodedata.normalize("NFC", str(value or "")).strip()
    if "@" in text:
        return text.lower()
    digits = re.sub(r"\D", "", text)
    if digits.startswith("00"):
        digits = digits[2:]
    if len(digits) == 10 and not text.lstrip().startswith("+"):
        digits = "1" + digits
    return "+" + digits if digits else text.lower()


def contact_key(value: Any) -> str:
    """sha256 of the normalised contact: what is stored for a link request (never the contact itself)."""
    return hashlib.sha256((_LINK_DOMAIN + normalize_contact(value)).encode()).hexdigest()


def matching_channel(contact_hash: str, customer: Mapping[str, Any]) -> tuple[str, str] | None:
    """(channel, address) of the ticket's contact whose normalised form hashes to `contact_hash`."""
    for channel in CHANNELS:
        address = customer.get(CHANNEL_CONTACT[channel])
        if address and contact_key(address) == contact_hash:
            return channel, str(address)
    return None


# -------------------------------------------------------------------------------------------- messages


# A NamedTuple rather than a frozen dataclass: as immutable, at a fraction of the class-creation cost
# on import (cold start of the resolver Lambdas; bench/cold_start.py).
class Message(NamedTuple):
    subject: str
    text: str
    html: str


def tracking_link(site: str, ticket_id: str, token: str) -> str:
    return f"{site.rstrip('/')}/track#id={ticket_id}&token={token}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def email_message(
    event: str, ticket: Mapping[str, Any], link: str, workshop: str, note: str | None
) -> Message:
    """Plain text plus simple HTML; the customer's name is the only text they gave that it repeats."""
    subject_format, sentence, _ = EVENT_TEXT[event]
    reference = str(ticket["reference"])
    name = " ".join(str((ticket.get("customer") or {}).get("name", "")).split())
    lines = [f"Hello {name}," if name else "Hello,", "", sentence, f"Reference: {reference}"]
    if note:
        lines += ["", f"Note from {workshop}: {note}"]
    lines += ["", f"Follow your repair: {link}", "", f"{workshop}"]
    html_lines = [
        f"<p>{_escape(lines[0])}</p>",
        f"<p>{_escape(sentence)}<br>Reference: <b>{reference}</b></p>",
    ]
    if note:
        html_lines.append(f"<p>Note from {_escape(workshop)}: {_escape(note)}</p>")
    html_lines += [f'<p><a href="{_escape(link)}">Follow your repair</a></p>', f"<p>{_escape(workshop)}</p>"]
    return Message(
        subject=subject_format.format(reference=reference),
        text="\n".join(lines) + "\n",
        html="<html><body>" + "".join(html_lines) + "</body></html>",
    )


def sms_text(event: str, ticket: Mapping[str, Any], link: str, workshop: str) -> str:
    """Short: workshop, reference, the sentence, the link (the link alone is ~100 characters)."""
    _, _, sentence = EVENT_TEXT[event]
    return f"{ascii_only(workshop)[:SMS_WORKSHOP_MAX].strip()}: {ticket['reference']} {sentence} {link}"


def ascii_only(text: str) -> str:
    """GSM-friendly: accents folded, other non-ASCII dropped, so the SMS stays in one 7-bit encoding."""
    # Lazy: the unicode database is only needed to normalise text (cold start; bench/cold_start.py).
    import unicodedata

    folded = unicodedata.normalize("NFKD", " ".join(text.split())).encode("ascii", "ignore").decode()
    return "".join(c for c in folded if c.isprintable())


def latest_note(ticket: Mapping[str, Any], status: str) -> str | None:
    """The public note of the history entry that made the status (never the internal note)."""
    for entry in reversed(ticket.get("history") or []):
        if entry.get("status") == status:
            note = entry.get("note")
            return str(note) if note else None
    return None
