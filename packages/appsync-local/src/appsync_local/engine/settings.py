"""EngineSettings: everything the AppSync emulation needs to know about the API it serves."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.routing import BaseRoute

from .guard import LOOPBACK_NAMES

AUTH_MODES = ("API_KEY", "AMAZON_COGNITO_USER_POOLS", "AWS_IAM", "OPENID_CONNECT", "AWS_LAMBDA")


@dataclass(frozen=True)
class IamPrincipal:
    """An IAM principal the local SigV4 verifier accepts, and the identity AppSync reports for it."""

    secret_access_key: str
    account_id: str = "000000000000"
    user_arn: str = "arn:aws:iam::000000000000:user/local"
    username: str = "local"
    session_token: str | None = None  # when set, X-Amz-Security-Token must carry it


@dataclass(frozen=True)
class CognitoSettings:
    """The user pool whose JWTs are accepted (AMAZON_COGNITO_USER_POOLS)."""

    region: str
    user_pool_id: str
    client_ids: tuple[str, ...] = ()  # empty: any client id of the pool (AppSync's appIdClientRegex unset)
    jwks_url: str | None = None  # moto: f"{moto_endpoint}/{user_pool_id}/.well-known/jwks.json"
    issuers: tuple[str, ...] = ()  # empty: https://cognito-idp.{region}.amazonaws.com/{user_pool_id}
    jwks: dict[str, Any] | None = None  # a key set given directly (tests); None: fetch jwks_url
    leeway_seconds: int = 0

    @property
    def accepted_issuers(self) -> tuple[str, ...]:
        return self.issuers or (f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}",)

    @classmethod
    def for_moto(
        cls, moto_endpoint: str, region: str, user_pool_id: str, client_ids: Sequence[str] = ()
    ) -> CognitoSettings:
        """The pool served by moto's server: JWKS from moto, moto's issuer (the AWS one)."""
        return cls(
            region=region,
            user_pool_id=user_pool_id,
            client_ids=tuple(client_ids),
            jwks_url=f"{moto_endpoint.rstrip('/')}/{user_pool_id}/.well-known/jwks.json",
        )


@dataclass
class EngineSettings:
    """How the local AppSync is set up: the API's declaration (`api_config`: auth modes, data sources,
    resolvers, subscription filters; see the package README) and its schema, plus local details."""

    api_config: dict[str, Any]
    schema_sdl: str

    api_keys: dict[str, datetime] = field(default_factory=dict)  # key -> expiry (timezone-aware)
    cognito: CognitoSettings | None = None
    iam_principals: dict[str, IamPrincipal] = field(default_factory=dict)  # access key id -> principal
    region: str = "us-east-1"
    domain_name: str | None = None  # request.domainName in Lambda events (AppSync: custom domain or null)
    extra_routes: list[BaseRoute] = field(default_factory=list)  # mounted next to /graphql
    # the Host header names answered (with `port`, when given); others get 421 (DNS rebinding)
    host_names: tuple[str, ...] = LOOPBACK_NAMES
    port: int | None = None  # None: any port of host_names
    # Lambda emulation
    function_name: str = "resolver"
    account_id: str = "000000000000"  # in the resolver function's ARN (context.invoked_function_arn)
    # defaults for a data source that declares no timeoutSeconds / memorySize (Lambda's own: 3 s, 128 MB)
    lambda_timeout_seconds: float = 30.0
    lambda_memory_mb: int = 512
    lambda_concurrency: int = 1  # worker processes per function (concurrent invocations); more wait
    lambda_unhandled_error_type: bool = False  # True: errorType "Lambda:Unhandled" (older AppSync reports)
    # given to every function besides its declared `environment` (e.g. credentials, AWS_ENDPOINT_URL);
    # a function sees nothing else of the server's environment
    lambda_environment: dict[str, str] = field(default_factory=dict)
    # limits (https://docs.aws.amazon.com/general/latest/gr/appsync.html)
    max_query_tokens: int = 15_000  # "Maximum char length exceeded" over it
    # AppSync's per-API queryDepthLimit (1..75; unset: none) and resolverCountLimit (1..10000; unset:
    # 10000), https://docs.aws.amazon.com/appsync/latest/APIReference/API_GraphqlApi.html. Past them a
    # field fails with errorType QueryDepthLimitReached (raised to its first nullable parent), or
    # every further resolver with ResolverExecutionLimitReached while the earlier ones still run:
    # https://docs.aws.amazon.com/appsync/latest/devguide/configuration-limits.html (the error
    # types are documented there; the message wording is shown only in screenshots: UNCONFIRMED).
    query_depth_limit: int | None = None
    resolver_count_limit: int = 10_000
    # Local only: a document selecting more fields than this (counted as written, before validation)
    # is refused before validation, whose field-merging check is quadratic in same-named fields.
    # Far above any real client's document (GraphiQL's introspection query selects 70), far below
    # where validation takes seconds. AppSync has no such limit; its bound is the token limit.
    max_query_fields: int = 500
    document_cache_size: int = 512  # checked documents kept (valid or not), least recently used out
    document_workers: int = 2  # documents parsed and validated at once, in worker threads
    sigv4_max_skew_seconds: int = 300
    keep_alive_seconds: float = 60.0
    connection_timeout_ms: int = 300_000
    max_subscriptions_per_connection: int = 200
    max_message_bytes: int = 240 * 1024
    # largest POST /graphql body read; a larger one is refused before auth. None: no limit (AWS
    # documents no maximum request size for AppSync's GraphQL endpoint; the deployed API's is the
    # caller's to pass, e.g. the size the WAF body rule allows)
    max_request_body_bytes: int | None = None
    # the stack's own start-up/shut-down (Starlette lifespan), run around the engine's
    lifespan: Callable[[Any], AbstractAsyncContextManager[Any]] | None = None
    # called once the response to a mutation is sent (its writes are committed by then), e.g. to wake
    # the stream poller; queries and subscriptions write nothing, so they do not call it
    after_mutation: Callable[[], None] | None = None

    def config(self) -> dict[str, Any]:
        return self.api_config

    @property
    def default_mode(self) -> str:
        return str(self.config()["authorization"]["default"])

    @property
    def modes(self) -> tuple[str, ...]:
        auth = self.config()["authorization"]
        return (auth["default"], *[m for m in auth.get("additional", []) if m != auth["default"]])
