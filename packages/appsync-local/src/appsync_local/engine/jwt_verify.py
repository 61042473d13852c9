"""Cognito user pool JWT verification: RS256 against the pool's JWKS, exp, token_use, client id, issuer."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import jwt

from .settings import CognitoSettings


class JwtError(Exception):
    """A token AppSync would refuse; the message is AppSync's."""


class JwksCache:
    """The pool's signing keys, fetched from jwks_url (moto serves them) and cached by kid."""

    def __init__(self, settings: CognitoSettings, refresh_interval: float = 10.0) -> None:
        self._settings = settings
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._refresh_interval = refresh_interval
        self._lock = asyncio.Lock()
        if settings.jwks is not None:
            self._load(settings.jwks)

    def _load(self, jwks: dict[str, Any]) -> None:
        keys = {}
        for entry in jwks.get("keys", []):
            try:
                keys[entry.get("kid", "")] = jwt.PyJWK(entry).key
            except jwt.PyJWTError:
                continue
        self._keys = keys

    async def key(self, kid: str) -> Any:
        if kid in self._keys:
            return self._keys[kid]
        if self._settings.jwks is not None or not self._settings.jwks_url:
            return None
        async with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at > self._refresh_interval:
                self._fetched_at = time.monotonic()
                async with httpx.AsyncClient(timeout=5.0) as client:
                    response = await client.get(self._settings.jwks_url)
                response.raise_for_status()
                self._load(response.json())
        return self._keys.get(kid)


class CognitoVerifier:
    def __init__(self, settings: CognitoSettings) -> None:
        self.settings = settings
        self.jwks = JwksCache(settings)

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or JwtError with AppSync's message."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise JwtError("Unable to parse JWT token.") from exc
        if header.get("alg") != "RS256":
            raise JwtError("You are not authorized to make this call.")
        try:
            key = await self.jwks.key(str(header.get("kid", "")))
        except (httpx.HTTPError, ValueError) as exc:
            raise JwtError("You are not authorized to make this call.") from exc
        if key is None:
            raise JwtError("You are not authorized to make this call.")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                options={"verify_aud": False, "require": ["exp", "iss", "token_use"]},
                leeway=self.settings.leeway_seconds,
            )
        except jwt.ExpiredSignatureError as exc:
            raise JwtError("Token has expired.") from exc
        except jwt.InvalidSignatureError as exc:  # a DecodeError subclass: check it first
            raise JwtError("You are not authorized to make this call.") from exc
        except jwt.DecodeError as exc:
            raise JwtError("Unable to parse JWT token.") from exc
        except jwt.PyJWTError as exc:
            raise JwtError("You are not authorized to make this call.") from exc
        self._check_claims(claims)
        return claims

    def _check_claims(self, claims: dict[str, Any]) -> None:
        if claims.get("iss") not in self.settings.accepted_issuers:
            raise JwtError("You are not authorized to make this call.")
        token_use = claims.get("token_use")
        if token_use == "id":  # noqa: S105 - a claim value, not a secret
            client = claims.get("aud")
        elif token_use == "access":  # noqa: S105
            client = claims.get("client_id")
        else:
            raise JwtError("You are not authorized to make this call.")
        if self.settings.client_ids and client not in self.settings.client_ids:
            raise JwtError("You are not authorized to make this call.")
