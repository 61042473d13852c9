"""Walk a selection set's fields with fragments expanded, each fragment once per selection set.

graphql-core's execution does the same (`graphql.execution.collect_fields` keeps a
`visited_fragment_names` set): a fragment spread twice in one selection set contributes its fields
once, so `{...F1 ...F1}` nested twenty levels deep costs twenty expansions, not 2**20. graphql-core's
own helper is not used here because it needs the runtime type, coerced variables and defer
bookkeeping; these walks (Lambda `info`, mutation payloads, field auth of a subscription) need only
the fields as written, with the type condition they were selected under.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)


def collect_fields(
    selection_sets: Iterable[SelectionSetNode | None],
    fragments: Mapping[str, FragmentDefinitionNode],
    type_name: str | None = None,
) -> Iterator[tuple[FieldNode, str | None]]:
    """(field, type condition it was selected under) of the merged selection sets, in document order.

    `selection_sets` are those of one field group (the same response key selected several times),
    which graphql-core merges before collecting their sub-fields; they share one visited set.
    """
    visited: set[str] = set()
    for selection_set in selection_sets:
        yield from _collect(selection_set, fragments, type_name, visited)


def _collect(
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    type_name: str | None,
    visited: set[str],
) -> Iterator[tuple[FieldNode, str | None]]:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection, type_name
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else type_name
            yield from _collect(selection.selection_set, fragments, condition, visited)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in visited:
                continue
            visited.add(name)
            yield from _collect(
                fragment.selection_set, fragments, fragment.type_condition.name.value, visited
            )


def response_key(node: FieldNode) -> str:
    return node.alias.value if node.alias else node.name.value


def grouped_fields(
    selection_sets: Iterable[SelectionSetNode | None],
    fragments: Mapping[str, FragmentDefinitionNode],
    type_name: str | None = None,
) -> dict[str, list[tuple[FieldNode, str | None]]]:
    """The fields by response key (first-seen order), as graphql-core groups them for execution."""
    groups: dict[str, list[tuple[FieldNode, str | None]]] = {}
    for node, condition in collect_fields(selection_sets, fragments, type_name):
        groups.setdefault(response_key(node), []).append((node, condition))
    return groups
