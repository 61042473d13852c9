"""Field resolution: api_config.json's resolvers (AWS_LAMBDA, NONE), else default property resolution.
Every field is checked against the auth directives first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLResolveInfo

from .context import RequestContext
from .directives import FieldAuthorizer
from .errors import AppSyncError, unauthorized_field
from .events import build_event
from .lambda_runtime import LambdaCrash, LambdaError, LambdaRuntime, LambdaTimeout, MarshalError
from .settings import EngineSettings
from .variables import with_unsupplied_as_null

log = logging.getLogger("appsync_local.engine")

UNAUTHORIZED_EXCEPTION_MESSAGE = "You are not authorized to make this call."


@dataclass(frozen=True)
class Route:
    kind: str  # "AWS_LAMBDA" | "NONE"
    runtime: LambdaRuntime | None = None
    argument: str | None = None  # NONE: the argument returned as the result


def lambda_function(name: str, source: dict[str, Any], settings: EngineSettings) -> LambdaRuntime:
    """An AWS_LAMBDA data source's function, as declared: `handler`, `functionName`, `environment`
    (its variables and values), `timeoutSeconds`, `memorySize`, `concurrency`; the engine's settings give the
    defaults and what every function gets besides (credentials, endpoint)."""
    return LambdaRuntime(
        str(source["handler"]),
        function_name=str(source.get("functionName") or name),
        region=settings.region,
        account_id=settings.account_id,
        memory_mb=int(source.get("memorySize") or settings.lambda_memory_mb),
        timeout_seconds=float(source.get("timeoutSeconds") or settings.lambda_timeout_seconds),
        environment={**settings.lambda_environment, **(source.get("environment") or {})},
        concurrency=int(source.get("concurrency") or settings.lambda_concurrency),
    )


def build_routes(settings: EngineSettings) -> dict[tuple[str, str], Route]:
    config = settings.config()
    runtimes: dict[str, LambdaRuntime] = {}
    routes: dict[tuple[str, str], Route] = {}
    for coordinate, source_name in config.get("resolvers", {}).items():
        type_name, _, field_name = coordinate.partition(".")
        source = config.get("dataSources", {}).get(source_name, {})
        if source.get("type") == "AWS_LAMBDA":
            if source_name not in runtimes:
                runtimes[source_name] = lambda_function(source_name, source, settings)
            routes[(type_name, field_name)] = Route("AWS_LAMBDA", runtime=runtimes[source_name])
        elif source.get("type") == "NONE":
            argument = config.get("noneResolverResult", {}).get(coordinate)
            routes[(type_name, field_name)] = Route("NONE", argument=argument)
    return routes


def default_resolve(source: Any, field_name: str) -> Any:
    if isinstance(source, dict):
        return source.get(field_name)
    return getattr(source, field_name, None)


def _depth(info: GraphQLResolveInfo[RequestContext]) -> int:
    return sum(1 for key in info.path.as_list() if isinstance(key, str))


class FieldResolver:
    """graphql-core field_resolver for the whole schema."""

    def __init__(
        self, settings: EngineSettings, authorizer: FieldAuthorizer, routes: dict[tuple[str, str], Route]
    ):
        self.settings = settings
        self.authorizer = authorizer
        self.routes = routes

    def __call__(self, source: Any, info: GraphQLResolveInfo[RequestContext], **arguments: Any) -> Any:
        ctx: RequestContext = info.context
        parent, name = info.parent_type.name, info.field_name
        if not self.authorizer.allowed(parent, name, ctx.auth):
            raise unauthorized_field(name, parent)
        limit = self.settings.query_depth_limit
        if limit is not None and _depth(info) > limit:
            raise AppSyncError(f"The query depth limit of {limit} was exceeded.", "QueryDepthLimitReached")
        route = None if ctx.delivery else self.routes.get((parent, name))
        if route is None:
            return default_resolve(source, name)
        if route.kind == "NONE":
            return arguments.get(route.argument) if route.argument else None
        ctx.resolver_count += 1
        if ctx.resolver_count > self.settings.resolver_count_limit:
            raise AppSyncError("Resolver execution limit reached.", "ResolverExecutionLimitReached")
        arguments = with_unsupplied_as_null(arguments, info.field_nodes[0], info.variable_values.coerced)
        return self.invoke(route, build_event(info, arguments, source, ctx))

    def invoke(self, route: Route, event: dict[str, Any]) -> Awaitable[Any]:
        assert route.runtime is not None, "an AWS_LAMBDA route carries its function"
        return invoke_lambda(route.runtime, event, self.settings)


async def invoke_lambda(runtime: LambdaRuntime, event: dict[str, Any], settings: EngineSettings) -> Any:
    """Run the handler in its function's worker; map its failure to AppSync's field error."""
    try:
        return await asyncio.to_thread(runtime.invoke, event)
    except (LambdaTimeout, LambdaCrash, MarshalError) as exc:
        raise AppSyncError(str(exc), "Lambda:Unhandled") from exc
    except Exception as exc:
        raised = exc.error_type if isinstance(exc, LambdaError) else type(exc).__name__
        error_type = "Lambda:Unhandled" if settings.lambda_unhandled_error_type else raised
        message = UNAUTHORIZED_EXCEPTION_MESSAGE if raised == "UnauthorizedException" else str(exc)
        log.debug("resolver %s raised %s: %s", event["info"]["fieldName"], error_type, message)
        raise AppSyncError(message, error_type) from exc


async def invoke_check_function(
    runtime: LambdaRuntime, event: dict[str, Any], settings: EngineSettings
) -> Any:
    """A filtered subscription's pipeline function (cdk_app/appsync_js.py `invoke_lambda_function_code`).

    AppSync invokes the Lambda from resolver code here, not as a direct resolver: a raised Lambda error
    reaches the code as `ctx.error` of type `Lambda:Unhandled` (aws-appsync-community#209), which the
    code re-raises; a returned {errorType, errorMessage} is raised by the code with that type.
    """
    # The function runs after the resolver's before-handler returned {}: `ctx.prev` is {"result": {}}
    # (https://docs.aws.amazon.com/appsync/latest/devguide/resolver-context-reference-js.html).
    event = {**event, "prev": {"result": {}}}
    try:
        result = await invoke_lambda(runtime, event, settings)
    except AppSyncError as exc:
        raise AppSyncError(exc.message, "Lambda:Unhandled") from exc
    if isinstance(result, dict) and result.get("errorType"):
        raise AppSyncError(str(result.get("errorMessage") or ""), str(result["errorType"]))
    return result
