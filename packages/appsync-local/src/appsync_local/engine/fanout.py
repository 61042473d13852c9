"""@aws_subscribe fan-out (https://docs.aws.amazon.com/appsync/latest/devguide/aws-appsync-real-time-data.html).

API:
    hub = SubscriptionHub(schema, authorizer, filters=api_config["subscriptionFilters"])
    hub.add(Subscriber(...))                      # after a successful `start`
    hub.remove(connection_id, subscription_id)   # `stop`; hub.drop_connection(connection_id) on close
    hub.mutation_fields                          # mutations some subscription field listens to
    await hub.publish(mutation_field, payload, publisher_auth) -> number of deliveries

`payload` is the mutation's result restricted to what the mutation selected, by field name
(`restrict_to_selection`). Each subscriber whose field lists the mutation and whose filter matches
gets its own selection set executed over that payload (fields the mutation did not select are null,
non-null ones an error), with field auth under its own mode; the publisher's mode must be allowed on
every field the subscriber selected, else nothing is delivered (as AppSync silently does).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    GraphQLSchema,
    SelectionSetNode,
    get_named_type,
    print_ast,
)
from graphql.execution import Executor, execute_subscription_event

from .auth import AuthContext
from .context import RequestContext
from .directives import FieldAuthorizer
from .errors import format_execution_error
from .filters import argument_match, enhanced_match
from .selections import grouped_fields

log = logging.getLogger("appsync_local.engine.fanout")
# {"type":"data","id":,"payload":} around the id and the payload, as the connection's writer sends it
_DATA_ENVELOPE = len('{"type":"data","id":,"payload":}')


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass(eq=False)
class Subscriber:
    """One started subscription on one connection."""

    connection_id: str
    subscription_id: str
    field_name: str  # the Subscription field
    response_key: str
    arguments: dict[str, Any]  # for argument filtering (unsupplied variables count as null)
    auth: AuthContext
    executor: Executor[RequestContext]  # built at start over the subscriber's document, variables and context
    selection: FieldNode
    fragments: dict[str, FragmentDefinitionNode]
    send: Callable[[dict[str, Any]], None]  # non-blocking: queue a message on the connection
    enhanced_filter: dict[str, Any] | None = None  # resolved; replaces argument filtering
    max_message_bytes: int = 240 * 1024
    shape_key: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.shape_key = event_shape_key(self)

    def matches(self, payload: Any) -> bool:
        if self.enhanced_filter is not None:
            return enhanced_match(self.enhanced_filter, payload)
        return argument_match(self.arguments, payload)


def event_shape_key(subscriber: Subscriber) -> str | None:
    """What an event's `payload` for this subscriber depends on besides the event itself: the field, its
    selection (alias included) and fragments, and the auth mode and groups that field auth checks.
    Subscribers with the same key get the same payload, so it is computed once per event for all of
    them (200 staff boards are 1 execution, not 200). None — never shared — when the selection uses
    variables (e.g. @include(if: $x)), which may differ per subscriber."""
    node = subscriber.selection  # its arguments filter events; they do not shape the payload
    alias = node.alias.value if node.alias else ""
    nested = print_ast(node.selection_set) if node.selection_set else ""
    parts = [alias, nested, *(print_ast(f) for f in subscriber.fragments.values())]
    if any("$" in part for part in parts):
        return None
    auth = subscriber.auth
    return json.dumps([subscriber.field_name, parts, auth.mode, sorted(auth.groups)])


def restrict_to_selection(
    value: Any,
    selection_sets: Sequence[SelectionSetNode | None],
    fragments: Mapping[str, FragmentDefinitionNode],
) -> Any:
    """A response value (keyed by response keys) → the same data keyed by field names.

    `selection_sets`: those of the field group that produced `value` (one per time it was selected)."""
    if not any(s is not None for s in selection_sets) or value is None:
        return value
    if isinstance(value, list):
        return [restrict_to_selection(item, selection_sets, fragments) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, group in grouped_fields(selection_sets, fragments).items():
        if key not in value:
            continue  # skipped by @skip/@include
        restricted = restrict_to_selection(value[key], [n.selection_set for n, _ in group], fragments)
        name = group[0][0].name.value
        if isinstance(out.get(name), dict) and isinstance(restricted, dict):
            out[name] = {**out[name], **restricted}
        else:
            out[name] = restricted
    return out


def selection_allowed(
    schema: GraphQLSchema,
    authorizer: FieldAuthorizer,
    auth: AuthContext,
    type_: GraphQLObjectType,
    selection_sets: Sequence[SelectionSetNode | None],
    fragments: Mapping[str, FragmentDefinitionNode],
) -> bool:
    """Whether `auth`'s mode may read every field of the selection (nested too)."""
    for group in grouped_fields(selection_sets, fragments).values():
        inner_type: GraphQLObjectType | None = None
        for node, condition in group:
            owner = schema.get_type(condition) if condition else type_
            if not isinstance(owner, GraphQLObjectType):
                owner = type_
            name = node.name.value
            if name.startswith("__"):
                break
            field_def = owner.fields.get(name)
            if field_def is None or not authorizer.allowed(owner.name, name, auth):
                return False
            inner = get_named_type(field_def.type)
            inner_type = inner if isinstance(inner, GraphQLObjectType) else None
        if inner_type is not None and not selection_allowed(
            schema, authorizer, auth, inner_type, [n.selection_set for n, _ in group], fragments
        ):
            return False
    return True


