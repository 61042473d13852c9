"""Shared helpers of the engine tests (a uniquely named module: `conftest` names clash across test dirs)."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

HERE = Path(__file__).resolve().parent

import engine_fake_recorder  # noqa: E402
from appsync_local.engine import CognitoSettings, EngineSettings, IamPrincipal  # noqa: E402

API_KEY = "da2-enginetestkey"
EXPIRED_KEY = "da2-expiredkey"
REGION = "us-east-1"
POOL_ID = "us-east-1_TestPool"
CLIENT_ID = "testclient123"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"
AKID = "AKIAENGINETEST000001"
SECRET = "engine-test-secret"
HANDLER = "engine_fake_resolvers.handler.lambda_handler"
FIXTURES = HERE / "fixtures"
API_CONFIG: dict[str, Any] = json.loads((FIXTURES / "tickets_config.json").read_text(encoding="utf-8"))
SCHEMA_SDL = (FIXTURES / "tickets.graphql").read_text(encoding="utf-8")
LOCAL = "http://127.0.0.1"  # TestClient's base URL: the engine answers loopback host names only


class Keys:
    """An RSA key pair and its JWKS, standing in for the user pool's."""

    def __init__(self, kid: str = "test-kid") -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        self.jwks = {"keys": [{**public, "kid": kid, "alg": "RS256", "use": "sig"}]}

    def token(self, token_use: str = "id", groups: list[str] | None = None, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": "11111111-2222-3333-4444-555555555555",
            "iss": ISSUER,
            "token_use": token_use,
            "iat": now,
            "auth_time": now,
            "exp": now + 3600,
            "jti": str(uuid.uuid4()),
        }
        if token_use == "id":
            claims.update(
                {"aud": CLIENT_ID, "cognito:username": "staff@example.com", "email": "staff@example.com"}
            )
        else:
            claims.update({"client_id": CLIENT_ID, "username": "staff@example.com"})
        if groups is not None:
            claims["cognito:groups"] = groups
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


def make_settings(keys: Keys, **overrides: Any) -> EngineSettings:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "api_keys": {API_KEY: now + timedelta(days=7), EXPIRED_KEY: now - timedelta(seconds=1)},
        "cognito": CognitoSettings(
            region=REGION, user_pool_id=POOL_ID, client_ids=(CLIENT_ID,), jwks=keys.jwks
        ),
        "iam_principals": {
            AKID: IamPrincipal(
                SECRET,
                account_id="000000000000",
                user_arn="arn:aws:iam::000000000000:role/publisher",
                username="AROAEXAMPLE:publisher",
            )
        },
        "region": REGION,
        # what every function gets besides its declared environment (the fake resolver's recorder file)
        "lambda_environment": {engine_fake_recorder.VARIABLE: str(engine_fake_recorder.PATH)},
        "api_config": API_CONFIG,
        "schema_sdl": SCHEMA_SDL,
    }
    values.update(overrides)
    return EngineSettings(**values)


def api_key_headers(key: str = API_KEY) -> dict[str, str]:
    return {"x-api-key": key}


def staff_headers(keys: Keys, token_use: str = "id") -> dict[str, str]:
    return {"Authorization": keys.token(token_use, groups=["staff"])}


def sigv4_headers(
    url: str, body: str, akid: str = AKID, secret: str = SECRET, **extra: str
) -> dict[str, str]:
    """Sign a POST like the backend publisher does (botocore SigV4, service appsync)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method="POST", url=url, data=body.encode(), headers={"content-type": "application/json", **extra}
    )
    SigV4Auth(Credentials(akid, secret), "appsync", REGION).add_auth(request)
    return dict(request.headers.items())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run the app on a real uvicorn server on a free loopback port; yield its base URL."""
    with serve_on(app, free_port()) as url:
        yield url


@contextmanager
def serve_on(app: Any, port: int) -> Iterator[str]:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
