"""moto's server (DynamoDB + streams, SNS with SMS, SES v2, Cognito) as a child process on a free port.

The parent starts `python -m pitstop_local.moto_server`; the child binds port 0 (no race for a free
port), prints `READY <port>` and serves until SIGTERM or until its stdin closes (the parent died).
It ignores SIGINT and SIGTERM: Ctrl-C (or a SIGTERM to the process group, as `timeout` or a service
manager sends) reaches every process of the group, and the parent stops the child itself — by
closing its stdin — after its own shutdown, so no request in flight hits a dead moto.

moto keeps every DynamoDB Streams shard iterator it ever handed out; a poller that asks every 50 ms
would grow it without bound, so the child prunes all but the newest ones. That and the DynamoDB
shims reach into moto's internals: they live in pitstop_local/moto_patches.py, which checks moto's version.

moto's server answers CORS `*` on every path; a page on any site could then read `/moto-api/data.json`
(everything moto holds) or call any service. Here CORS is answered only to the stack's own origins
(its pages call Cognito directly: Amplify Auth's `userPoolEndpoint`), never on `/moto-api/`, and
requests with another Host (DNS rebinding), another Origin or `Sec-Fetch-Site: cross-site` are refused.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from . import sent_messages

READY = "READY"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
MOTO_API = "/moto-api"
WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # noqa: S104 - names, not a bind
KEEP_SHARD_ITERATORS = 2000


@dataclass
class MotoProcess:
    """A running moto server child process."""

    process: subprocess.Popen[str]
    port: int
    host: str = "127.0.0.1"
    _stopped: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self, timeout: float = 5.0) -> None:
        """Close the child's stdin (it shuts down), wait; kill it if it does not exit in time."""
        if self._stopped:
            return
        self._stopped = True
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)
        if self.process.stdout is not None:
            self.process.stdout.close()


@dataclass
class Launch:
    """A moto child process that is starting; `ready()` waits for it (do other work meanwhile)."""

    process: subprocess.Popen[str]
    host: str

    def ready(self, timeout: float = 15.0) -> MotoProcess:
        assert self.process.stdout is not None
        port = _read_ready(self.process, self.process.stdout, timeout)
        moto = MotoProcess(process=self.process, port=port, host=self.host)
        _wait_listening(moto.url, timeout)
        return moto


def launch(host: str = "127.0.0.1", cors_origins: Sequence[str] = ()) -> Launch:
    """Start moto's server in a child process (returns at once).

    `cors_origins`: the origins whose pages may call moto's services (not /moto-api/) from a browser."""
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    # moto accepts any TOTP code unless told to check it (against its one fixed secret, which it hands
    # out as every user's): checked, a wrong code fails locally as it does in Cognito.
    env.setdefault("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
    env["MOTO_DISABLE_GLOBAL_CORS"] = "true"  # read when moto.settings is imported, in the child
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed argv
        [sys.executable, "-m", "pitstop_local.moto_server", host, *cors_origins],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
        env=env,
    )
    return Launch(process=process, host=host)


def start(host: str = "127.0.0.1", timeout: float = 15.0, cors_origins: Sequence[str] = ()) -> MotoProcess:
    """Start moto's server in a child process and wait until it listens."""
    return launch(host, cors_origins).ready(timeout)


def _read_ready(process: subprocess.Popen[str], stdout: IO[str], timeout: float) -> int:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    line = result[0].strip() if result else ""
    if not line.startswith(READY):
        process.kill()
        raise RuntimeError(f"moto server did not start (exit code {process.poll()}): {line!r}")
    return int(line.split()[1])


def _wait_listening(url: str, timeout: float) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# ---------------------------------------------------------------- the child process


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _LocalOnly:
    """WSGI middleware in front of moto: a loopback Host only; no foreign origin."""

    def __init__(self, app: WsgiApp, host_names: Iterable[str], cors_origins: Iterable[str]) -> None:
        self.app = app
        self.names = frozenset(name.lower() for name in host_names)
        self.origins = frozenset(origin.lower() for origin in cors_origins)

    def refusal(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        # A loopback name at any port: the name is what DNS rebinding changes (a fault-injecting proxy
        # in front of moto, on another port, keeps working)
        host = str(environ.get("HTTP_HOST", "")).lower()
        name = host.rpartition(":")[0] if host.rsplit(":", 1)[-1].isdigit() else host
        if name not in self.names:
            return "421 Misdirected Request", "this server answers to loopback host names only"
        origin = environ.get("HTTP_ORIGIN")
        path = str(environ.get("PATH_INFO", ""))
        if origin is not None and (
            origin.lower() not in self.origins or path.startswith(MOTO_API) or path == sent_messages.PATH
        ):
            return "403 Forbidden", "cross-origin request"
        if str(environ.get("HTTP_SEC_FETCH_SITE", "")).lower() == "cross-site":
            return "403 Forbidden", "cross-site request"
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        refused = self.refusal(environ)
        if refused is None and environ.get("PATH_INFO") == sent_messages.PATH:
            body = sent_messages.snapshot()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        if refused is None:
            return self.app(environ, start_response)
        status, reason = refused
        body = f"{status}: {reason}.".encode()
        start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]


def _backend_app_factory(cors_origins: Sequence[str]) -> Callable[[str], Any]:
    """moto's per-service Flask app, with flask-cors for our origins only and never on /moto-api."""
    import re

    from flask_cors import CORS

    from .moto_patches import create_backend_app

    # exact origins (flask-cors would take "[::1]" for a regular expression)
    origins = [re.compile(f"^{re.escape(origin)}$", re.IGNORECASE) for origin in cors_origins]

    def create(service: str) -> Any:
        app = create_backend_app(service)
        if origins:
            CORS(app, resources={r"^/(?!moto-api)": {"origins": origins}}, max_age=86400)
        return app

    return create


def _serve(host: str, cors_origins: Sequence[str] = ()) -> None:
    import logging

    from werkzeug.serving import make_server

    from . import moto_patches
    from .moto_patches import DomainDispatcherApplication, MotoRequestHandler

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    moto_patches.transactions_without_table_copies()
    sent_messages.install()  # customer e-mail and SMS, for the outbox
    moto_patches.make_dynamodb_linearizable()  # after: the lock wraps the checked transaction too
    guard = _LocalOnly(
        DomainDispatcherApplication(_backend_app_factory(cors_origins)),
        host_names=LOOPBACK_NAMES if host in WILDCARD_HOSTS else (*LOOPBACK_NAMES, host),
        cors_origins=cors_origins,
    )
    server = make_server(host, 0, guard, threaded=True, request_handler=MotoRequestHandler)
    stop = threading.Event()

    def shutdown() -> None:
        if not stop.is_set():
            stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    def watch_parent() -> None:
        sys.stdin.read()  # returns when the parent closes the pipe or dies
        shutdown()

    threading.Thread(target=watch_parent, daemon=True).start()
    threading.Thread(
        target=moto_patches.prune_shard_iterators, args=(stop, KEEP_SHARD_ITERATORS), daemon=True
    ).start()
    print(f"{READY} {server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    _serve(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1", sys.argv[2:])