@dataclass
class SubscriptionHub:
    schema: GraphQLSchema
    authorizer: FieldAuthorizer
    filters: Mapping[str, Any] = field(default_factory=dict)
    _subscribers: dict[tuple[str, str], Subscriber] = field(default_factory=dict)
    _triggers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # subscription field -> mutations

    def __post_init__(self) -> None:
        subscription = self.schema.subscription_type
        for name, field_def in (subscription.fields if subscription else {}).items():
            mutations: tuple[str, ...] = ()
            for directive in field_def.ast_node.directives if field_def.ast_node else ():
                if directive.name.value != "aws_subscribe":
                    continue
                for argument in directive.arguments:
                    if argument.name.value == "mutations":
                        mutations = tuple(v.value for v in getattr(argument.value, "values", ()))
            self._triggers[name] = mutations

    @property
    def mutation_fields(self) -> frozenset[str]:
        return frozenset(m for ms in self._triggers.values() for m in ms)

    def filter_for(self, field_name: str) -> dict[str, Any] | None:
        return self.filters.get(f"Subscription.{field_name}")

    def add(self, subscriber: Subscriber) -> None:
        self._subscribers[(subscriber.connection_id, subscriber.subscription_id)] = subscriber

    def remove(self, connection_id: str, subscription_id: str) -> bool:
        return self._subscribers.pop((connection_id, subscription_id), None) is not None

    def drop_connection(self, connection_id: str) -> None:
        for key in [k for k in self._subscribers if k[0] == connection_id]:
            del self._subscribers[key]

    def count(self, connection_id: str | None = None) -> int:
        return sum(1 for k in self._subscribers if connection_id is None or k[0] == connection_id)

    async def publish(self, mutation_field: str, payload: Any, publisher: AuthContext) -> int:
        """Deliver a successful mutation's (restricted) result; returns how many subscribers got it."""
        if payload is None:
            return 0
        delivered = 0
        shared: dict[str, tuple[dict[str, Any], int] | None] = {}  # shape key -> (payload, size)
        for subscriber in list(self._subscribers.values()):
            if mutation_field not in self._triggers.get(subscriber.field_name, ()):
                continue
            try:
                if not subscriber.matches(payload):
                    continue
                key = subscriber.shape_key
                if key is None or key not in shared:
                    body = await self._payload(subscriber, payload, publisher)
                    sized = None if body is None else (body, len(_compact(body).encode()))
                    if key is not None:
                        shared[key] = sized
                else:
                    sized = shared[key]
            except Exception:  # one subscriber's failure must not stop the others
                log.exception("delivery to subscription %s failed", subscriber.subscription_id)
                continue
            if sized is None:
                continue
            body, size = sized
            message = {"type": "data", "id": subscriber.subscription_id, "payload": body}
            if (
                size + len(_compact(subscriber.subscription_id)) + _DATA_ENVELOPE
                > subscriber.max_message_bytes
            ):
                log.warning("dropped a %s event over the message size limit", subscriber.field_name)
                continue
            subscriber.send(message)
            delivered += 1
        return delivered

    async def _payload(
        self, subscriber: Subscriber, payload: Any, publisher: AuthContext
    ) -> dict[str, Any] | None:
        subscription_type = self.schema.subscription_type
        assert subscription_type is not None, "a subscriber implies the schema's Subscription type"
        field_def = subscription_type.fields[subscriber.field_name]
        inner = get_named_type(field_def.type)
        if isinstance(inner, GraphQLObjectType) and not selection_allowed(
            self.schema,
            self.authorizer,
            publisher,
            inner,
            [subscriber.selection.selection_set],
            subscriber.fragments,
        ):
            log.info(
                "not delivered to %s: the publisher's mode may not read its selection", subscriber.field_name
            )
            return None
        result = execute_subscription_event(
            subscriber.executor.build_per_event_executor({subscriber.field_name: payload})
        )
        if hasattr(result, "__await__"):
            result = await result
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [format_execution_error(e, self.schema) for e in result.errors]
        return body
