"""AppSync's authorization directives (https://docs.aws.amazon.com/appsync/latest/devguide/security-authz.html).

A field's directives list the modes allowed on it; without any, its type's; a type without any allows
the default mode only. `@aws_cognito_user_pools(cognito_groups: [..])` needs one of those groups in
`cognito:groups`. `@aws_auth` counts only on a user-pools-only API (ignored with additional modes).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import GraphQLObjectType, GraphQLSchema, ListValueNode, StringValueNode
from graphql.language import ConstDirectiveNode, ObjectTypeDefinitionNode, ObjectTypeExtensionNode

from .auth import COGNITO, AuthContext

DIRECTIVE_MODES = {
    "aws_api_key": "API_KEY",
    "aws_iam": "AWS_IAM",
    "aws_cognito_user_pools": COGNITO,
    "aws_oidc": "OPENID_CONNECT",
    "aws_lambda": "AWS_LAMBDA",
}


@dataclass(frozen=True)
class Allow:
    """One allowed mode; for user pools optionally restricted to groups."""

    mode: str
    groups: tuple[str, ...] | None = None

    def admits(self, auth: AuthContext) -> bool:
        if auth.mode != self.mode:
            return False
        return self.groups is None or any(g in self.groups for g in auth.groups)


def _groups(directive: ConstDirectiveNode) -> tuple[str, ...] | None:
    for argument in directive.arguments or ():
        if argument.name.value == "cognito_groups" and isinstance(argument.value, ListValueNode):
            return tuple(v.value for v in argument.value.values if isinstance(v, StringValueNode))
    return None


def _rules(directives: tuple[ConstDirectiveNode, ...], single_mode_pools: bool) -> tuple[Allow, ...]:
    rules = []
    for directive in directives:
        name = directive.name.value
        if name in DIRECTIVE_MODES:
            groups = _groups(directive) if name == "aws_cognito_user_pools" else None
            rules.append(Allow(DIRECTIVE_MODES[name], groups))
        elif name == "aws_auth" and single_mode_pools:
            rules.append(Allow(COGNITO, _groups(directive)))
    return tuple(rules)


class FieldAuthorizer:
    """Precomputed allow-lists for every field of every object type of the schema."""

    def __init__(self, schema: GraphQLSchema, default_mode: str, modes: tuple[str, ...]) -> None:
        single_mode_pools = modes == (COGNITO,)
        self.default = (Allow(default_mode),)
        self._rules: dict[tuple[str, str], tuple[Allow, ...]] = {}
        for type_ in schema.type_map.values():
            if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
                continue
            type_nodes: list[ObjectTypeDefinitionNode | ObjectTypeExtensionNode] = (
                [type_.ast_node, *type_.extension_ast_nodes] if type_.ast_node else []
            )
            type_rules = _rules(tuple(d for n in type_nodes for d in n.directives or ()), single_mode_pools)
            for field_name, field in type_.fields.items():
                field_rules = _rules(
                    tuple(field.ast_node.directives or ()) if field.ast_node else (), single_mode_pools
                )
                self._rules[(type_.name, field_name)] = field_rules or type_rules or self.default

    def rules(self, type_name: str, field_name: str) -> tuple[Allow, ...]:
        return self._rules.get((type_name, field_name), self.default)

    def allowed(self, type_name: str, field_name: str, auth: AuthContext) -> bool:
        if field_name.startswith("__") or type_name.startswith("__"):
            return True  # introspection
        return any(rule.admits(auth) for rule in self.rules(type_name, field_name))
