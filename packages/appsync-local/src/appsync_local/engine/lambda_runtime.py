"""One emulated Lambda function: imports its handler, reloads it when its code changes, and marshals
event and result through JSON as the Lambda runtime does.

Concurrency: AWS runs concurrent invocations in separate instances, each one event at a time. Here they
share one module, so `concurrency` (default 1) bounds how many run at once: 1 behaves like a single
instance and is safe for any handler; more is for handlers that keep no per-event state in module or
router globals (ours builds a Powertools router per invocation for exactly this; its tests prove it).
Call `invoke` from a worker thread (asyncio.to_thread).
"""

from __future__ import annotations

import decimal
import importlib
import json
import math
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHANGE_CHECK_SECONDS = 0.25
_IMPORT_LOCK = threading.RLock()  # sys.modules surgery is global: one reload at a time, process-wide


class MarshalError(Exception):
    """The handler returned something the Lambda runtime cannot serialize."""


@dataclass
class LambdaContext:
    """The context object a Python Lambda handler receives (what Powertools reads)."""

    function_name: str
    memory_limit_in_mb: int = 512
    region: str = "us-east-1"
    account_id: str = "000000000000"
    timeout_seconds: float = 30.0
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    client_context: Any = None
    identity: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[{self.function_version}]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _lambda_default(value: Any) -> Any:
    """The Python runtime's encoder also writes Decimal (DynamoDB numbers) as JSON numbers."""
    if isinstance(value, decimal.Decimal):
        if value.is_nan():
            return math.nan
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def marshal(value: Any) -> Any:
    """Round-trip through JSON, as the event and the result travel between AppSync and Lambda."""
    try:
        return json.loads(json.dumps(value, default=_lambda_default))
    except (TypeError, ValueError) as exc:
        raise MarshalError(f"Unable to marshal response: {exc}") from exc


class LambdaRuntime:
    """An in-process Lambda function for a handler path "package.module.function"."""

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
    ) -> None:
        module_name, _, attribute = handler.rpartition(".")
        if not module_name:
            raise ValueError(f"handler must be 'module.function', got {handler!r}")
        self.handler = handler
        self.module_name = module_name
        self.attribute = attribute
        self.package = module_name.split(".")[0]
        self.function_name = function_name
        self.region = region
        self.account_id = account_id
        self.memory_mb = memory_mb
        self.timeout_seconds = timeout_seconds
        self.environment = dict(environment or {})
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self._slots = threading.BoundedSemaphore(concurrency)
        self._function: Callable[[Any, Any], Any] | None = None
        self._snapshot: dict[str, int] = {}
        self._next_check = 0.0
        self.loads = 0  # how many times the code was (re)loaded

    def _source_files(self) -> dict[str, int]:
        module = sys.modules.get(self.package)
        location = getattr(module, "__file__", None) if module else None
        if not location:
            return {}
        path = Path(location)
        files = path.parent.rglob("*.py") if path.name == "__init__.py" else [path]
        snapshot = {}
        for file in files:
            try:
                snapshot[str(file)] = file.stat().st_mtime_ns
            except OSError:
                continue
        return snapshot

    def _load(self) -> Callable[[Any, Any], Any]:
        with _IMPORT_LOCK:
            if self._function is not None:
                for name in [n for n in sys.modules if n == self.package or n.startswith(self.package + ".")]:
                    del sys.modules[name]
                importlib.invalidate_caches()
            module = importlib.import_module(self.module_name)
            self._function = getattr(module, self.attribute)
            self._snapshot = self._source_files()
            self.loads += 1
            return self._function

    def function(self) -> Callable[[Any, Any], Any]:
        """The handler, reloaded first when any source file of its package changed (checked at most
        every CHANGE_CHECK_SECONDS, so a busy stack does not stat the package on every call)."""
        now = time.monotonic()
        if self._function is None:
            return self._load()
        if now >= self._next_check:
            self._next_check = now + CHANGE_CHECK_SECONDS
            if self._source_files() != self._snapshot:
                return self._load()
        return self._function

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.function_name,
            memory_limit_in_mb=self.memory_mb,
            region=self.region,
            account_id=self.account_id,
            timeout_seconds=self.timeout_seconds,
        )

    def invoke(self, event: Any) -> Any:
        """Run the handler on a JSON copy of the event; return the JSON copy of its result.
        Exceptions raised by the handler propagate unchanged (their class name is the errorType)."""
        with self._slots:
            function = self.function()
            for name, value in self.environment.items():
                os.environ[name] = value
            result = function(marshal(event), self.context())
            return marshal(result)
