"""The local stack for the request-path and fan-out figures: `python -m pitstop_local` on a free port.

Reuses the test suite's launcher (tests/conftest.py: start_local_stack / stop_local_stack, the same
environment the `local_stack` fixture uses), loaded under a private module name so it never clashes
with pytest's own `conftest` module.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .common import ROOT

_NAME = "_pitstop_bench_stack_launcher"


def _launcher() -> Any:
    if _NAME in sys.modules:
        return sys.modules[_NAME]
    spec = importlib.util.spec_from_file_location(_NAME, ROOT / "tests" / "conftest.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("tests/conftest.py (the local stack launcher) is missing")
    module = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def local_stack() -> Iterator[Any]:
    """A running local stack (demo data off); yields the launcher's StackTarget, stops it after."""
    launcher = _launcher()
    with tempfile.TemporaryDirectory(prefix="pitstop-bench-") as tmp:
        target = launcher.start_local_stack(Path(tmp) / "stack.log")
        try:
            yield target
        finally:
            launcher.stop_local_stack(target)
