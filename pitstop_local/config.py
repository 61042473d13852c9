"""The project's schema and API configuration, loaded the way AppSync would see them."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from appsync_local.schema import build_appsync_schema as _build
from graphql import GraphQLSchema

ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def api_config() -> dict[str, Any]:
    """api_config.json: auth modes, data sources, resolvers, subscription filters (shared with CDK)."""
    return json.loads((ROOT / "api_config.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def table_schema() -> dict[str, Any]:
    """table.json: the table's keys, indexes, stream view and TTL attribute (shared with CDK)."""
    return json.loads((ROOT / "table.json").read_text(encoding="utf-8"))


def schema_sdl() -> str:
    return (ROOT / api_config()["schema"]).read_text(encoding="utf-8")


def build_appsync_schema(sdl: str | None = None) -> GraphQLSchema:
    """Build schema.graphql after AppSync's implicit scalars and directives."""
    return _build(sdl or schema_sdl())
