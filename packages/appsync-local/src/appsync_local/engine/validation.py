"""Parse and validate a document; report failures the way AppSync (graphql-java) words them.

AppSync: "Validation error of type FieldUndefined: Field 'x' in type 'Query' is undefined @ 'x'",
HTTP 200, data null, no errorType, locations with sourceName null
(https://github.com/graphql/graphql-over-http/issues/81).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

from graphql import (
    ArgumentNode,
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    Node,
    ValidationRule,
    parse,
    specified_rules,
    validate,
    visit,
)
from graphql.language import Visitor
from graphql.validation import ASTValidationContext
from graphql.validation.rules.values_of_correct_type import ValuesOfCorrectTypeRule

from .literals import literal_problem


class DocumentError(Exception):
    """The request cannot be parsed: AppSync answers 400 MalformedHttpRequestException."""


def parse_document(query: Any, max_tokens: int) -> DocumentNode:
    if not isinstance(query, str) or not query.strip():
        raise DocumentError("Unable to parse GraphQL query.")
    try:
        return parse(query, max_tokens=max_tokens, allow_empty_selection_sets=False)
    except GraphQLError as exc:
        if "tokens" in exc.message and "Parsing aborted" in exc.message:
            raise DocumentError("Maximum char length exceeded") from exc
        raise DocumentError("Unable to parse GraphQL query.") from exc
    except RecursionError as exc:
        raise DocumentError("Unable to parse GraphQL query.") from exc


class ArgumentsOfCorrectTypeRule(ValidationRule):
    """graphql-java's WrongType check of literal argument values (replaces ValuesOfCorrectTypeRule)."""

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        argument = self.context.get_argument()
        if argument is None:
            return
        problem = literal_problem(node.value, argument.type, node.name.value)
        if problem is not None:
            self.report_error(GraphQLError(problem, node))


RULE_EXTENSION = "appsyncLocalRule"  # the validation rule that reported the error


