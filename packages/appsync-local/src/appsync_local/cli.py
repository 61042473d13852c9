"""The `appsync-local` command: serve an AppSync project from its config file until Ctrl-C/SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence

from . import __version__
from .project import ConfigError, ProjectConfig, load_project
from .server import LocalAppSync

log = logging.getLogger("appsync_local")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="appsync-local",
        description="Serve an AWS AppSync API offline: GraphQL over HTTP, the real-time WebSocket "
        "protocol, API key / Cognito / IAM auth, Lambda resolvers, enhanced subscription filters.",
    )
    parser.add_argument("--config", "-c", required=True, help="the project's config file (JSON)")
    parser.add_argument("--host", help="address to listen on (default: local.host, else 127.0.0.1)")
    parser.add_argument("--port", "-p", type=int, help="port (default: local.port, else 4000; 0: a free one)")
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="default: warning",
    )
    parser.add_argument("--check", action="store_true", help="check the config file and exit")
    parser.add_argument("--version", action="version", version=f"appsync-local {__version__}")
    return parser.parse_args(argv)


def banner(project: ProjectConfig, server: LocalAppSync, elapsed: float) -> str:
    lines = [
        f"appsync-local {__version__}: {project.source}",
        f"  GraphQL     {server.url}",
        f"  real-time   {server.realtime_url}",
        f"  auth modes  {', '.join(project.modes)}",
    ]
    for key in project.api_keys:
        note = "   (generated; set local.apiKeys to fix it)" if key.generated else ""
        lines.append(f"  API key     {key.key}   expires {key.expires:%Y-%m-%d %H:%M} UTC{note}")
    if project.cognito is not None:
        source = "JWKS file" if project.cognito.jwks is not None else project.cognito.jwks_url
        lines.append(f"  Cognito     {project.cognito.user_pool_id} (keys: {source})")
    for access_key_id, principal in project.iam_principals.items():
        lines.append(f"  IAM         {access_key_id} -> {principal.user_arn}")
    lines.append(f"Ready in {elapsed:.1f} s. Ctrl-C stops.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    started = time.monotonic()
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        project = load_project(args.config)
    except ConfigError as exc:
        print(f"appsync-local: {exc}", file=sys.stderr)
        return 2
    if args.check:
        print(f"{project.source}: OK")
        return 0
    host = args.host or project.host
    port = project.port if args.port is None else args.port
    server = LocalAppSync(project, host=host, port=port, log_level=args.log_level)
    try:
        server.start()
    except OSError as exc:
        print(f"appsync-local: cannot listen on {host}:{port} ({exc.strerror}); try --port", file=sys.stderr)
        return 1
    except Exception as exc:  # a handler module that fails to import, a bad schema directive, ...
        print(f"appsync-local: cannot start: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(banner(project, server, time.monotonic() - started), flush=True)
    # uvicorn runs in a thread; the main thread waits for SIGINT/SIGTERM (turned into a clean stop)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            if not server.running:
                print("appsync-local: the server stopped unexpectedly", file=sys.stderr)
                return 1
    finally:
        server.stop()
    print("appsync-local stopped.", flush=True)
    return 0
