"""gql clients as users run them: HTTP (AIOHTTPTransport), real-time (AppSyncWebsocketsTransport)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from gql import Client, GraphQLRequest, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import (
    AppSyncApiKeyAuthentication,
    AppSyncAuthentication,
    AppSyncJWTAuthentication,
)
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport

TICKET_FIELDS = """id reference status description version createdAt updatedAt
  vehicle { make model year vin licensePlate mileage } history { status at by note }"""
CREATE_TICKET = gql(
    f"""mutation Create($input: CreateTicketInput!) {{
  createTicket(input: $input) {{ ticket {{ {TICKET_FIELDS} }} trackingToken }} }}"""
)
TRACK_TICKET = gql(
    f"""query Track($id: ID!, $token: String) {{
  ticket(id: $id, trackingToken: $token) {{ {TICKET_FIELDS} }} }}"""
)
UPDATE_STATUS = gql(
    f"""mutation Move($input: UpdateTicketStatusInput!) {{
  updateTicketStatus(input: $input) {{ {TICKET_FIELDS} }} }}"""
)
ON_TICKET_UPDATED = gql(
    f"""subscription Updated($id: ID!, $token: String) {{
  onTicketUpdated(id: $id, trackingToken: $token) {{ {TICKET_FIELDS} }} }}"""
)


def request(document: Any, variables: dict[str, Any]) -> GraphQLRequest:
    return GraphQLRequest(document, variable_values=variables)


def ticket_input(n: int) -> dict[str, Any]:
    """A fictional customer's request, as the customer page sends it."""
    return {
        "vehicle": {"make": "Skoda", "model": "Octavia", "year": 2015, "licensePlate": f"BENCH-{n:04d}"},
        "description": f"Bench ticket {n}: squeaky brakes at low speed.",
        "customer": {"name": f"Bench Customer {n}", "email": f"bench{n}@example.com"},
    }


def api_key_auth(target: Any) -> AppSyncApiKeyAuthentication:
    return AppSyncApiKeyAuthentication(host=urlparse(target.graphql_url).netloc, api_key=target.api_key)


def staff_auth(target: Any) -> AppSyncJWTAuthentication:
    return AppSyncJWTAuthentication(host=urlparse(target.graphql_url).netloc, jwt=target.staff_id_token())


def http_client(target: Any, auth: AppSyncAuthentication) -> Client:
    transport = AIOHTTPTransport(url=target.graphql_url, auth=auth, timeout=30)
    return Client(transport=transport, fetch_schema_from_transport=False, execute_timeout=30)


class TimedTransport(AppSyncWebsocketsTransport):
    """gql's AppSync transport, stamping each message the moment it is parsed off the socket
    (before gql hands it to the subscriber's async iterator)."""

    def __init__(self, *args: Any, on_message: Callable[[str, Any, float], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_message = on_message

    def _parse_answer(self, answer: str) -> Any:
        received = time.perf_counter()
        parsed = super()._parse_answer(answer)
        self.on_message(parsed[0], parsed[2], received)
        return parsed
