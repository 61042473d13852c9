"""schema.graphql: parses as AppSync would load it, and its auth directives say what
tests/cdk_app/contract_schema.graphql says."""

from __future__ import annotations

import pytest
from graphql import GraphQLObjectType, GraphQLSchema, get_named_type

from pitstop_local.config import api_config, build_appsync_schema

STAFF = "AMAZON_COGNITO_USER_POOLS"


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_appsync_schema()


def _modes(node) -> set[str]:
    """The auth modes a type or field directive list names."""
    names = {d.name.value for d in ((node.ast_node and node.ast_node.directives) or [])}
    mapping = {"aws_api_key": "API_KEY", "aws_iam": "AWS_IAM", "aws_cognito_user_pools": STAFF}
    return {mapping[n] for n in names if n in mapping}


def allowed_modes(schema: GraphQLSchema, type_name: str, field_name: str) -> set[str]:
    """AppSync's rule: field directives replace the type's; no directive at all means the default mode."""
    parent = schema.get_type(type_name)
    assert isinstance(parent, GraphQLObjectType)
    field_modes = _modes(parent.fields[field_name])
    if field_modes:
        return field_modes
    return _modes(parent) or {api_config()["authorization"]["default"]}


def test_schema_parses_with_appsync_prelude(schema: GraphQLSchema) -> None:
    assert set(schema.query_type.fields) >= {"ticket", "tickets", "ticketByReference"}
    assert set(schema.mutation_type.fields) >= {"createTicket", "updateTicketStatus", "publishTicketChange"}
    assert set(schema.subscription_type.fields) >= {"onTicketUpdated", "onTicketActivity"}


@pytest.mark.parametrize(
    ("type_name", "field_name"),
    [
        ("Ticket", "customer"),
        ("Query", "tickets"),
        ("Query", "ticketByReference"),
        ("Mutation", "updateTicketStatus"),
        ("Subscription", "onTicketActivity"),
    ],
)
def test_api_key_callers_can_never_select_staff_fields(schema: GraphQLSchema, type_name, field_name) -> None:
    modes = allowed_modes(schema, type_name, field_name)
    assert "API_KEY" not in modes
    assert STAFF in modes


@pytest.mark.parametrize(
    ("type_name", "field_name"),
    [("Query", "ticket"), ("Mutation", "createTicket"), ("Subscription", "onTicketUpdated")],
)
def test_public_operations_allow_api_key_and_staff(schema: GraphQLSchema, type_name, field_name) -> None:
    assert {"API_KEY", STAFF} <= allowed_modes(schema, type_name, field_name)


def test_publish_mutation_is_iam_only_and_feeds_both_subscriptions(schema: GraphQLSchema) -> None:
    publish = api_config()["publisher"]["mutation"]
    assert allowed_modes(schema, "Mutation", publish) == {"AWS_IAM"}
    for name, field in schema.subscription_type.fields.items():
        subscribe = next(d for d in field.ast_node.directives if d.name.value == "aws_subscribe")
        mutations = [v.value for v in subscribe.arguments[0].value.values]
        assert mutations == [publish], name
        assert get_named_type(field.type) is get_named_type(schema.mutation_type.fields[publish].type)


def test_every_type_a_subscription_delivers_allows_iam(schema: GraphQLSchema) -> None:
    """Otherwise AppSync silently delivers nothing to subscribers (https://docs.aws.amazon.com/appsync/latest/devguide/aws-appsync-real-time-data.html)."""
    seen: set[str] = set()

    def walk(type_name: str) -> None:
        if type_name in seen:
            return
        seen.add(type_name)
        obj = schema.get_type(type_name)
        if not isinstance(obj, GraphQLObjectType):
            return
        for fname, field in obj.fields.items():
            assert "AWS_IAM" in allowed_modes(schema, type_name, fname), f"{type_name}.{fname}"
            walk(get_named_type(field.type).name)

    walk("Ticket")
    assert {"Ticket", "Vehicle", "Customer", "StatusChange"} <= seen


def test_every_resolver_in_config_is_a_schema_field(schema: GraphQLSchema) -> None:
    for coordinate in api_config()["resolvers"]:
        type_name, field_name = coordinate.split(".")
        assert field_name in schema.get_type(type_name).fields, coordinate


def test_every_cognito_groups_list_is_the_staff_group_of_api_config() -> None:
    """The directives cannot read api_config.json: every `cognito_groups` list must be [staffGroup]."""
    from graphql import ListValueNode, StringValueNode, parse, visit
    from graphql.language import Visitor

    lists: list[list[str]] = []

    class Groups(Visitor):
        def enter_argument(self, node, *_args) -> None:
            if node.name.value == "cognito_groups":
                assert isinstance(node.value, ListValueNode)
                lists.append([v.value for v in node.value.values if isinstance(v, StringValueNode)])

    from pitstop_local.config import schema_sdl

    visit(parse(schema_sdl()), Groups())
    assert lists, "schema.graphql names no cognito_groups"
    assert all(groups == [api_config()["staffGroup"]] for groups in lists), lists
