"""SNS adapter: the staff e-mail for new tickets (one ticket, or a digest of several) and its attributes.

The facts we control (reference, vehicle, contact, link) come first; the customer's own text comes
last, every line quoted with "> " between two marker lines, so a description cannot pass itself
off as another "Contact:" or "Open it:" block.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import aws
from .events import TICKET_CREATED

MAX_SUBJECT = 99  # SNS: "must be less than 100 characters", ASCII, no line breaks
QUOTE_START = "----- customer's description (their words, not checked) -----"
QUOTE_END = "----- end of the customer's description -----"


@dataclass(frozen=True)
class StaffMail:
    subject: str
    message: str


def ascii_line(text: str) -> str:
    """Printable ASCII on one line: accents folded (é -> e), other characters and controls dropped."""
    # Lazy: the unicode database is only needed to normalise text (cold start; bench/cold_start.py).
    import unicodedata

    folded = unicodedata.normalize("NFKD", " ".join(text.split())).encode("ascii", "ignore").decode()
    return " ".join("".join(c for c in folded if c.isprintable()).split())


def _short(text: str) -> str:
    text = ascii_line(text)
    return text if len(text) <= MAX_SUBJECT else text[: MAX_SUBJECT - 3].rstrip() + "..."


def vehicle_label(vehicle: Mapping[str, Any]) -> str:
    parts = [str(vehicle.get("year") or ""), str(vehicle.get("make") or ""), str(vehicle.get("model") or "")]
    return " ".join(p for p in parts if p)


def subject(ticket: Mapping[str, Any]) -> str:
    return _short(f"New ticket {ticket['reference']}: {vehicle_label(ticket.get('vehicle') or {})}")


def digest_subject(tickets: Sequence[Mapping[str, Any]]) -> str:
    return _short(f"{len(tickets)} new tickets: " + ", ".join(str(t["reference"]) for t in tickets))


def staff_link(ticket: Mapping[str, Any]) -> str:
    base = os.environ.get("STAFF_PAGE_URL", "").strip()
    if not base:
        return f"(staff page) ticket {ticket['reference']}"
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}ticket={ticket['id']}"


def _one_line(value: Any) -> str:
    """A customer-given field (name, plate, ...) on one line, so it cannot start a line of its own."""
    return " ".join(str(value).split())


def quoted(text: str) -> list[str]:
    """The customer's text, fenced: a marker line, every line prefixed with "> ", a marker line."""
    lines = str(text).splitlines() or [""]
    return [QUOTE_START, *(f"> {line}".rstrip() for line in lines), QUOTE_END]


def ticket_block(ticket: Mapping[str, Any]) -> list[str]:
    """One ticket: facts and link first, then the customer's description, fenced."""
    vehicle = ticket.get("vehicle") or {}
    customer = ticket.get("customer") or {}
    lines = [
        f"Ticket:   {ticket['reference']}",
        f"Open it:  {staff_link(ticket)}",
        f"Vehicle:  {_one_line(vehicle_label(vehicle))}",
    ]
    for label, key in (("VIN", "vin"), ("Plate", "licensePlate"), ("Mileage", "mileage")):
        if vehicle.get(key) is not None:
            lines.append(f"{label + ':':<9} {_one_line(vehicle[key])}")
    lines.append(f"Name:     {_one_line(customer.get('name', ''))}")
    if customer.get("email"):
        lines.append(f"E-mail:   {_one_line(customer['email'])}")
    if customer.get("phone"):
        lines.append(f"Phone:    {_one_line(customer['phone'])}")
    lines.append(f"Submitted: {ticket.get('createdAt', '')}")
    return [*lines, "", *quoted(str(ticket.get("description", "")))]


def body(ticket: Mapping[str, Any]) -> str:
    return "\n".join(
        [f"A new repair ticket was submitted: {ticket['reference']}", "", *ticket_block(ticket), ""]
    )


def digest_body(tickets: Sequence[Mapping[str, Any]]) -> str:
    lines = [f"{len(tickets)} new repair tickets were submitted in a short time:", ""]
    lines += [f"  {t['reference']}  {staff_link(t)}" for t in tickets]
    for number, ticket in enumerate(tickets, 1):
        lines += ["", f"===== {number} of {len(tickets)} =====", *ticket_block(ticket)]
    return "\n".join([*lines, ""])


def new_ticket_mail(tickets: Sequence[Mapping[str, Any]]) -> StaffMail:
    """One ticket's e-mail, or the digest of several."""
    if len(tickets) == 1:
        return StaffMail(subject(tickets[0]), body(tickets[0]))
    return StaffMail(digest_subject(tickets), digest_body(tickets))


def send(mail: StaffMail, limits: aws.CallLimits | None = None) -> str:
    """Publish a new-ticket e-mail to TOPIC_ARN; returns the SNS MessageId. Raises on failure."""
    resp = aws.client("sns", limits).publish(
        TopicArn=os.environ["TOPIC_ARN"],
        Subject=mail.subject,
        Message=mail.message,
        MessageAttributes={
            "event": {"DataType": "String", "StringValue": TICKET_CREATED},
            "status": {"DataType": "String", "StringValue": "SUBMITTED"},
        },
    )
    return str(resp["MessageId"])
