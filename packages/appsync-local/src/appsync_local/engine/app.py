"""create_app: the Starlette application serving /graphql, /graphql/realtime and the stack's routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute

from .engine import Engine
from .guard import LocalOnly
from .http import graphql_http
from .realtime import graphql_realtime
from .settings import EngineSettings


def create_app(settings: EngineSettings) -> Starlette:
    """The local AppSync. `app.state.engine` is the Engine (schema, hub, runtimes) for the stack."""
    engine = Engine(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.lifespan is None:
            yield
            return
        async with settings.lifespan(app):
            yield

    routes = [
        Route("/graphql", graphql_http, methods=["GET", "POST"]),
        WebSocketRoute("/graphql/realtime", graphql_realtime),
        WebSocketRoute("/graphql", graphql_realtime),  # AppSync's realtime host uses /graphql too
        *settings.extra_routes,
    ]
    middleware = [
        # loopback Host names only; CORS on /graphql only (AppSync's: any origin), the rest same-origin
        Middleware(LocalOnly, host_names=settings.host_names, port=settings.port, cors_paths=("/graphql",)),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.engine = engine
    return app
