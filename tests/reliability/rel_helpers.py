"""Helpers for the reliability tests: callers (every credential kind), raw HTTP/WebSocket probes,
gql clients, ticket factories and AppSync response-shape checks
(the behaviours and sources in packages/appsync-local/README.md, "What it promises").

Imported as `rel_helpers` (pyproject.toml's pytest `pythonpath` lists this folder).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import json
import os
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import jwt
from appsync_clients import AckingTransport
from gql import Client, GraphQLRequest, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import (
    AppSyncApiKeyAuthentication,
    AppSyncAuthentication,
    AppSyncIAMAuthentication,
    AppSyncJWTAuthentication,
)
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[2]

TICKET_FIELDS = """id reference status description version createdAt updatedAt
  vehicle { make model year vin licensePlate mileage } history { status at by note }"""
STAFF_TICKET_FIELDS = TICKET_FIELDS + " customer { name email phone }"

CREATE = f"""mutation Create($input: CreateTicketInput!) {{
  createTicket(input: $input) {{ ticket {{ {TICKET_FIELDS} }} trackingToken }} }}"""
TRACK = f"""query Track($id: ID!, $token: String) {{
  ticket(id: $id, trackingToken: $token) {{ {TICKET_FIELDS} }} }}"""
STAFF_GET = f"""query Get($id: ID!) {{ ticket(id: $id) {{ {STAFF_TICKET_FIELDS} }} }}"""
MOVE = f"""mutation Move($input: UpdateTicketStatusInput!) {{
  updateTicketStatus(input: $input) {{ {TICKET_FIELDS} }} }}"""
MOVE_ID = (
    """mutation Move($input: UpdateTicketStatusInput!) { updateTicketStatus(input: $input) { id version } }"""
)
LIST = """query List($status: TicketStatus, $limit: Int, $next: String) {
  tickets(status: $status, limit: $limit, nextToken: $next) {
    items { id description version } nextToken } }"""
ON_UPDATED = f"""subscription Updated($id: ID!, $token: String) {{
  onTicketUpdated(id: $id, trackingToken: $token) {{ {TICKET_FIELDS} }} }}"""
ON_ACTIVITY = f"""subscription Activity {{ onTicketActivity {{ {STAFF_TICKET_FIELDS} }} }}"""
PUBLISH = f"""mutation P($t: PublishedTicketInput!) {{
  publishTicketChange(ticket: $t) {{ {STAFF_TICKET_FIELDS} }} }}"""

# Error types our rules and AppSync may answer with; anything else in a response is a finding.
RULE_ERROR_TYPES = {
    "ValidationError",
    "NotFoundError",
    "ConflictError",
    "UnauthorizedException",
    "Unauthorized",
    # AppSync's own limits (api_config.json "limits"), refused before or instead of a resolver
    "ResolverExecutionLimitReached",
    "QueryDepthLimitReached",
    # the local server's bound on selected fields (packages/appsync-local README: no AppSync equivalent)
    "QueryTooComplex",
}
# AppSync's own messages without errorType (validation of documents, variables, scalars).
PLAIN_MESSAGE_RE = re.compile(
    r"^(Validation error of type |Variable '|Can't serialize value|Cannot return null for non-nullable type"
    r"|Unknown operation named|Must provide operation name|Variables must be a JSON object"
    r"|Maximum char length exceeded|Query depth limit|Invalid Syntax|Maximum"
    r"|The variables input contains a field)"
)
LEAK_RE = re.compile(
    r"Traceback|File \"|\.py\b|botocore|boto3|dynamodb|TransactionCanceled|ClientError|KeyError|"
    r"TypeError|AttributeError|RecursionError|pk\b|TICKET#|tokenHash|arn:aws",
    re.IGNORECASE,
)


def ticket_input(n: int | str = 1, **overrides: Any) -> dict[str, Any]:
    """A fictional customer's request (example.com addresses only)."""
    value: dict[str, Any] = {
        "vehicle": {"make": "Skoda", "model": "Octavia", "year": 2015, "licensePlate": f"REL-{n}"[:16]},
        "description": f"Reliability ticket {n}: squeaky brakes.",
        "customer": {"name": f"Rel Customer {n}", "email": f"rel{n}@example.com"},
    }
    value.update(overrides)
    return value


def host_of(url: str) -> str:
    return urlparse(url).netloc


# ---------------------------------------------------------------------------------------------- callers


@dataclass
class Caller:
    """One kind of caller: how it authenticates (gql's own AppSync auth classes, or none)."""

    name: str
    auth: AppSyncAuthentication | None  # None: no credential at all

    def http_headers(self, body: str, host: str) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if self.auth is not None:
            signed = self.auth.get_headers(body, {"content-type": "application/json"})
            headers.update({k: v for k, v in signed.items() if k.lower() != "host"})
        return headers

    def connect_headers(self, host: str) -> dict[str, str]:
        return dict(self.auth.get_headers()) if self.auth is not None else {"host": host}

    def start_authorization(self, data: str, host: str) -> dict[str, str]:
        if self.auth is None:
            return {"host": host}
        if isinstance(self.auth, AppSyncIAMAuthentication):
            return dict(self.auth.get_headers(data))
        return dict(self.auth.get_headers(data))


