"""Auth modes (API key, Cognito JWT, IAM SigV4) and AppSync's directive rules."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from appsync_local.engine import CognitoSettings, create_app
from engine_testkit import (
    AKID,
    API_KEY,
    CLIENT_ID,
    EXPIRED_KEY,
    LOCAL,
    POOL_ID,
    REGION,
    Keys,
    api_key_headers,
    free_port,
    make_settings,
    serve_on,
    sigv4_headers,
    staff_headers,
)
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

TICKET_Q = '{ ticket(id: "t-1") { id } }'
UNAUTHORIZED = "You are not authorized to make this call."
PUBLISH = (
    "mutation($t: PublishedTicketInput!) { publishTicketChange(ticket: $t) { id status customer { name } } }"
)
PUBLISHED = {
    "id": "t-9",
    "reference": "PS-ZZZZZZ",
    "status": "RECEIVED",
    "vehicle": {"make": "Saab", "model": "900"},
    "description": "d",
    "customer": {"name": "Ada"},
    "history": [{"status": "SUBMITTED", "at": "2024-01-01T00:00:00Z"}],
    "version": 2,
    "createdAt": "2024-01-01T00:00:00Z",
    "updatedAt": "2024-01-01T00:00:00Z",
}


def post(client: TestClient, headers: dict[str, str], query: str = TICKET_Q) -> Any:
    return client.post("/graphql", json={"query": query}, headers=headers)


def assert_401(response: Any, message: str) -> None:
    assert response.status_code == 401
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    assert response.json() == {"errors": [{"errorType": "UnauthorizedException", "message": message}]}


# -- API key -----------------------------------------------------------------------------------------
def test_api_key(client: TestClient) -> None:
    assert post(client, api_key_headers()).json() == {"data": {"ticket": {"id": "t-1"}}}


def test_missing_credentials(client: TestClient) -> None:
    assert_401(post(client, {}), "Valid authorization header not provided.")


def test_unknown_and_expired_api_keys(client: TestClient) -> None:
    assert_401(post(client, api_key_headers("da2-unknown")), UNAUTHORIZED)
    assert_401(post(client, api_key_headers(EXPIRED_KEY)), UNAUTHORIZED)


def test_api_key_refused_when_the_mode_is_not_configured(keys: Keys) -> None:
    config = json.loads(json.dumps(make_settings(keys).config()))
    config["authorization"]["additional"] = ["AWS_IAM"]
    with TestClient(create_app(make_settings(keys, api_config=config)), base_url=LOCAL) as client:
        assert_401(post(client, api_key_headers()), UNAUTHORIZED)


# -- Cognito -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("token_use", ["id", "access"])
def test_cognito_tokens_raw_and_bearer(client: TestClient, keys: Keys, token_use: str) -> None:
    token = keys.token(token_use, groups=["staff"])
    for value in (token, f"Bearer {token}"):
        body = post(client, {"Authorization": value}, "{ tickets { items { id } } }").json()
        assert body == {"data": {"tickets": {"items": [{"id": "t-1"}, {"id": "t-2"}]}}}


def test_cognito_refusals(client: TestClient, keys: Keys) -> None:
    assert_401(post(client, {"Authorization": keys.token(exp=int(time.time()) - 10)}), "Token has expired.")
    assert_401(post(client, {"Authorization": "not-a-jwt"}), "Unable to parse JWT token.")
    assert_401(post(client, {"Authorization": keys.token(iss="https://elsewhere.example")}), UNAUTHORIZED)
    assert_401(post(client, {"Authorization": keys.token(aud="other-client")}), UNAUTHORIZED)
    assert_401(post(client, {"Authorization": keys.token("access", client_id="other-client")}), UNAUTHORIZED)
    assert_401(post(client, {"Authorization": keys.token(token_use="refresh")}), UNAUTHORIZED)
    forged = Keys("test-kid").token(groups=["staff"])  # same kid, another key: signature fails
    assert_401(post(client, {"Authorization": forged}), UNAUTHORIZED)
    unknown_kid = Keys("other-kid").token()
    assert_401(post(client, {"Authorization": unknown_kid}), UNAUTHORIZED)


@pytest.fixture
def served_jwks_app(keys: Keys) -> Iterator[str]:
    """A real server whose JWKS comes over HTTP from jwks_url (the production path), like moto's."""
    port_holder: dict[str, str] = {}

    async def jwks(_request: Any) -> JSONResponse:
        return JSONResponse(keys.jwks)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cognito = CognitoSettings.for_moto(base, REGION, POOL_ID, client_ids=[CLIENT_ID])
    settings = make_settings(
        keys, cognito=cognito, extra_routes=[Route(f"/{POOL_ID}/.well-known/jwks.json", jwks)]
    )
    with serve_on(create_app(settings), port) as url:
        port_holder["url"] = url
        yield url


def test_jwks_is_fetched_from_the_pool_url(served_jwks_app: str, keys: Keys) -> None:
    response = httpx.post(
        f"{served_jwks_app}/graphql", json={"query": TICKET_Q}, headers=staff_headers(keys), timeout=10
    )
    assert response.json() == {"data": {"ticket": {"id": "t-1"}}}
    assert CognitoSettings.for_moto("http://m:5000/", REGION, POOL_ID).jwks_url == (
        f"http://m:5000/{POOL_ID}/.well-known/jwks.json"
    )


# -- IAM ---------------------------------------------------------------------------------------------
def _publish(client: TestClient, headers_for: Any) -> Any:
    body = json.dumps({"query": PUBLISH, "variables": {"t": PUBLISHED}})
    return client.post("/graphql", content=body, headers=headers_for(body))


