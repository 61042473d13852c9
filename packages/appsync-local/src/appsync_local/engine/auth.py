"""Request authentication: which mode a request uses, whether its credential holds, and its identity.

Modes (api_config.json "authorization"): API_KEY (`x-api-key`, with expiry), AMAZON_COGNITO_USER_POOLS
(JWT in `Authorization`, raw or Bearer), AWS_IAM (SigV4 in `Authorization`). A missing or bad credential
is AppSync's HTTP 401 UnauthorizedException (https://github.com/graphql/graphql-over-http/issues/81).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .jwt_verify import CognitoVerifier, JwtError
from .settings import EngineSettings
from .sigv4 import SignedRequest, SigV4Error, access_key_id, is_sigv4, verify

API_KEY = "API_KEY"
COGNITO = "AMAZON_COGNITO_USER_POOLS"
IAM = "AWS_IAM"

NOT_PROVIDED = "Valid authorization header not provided."
NOT_AUTHORIZED = "You are not authorized to make this call."


class AuthError(Exception):
    """A missing or bad credential; `message` is what AppSync answers."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class AuthContext:
    """The caller: its auth mode, the `identity` of Lambda events, and (Cognito) its claims and groups."""

    mode: str
    identity: dict[str, Any] | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)
    groups: tuple[str, ...] = ()


def cognito_identity(claims: Mapping[str, Any], source_ip: list[str]) -> dict[str, Any]:
    groups = claims.get("cognito:groups")
    return {
        "sub": claims.get("sub"),
        "issuer": claims.get("iss"),
        "username": claims.get("cognito:username", claims.get("username")),
        "claims": dict(claims),
        "sourceIp": list(source_ip),
        "defaultAuthStrategy": "ALLOW",
        "groups": list(groups) if groups else None,
    }


def iam_identity(account_id: str, user_arn: str, username: str, source_ip: list[str]) -> dict[str, Any]:
    return {
        "accountId": account_id,
        "cognitoIdentityPoolId": None,
        "cognitoIdentityId": None,
        "sourceIp": list(source_ip),
        "username": username,
        "userArn": user_arn,
        "cognitoIdentityAuthType": None,
        "cognitoIdentityAuthProvider": None,
    }


class Authenticator:
    """Turns request headers (lower-case names) into an AuthContext, or raises AuthError."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.modes = settings.modes
        self.cognito = CognitoVerifier(settings.cognito) if settings.cognito is not None else None

    async def authenticate(self, request: SignedRequest, source_ip: list[str]) -> AuthContext:
        headers = request.headers
        authorization = (headers.get("authorization") or "").strip()
        api_key = headers.get("x-api-key")
        if authorization and is_sigv4(authorization):
            return self._iam(request, source_ip)
        if api_key is not None:
            return self._api_key(api_key)
        if authorization:
            return await self._cognito(authorization, source_ip)
        raise AuthError(NOT_PROVIDED)

    def _api_key(self, key: str) -> AuthContext:
        if API_KEY not in self.modes:
            raise AuthError(NOT_AUTHORIZED)
        expiry = self.settings.api_keys.get(key)
        if expiry is None:
            raise AuthError(NOT_AUTHORIZED)
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=UTC)
        if expiry <= datetime.now(UTC):
            raise AuthError(NOT_AUTHORIZED)
        return AuthContext(mode=API_KEY, identity=None)

    async def _cognito(self, authorization: str, source_ip: list[str]) -> AuthContext:
        if COGNITO not in self.modes or self.cognito is None:
            raise AuthError(NOT_AUTHORIZED)
        token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else authorization
        try:
            claims = await self.cognito.verify(token)
        except JwtError as exc:
            raise AuthError(str(exc)) from exc
        groups = claims.get("cognito:groups") or []
        return AuthContext(
            mode=COGNITO,
            identity=cognito_identity(claims, source_ip),
            claims=claims,
            groups=tuple(str(g) for g in groups) if isinstance(groups, list) else (),
        )

    def _iam(self, request: SignedRequest, source_ip: list[str]) -> AuthContext:
        if IAM not in self.modes:
            raise AuthError(NOT_AUTHORIZED)
        try:
            akid = access_key_id(request.headers["authorization"])
        except SigV4Error as exc:
            raise AuthError(NOT_PROVIDED) from exc
        principal = self.settings.iam_principals.get(akid)
        if principal is None:
            raise AuthError(NOT_AUTHORIZED)
        try:
            verify(
                request,
                principal.secret_access_key,
                self.settings.region,
                session_token=principal.session_token,
                max_skew_seconds=self.settings.sigv4_max_skew_seconds,
            )
        except SigV4Error as exc:
            raise AuthError(NOT_AUTHORIZED) from exc
        return AuthContext(
            mode=IAM,
            identity=iam_identity(principal.account_id, principal.user_arn, principal.username, source_ip),
        )
