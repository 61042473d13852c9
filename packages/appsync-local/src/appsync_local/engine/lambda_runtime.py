"""One emulated Lambda function: worker processes of its own, each with exactly the function's
environment, one event at a time, its timeout and memory checked as Lambda checks them.

- Instances: a warm idle worker is reused; when none is free a new one starts cold, up to
  `concurrency`. An invocation beyond that waits for a worker to come free, where Lambda would throttle
  it (TooManyRequestsException): the bound here is this machine's, not an account quota to emulate.
- Environment: `environment` (the function's declared variables, plus what the embedding project
  gives every function: credentials, AWS_ENDPOINT_URL) and what Lambda itself sets (AWS_REGION,
  AWS_LAMBDA_FUNCTION_NAME, ...); nothing of the server's own environment, so a variable the deployed
  function lacks is missing locally too.
- Timeout: past `timeout_seconds` the worker is killed and `LambdaTimeout` raised ("Task timed out
  after N.00 seconds"); the next invocation gets a fresh worker.
- Crash: a worker that exits mid-invocation raises `LambdaCrash` ("Runtime exited with error: ...").
- Memory: the worker reports its peak resident memory after every event (Lambda's "Max Memory Used");
  over `memory_mb` the worker is killed and the invocation fails as Lambda's does ("signal: killed").
  Checked after the event, not capped during it: an address-space rlimit (RLIMIT_AS) also counts
  thread stacks and allocator arenas and breaks ordinary handlers far below their real use.
- Hot reload: when a file of the handler's package changes, idle workers are stopped and busy ones
  retired when they finish, so the next invocation loads the new code.

`invoke` blocks: call it from a worker thread (asyncio.to_thread).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from . import lambda_worker
from .lambda_worker import LambdaContext, lambda_default

__all__ = ["LambdaContext", "LambdaCrash", "LambdaError", "LambdaRuntime", "LambdaTimeout", "MarshalError"]

CHANGE_CHECK_SECONDS = 0.25
WORKER_SCRIPT = lambda_worker.__file__


class MarshalError(Exception):
    """The handler returned something the Lambda runtime cannot serialize."""


class LambdaError(Exception):
    """The handler raised: `error_type` is its class name, as the Lambda runtime reports it."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class LambdaTimeout(Exception):
    """The invocation ran past the function's timeout."""


class LambdaCrash(Exception):
    """The worker process exited (or was killed for its memory) during the invocation."""


def marshal(value: Any) -> Any:
    """Round-trip through JSON, as the event and the result travel between AppSync and Lambda."""
    try:
        return json.loads(json.dumps(value, default=lambda_default))
    except (TypeError, ValueError) as exc:
        raise MarshalError(f"Unable to marshal response: {exc}") from exc


