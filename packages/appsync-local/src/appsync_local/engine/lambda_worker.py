"""One emulated Lambda instance: a process that imports the handler once and runs one event at a time.

Run as a script (`python lambda_worker.py HANDLER`) by lambda_runtime.LambdaRuntime, with exactly the
function's environment. It reads one JSON event per line on stdin and writes one JSON reply per line
on the descriptor that was stdout; the handler's own stdout goes to stderr (the function's log), so a
`print` cannot corrupt the replies. Standard library only: the worker imports nothing of this package,
so the function sees only its own code and dependencies (LAMBDA_TASK_ROOT, then the interpreter's).

Replies: {"result": ...} | {"errorType": T, "errorMessage": M} (the handler raised) |
{"marshalError": M} (the result is not JSON), each with "maxMemoryMb" (the process's peak RSS).
"""

from __future__ import annotations

import decimal
import importlib
import json
import math
import os
import resource
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any


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


def lambda_default(value: Any) -> Any:
    """The Python runtime's encoder also writes Decimal (DynamoDB numbers) as JSON numbers."""
    if isinstance(value, decimal.Decimal):
        if value.is_nan():
            return math.nan
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def peak_memory_mb() -> int:
    """This process's peak resident set: Lambda's "Max Memory Used".

    Linux: VmHWM from /proc/self/status, the high-water mark of this process image. Not getrusage's
    ru_maxrss: Linux carries that across fork and exec (it keeps the larger of the parent's and the
    new image's), so a worker started by a large server would report the server's peak as its own.
    Elsewhere (macOS) ru_maxrss, in bytes there."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak / (1024 * 1024 if sys.platform == "darwin" else 1024))


def _context(settings: dict[str, Any]) -> LambdaContext:
    return LambdaContext(
        function_name=settings["function_name"],
        memory_limit_in_mb=settings["memory_mb"],
        region=settings["region"],
        account_id=settings["account_id"],
        timeout_seconds=settings["timeout_seconds"],
    )


def _run(function: Any, event: Any, settings: dict[str, Any]) -> dict[str, Any]:
    try:
        result = function(event, _context(settings))
    except Exception as exc:  # the runtime reports any error the handler raises, by class name
        return {"errorType": type(exc).__name__, "errorMessage": str(exc)}
    try:
        return {"result": json.loads(json.dumps(result, default=lambda_default))}
    except (TypeError, ValueError) as exc:
        return {"marshalError": f"Unable to marshal response: {exc}"}


def main() -> None:
    handler, settings_json = sys.argv[1], sys.argv[2]
    settings = json.loads(settings_json)
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # the handler's prints go to the log, not into the replies
    sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])
    module_name, _, attribute = handler.rpartition(".")
    function = getattr(importlib.import_module(module_name), attribute)
    for line in sys.stdin:
        reply = _run(function, json.loads(line), settings)
        reply["maxMemoryMb"] = peak_memory_mb()
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
