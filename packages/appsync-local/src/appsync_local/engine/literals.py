"""graphql-java's checks and wording for literal argument values (AppSync's WrongType errors).

"argument 'input.customer.email' with value 'StringValue{value='x'}' is not a valid 'AWSEmail'"
"argument 'input' with value 'ObjectValue{...}' is missing required fields '[name]'"
"""

from __future__ import annotations

from typing import Any, cast

from graphql import (
    BooleanValueNode,
    ConstValueNode,
    EnumValueNode,
    FloatValueNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    StringValueNode,
    Undefined,
    ValueNode,
    VariableNode,
)


def java_ast(node: ValueNode) -> str:
    """A value node as graphql-java's AST toString() prints it."""
    if isinstance(node, StringValueNode):
        return f"StringValue{{value='{node.value}'}}"
    if isinstance(node, IntValueNode):
        return f"IntValue{{value={node.value}}}"
    if isinstance(node, FloatValueNode):
        return f"FloatValue{{value={node.value}}}"
    if isinstance(node, BooleanValueNode):
        return f"BooleanValue{{value={'true' if node.value else 'false'}}}"
    if isinstance(node, EnumValueNode):
        return f"EnumValue{{name='{node.value}'}}"
    if isinstance(node, NullValueNode):
        return "NullValue{}"
    if isinstance(node, VariableNode):
        return f"VariableReference{{name='{node.name.value}'}}"
    if isinstance(node, ListValueNode):
        return "ArrayValue{values=[" + ", ".join(java_ast(v) for v in node.values) + "]}"
    if isinstance(node, ObjectValueNode):
        fields = ", ".join(
            f"ObjectField{{name='{f.name.value}', value={java_ast(f.value)}}}" for f in node.fields
        )
        return f"ObjectValue{{objectFields=[{fields}]}}"
    return str(node)


def _has_default(field: Any) -> bool:
    return (
        getattr(field, "default", None) is not None
        or getattr(field, "default_value", Undefined) is not Undefined
    )


def _invalid(name: str, node: ValueNode, type_: Any) -> str:
    return f"argument '{name}' with value '{java_ast(node)}' is not a valid '{type_}'"


def _leaf_ok(node: ValueNode, type_: GraphQLScalarType | GraphQLEnumType) -> bool:
    if isinstance(type_, GraphQLEnumType):
        return isinstance(node, EnumValueNode) and node.value in type_.values
    try:
        if type_.coerce_input_literal is not None:
            # typed for constant literals; a list or object holding a variable fails to coerce, below
            value = type_.coerce_input_literal(cast(ConstValueNode, node))
        else:
            value = type_.parse_literal(node, None)
    except Exception:
        return False
    return value is not Undefined


def literal_problem(node: ValueNode, type_: GraphQLInputType, name: str) -> str | None:
    """The WrongType description for a literal that does not fit its type, or None."""
    if isinstance(node, VariableNode):
        return None  # variables are checked by VariablesInAllowedPosition and at coercion
    if isinstance(type_, GraphQLNonNull):
        if isinstance(node, NullValueNode):
            return f"argument '{name}' with value '{java_ast(node)}' must not be null"
        return literal_problem(node, type_.of_type, name)
    if isinstance(node, NullValueNode):
        return None
    if isinstance(type_, GraphQLList):
        items = node.values if isinstance(node, ListValueNode) else (node,)
        for item in items:
            problem = literal_problem(item, type_.of_type, name)
            if problem:
                return problem
        return None
    if isinstance(type_, GraphQLInputObjectType):
        if not isinstance(node, ObjectValueNode):
            return f"argument '{name}' with value '{java_ast(node)}' must be an object type"
        given = {f.name.value: f for f in node.fields}
        unknown = [n for n in given if n not in type_.fields]
        if unknown:
            return (
                f"argument '{name}' with value '{java_ast(node)}' contains a field not in "
                f"'{type_.name}': '{unknown[0]}'"
            )
        missing = [
            n
            for n, f in type_.fields.items()
            if isinstance(f.type, GraphQLNonNull) and not _has_default(f) and n not in given
        ]
        if missing:
            return (
                f"argument '{name}' with value '{java_ast(node)}' is missing required fields "
                f"'[{', '.join(missing)}]'"
            )
        for field_name, field_node in given.items():
            problem = literal_problem(field_node.value, type_.fields[field_name].type, f"{name}.{field_name}")
            if problem:
                return problem
        return None
    if isinstance(type_, GraphQLScalarType | GraphQLEnumType) and not _leaf_ok(node, type_):
        return _invalid(name, node, type_)
    return None
