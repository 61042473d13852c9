"""moto's server (DynamoDB + streams, SNS with SMS, SES v2, Cognito) as a child process on a free port.

The parent starts `python -m pitstop_local.moto_server`; the child binds port 0 (no race for a free
port), prints `READY <port>` and serves until SIGTERM or until its stdin closes (the parent died).
It ignores SIGINT and SIGTERM: Ctrl-C (or a SIGTERM to the process group, as `timeout` or a service
manager sends) reaches every process of the group, and the parent stops the child itself — by
closing its stdin — after its own shutdown, so no request in flight hits a dead moto.

moto keeps every DynamoDB Streams shard iterator it ever handed out; a poller that asks every 50 ms
would grow it without bound, so the child prunes all but the newest ones.

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


def _prune_shard_iterators(stop: threading.Event) -> None:
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    while not stop.wait(10):
        for account in list(dynamodbstreams_backends.values()):
            for backend in list(account.values()):
                iterators = backend.shard_iterators
                excess = len(iterators) - KEEP_SHARD_ITERATORS
                if excess > 0:
                    for arn in list(iterators)[:excess]:
                        iterators.pop(arn, None)


def linearized_dynamodb_methods() -> dict[str, Any]:
    """moto's DynamoDB backend methods as they are now, each wrapped in one shared reentrant lock.

    DynamoDB is atomic per item and per transaction; moto checks conditions and writes without a
    lock, and a cancelled transaction restores a copy of the whole table taken when it started,
    erasing writes that committed meanwhile. Setting these on DynamoDBBackend serialises the calls
    (the server child does; so do the in-process resolver tests that run writers concurrently).
    """
    import functools

    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    names = ("get_item", "put_item", "update_item", "delete_item", "query", "transact_write_items",
             "transact_get_items", "batch_write_item")  # fmt: skip
    wrapped: dict[str, Any] = {}
    for name in names:
        method = getattr(DynamoDBBackend, name, None)
        if method is None:
            continue

        def locked(*args: object, _method: Any = method, **kwargs: object) -> object:
            with lock:
                return _method(*args, **kwargs)

        wrapped[name] = functools.wraps(method)(locked)
    return wrapped


def _make_dynamodb_linearizable() -> None:
    """The threaded server handles concurrent requests (the reliability tests send twenty at once):
    without this, moto would lose committed writes, which real DynamoDB never does."""
    from moto.dynamodb.models import DynamoDBBackend

    for name, method in linearized_dynamodb_methods().items():
        setattr(DynamoDBBackend, name, method)


class _NoTableCopy:
    """Stands in for the `copy` module inside moto.dynamodb.models while a checked transaction applies:
    whole tables (the rollback backup) are not copied; anything else (e.g. an item) is, as before."""

    def __init__(self, copier: Any) -> None:
        self._copier = copier  # what moto.dynamodb.models used as `copy` until now

    def deepcopy(self, value: object, memo: Any = None) -> object:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else self._copier.deepcopy(value, memo)


def _transactions_without_table_copies() -> None:
    """Stop moto deep-copying whole tables on every TransactWriteItems.

    moto copies each table a transaction touches (items and stream records) so that it can roll back:
    O(table) time and garbage per createTicket, which makes a long-running local stack ever slower.
    Under the lock of `_make_dynamodb_linearizable`, the conditions are checked first: a failing one
    raises the very cancellation moto would (and nothing was written); when all hold, moto applies the
    writes with the copy made a no-op, as nothing is left to roll back. Anything unusual (a repeated
    key, an unknown table) takes moto's own path, copy included, so its errors stay moto's.
    """
    from moto.dynamodb import models
    from moto.dynamodb.exceptions import ConditionalCheckFailed, TransactionCanceledException

    original = models.DynamoDBBackend.transact_write_items

    def failed_condition(backend: Any, op_type: str, op: dict[str, Any], keys: set[str]) -> Any:
        """None when the operation's condition holds, else moto's reason tuple; raises LookupError
        for anything that should take moto's own path."""
        table = backend.get_table(op["TableName"])
        if op_type == "Put":
            key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = op["Item"][table.range_key_attr]
        else:
            key = op["Key"]
        marker = f"{op['TableName']}|{sorted(key.items())}"
        if marker in keys:
            raise LookupError(marker)
        keys.add(marker)
        condition = op.get("ConditionExpression")
        if condition is None:
            return None
        current = backend.get_item(op["TableName"], key)
        check = models.get_filter_expression(
            condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        )
        if check.expr(current):
            return None
        old = None
        if current is not None and op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD":
            old = current.to_json()["Attributes"]
        return ("ConditionalCheckFailed", ConditionalCheckFailed().message, old)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        reasons: list[Any] = []
        keys: set[str] = set()
        try:
            for item in transact_items:
                (op_type, op), *rest = item.items()
                if rest or op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise LookupError(op_type)
                reasons.append(failed_condition(self, op_type, op, keys) or (None, None, None))
        except Exception:  # moto's own path reports it the way moto does
            return original(self, transact_items)
        if any(code is not None for code, _, _ in reasons):
            raise TransactionCanceledException(reasons)
        saved = models.copy
        models.copy = _NoTableCopy(saved)
        try:
            return original(self, transact_items)
        finally:
            models.copy = saved

    models.DynamoDBBackend.transact_write_items = transact_write_items


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _LocalOnly:
    """WSGI middleware in front of moto: loopback Host at our port only; no foreign origin."""

    def __init__(self, app: WsgiApp, host_names: Iterable[str], cors_origins: Iterable[str]) -> None:
        self.app = app
        self.names = frozenset(name.lower() for name in host_names)
        self.origins = frozenset(origin.lower() for origin in cors_origins)
        self.port = 0  # set once the server is bound

    def refusal(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        host = str(environ.get("HTTP_HOST", "")).lower()
        if host not in {f"{name}:{self.port}" for name in self.names}:
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
    from moto.moto_server.werkzeug_app import create_backend_app

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

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _transactions_without_table_copies()
    sent_messages.install()  # customer e-mail and SMS, for the outbox
    _make_dynamodb_linearizable()  # after: the lock wraps the checked transaction too
    guard = _LocalOnly(
        DomainDispatcherApplication(_backend_app_factory(cors_origins)),
        host_names=LOOPBACK_NAMES if host in WILDCARD_HOSTS else (*LOOPBACK_NAMES, host),
        cors_origins=cors_origins,
    )
    server = make_server(host, 0, guard, threaded=True, request_handler=MotoRequestHandler)
    guard.port = server.server_address[1]
    stop = threading.Event()

    def shutdown() -> None:
        if not stop.is_set():
            stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    def watch_parent() -> None:
        sys.stdin.read()  # returns when the parent closes the pipe or dies
        shutdown()

    threading.Thread(target=watch_parent, daemon=True).start()
    threading.Thread(target=_prune_shard_iterators, args=(stop,), daemon=True).start()
    print(f"{READY} {server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    _serve(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1", sys.argv[2:])
