"""Variable coercion errors worded as AppSync reports them (HTTP 200, data null, no errorType).

"Variable 'id' has coerced Null value for NonNull type 'ID!'"
"Variable 'phone' has an invalid value. Unable to parse `1110004444` as a valid phone number."
"The variables input contains a field that is not defined for input object type 'X' "
"""

from __future__ import annotations

import math
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    Undefined,
    VariableNode,
    type_from_ast,
)

from .scalars import AWS_SCALARS, ScalarParseError

_MISSING = object()


class _Problem(Exception):
    def __init__(self, message: str, located: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.located = located


def _builtin_problem(type_name: str, value: Any) -> str | None:
    java = {bool: "Boolean", int: "Integer", float: "Double", str: "String", dict: "Map", list: "List"}
    got = java.get(type(value), type(value).__name__)
    ok = {
        "Int": (isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31)
        or (isinstance(value, float) and math.isfinite(value) and value.is_integer()),
        "Float": isinstance(value, int | float) and not isinstance(value, bool),
        "String": isinstance(value, str),
        "Boolean": isinstance(value, bool),
        "ID": isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)),
    }.get(type_name, True)
    return None if ok else f"Expected type '{type_name}' but was '{got}'."


def _has_default(field: Any) -> bool:
    return (
        getattr(field, "default", None) is not None
        or getattr(field, "default_value", Undefined) is not Undefined
    )


def _check(value: Any, type_: Any, var: str, name: str) -> None:
    """Raise _Problem for a value that does not coerce.

    `var` names the variable, `name` the innermost field (AppSync words nested errors with it)."""
    if isinstance(type_, GraphQLNonNull):
        if value is None or value is _MISSING:
            raise _Problem(f"Variable '{var}' has coerced Null value for NonNull type '{type_}'")
        _check(value, type_.of_type, var, name)
        return
    if value is None or value is _MISSING:
        return
    if isinstance(type_, GraphQLList):
        for item in value if isinstance(value, list) else [value]:
            _check(item, type_.of_type, var, name)
        return
    if isinstance(type_, GraphQLInputObjectType):
        if not isinstance(value, dict):
            got = {str: "String", int: "Integer", float: "Double", bool: "Boolean", list: "List"}.get(
                type(value), "Object"
            )
            raise _Problem(
                f"Variable '{name}' has an invalid value. Expected type 'Map' but was '{got}'. "
                "Variables for input objects must be an instance of type 'Map'."
            )
        unknown = [k for k in value if k not in type_.fields]
        if unknown:
            raise _Problem(
                "The variables input contains a field that is not defined for input object type "
                f"'{type_.name}' ",
                located=False,
            )
        for field_name, field in type_.fields.items():
            field_value = value.get(field_name, _MISSING)
            if field_value is _MISSING and _has_default(field):
                continue
            _check(field_value, field.type, var, field_name)
        return
    if isinstance(type_, GraphQLEnumType):
        if not isinstance(value, str) or value not in type_.values:
            raise _Problem(
                f"Variable '{name}' has an invalid value. Invalid input for Enum '{type_.name}'. "
                f"No value found for name '{value}'"
            )
        return
    if isinstance(type_, GraphQLScalarType):
        scalar = AWS_SCALARS.get(type_.name)
        if scalar is not None:
            try:
                scalar.parse(value)
            except ScalarParseError as exc:
                raise _Problem(f"Variable '{name}' has an invalid value. {exc}") from exc
            return
        problem = _builtin_problem(type_.name, value)
        if problem:
            raise _Problem(f"Variable '{name}' has an invalid value. {problem}")


def variable_errors(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: dict[str, Any]
) -> list[dict[str, Any]]:
    """[] when the variables coerce, else AppSync-shaped errors (the first problem per variable)."""
    errors: list[dict[str, Any]] = []
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        type_ = type_from_ast(schema, definition.type)
        if type_ is None:
            continue
        value = variables.get(name, _MISSING)
        if value is _MISSING and definition.default_value is not None:
            continue
        try:
            _check(value, type_, name, name)
        except _Problem as problem:
            loc = GraphQLError("", definition).locations
            located = problem.located and loc
            errors.append(
                {
                    "path": None,
                    "locations": [{"line": loc[0].line, "column": loc[0].column, "sourceName": None}]
                    if located and loc
                    else None,
                    "message": problem.message,
                }
            )
    return errors


def with_unsupplied_as_null(
    arguments: dict[str, Any], field_node: FieldNode, variable_values: dict[str, Any]
) -> dict[str, Any]:
    """A field's arguments as AppSync passes them to a resolver: an argument bound to a declared
    variable that the request did not supply is an explicit null, where graphql-core leaves it out
    (https://github.com/aws/aws-appsync-community/issues/348). A schema default still applies."""
    missing = [
        argument.name.value
        for argument in field_node.arguments or ()
        if isinstance(argument.value, VariableNode)
        and argument.value.name.value not in variable_values
        and argument.name.value not in arguments
    ]
    return {**arguments, **dict.fromkeys(missing)} if missing else arguments