class _Worker:
    def __init__(self, command: list[str], environment: dict[str, str], generation: int) -> None:
        self.generation = generation
        # the command is this package's worker script and the declared handler path, no shell
        self.process = subprocess.Popen(  # noqa: S603
            command, env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.requests: IO[str] = self.process.stdin
        self.replies: IO[str] = self.process.stdout

    def call(self, event_json: str, timeout: float) -> dict[str, Any] | None:
        """The worker's reply; None if it exited; raises TimeoutError past `timeout`."""
        try:
            self.requests.write(event_json + "\n")
            self.requests.flush()
        except (BrokenPipeError, OSError):
            return None
        # one request, one reply line: the reply buffer is empty until this reply arrives
        ready, _, _ = select.select([self.replies], [], [], timeout)
        if not ready:
            raise TimeoutError
        line = self.replies.readline()
        return json.loads(line) if line else None

    def exit_reason(self) -> str:
        try:
            code = self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            self.stop()
            return "signal: killed"
        return f"signal: {-code}" if code < 0 else f"exit status {code}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.requests, self.replies):
            with contextlib.suppress(OSError):
                stream.close()


class LambdaRuntime:
    """A Lambda function for a handler path "package.module.function", run in worker processes."""

    def __init__(
        self,
        handler: str,
        function_name: str = "function",
        region: str = "us-east-1",
        account_id: str = "000000000000",
        memory_mb: int = 512,
        timeout_seconds: float = 30.0,
        environment: dict[str, str] | None = None,
        concurrency: int = 1,
        code_root: str | None = None,
    ) -> None:
        module_name, _, _function = handler.rpartition(".")
        if not module_name:
            raise ValueError(f"handler must be 'module.function', got {handler!r}")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.handler = handler
        self.package = module_name.split(".")[0]
        self.function_name = function_name
        self.region = region
        self.account_id = account_id
        self.memory_mb = memory_mb
        self.timeout_seconds = timeout_seconds
        self.environment = dict(environment or {})
        self.concurrency = concurrency
        self.code_root = code_root  # the directory holding the package (Lambda's /var/task); None: found
        self.loads = 0  # workers started (cold starts)
        self.peak_memory_mb = 0  # the highest "Max Memory Used" reported
        self._condition = threading.Condition()
        self._idle: list[_Worker] = []
        self._running = 0  # workers existing, idle or busy
        self._generation = 0
        self._snapshot: dict[str, int] | None = None
        self._next_check = 0.0

    # ------------------------------------------------------------------ code and environment

    def _package_dir(self) -> Path:
        if self.code_root is None:
            spec = importlib.util.find_spec(self.package)
            if spec is None or not spec.origin:
                raise ModuleNotFoundError(f"No module named {self.package!r}")
            origin = Path(spec.origin)
            self.code_root = str(origin.parent.parent if origin.name == "__init__.py" else origin.parent)
        root = Path(self.code_root)
        return root / self.package if (root / self.package).is_dir() else root / f"{self.package}.py"

    def _source_files(self) -> dict[str, int]:
        location = self._package_dir()
        files = location.rglob("*.py") if location.is_dir() else [location]
        snapshot = {}
        for file in files:
            try:
                snapshot[str(file)] = file.stat().st_mtime_ns
            except OSError:
                continue
        return snapshot

    def _check_code(self) -> None:
        """New code: later invocations get new workers (checked at most every CHANGE_CHECK_SECONDS)."""
        now = time.monotonic()
        if self._snapshot is not None and now < self._next_check:
            return
        self._next_check = now + CHANGE_CHECK_SECONDS
        snapshot = self._source_files()
        if self._snapshot is not None and snapshot != self._snapshot:
            with self._condition:
                self._generation += 1
                stale, self._idle = self._idle, []
                self._running -= len(stale)
                self._condition.notify_all()
            for worker in stale:
                worker.stop()
        self._snapshot = snapshot

    def worker_environment(self) -> dict[str, str]:
        """Exactly what the function sees: what Lambda sets, then the declared variables."""
        assert self.code_root is not None
        lambda_set = {
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.function_name}",
            "LAMBDA_TASK_ROOT": self.code_root,
            "_HANDLER": self.handler,
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "PYTHONUNBUFFERED": "1",
        }
        return {**lambda_set, **self.environment}

    def _start_worker(self, generation: int) -> _Worker:
        settings = {
            "function_name": self.function_name,
            "memory_mb": self.memory_mb,
            "region": self.region,
            "account_id": self.account_id,
            "timeout_seconds": self.timeout_seconds,
        }
        # -P: not the script's folder on sys.path (this package's modules, e.g. http.py, would shadow
        # the standard library's); the interpreter's site-packages hold the function's dependencies
        command = [sys.executable, "-P", WORKER_SCRIPT, self.handler, json.dumps(settings)]
        self.loads += 1
        return _Worker(command, self.worker_environment(), generation)

    # ------------------------------------------------------------------ instances

    def _acquire(self) -> _Worker:
        with self._condition:
            while True:
                if self._idle:
                    return self._idle.pop()
                if self._running < self.concurrency:
                    self._running += 1
                    generation = self._generation
                    break
                self._condition.wait()
        try:
            return self._start_worker(generation)
        except BaseException:
            self._discard(None)
            raise

    def _release(self, worker: _Worker) -> None:
        with self._condition:
            if worker.generation == self._generation:
                self._idle.append(worker)
                self._condition.notify()
                return
        self._discard(worker)

    def _discard(self, worker: _Worker | None) -> None:
        if worker is not None:
            worker.stop()
        with self._condition:
            self._running -= 1
            self._condition.notify()

    def invoke(self, event: Any) -> Any:
        """Run the handler on a JSON copy of the event in a worker; return the JSON copy of its result.
        The handler's exception becomes LambdaError (its class name is the errorType)."""
        self._package_dir()
        self._check_code()
        event_json = json.dumps(event, default=lambda_default)
        worker = self._acquire()
        try:
            reply = worker.call(event_json, self.timeout_seconds)
        except TimeoutError:
            self._discard(worker)
            raise LambdaTimeout(f"Task timed out after {self.timeout_seconds:.2f} seconds") from None
        except BaseException:
            self._discard(worker)
            raise
        if reply is None:
            reason = worker.exit_reason()
            self._discard(worker)
            raise LambdaCrash(f"Runtime exited with error: {reason}")
        used = int(reply.get("maxMemoryMb") or 0)
        self.peak_memory_mb = max(self.peak_memory_mb, used)
        if used > self.memory_mb:
            self._discard(worker)
            raise LambdaCrash(
                "Runtime exited with error: signal: killed "
                f"(Max Memory Used: {used} MB of {self.memory_mb} MB)"
            )
        self._release(worker)
        if "errorType" in reply:
            raise LambdaError(str(reply["errorType"]), str(reply.get("errorMessage") or ""))
        if "marshalError" in reply:
            raise MarshalError(str(reply["marshalError"]))
        return reply.get("result")

    def stop(self) -> None:
        """Stop the idle workers (busy ones stop when their invocation ends)."""
        with self._condition:
            self._generation += 1
            stale, self._idle = self._idle, []
            self._running -= len(stale)
        for worker in stale:
            worker.stop()
