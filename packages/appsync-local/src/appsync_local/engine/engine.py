"""The engine: schema + auth + resolution + fan-out, independent of the transport (HTTP, WebSocket)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
)
from graphql.execution import Executor, execute_root_selection_set, execute_subscription_event
from graphql.execution.values import get_argument_values

from ..schema import build_appsync_schema
from .auth import AuthContext, Authenticator
from .context import RequestContext
from .directives import FieldAuthorizer
from .documents import DocumentCache
from .errors import AppSyncError, format_execution_error
from .events import selection_set_graphql, selection_set_list
from .fanout import SubscriptionHub, restrict_to_selection
from .filters import resolve_filter
from .resolution import FieldResolver, build_routes, invoke_check_function, invoke_lambda
from .scalars import install_aws_scalars
from .selections import collect_fields, grouped_fields
from .settings import EngineSettings
from .variables import variable_errors

log = logging.getLogger("appsync_local.engine")


class OperationError(Exception):
    """A request that fails before execution; `errors` are AppSync-shaped."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0].get("message") if errors else "operation error")
        self.errors = errors


@dataclass
class PreparedOperation:
    document: DocumentNode
    operation: OperationDefinitionNode
    variables: dict[str, Any]
    operation_name: str | None


@dataclass
class StartedSubscription:
    field_name: str
    response_key: str
    selection: FieldNode
    arguments: dict[str, Any]  # unsupplied variables count as null (AppSync's argument filtering)
    executor: Executor[RequestContext]


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _plain_error(message: str) -> dict[str, Any]:
    return {"path": None, "locations": None, "message": message}


