"""A schema the way AppSync sees it: the SDL after AppSync's implicit scalars and directives."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLSchema, build_schema

PRELUDE = Path(__file__).resolve().parent / "appsync_prelude.graphql"


def build_appsync_schema(sdl: str) -> GraphQLSchema:
    """Build an AppSync schema (SDL) after AppSync's implicit scalars (AWSDateTime, …) and directives."""
    return build_schema(PRELUDE.read_text(encoding="utf-8") + "\n" + sdl)
