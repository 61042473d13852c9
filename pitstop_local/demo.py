"""A few demo tickets (fictional people, example.com addresses, 555-01xx numbers), created through the
real path: GraphQL over HTTP to the running server, the customer with the API key, the staff moves
with a Cognito token. Off with PITSTOP_DEMO_DATA=0.
"""

from __future__ import annotations

from typing import Any

import httpx

from .cognito import staff_id_token
from .settings import LocalSettings

CREATE = """
mutation Create($input: CreateTicketInput!) {
  createTicket(input: $input) { ticket { id reference status version } trackingToken }
}"""
MOVE = """
mutation Move($input: UpdateTicketStatusInput!) {
  updateTicketStatus(input: $input) { id status version }
}"""
ESTIMATE = """
mutation Estimate($input: SendEstimateInput!) {
  sendEstimate(input: $input) { id status version }
}"""

# The first ticket then gets an estimate to answer (the ticket moves to AWAITING_APPROVAL), so the board,
# the tracking page and the console show one: lines as staff would write them, prices in minor units.
DEMO_ESTIMATE_LINES: list[dict[str, Any]] = [
    {"kind": "PART", "description": "Front brake pads (pair)", "quantity": 1, "unitPrice": 6490},
    {"kind": "PART", "description": "Front brake discs", "quantity": 2, "unitPrice": 5850},
    {"kind": "LABOR", "description": "Fit pads and discs, test drive", "quantity": 1.5, "unitPrice": 7200},
]

TICKETS: list[tuple[dict[str, Any], list[tuple[str, str | None]]]] = [
    (
        {
            "vehicle": {"make": "Volkswagen", "model": "Golf", "year": 2017, "licensePlate": "DEMO-101"},
            "description": "Grinding noise from the front left wheel when braking.",
            "customer": {"name": "Ada Example", "email": "ada@example.com"},
            "clientToken": "pitstop-demo-ticket-1",
        },
        [("RECEIVED", None), ("DIAGNOSING", "Brake pads worn down to the metal.")],
    ),
    (
        {
            "vehicle": {"make": "Toyota", "model": "Corolla", "year": 2012, "mileage": 184000},
            "description": "Check-engine light on since Monday; idles roughly.",
            "customer": {"name": "Bo Sample", "phone": "+12065550142"},
            "clientToken": "pitstop-demo-ticket-2",
        },
        [("RECEIVED", None)],
    ),
    (
        {
            "vehicle": {"make": "Ford", "model": "Transit", "year": 2020, "licensePlate": "DEMO-303"},
            "description": "Annual service and a new set of wiper blades.",
            "customer": {"name": "Cy Placeholder", "email": "cy@example.org", "phone": "+12065550199"},
            "clientToken": "pitstop-demo-ticket-3",
        },
        [],
    ),
]


def _call(
    client: httpx.Client, url: str, headers: dict[str, str], query: str, variables: dict[str, Any]
) -> Any:
    response = client.post(url, json={"query": query, "variables": variables}, headers=headers)
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"demo data: {body['errors'][0].get('message')}")
    return body["data"]


def seed(settings: LocalSettings, outputs: dict[str, Any]) -> list[str]:
    """Create the demo tickets; returns their references."""
    url = outputs["data"]["url"]
    public = {"x-api-key": outputs["data"]["api_key"]}
    references: list[str] = []
    with httpx.Client(timeout=10.0) as client:
        staff: dict[str, str] | None = None
        for ticket_input, moves in TICKETS:
            created = _call(client, url, public, CREATE, {"input": ticket_input})["createTicket"]["ticket"]
            references.append(created["reference"])
            version = created["version"]
            for status, note in moves:
                if staff is None:
                    token = staff_id_token(outputs, settings.staff_username, settings.staff_password)
                    staff = {"Authorization": token}
                change = {"id": created["id"], "status": status, "note": note, "expectedVersion": version}
                version = _call(client, url, staff, MOVE, {"input": change})["updateTicketStatus"]["version"]
            if ticket_input is TICKETS[0][0] and staff is not None:
                estimate = {
                    "ticketId": created["id"],
                    "lines": DEMO_ESTIMATE_LINES,
                    "note": "Pads and discs are both past their limit.",
                    "expectedVersion": version,
                }
                _call(client, url, staff, ESTIMATE, {"input": estimate})
    return references
