"""moto's server (DynamoDB + streams, SNS, Cognito) as a child process on a free loopback port.

The parent starts `python -m appsync_local.moto_server`; the child binds port 0 (no race for a free
port), prints `READY <port>` and serves until SIGTERM or until its stdin closes (the parent died).
It ignores SIGINT and SIGTERM: Ctrl-C (or a SIGTERM to the process group, as `timeout` or a service
manager sends) reaches every process of the group, and the parent stops the child itself — by
closing its stdin — after its own shutdown, so no request in flight hits a dead moto.

moto keeps every DynamoDB Streams shard iterator it ever handed out; a poller that asks every 50 ms
would grow it without bound, so the child prunes all but the newest ones.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO

READY = "READY"
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


def launch(host: str = "127.0.0.1") -> Launch:
    """Start moto's server in a child process (returns at once)."""
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed argv
        [sys.executable, "-m", "appsync_local.moto_server", host],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
        env=env,
    )
    return Launch(process=process, host=host)


def start(host: str = "127.0.0.1", timeout: float = 15.0) -> MotoProcess:
    """Start moto's server in a child process and wait until it listens."""
    return launch(host).ready(timeout)


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


def _make_dynamodb_linearizable() -> None:
    """Serialise moto's DynamoDB backend calls, as DynamoDB is atomic per item and per transaction.

    moto checks conditions and writes without a lock, and a cancelled transaction restores a copy of
    the whole table taken when it started, erasing writes that committed meanwhile. The server is
    threaded, so concurrent requests (the reliability tests send twenty at once) would otherwise lose
    committed writes — something real DynamoDB never does.
    """
    import functools

    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in (
        "get_item",
        "put_item",
        "update_item",
        "delete_item",
        "query",
        "transact_write_items",
        "transact_get_items",
        "batch_write_item",
    ):
        method = getattr(DynamoDBBackend, name, None)
        if method is None:
            continue

        def locked(*args: object, _method=method, **kwargs: object) -> object:
            with lock:
                return _method(*args, **kwargs)

        setattr(DynamoDBBackend, name, functools.wraps(method)(locked))


def _serve(host: str) -> None:
    import logging

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _make_dynamodb_linearizable()
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(host, 0, app, threaded=True, request_handler=MotoRequestHandler)
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
    _serve(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1")
