"""Tokens from moto's Cognito (the local user pool) verify against moto's JWKS and issuer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from appsync_local.engine import CognitoSettings
from appsync_local.engine.auth import Authenticator
from appsync_local.engine.settings import EngineSettings
from appsync_local.engine.sigv4 import SignedRequest
from engine_testkit import API_CONFIG, REGION, SCHEMA_SDL, free_port
from moto.server import ThreadedMotoServer


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_moto_tokens_verify(moto_endpoint: str) -> None:
    idp = boto3.client(
        "cognito-idp",
        region_name=REGION,
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    pool = idp.create_user_pool(PoolName="p")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="c", ExplicitAuthFlows=["USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.create_group(UserPoolId=pool, GroupName="staff")
    idp.admin_create_user(UserPoolId=pool, Username="staff@example.com", MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=pool, Username="staff@example.com", Password="Staff-Passw0rd!", Permanent=True
    )
    idp.admin_add_user_to_group(UserPoolId=pool, Username="staff@example.com", GroupName="staff")
    tokens = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "staff@example.com", "PASSWORD": "Staff-Passw0rd!"},
    )["AuthenticationResult"]

    settings = EngineSettings(
        api_config=API_CONFIG,
        schema_sdl=SCHEMA_SDL,
        cognito=CognitoSettings.for_moto(moto_endpoint, REGION, pool, client_ids=[client_id]),
    )
    authenticator = Authenticator(settings)

    async def check(token: str) -> Any:
        request = SignedRequest("POST", "/graphql", "", {"authorization": token}, b"")
        return await authenticator.authenticate(request, ["127.0.0.1"])

    for name in ("IdToken", "AccessToken"):
        auth = asyncio.run(check(tokens[name]))
        assert auth.mode == "AMAZON_COGNITO_USER_POOLS"
        assert auth.groups == ("staff",)
        assert auth.identity["issuer"] == f"https://cognito-idp.{REGION}.amazonaws.com/{pool}"
        assert auth.identity["username"] == "staff@example.com"