class _RuleContext:
    """A rule's view of the shared validation context that marks each error the rule reports with the
    rule's name (graphql-java's error type follows from it): one validation pass then attributes
    every error, instead of one more pass per rule. Rules report through `self.report_error` or
    `context.report_error`; both end here."""

    def __init__(self, context: ASTValidationContext, rule_name: str) -> None:
        self._context = context
        self._rule_name = rule_name

    def report_error(self, error: GraphQLError) -> None:
        # extensions: the GraphQL error's field for implementors' additional entries (never sent as such:
        # _appsync_error builds the response error)
        error.extensions = {**(error.extensions or {}), RULE_EXTENSION: self._rule_name}
        self._context.report_error(error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


def _named(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    def __init__(self: ASTValidationRule, context: ASTValidationContext) -> None:
        # the stand-in forwards every other attribute to the real context (__getattr__)
        rule.__init__(self, cast(ASTValidationContext, _RuleContext(context, rule.__name__)))

    return type(rule.__name__, (rule,), {"__init__": __init__})


RULES: list[type[ASTValidationRule]] = [
    _named(ArgumentsOfCorrectTypeRule if rule is ValuesOfCorrectTypeRule else rule)
    for rule in specified_rules
]
# graphql-core stops a pass after this many errors (its own default, against pathological documents)
MAX_VALIDATION_ERRORS = 100


def _q(text: str) -> list[str]:
    return re.findall(r"'([^']*)'", text)


def _strip_var(name: str) -> str:
    return name[1:] if name.startswith("$") else name


def _scalar_leafs(message: str) -> tuple[str, str]:
    names = _q(message)
    if "must have a selection" in message:
        return "SubSelectionRequired", f"Sub selection required for type {names[1]} of field {names[0]}"
    if "must not have a selection" in message:
        return (
            "SubSelectionNotAllowed",
            f"Sub selection not allowed on leaf type {names[1]} of field {names[0]}",
        )
    return "SubSelectionRequired", message


def _known_directives(message: str) -> tuple[str, str]:
    name = _q(message)[0].lstrip("@")
    if message.startswith("Unknown directive"):
        return "UnknownDirective", f"Unknown directive {name}"
    return "MisplacedDirective", f"Directive {name} not allowed here"


def _required_args(message: str) -> tuple[str, str]:
    spec = _q(message)[0]  # 'Query.ticket(id:)' or '@skip(if:)'
    name = spec[spec.index("(") + 1 : -2]
    if spec.startswith("@"):
        return "MissingDirectiveArgument", f"Missing directive argument {name}"
    return "MissingFieldArgument", f"Missing field argument {name}"


def _known_argument_names(message: str) -> tuple[str, str]:
    name = _q(message)[0]
    if "on directive" in message:
        return "UnknownDirectiveArgument", f"Unknown directive argument {name}"
    return "UnknownArgument", f"Unknown field argument {name}"


def _overlapping(message: str) -> tuple[str, str]:
    names = _q(message)
    if len(names) >= 3 and "are different fields" in message:
        return "FieldsConflict", f"{names[0]}: {names[1]} and {names[2]} are different fields"
    return "FieldsConflict", message.rstrip(".")


MAPPERS: dict[str, Callable[[str], tuple[str, str]]] = {
    "FieldsOnCorrectTypeRule": lambda m: (
        "FieldUndefined",
        "Field '{}' in type '{}' is undefined".format(*_q(m)[:2]),
    ),
    "ScalarLeafsRule": _scalar_leafs,
    "KnownArgumentNamesRule": _known_argument_names,
    "ProvidedRequiredArgumentsRule": _required_args,
    "NoUnusedVariablesRule": lambda m: ("UnusedVariable", f"Unused variable {_strip_var(_q(m)[0])}"),
    "NoUndefinedVariablesRule": lambda m: ("UndefinedVariable", f"Undefined variable {_strip_var(_q(m)[0])}"),
    "VariablesInAllowedPositionRule": lambda m: (
        "VariableTypeMismatch",
        "Variable type '{}' doesn't match expected type '{}'".format(*_q(m)[1:3]),
    ),
    "KnownFragmentNamesRule": lambda m: ("UndefinedFragment", f"Undefined fragment {_q(m)[0]}"),
    "NoUnusedFragmentsRule": lambda m: ("UnusedFragment", f"Unused fragment {_q(m)[0]}"),
    "KnownDirectivesRule": _known_directives,
    "VariablesAreInputTypesRule": lambda _m: ("NonInputTypeOnVariable", "Wrong type for a variable"),
    "PossibleFragmentSpreadsRule": lambda m: ("InvalidFragmentType", m.rstrip(".")),
    "OverlappingFieldsCanBeMergedRule": _overlapping,
    "UniqueOperationNamesRule": lambda m: (
        "DuplicateOperationName",
        f"There can be only one operation named '{_q(m)[0]}'",
    ),
    "LoneAnonymousOperationRule": lambda _m: (
        "LoneAnonymousOperationViolation",
        "Anonymous operation with other operations.",
    ),
    "KnownTypeNamesRule": lambda m: ("UnknownType", f"Unknown type {_q(m)[0]}"),
    "UniqueArgumentNamesRule": lambda m: (
        "DuplicateArgumentNames",
        f"There can be only one argument named '{_q(m)[0]}'",
    ),
    "SingleFieldSubscriptionsRule": lambda _m: (
        "SubscriptionMultipleRootFields",
        "Subscription operation must have exactly one root field",
    ),
    "FragmentsOnCompositeTypesRule": lambda m: (
        (
            "InlineFragmentTypeConditionInvalid",
            "Inline fragment type condition is invalid, must be on Object/Interface/Union",
        )
        if "Fragment cannot" in m
        else (
            "FragmentTypeConditionInvalid",
            "Fragment type condition is invalid, must be on Object/Interface/Union",
        )
    ),
    "NoFragmentCyclesRule": lambda _m: ("FragmentCycle", "Fragment cycles not allowed"),
    "UniqueFragmentNamesRule": lambda m: (
        "DuplicateFragmentName",
        f"There can be only one fragment named '{_q(m)[0]}'",
    ),
    "UniqueVariableNamesRule": lambda m: (
        "DuplicateVariableName",
        f"There can be only one variable named '{_strip_var(_q(m)[0])}'",
    ),
    "UniqueDirectivesPerLocationRule": lambda m: ("DuplicateDirectiveName", m.rstrip(".")),
    "ExecutableDefinitionsRule": lambda m: ("NonExecutableDefinition", m.rstrip(".")),
    "ArgumentsOfCorrectTypeRule": lambda m: ("WrongType", m),
    "KnownOperationTypesRule": lambda _m: (
        "UnknownOperation",
        "The operation is not supported by the schema",
    ),
}


class _PathCollector(Visitor):
    """Maps every node to graphql-java's query path: the field names from the operation down to it."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: dict[int, list[str]] = {}

    def enter(self, node: Node, _key: Any, parent: Any, _path: Any, ancestors: list[Any]) -> None:
        names = [a.name.value for a in [*ancestors, parent] if isinstance(a, FieldNode)]
        if isinstance(node, FieldNode):
            names.append(node.name.value)
        self.paths[id(node)] = names


def _appsync_error(error: GraphQLError, rule: str, paths: dict[int, list[str]]) -> dict[str, Any]:
    mapper = MAPPERS.get(rule)
    try:
        error_type, description = mapper(error.message) if mapper else ("InvalidSyntax", error.message)
    except (IndexError, ValueError):
        error_type, description = "InvalidSyntax", error.message
    usage_last = (
        rule == "VariablesInAllowedPositionRule"
    )  # graphql-java reports the usage, not the definition
    index = -1 if usage_last else 0
    node = error.nodes[index] if error.nodes else None
    path = paths.get(id(node), []) if node is not None else []
    suffix = f" @ '{'/'.join(path)}'" if path else ""
    location = error.locations[index] if error.locations else None
    return {
        "path": None,
        "locations": [{"line": location.line, "column": location.column, "sourceName": None}]
        if location
        else None,
        "message": f"Validation error of type {error_type}: {description}{suffix}",
    }


def validate_document(schema: GraphQLSchema, document: DocumentNode) -> list[dict[str, Any]]:
    """[] when valid, else AppSync-shaped validation errors (one per failure), from a single pass."""
    found = validate(schema, document, RULES, max_errors=MAX_VALIDATION_ERRORS, hide_suggestions=True)
    if not found:
        return []
    collector = _PathCollector()
    visit(document, collector)
    errors = [_appsync_error(e, (e.extensions or {}).get(RULE_EXTENSION, ""), collector.paths) for e in found]
    errors.sort(key=lambda e: tuple((e["locations"] or [{"line": 0, "column": 0}])[0].values())[:2])
    return errors
