"""GraphQL clients for the stack tests, as users run them: gql over HTTP (AIOHTTPTransport) and the
AppSync real-time protocol (AppSyncWebsocketsTransport) with API key, Cognito JWT or IAM auth.

Tests are plain functions that run a coroutine with `asyncio.run` (no asyncio plugin needed).
Imported by tests under tests/appsync_local/ as `appsync_clients` (conftest.py puts this folder on the path).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlparse

import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import (
    AppSyncApiKeyAuthentication,
    AppSyncAuthentication,
    AppSyncIAMAuthentication,
    AppSyncJWTAuthentication,
)
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport

TICKET_FIELDS = """
  id reference status description version createdAt updatedAt
  vehicle { make model year vin licensePlate mileage }
  history { status at by note }
"""
STAFF_TICKET_FIELDS = TICKET_FIELDS + " customer { name email phone }"

CREATE_TICKET = gql(
    f"""mutation Create($input: CreateTicketInput!) {{
  createTicket(input: $input) {{ ticket {{ {TICKET_FIELDS} }} trackingToken }}
}}"""
)
TRACK_TICKET = gql(
    f"""query Track($id: ID!, $token: String) {{
  ticket(id: $id, trackingToken: $token) {{ {TICKET_FIELDS} }}
}}"""
)
MOVE_ID_ONLY = gql(
    """mutation Move($input: UpdateTicketStatusInput!) { updateTicketStatus(input: $input) { id } }"""
)
ON_TICKET_UPDATED = gql(
    f"""subscription Updated($id: ID!, $token: String) {{
  onTicketUpdated(id: $id, trackingToken: $token) {{ {TICKET_FIELDS} }}
}}"""
)
ON_ACTIVITY = gql(f"""subscription Activity {{ onTicketActivity {{ {STAFF_TICKET_FIELDS} }} }}""")
LIST_TICKETS = gql(
    f"""query List($status: TicketStatus, $limit: Int, $next: String) {{
  tickets(status: $status, limit: $limit, nextToken: $next) {{ items {{ {STAFF_TICKET_FIELDS} }} nextToken }}
}}"""
)


def ticket_input(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A fictional customer's request."""
    value: dict[str, Any] = {
        "vehicle": {"make": "Skoda", "model": "Octavia", "year": 2015, "licensePlate": f"TEST-{n:03d}"},
        "description": f"Test ticket {n}: squeaky brakes.",
        "customer": {"name": f"Test Customer {n}", "email": f"customer{n}@example.com"},
    }
    value.update(overrides)
    return value


class AckingTransport(AppSyncWebsocketsTransport):
    """gql's AppSync transport, counting `start_ack`s so a test knows a subscription is live."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_acks = 0

    def _parse_answer(self, answer: str) -> Any:
        parsed = super()._parse_answer(answer)
        if parsed[0] == "start_ack":
            self.start_acks += 1
        return parsed


class Subscription:
    """Runs one gql subscription in a task, collecting its results."""

    def __init__(self, session: Any, transport: AckingTransport, document: Any, variables: dict[str, Any]):
        self.session, self.transport = session, transport
        self.document, self.variables = document, variables
        self.results: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async for result in self.session.subscribe(with_variables(self.document, self.variables)):
            await self.results.put(result)

    async def start(self, timeout: float = 10.0) -> Subscription:
        """Send `start` and wait for its start_ack; raises what the server answered instead."""
        before = self.transport.start_acks
        self.task = asyncio.create_task(self._run())
        deadline = asyncio.get_running_loop().time() + timeout
        while self.transport.start_acks == before:
            if self.task.done():
                self.task.result()  # raises the server's error
                raise AssertionError("subscription ended before start_ack")
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("no start_ack")
            await asyncio.sleep(0.01)
        return self

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        return await asyncio.wait_for(self.results.get(), timeout)

    async def nothing_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.results.get(), seconds)
        except TimeoutError:
            return True
        return False

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


def with_variables(document: GraphQLRequest, variables: dict[str, Any] | None) -> GraphQLRequest:
    return GraphQLRequest(document, variable_values=variables or None)


class Session:
    """gql's session, with `execute(document, variable_values=...)` (gql 4 wants a GraphQLRequest)."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def execute(self, document: GraphQLRequest, variable_values: dict[str, Any] | None = None) -> Any:
        return await self.session.execute(with_variables(document, variable_values))


class Api:
    """The clients a customer, a staff member and the backend use, against one target."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.host = urlparse(target.graphql_url).netloc

    def api_key_auth(self, key: str | None = None) -> AppSyncApiKeyAuthentication:
        return AppSyncApiKeyAuthentication(host=self.host, api_key=key or self.target.api_key)

    def jwt_auth(self, token: str | None = None) -> AppSyncJWTAuthentication:
        return AppSyncJWTAuthentication(host=self.host, jwt=token or self.target.staff_id_token())

    def iam_auth(self) -> AppSyncIAMAuthentication:
        from botocore.credentials import Credentials

        if not self.target.iam_access_key_id:
            pytest.skip("IAM credentials are known only for the local stack")
        credentials = Credentials(self.target.iam_access_key_id, self.target.iam_secret_access_key)
        region = self.target.region
        return AppSyncIAMAuthentication(host=self.host, region_name=region, credentials=credentials)

    @contextlib.asynccontextmanager
    async def http(self, auth: AppSyncAuthentication) -> AsyncIterator[Any]:
        transport = AIOHTTPTransport(url=self.target.graphql_url, auth=auth, timeout=30)
        client = Client(transport=transport, fetch_schema_from_transport=False, execute_timeout=30)
        async with client as session:
            yield Session(session)

    @contextlib.asynccontextmanager
    async def realtime(self, auth: AppSyncAuthentication) -> AsyncIterator[tuple[Any, AckingTransport]]:
        transport = AckingTransport(url=self.target.realtime_url, auth=auth)
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            yield session, transport

    async def subscribe(
        self, ws: tuple[Any, AckingTransport], document: Any, variables: dict[str, Any] | None = None
    ) -> Subscription:
        session, transport = ws
        return await Subscription(session, transport, document, variables or {}).start()
