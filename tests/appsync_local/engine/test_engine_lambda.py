"""The emulated Lambda function: hot reload of the handler's package, marshalling, context."""

from __future__ import annotations

import decimal
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

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


def test_handler_reloads_when_a_file_of_its_package_changes(package: Any) -> None:
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
