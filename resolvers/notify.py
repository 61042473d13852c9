"""SNS adapter: the staff e-mail for a new ticket (text and message attributes)."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from typing import Any

from . import aws

EVENT_TICKET_CREATED = "TICKET_CREATED"
MAX_SUBJECT = 99  # SNS: "must be less than 100 characters", ASCII, no line breaks

def client() -> Any:
    return aws.client("sns")


def ascii_line(text: str) -> str:
    """Printable ASCII on one line: accents folded (é -> e), other characters and controls dropped."""
    folded = unicodedata.normalize("NFKD", " ".join(text.split())).encode("ascii", "ignore").decode()
    return " ".join("".join(c for c in folded if c.isprintable()).split())


def vehicle_label(vehicle: Mapping[str, Any]) -> str:
    parts = [str(vehicle.get("year") or ""), str(vehicle.get("make") or ""), str(vehicle.get("model") or "")]
    return " ".join(p for p in parts if p)


def subject(ticket: Mapping[str, Any]) -> str:
    text = ascii_line(f"New ticket {ticket['reference']}: {vehicle_label(ticket.get('vehicle') or {})}")
    return text if len(text) <= MAX_SUBJECT else text[: MAX_SUBJECT - 3].rstrip() + "..."


def staff_link(ticket: Mapping[str, Any]) -> str:
    base = os.environ.get("STAFF_PAGE_URL", "").strip()
    if not base:
        return f"(staff page) ticket {ticket['reference']}"
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}ticket={ticket['id']}"


def body(ticket: Mapping[str, Any]) -> str:
    vehicle = ticket.get("vehicle") or {}
    customer = ticket.get("customer") or {}
    lines = [
        f"A new repair ticket was submitted: {ticket['reference']}",
        "",
        f"Vehicle:  {vehicle_label(vehicle)}",
    ]
    for label, key in (("VIN", "vin"), ("Plate", "licensePlate"), ("Mileage", "mileage")):
        if vehicle.get(key) is not None:
            lines.append(f"{label + ':':<9} {vehicle[key]}")
    lines += ["", "Description:", str(ticket.get("description", "")), "", "Contact:"]
    lines.append(f"  Name:   {customer.get('name', '')}")
    if customer.get("email"):
        lines.append(f"  E-mail: {customer['email']}")
    if customer.get("phone"):
        lines.append(f"  Phone:  {customer['phone']}")
    lines += ["", f"Submitted: {ticket.get('createdAt', '')}", f"Open it: {staff_link(ticket)}", ""]
    return "\n".join(lines)


def send_new_ticket(ticket: Mapping[str, Any]) -> str:
    """Publish the new-ticket e-mail to TOPIC_ARN; returns the SNS MessageId. Raises on failure."""
    resp = client().publish(
        TopicArn=os.environ["TOPIC_ARN"],
        Subject=subject(ticket),
        Message=body(ticket),
        MessageAttributes={
            "event": {"DataType": "String", "StringValue": EVENT_TICKET_CREATED},
            "status": {"DataType": "String", "StringValue": str(ticket["status"])},
        },
    )
    return str(resp["MessageId"])