def test_iam_sigv4_publish(client: TestClient, events: list[Any]) -> None:
    response = _publish(client, lambda body: sigv4_headers("http://127.0.0.1/graphql", body))
    assert response.json() == {
        "data": {"publishTicketChange": {"id": "t-9", "status": "RECEIVED", "customer": {"name": "Ada"}}}
    }
    assert events == []  # NONE data source: no Lambda


def test_iam_identity_in_lambda_events(client: TestClient, events: list[Any]) -> None:
    body = json.dumps({"query": TICKET_Q})
    headers = sigv4_headers("http://127.0.0.1/graphql", body)
    # Query.ticket allows API key and staff only: IAM is denied at field level
    response = client.post("/graphql", content=body, headers=headers)
    assert response.json()["errors"][0]["errorType"] == "Unauthorized"
    assert events == []


def test_iam_refusals(client: TestClient) -> None:
    url = "http://127.0.0.1/graphql"
    assert_401(_publish(client, lambda b: sigv4_headers(url, b, secret="wrong")), UNAUTHORIZED)
    assert_401(_publish(client, lambda b: sigv4_headers(url, b, akid="AKIAUNKNOWN")), UNAUTHORIZED)
    tampered = lambda b: sigv4_headers(url, b.replace("t-9", "t-8"))  # noqa: E731 - signed another body
    assert_401(_publish(client, tampered), UNAUTHORIZED)

    def stale(body: str) -> dict[str, str]:
        import botocore.auth

        old = datetime.now(UTC) - timedelta(minutes=20)
        original = botocore.auth.get_current_datetime
        botocore.auth.get_current_datetime = lambda: old.replace(tzinfo=None)
        try:
            return sigv4_headers(url, body)
        finally:
            botocore.auth.get_current_datetime = original

    assert_401(_publish(client, stale), UNAUTHORIZED)


# -- directives --------------------------------------------------------------------------------------
def test_directive_rules(client: TestClient, keys: Keys) -> None:
    staff = staff_headers(keys)
    customer = api_key_headers()
    not_staff = {"Authorization": keys.token(groups=["mechanics"])}
    no_groups = {"Authorization": keys.token()}
    # type-level @aws_cognito_user_pools(cognito_groups: ["staff"]) on Query, no field directive
    denied = post(client, customer, "{ tickets { nextToken } }").json()
    assert denied == {
        "data": None,
        "errors": [
            {
                "path": ["tickets"],
                "data": None,
                "errorType": "Unauthorized",
                "errorInfo": None,
                "locations": [{"line": 1, "column": 3, "sourceName": None}],
                "message": "Not Authorized to access tickets on type Query",
            }
        ],
    }
    assert (
        post(client, not_staff, "{ tickets { nextToken } }").json()["errors"][0]["errorType"]
        == "Unauthorized"
    )
    assert post(client, no_groups, TICKET_Q).json()["errors"][0]["errorType"] == "Unauthorized"
    assert post(client, staff, "{ tickets { nextToken } }").json() == {
        "data": {"tickets": {"nextToken": None}}
    }
    # field directive overrides the type's: Ticket.customer is staff/IAM only
    body = post(client, customer, '{ ticket(id: "t-1") { id customer { name } } }').json()
    assert body["data"] == {"ticket": {"id": "t-1", "customer": None}}
    assert body["errors"][0]["message"] == "Not Authorized to access customer on type Ticket"
    assert body["errors"][0]["path"] == ["ticket", "customer"]
    staff_body = post(client, staff, '{ ticket(id: "t-1") { customer { name } } }').json()
    assert staff_body == {"data": {"ticket": {"customer": {"name": "Ada"}}}}


def test_nested_denial_propagates_to_the_nullable_parent(keys: Keys) -> None:
    sdl = """
    type Query { box(input: BoxInput): Box @aws_api_key }
    input BoxInput { open: String  locked: String }
    type Box @aws_api_key { open: String  locked: String! @aws_iam }
    """
    config = {
        "authorization": {"default": "API_KEY", "additional": ["AWS_IAM"]},
        "dataSources": {"none": {"type": "NONE"}},
        "resolvers": {"Query.box": "none"},
        "noneResolverResult": {"Query.box": "input"},
    }
    settings = make_settings(keys, schema_sdl=sdl, api_config=config)
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        query = '{ box(input: {open: "o", locked: "l"}) { open locked } }'
        body = post(client, api_key_headers(), query).json()
        assert body["data"] == {"box": None}
        assert [(e["path"], e["errorType"]) for e in body["errors"]] == [(["box", "locked"], "Unauthorized")]
        assert post(client, api_key_headers(), '{ box(input: {open: "o"}) { open } }').json() == {
            "data": {"box": {"open": "o"}}
        }


def test_types_without_directives_are_default_mode_only(keys: Keys) -> None:
    sdl = """
    type Query { plain: Plain @aws_api_key @aws_cognito_user_pools  note: String }
    type Plain { name: String }
    """
    config = {
        "authorization": {"default": "AMAZON_COGNITO_USER_POOLS", "additional": ["API_KEY"]},
        "dataSources": {"none": {"type": "NONE"}},
        "resolvers": {},
    }
    settings = make_settings(keys, schema_sdl=sdl, api_config=config)
    engine_app = create_app(settings)
    authorizer = engine_app.state.engine.authorizer
    from appsync_local.engine.auth import AuthContext

    api = AuthContext("API_KEY")
    pool = AuthContext("AMAZON_COGNITO_USER_POOLS")
    assert authorizer.allowed("Query", "plain", api) and authorizer.allowed("Query", "plain", pool)
    assert not authorizer.allowed("Plain", "name", api)  # type without directives: default mode only
    assert authorizer.allowed("Plain", "name", pool)
    assert not authorizer.allowed("Query", "note", api) and authorizer.allowed("Query", "note", pool)


def test_api_key_constant() -> None:
    assert API_KEY and AKID