def moto_private_jwk() -> dict[str, Any]:
    """The RSA key moto signs every user pool's tokens with (it ships inside the moto package)."""
    import moto

    path = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz"
    return dict(json.loads(gzip.decompress(path.read_bytes())))


def sign_claims(claims: dict[str, Any], private_jwk: dict[str, Any] | None = None, kid: str = "dummy") -> str:
    """Sign claims with moto's key (None) or a given private key (a forger's)."""
    key = jwt.PyJWK(moto_private_jwk()).key if private_jwk is None else private_jwk
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def forged_token(real_token: str) -> str:
    """The staff token's exact claims (group staff, right issuer and client), signed with our own key."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    claims = jwt.decode(real_token, options={"verify_signature": False})
    claims["exp"] = int(time.time()) + 3600
    own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, own_key, algorithm="RS256", headers={"kid": "dummy"})  # type: ignore[arg-type]


def expired_token(real_token: str) -> str:
    """The staff token's claims with `exp` an hour ago, signed with moto's real signing key."""
    claims = jwt.decode(real_token, options={"verify_signature": False})
    now = int(time.time())
    claims.update(iat=now - 7200, auth_time=now - 7200, exp=now - 3600)
    return sign_claims(claims)


def cognito_admin(stack: Any) -> Any:
    return stack.aws_client("cognito-idp")


def create_cognito_user(
    stack: Any, email: str, password: str, group: str | None = None, pool_id: str | None = None
) -> None:
    idp = cognito_admin(stack)
    pool = pool_id or stack.outputs["auth"]["user_pool_id"]
    idp.admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )
    idp.admin_set_user_password(UserPoolId=pool, Username=email, Password=password, Permanent=True)
    if group:
        idp.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)


def other_pool_token(stack: Any) -> str:
    """A genuine moto-signed ID token of a user in group `staff` of ANOTHER user pool."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    idp = cognito_admin(stack)
    pool = idp.create_user_pool(PoolName=f"other-{uuid.uuid4().hex[:6]}", UsernameAttributes=["email"])
    pool_id = pool["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="other",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    idp.create_group(UserPoolId=pool_id, GroupName="staff")
    email, password = "intruder@example.com", "Other-Passw0rd!"
    create_cognito_user(stack, email, password, group="staff", pool_id=pool_id)
    unsigned = boto3.session.Session().client(
        "cognito-idp",
        region_name=stack.region,
        endpoint_url=stack.aws_endpoint_url,
        config=Config(signature_version=UNSIGNED),
    )
    result = unsigned.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return str(result["AuthenticationResult"]["IdToken"])


def iam_auth(stack: Any, secret: str | None = None) -> AppSyncIAMAuthentication:
    from botocore.credentials import Credentials

    credentials = Credentials(stack.iam_access_key_id, secret or stack.iam_secret_access_key)
    return AppSyncIAMAuthentication(
        host=host_of(stack.graphql_url), region_name=stack.region, credentials=credentials
    )


def api_key_auth(stack: Any, key: str | None = None) -> AppSyncApiKeyAuthentication:
    return AppSyncApiKeyAuthentication(host=host_of(stack.graphql_url), api_key=key or stack.api_key)


def jwt_auth(stack: Any, token: str | None = None) -> AppSyncJWTAuthentication:
    return AppSyncJWTAuthentication(host=host_of(stack.graphql_url), jwt=token or stack.staff_id_token())


# ---------------------------------------------------------------------------------------------- gql


@contextlib.asynccontextmanager
async def gql_http(stack: Any, auth: AppSyncAuthentication) -> AsyncIterator[Any]:
    transport = AIOHTTPTransport(url=stack.graphql_url, auth=auth, timeout=30)
    async with Client(transport=transport, fetch_schema_from_transport=False, execute_timeout=30) as session:
        yield session


async def run(session: Any, document: str, variables: dict[str, Any] | None = None) -> Any:
    return await session.execute(GraphQLRequest(gql(document), variable_values=variables or None))


@contextlib.asynccontextmanager
async def gql_ws(stack: Any, auth: AppSyncAuthentication, url: str | None = None) -> AsyncIterator[Any]:
    transport = AckingTransport(url=url or stack.realtime_url, auth=auth, connect_timeout=10)
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        yield session, transport


class Subscription:
    """One gql subscription in a task; results with their arrival time (monotonic)."""

    def __init__(self, session: Any, transport: AckingTransport, document: str, variables: dict[str, Any]):
        self.session, self.transport, self.document, self.variables = session, transport, document, variables
        self.received: list[tuple[float, dict[str, Any]]] = []
        self.event = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.on_result: Callable[[float, dict[str, Any]], None] | None = None

    async def _run(self) -> None:
        request = GraphQLRequest(gql(self.document), variable_values=self.variables or None)
        async for result in self.session.subscribe(request):
            now = time.monotonic()
            self.received.append((now, result))
            if self.on_result is not None:
                self.on_result(now, result)
            self.event.set()

    async def start(self, timeout: float = 15.0) -> Subscription:
        before = self.transport.start_acks
        self.task = asyncio.create_task(self._run())
        deadline = time.monotonic() + timeout
        while self.transport.start_acks == before:
            if self.task.done():
                self.task.result()
                raise AssertionError("subscription ended before start_ack")
            if time.monotonic() > deadline:
                raise TimeoutError("no start_ack")
            await asyncio.sleep(0.01)
        return self

    def payloads(self, field: str) -> list[dict[str, Any]]:
        return [r[field] for _, r in self.received if r.get(field)]

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


async def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(interval)
    return True


# ---------------------------------------------------------------------------------------------- raw probes


def encode_header(headers: dict[str, str]) -> str:
    return base64.b64encode(json.dumps(headers).encode()).decode()


def realtime_url(stack: Any, headers: dict[str, str]) -> str:
    return f"{stack.realtime_url}?header={encode_header(headers)}&payload=e30="


async def open_raw_ws(
    stack: Any, connect_headers: dict[str, str], init: bool = True, subprotocols: list[str] | None = None
) -> tuple[ClientConnection, dict[str, Any]]:
    """Open a raw AppSync real-time socket; returns it and the first answer (ack or connection_error)."""
    ws = await connect(
        realtime_url(stack, connect_headers),
        subprotocols=subprotocols or ["graphql-ws"],
        open_timeout=10,
        max_size=2**22,
    )  # type: ignore[list-item]
    if not init:
        return ws, {}
    await ws.send(json.dumps({"type": "connection_init"}))
    first = await next_message(ws, skip=("ka",))
    return ws, first


async def next_message(
    ws: ClientConnection, timeout: float = 10.0, skip: tuple[str, ...] = ("ka",)
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no message")
        raw = await asyncio.wait_for(ws.recv(), remaining)
        message = json.loads(raw)
        if message.get("type") not in skip:
            return dict(message)


def start_message(
    sid: str, query: str, variables: dict[str, Any], authorization: dict[str, str]
) -> dict[str, Any]:
    data = json.dumps({"query": query, "variables": variables})
    return {
        "id": sid,
        "type": "start",
        "payload": {"data": data, "extensions": {"authorization": authorization}},
    }


# ---------------------------------------------------------------------------------------------- shape checks


def check_error_shape(error: dict[str, Any]) -> None:
    """One GraphQL error as AppSync shapes it: errorType at the root (never `extensions`), no internals."""
    assert "extensions" not in error, error
    message = error.get("message")
    assert isinstance(message, str) and message, error
    assert not LEAK_RE.search(message), f"internal detail leaked: {error}"
    error_type = error.get("errorType")
    if error_type is None:
        assert PLAIN_MESSAGE_RE.match(message), f"unexpected plain error message: {error}"
        return
    assert error_type in RULE_ERROR_TYPES, f"unexpected errorType: {error}"
    assert set(error) >= {"path", "locations", "message", "errorType"}, error
    if error_type == "Unauthorized":
        assert re.fullmatch(r"Not Authorized to access \w+ on type \w+", message), error
        assert error["errorInfo"] is None and error["data"] is None, error


def check_http_response(response: httpx.Response) -> str:
    """Check a /graphql response against AppSync's HTTP shapes (graphql/graphql-over-http#81); returns
    its class: 'ok', 'errors' (200 with errors), 'malformed' (400, or 413 for a body over the limit) or
    'unauthorized' (401)."""
    status = response.status_code
    assert status in (200, 400, 401, 413), f"HTTP {status}: {response.text[:500]}"
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict), body
    assert not LEAK_RE.search(json.dumps(body["errors"]) if "errors" in body else ""), body
    if status in (400, 413):
        assert body == {
            "errors": [
                {"errorType": "MalformedHttpRequestException", "message": body["errors"][0]["message"]}
            ]
        }, body
        return "malformed"
    if status == 401:
        assert response.headers.get("x-amzn-ErrorType") == "UnauthorizedException", response.headers
        [error] = body["errors"]
        assert error["errorType"] == "UnauthorizedException", body
        return "unauthorized"
    assert "data" in body, body
    for error in body.get("errors") or []:
        check_error_shape(error)
    return "errors" if body.get("errors") else "ok"


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def report_dir() -> Path:
    path = Path(os.environ.get("PITSTOP_REPORT_DIR") or (ROOT / ".pytest_cache" / "reliability"))
    path.mkdir(parents=True, exist_ok=True)
    return path
