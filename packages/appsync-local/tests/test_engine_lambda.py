"""The emulated Lambda function: hot reload of the handler's package, marshalling, context."""

from __future__ import annotations

import decimal
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from appsync_local.engine import lambda_runtime
from appsync_local.engine.lambda_runtime import LambdaRuntime, MarshalError, marshal

HANDLER = """
from . import answer

def lambda_handler(event, context):
    return {"answer": answer.VALUE, "event": event, "function": context.function_name}
"""


def write_package(root: Path, name: str, value: str) -> None:
    package = root / name
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text(HANDLER)
    (package / "answer.py").write_text(f"VALUE = {value!r}\n")


@pytest.fixture
def package(tmp_path: Path) -> Any:
    name = f"engine_reload_pkg_{os.getpid()}_{time.monotonic_ns()}"
    write_package(tmp_path, name, "one")
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path, name
    finally:
        sys.path.remove(str(tmp_path))
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]


def test_handler_reloads_when_a_file_of_its_package_changes(
    package: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lambda_runtime, "CHANGE_CHECK_SECONDS", 0.0)
    root, name = package
    runtime = LambdaRuntime(f"{name}.handler.lambda_handler", function_name="fn")
    first = runtime.invoke({"x": 1})
    assert first == {"answer": "one", "event": {"x": 1}, "function": "fn"}
    assert runtime.invoke({})["answer"] == "one" and runtime.loads == 1
    answer = root / name / "answer.py"
    answer.write_text("VALUE = 'two'\n")
    stat = answer.stat()
    os.utime(answer, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a visibly newer mtime
    assert runtime.invoke({})["answer"] == "two"
    assert runtime.loads == 2


def test_marshal_like_the_python_runtime() -> None:
    assert marshal({"n": decimal.Decimal("3"), "f": decimal.Decimal("1.5")}) == {"n": 3, "f": 1.5}
    with pytest.raises(MarshalError):
        marshal({"x": object()})


def test_handler_path_must_name_a_function() -> None:
    with pytest.raises(ValueError, match=r"module\.function"):
        LambdaRuntime("handler")


SLOW_HANDLER = """
import threading, time
state = {"running": 0, "peak": 0}
lock = threading.Lock()

def lambda_handler(event, context):
    with lock:
        state["running"] += 1
        state["peak"] = max(state["peak"], state["running"])
    time.sleep(0.05)
    with lock:
        state["running"] -= 1
    return state["peak"]
"""


@pytest.mark.parametrize("concurrency", [1, 3])
def test_concurrency_bounds_overlapping_invocations(package: Any, concurrency: int) -> None:
    """1 = one instance, one event at a time; N = at most N at once (and N are reached)."""
    root, name = package
    (root / name / "slow.py").write_text(SLOW_HANDLER)
    runtime = LambdaRuntime(f"{name}.slow.lambda_handler", concurrency=concurrency)
    with ThreadPoolExecutor(max_workers=6) as pool:
        peaks = list(pool.map(runtime.invoke, [{}] * 12))
    assert max(peaks) == concurrency
