"""AppSync's direct Lambda resolver event (https://docs.aws.amazon.com/appsync/latest/devguide/resolver-context-reference.html)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLResolveInfo,
    SelectionSetNode,
    print_ast,
)

from .context import RequestContext
from .selections import grouped_fields


def selection_set_list(
    field_nodes: Iterable[FieldNode], fragments: dict[str, FragmentDefinitionNode]
) -> list[str]:
    """Paths like "vehicle/make"; an alias replaces the name; __typename is left out.

    Fields with the same response key are merged before their sub-fields are listed, and each
    fragment is expanded once per selection set (`selections.collect_fields`), as execution does."""
    out: list[str] = []
    seen: set[str] = set()

    def walk(selection_sets: list[SelectionSetNode | None], prefix: str) -> None:
        for key, group in grouped_fields(selection_sets, fragments).items():
            if group[0][0].name.value == "__typename":
                continue
            path = prefix + key
            if path not in seen:
                seen.add(path)
                out.append(path)
            walk([node.selection_set for node, _ in group], path + "/")

    walk([node.selection_set for node in field_nodes], "")
    return out


def _spread_names(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode], seen: list[str]
) -> None:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in seen and name in fragments:
                seen.append(name)
                _spread_names(fragments[name].selection_set, fragments, seen)
        else:
            _spread_names(getattr(selection, "selection_set", None), fragments, seen)


def selection_set_graphql(field_nodes: list[FieldNode], fragments: dict[str, FragmentDefinitionNode]) -> str:
    """The field's sub-selection as GraphQL text ("{\\n  id\\n}"), then the fragments it uses."""
    parts = [print_ast(node.selection_set) for node in field_nodes if node.selection_set is not None]
    if not parts:
        return ""
    used: list[str] = []
    for node in field_nodes:
        _spread_names(node.selection_set, fragments, used)
    return "\n".join([parts[0], *(print_ast(fragments[name]) for name in used)]) if used else parts[0]


def build_event(
    info: GraphQLResolveInfo[RequestContext], arguments: dict[str, Any], source: Any, ctx: RequestContext
) -> dict[str, Any]:
    root_types = {
        t.name
        for t in (info.schema.query_type, info.schema.mutation_type, info.schema.subscription_type)
        if t
    }
    return {
        "arguments": arguments,
        "identity": ctx.auth.identity,
        "source": None if info.parent_type.name in root_types else source,
        "request": {"headers": dict(ctx.headers), "domainName": ctx.domain_name},
        "prev": None,
        "info": {
            "fieldName": info.field_name,
            "parentTypeName": info.parent_type.name,
            "variables": dict(ctx.variables),
            "selectionSetList": selection_set_list(info.field_nodes, info.fragments),
            "selectionSetGraphQL": selection_set_graphql(info.field_nodes, info.fragments),
        },
        "stash": {},
    }
