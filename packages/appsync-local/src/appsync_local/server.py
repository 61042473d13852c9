"""LocalAppSync: a project served on a real port, started and stopped from Python (tests, scripts).

with LocalAppSync("example/config.json") as api:
    httpx.post(api.url, json={"query": "{ notes(board: \\"a\\") { id } }"},
               headers={"x-api-key": api.api_key})
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from .engine.app import create_app
from .engine.settings import EngineSettings
from .project import ProjectConfig, load_project

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one (no race between finding and using it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class LocalAppSync:
    """Serves a project (a config file path, a loaded ProjectConfig, or ready EngineSettings) with
    uvicorn in a background thread. `port=0` (the default) takes a free port.

    Exposes `url` (GraphQL over HTTP), `realtime_url` (the WebSocket endpoint), `api_key` (the
    first API key, or None) and `app` (the Starlette app, e.g. `app.state.engine`)."""

    def __init__(
        self,
        project: str | Path | ProjectConfig | EngineSettings,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.project = load_project(project) if isinstance(project, str | Path) else project
        self.host = host
        self.port = port
        self.log_level = log_level
        self.app: Any = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def api_key(self) -> str | None:
        if isinstance(self.project, ProjectConfig):
            return self.project.api_keys[0].key if self.project.api_keys else None
        return next(iter(self.project.api_keys), None)

    @property
    def base_url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/graphql"

    @property
    def realtime_url(self) -> str:
        return f"ws://{_url_host(self.host)}:{self.port}/graphql/realtime"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def settings_for(self, port: int) -> EngineSettings:
        if isinstance(self.project, ProjectConfig):
            self.project.activate_python_path()
            return self.project.engine_settings(port=port)
        self.project.port = port
        return self.project

    def start(self) -> LocalAppSync:
        import uvicorn

        self._sock = bind(self.host, self.port)
        self.port = int(self._sock.getsockname()[1])
        self.app = create_app(self.settings_for(self.port))
        config = uvicorn.Config(self.app, log_level=self.log_level, timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        sockets = [self._sock]
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": sockets}, name="appsync-local", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"appsync-local did not start on {self.base_url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_SECONDS)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> LocalAppSync:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
