"""AppSync's error shapes: GraphQL errors with errorType/errorInfo/data at the root, never `extensions`."""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError, GraphQLSchema, get_named_type, get_nullable_type, is_non_null_type

NON_NULL_RE = re.compile(r"^Cannot return null for non-nullable field (\w+)\.(\w+)\.$")


class AppSyncError(Exception):
    """A field error as AppSync reports it (Lambda errors, Unauthorized, limits)."""

    def __init__(
        self, message: str, error_type: str | None, error_info: Any = None, data: Any = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.error_info = error_info
        self.data = data


class ScalarSerializeError(Exception):
    """A resolver returned a value an AWS scalar cannot serialize."""


def unauthorized_field(field_name: str, type_name: str) -> AppSyncError:
    return AppSyncError(f"Not Authorized to access {field_name} on type {type_name}", "Unauthorized")


def locations(error: GraphQLError) -> list[dict[str, Any]] | None:
    if not error.locations:
        return None
    return [{"line": loc.line, "column": loc.column, "sourceName": None} for loc in error.locations]


def _path_text(path: list[str | int] | None) -> str:
    return "/" + "/".join(str(p) for p in (path or []))


def _type_text(type_: Any) -> str:
    return str(get_nullable_type(type_)) if is_non_null_type(type_) else str(type_)


def format_execution_error(error: GraphQLError, schema: GraphQLSchema) -> dict[str, Any]:
    """One error of an executed operation, shaped like AppSync's."""
    original = error.original_error
    path = list(error.path) if error.path is not None else None
    if isinstance(original, AppSyncError):
        return {
            "path": path,
            "data": original.data,
            "errorType": original.error_type,
            "errorInfo": original.error_info,
            "locations": locations(error),
            "message": original.message,
        }
    if isinstance(original, ScalarSerializeError):
        return {
            "path": path,
            "locations": None,
            "message": f"Can't serialize value ({_path_text(path)}) : {original}",
        }
    match = NON_NULL_RE.match(error.message)
    if match:
        parent_name, field_name = match.groups()
        parent = schema.get_type(parent_name)
        field_def = getattr(parent, "fields", {}).get(field_name)
        type_text = _type_text(field_def.type) if field_def is not None else "null"
        if path and isinstance(path[-1], int) and field_def is not None:
            inner = get_nullable_type(field_def.type)
            type_text = str(get_named_type(inner))
        message = (
            f"Cannot return null for non-nullable type: '{type_text}' within parent '{parent_name}' "
            f"({_path_text(path)})"
        )
        return {"path": path, "locations": None, "message": message}
    if original is not None:
        # Anything else is an engine fault; never leak its details.
        return {
            "path": path,
            "data": None,
            "errorType": "InternalFailure",
            "errorInfo": None,
            "locations": locations(error),
            "message": "An internal failure occurred while resolving this field.",
        }
    return {"path": path, "locations": locations(error), "message": error.message}


def request_error(message: str, error_type: str) -> dict[str, Any]:
    """Body of a request-level rejection (400/401): {"errors": [{errorType, message}]}."""
    return {"errors": [{"errorType": error_type, "message": message}]}
