"""Generates resolvers/publish_selection.py, the publisher's mutation, from schema.graphql.

The Lambda asset ships resolvers/ only (no schema), so the mutation text is generated here, at build
time: the operation of api_config.json's `publisher.mutation` field, its argument's input type, and a
selection of every field of its result type down to the leaves (a subscriber's selection can only get
what the publish mutation selected). tests/cdk_app/test_cdk_facts.py fails when the file is stale.

    python -m cdk_app.publish_selection          # rewrite resolvers/publish_selection.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from appsync_local.schema import build_appsync_schema
from graphql import GraphQLInputObjectType, GraphQLObjectType, GraphQLSchema, get_named_type

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "resolvers" / "publish_selection.py"


def _selection(type_: GraphQLObjectType) -> str:
    parts = []
    for name, field in type_.fields.items():
        inner = get_named_type(field.type)
        parts.append(f"{name} {{ {_selection(inner)} }}" if isinstance(inner, GraphQLObjectType) else name)
    return " ".join(parts)


def generate(schema: GraphQLSchema, mutation_field: str) -> str:
    """The module's text: PUBLISH_MUTATION, its OPERATION_NAME and the input type's INPUT_FIELDS."""
    assert schema.mutation_type is not None
    field = schema.mutation_type.fields[mutation_field]
    (arg_name, arg), *others = field.args.items()
    input_type = get_named_type(arg.type)
    result = get_named_type(field.type)
    if (
        others
        or not isinstance(input_type, GraphQLInputObjectType)
        or not isinstance(result, GraphQLObjectType)
    ):
        raise ValueError(f"Mutation.{mutation_field} must take one input object and return an object")
    operation = mutation_field[0].upper() + mutation_field[1:]
    lines = [
        f"mutation {operation}(${arg_name}: {arg.type}) {{",
        f"  {mutation_field}({arg_name}: ${arg_name}) {{",
    ]
    for name, sub in result.fields.items():
        inner = get_named_type(sub.type)
        lines.append(
            f"    {name} {{ {_selection(inner)} }}" if isinstance(inner, GraphQLObjectType) else f"    {name}"
        )
    lines += ["  }", "}"]
    mutation = "\n".join(lines)
    return (
        '"""GENERATED from schema.graphql by `python -m cdk_app.publish_selection`: do not edit."""\n'
        "# ruff: noqa: E501 (a nested type's selection is one line, however long)\n\n"
        f"OPERATION_NAME = {json.dumps(operation)}\n"
        "INPUT_FIELDS = (\n" + "".join(f"    {json.dumps(name)},\n" for name in input_type.fields) + ")\n"
        f'PUBLISH_MUTATION = """{mutation}"""\n'
    )


def current_text(root: Path = ROOT) -> str:
    config = json.loads((root / "api_config.json").read_text(encoding="utf-8"))
    sdl = (root / config["schema"]).read_text(encoding="utf-8")
    return generate(build_appsync_schema(sdl), config["publisher"]["mutation"])


def main() -> int:
    TARGET.write_text(current_text(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
