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
from appsync_local.engine.lambda_runtime import (
    LambdaCrash,
    LambdaError,
    LambdaRuntime,
    LambdaTimeout,
    MarshalError,
    marshal,
)

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
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    name = f"engine_reload_pkg_{os.getpid()}_{time.monotonic_ns()}"
    write_package(tmp_path, name, "one")
    monkeypatch.syspath_prepend(str(tmp_path))  # undone after the test
    try:
        yield tmp_path, name
    finally:
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


PROBE_HANDLER = """
import http.client  # the standard library's, not a same-named module of the emulator's
import os, pathlib, time

def lambda_handler(event, context):
    action = event.get("action")
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "exit":
        os._exit(3)
    if action == "raise":
        raise KeyError("missing")
    if action == "meet":  # wait until `count` invocations are in their handlers at once
        folder = pathlib.Path(event["folder"])
        (folder / str(os.getpid())).touch()
        deadline = time.monotonic() + 30
        while len(list(folder.iterdir())) < event["count"] and time.monotonic() < deadline:
            time.sleep(0.01)
    return {"pid": os.getpid(), "environ": dict(os.environ)}
"""


@pytest.fixture
def probe(package: Any) -> str:
    root, name = package
    (root / name / "probe.py").write_text(PROBE_HANDLER)
    return f"{name}.probe.lambda_handler"


def test_a_function_sees_only_its_declared_environment(probe: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVER_ONLY_SECRET", "server")
    resolver = LambdaRuntime(probe, function_name="resolver", memory_mb=256, environment={"TABLE_NAME": "t"})
    publisher = LambdaRuntime(probe, function_name="publisher", environment={"TOPIC_ARN": "arn:topic"})
    try:
        seen = resolver.invoke({})["environ"]
        other = publisher.invoke({})["environ"]
    finally:
        resolver.stop()
        publisher.stop()
    assert seen["TABLE_NAME"] == "t" and "TOPIC_ARN" not in seen
    assert other["TOPIC_ARN"] == "arn:topic" and "TABLE_NAME" not in other
    assert "SERVER_ONLY_SECRET" not in seen and "SERVER_ONLY_SECRET" not in other
    assert seen["AWS_LAMBDA_FUNCTION_NAME"] == "resolver" and seen["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert "SERVER_ONLY_SECRET" in os.environ  # the server's environment is untouched


def test_timeout_fails_the_invocation_and_the_next_one_gets_a_fresh_worker(probe: str) -> None:
    runtime = LambdaRuntime(probe, timeout_seconds=1.0)
    try:
        first = runtime.invoke({})["pid"]
        with pytest.raises(LambdaTimeout, match=r"^Task timed out after 1\.00 seconds$"):
            runtime.invoke({"action": "sleep", "seconds": 30})
        assert runtime.invoke({})["pid"] != first
    finally:
        runtime.stop()
    assert runtime.loads == 2


def test_crash_fails_the_invocation_and_the_next_one_gets_a_fresh_worker(probe: str) -> None:
    runtime = LambdaRuntime(probe)
    try:
        with pytest.raises(LambdaCrash, match="Runtime exited with error: exit status 3"):
            runtime.invoke({"action": "exit"})
        assert runtime.invoke({})["pid"] > 0
    finally:
        runtime.stop()


def test_a_raised_error_is_reported_by_its_class_name_and_the_worker_stays_warm(probe: str) -> None:
    runtime = LambdaRuntime(probe)
    try:
        with pytest.raises(LambdaError) as raised:
            runtime.invoke({"action": "raise"})
        assert raised.value.error_type == "KeyError" and str(raised.value) == "'missing'"
        runtime.invoke({})
    finally:
        runtime.stop()
    assert runtime.loads == 1


def test_memory_over_the_declared_size_fails_the_invocation(probe: str) -> None:
    runtime = LambdaRuntime(probe, memory_mb=1)  # any Python process uses more
    try:
        with pytest.raises(LambdaCrash, match="signal: killed"):
            runtime.invoke({})
    finally:
        runtime.stop()
    assert runtime.peak_memory_mb > 1


def test_a_large_server_does_not_count_against_its_workers_memory(probe: str) -> None:
    """Linux carries getrusage's peak RSS across fork and exec: a worker started by a server that has
    ever used more than the function's memory must still report only its own."""
    ballast = bytearray(600 * 1024 * 1024)  # the server (this test process) well over 128 MB
    ballast[::4096] = b"x" * len(ballast[::4096])  # touched, so it is resident
    runtime = LambdaRuntime(probe, memory_mb=128)
    try:
        assert runtime.invoke({})["pid"]
    finally:
        runtime.stop()
        del ballast
    assert 1 < runtime.peak_memory_mb < 128


def test_a_warm_worker_is_reused(probe: str) -> None:
    runtime = LambdaRuntime(probe, concurrency=3)
    try:
        pids = {runtime.invoke({})["pid"] for _ in range(5)}
    finally:
        runtime.stop()
    assert len(pids) == 1 and runtime.loads == 1


@pytest.mark.parametrize("concurrency", [1, 3])
def test_concurrent_invocations_use_at_most_concurrency_workers(
    probe: str, tmp_path: Path, concurrency: int
) -> None:
    """N at once run in N workers (they meet in their handlers), never more; the rest wait."""
    folder = tmp_path / "meet"
    folder.mkdir()
    runtime = LambdaRuntime(probe, concurrency=concurrency)
    event = {"action": "meet", "folder": str(folder), "count": concurrency}
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            pids = {result["pid"] for result in pool.map(runtime.invoke, [event] * 12)}
    finally:
        runtime.stop()
    assert len(pids) == concurrency == runtime.loads
    assert len(list(folder.iterdir())) == concurrency