class Engine:
    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        config = settings.config()
        self.schema: GraphQLSchema = install_aws_scalars(build_appsync_schema(settings.schema_sdl))
        self.authenticator = Authenticator(settings)
        self.authorizer = FieldAuthorizer(self.schema, settings.default_mode, settings.modes)
        self.routes = build_routes(settings)
        self.resolver = FieldResolver(settings, self.authorizer, self.routes)
        self.hub = SubscriptionHub(self.schema, self.authorizer, config.get("subscriptionFilters", {}))
        self.documents = DocumentCache(self.schema, settings)

    # -- documents ---------------------------------------------------------------------------------
    async def prepare(self, query: Any, variables: Any, operation_name: Any) -> PreparedOperation:
        """Parse (DocumentError → 400), validate and check variables (OperationError → 200, data null).

        A document not seen before is parsed and validated in a worker thread (`DocumentCache`), so
        that a costly one never holds up the event loop, i.e. every other client."""
        checked = self.documents.cached(query)
        if checked is None:
            return await self.documents.in_worker(self._prepare, query, variables, operation_name)
        return self._prepare(query, variables, operation_name)

    def _prepare(self, query: Any, variables: Any, operation_name: Any) -> PreparedOperation:
        document = self.documents.check(query)
        if isinstance(document, list):
            raise OperationError(document)
        if variables is None:
            variables = {}
        if not isinstance(variables, dict):
            raise OperationError([_plain_error("Variables must be a JSON object.")])
        name = operation_name if isinstance(operation_name, str) and operation_name else None
        operation = get_operation_ast(document, name)
        if operation is None:
            message = (
                f"Unknown operation named '{name}'."
                if name
                else "Must provide operation name if query contains multiple operations."
            )
            raise OperationError([_plain_error(message)])
        errors = variable_errors(self.schema, operation, variables)
        if errors:
            raise OperationError(errors)
        return PreparedOperation(document, operation, variables, name)

    def _executor(self, op: PreparedOperation, ctx: RequestContext) -> Executor[RequestContext]:
        executor = Executor.build(
            self.schema,
            op.document,
            root_value=None,
            context_value=ctx,
            raw_variable_values=op.variables,
            operation_name=op.operation_name,
            field_resolver=self.resolver,
            hide_suggestions=True,
        )
        if isinstance(executor, list):
            raise OperationError([_plain_error(e.message) for e in executor])
        return executor

    def format(self, result: ExecutionResult) -> dict[str, Any]:
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [format_execution_error(e, self.schema) for e in result.errors]
        return body

    # -- queries and mutations ---------------------------------------------------------------------
    async def execute(self, op: PreparedOperation, ctx: RequestContext) -> dict[str, Any]:
        """Run a prepared operation; after a mutation, publish its results to subscribers."""
        executor = self._executor(op, ctx)
        if op.operation.operation == OperationType.SUBSCRIPTION:
            result: Any = execute_subscription_event(executor.build_per_event_executor(None))
        else:
            result = execute_root_selection_set(executor)
        if hasattr(result, "__await__"):
            result = await result
        body = self.format(result)
        if op.operation.operation == OperationType.MUTATION and isinstance(result.data, dict):
            await self._publish(op, result.data, ctx.auth)
        return body

    async def _publish(self, op: PreparedOperation, data: dict[str, Any], publisher: AuthContext) -> None:
        triggers = self.hub.mutation_fields
        fragments = _fragments(op.document)
        for key, group in grouped_fields([op.operation.selection_set], fragments).items():
            name = group[0][0].name.value
            if name not in triggers or data.get(key) is None:
                continue
            payload = restrict_to_selection(data[key], [n.selection_set for n, _ in group], fragments)
            delivered = await self.hub.publish(name, payload, publisher)
            log.debug("%s published to %d subscriber(s)", name, delivered)

    # -- subscriptions -----------------------------------------------------------------------------
    async def start_subscription(self, op: PreparedOperation, ctx: RequestContext) -> StartedSubscription:
        """Check the subscription field's auth and run its resolver (AppSyncError to refuse)."""
        if op.operation.operation != OperationType.SUBSCRIPTION:
            kind = op.operation.operation.value.capitalize()
            raise AppSyncError(f"{kind} not supported through the realtime channel", "UnsupportedOperation")
        executor = self._executor(op, replace(ctx, delivery=True))  # reused for every delivery
        fragments = _fragments(op.document)
        selection = next(iter(collect_fields([op.operation.selection_set], fragments)))[0]
        field_name = selection.name.value
        subscription_type = self.schema.subscription_type
        assert subscription_type is not None
        field_def = subscription_type.fields[field_name]
        if not self.authorizer.allowed(subscription_type.name, field_name, ctx.auth):
            raise AppSyncError(
                f"Not Authorized to access {field_name} on type {subscription_type.name}", "Unauthorized"
            )
        coerced = executor.variable_values
        arguments = get_argument_values(field_def, selection, coerced)
        filter_arguments = dict(arguments)
        for argument in selection.arguments or ():
            if argument.value.kind == "variable" and argument.name.value not in filter_arguments:
                filter_arguments[argument.name.value] = None  # an unsupplied variable acts like null
        route = self.routes.get((subscription_type.name, field_name))
        if route is not None and route.kind == "AWS_LAMBDA" and route.runtime is not None:
            event = self._subscription_event(op, ctx, field_name, selection, fragments, filter_arguments)
            # A filtered subscription is a pipeline (check function + filter), as the CDK app builds it.
            invoke = invoke_check_function if self.hub.filter_for(field_name) else invoke_lambda
            await invoke(route.runtime, event, self.settings)
        return StartedSubscription(
            field_name=field_name,
            response_key=selection.alias.value if selection.alias else field_name,
            selection=selection,
            arguments=filter_arguments,
            executor=executor,
        )

    def _subscription_event(
        self,
        op: PreparedOperation,
        ctx: RequestContext,
        field_name: str,
        selection: FieldNode,
        fragments: dict[str, Any],
        arguments: dict[str, Any],
    ) -> dict[str, Any]:
        return {
            "arguments": arguments,
            "identity": ctx.auth.identity,
            "source": None,
            "request": {"headers": dict(ctx.headers), "domainName": ctx.domain_name},
            "prev": None,
            "info": {
                "fieldName": field_name,
                "parentTypeName": "Subscription",
                "variables": dict(op.variables),
                "selectionSetList": selection_set_list([selection], fragments),
                "selectionSetGraphQL": selection_set_graphql([selection], fragments),
            },
            "stash": {},
        }

    def subscription_filter(self, field_name: str, arguments: dict[str, Any]) -> dict[str, Any] | None:
        spec = self.hub.filter_for(field_name)
        return resolve_filter(spec, arguments) if spec else None
