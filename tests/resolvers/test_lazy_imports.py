"""The resolver Lambdas' cold start: what importing resolvers.handler / resolvers.publisher loads.

The modules only some operations need are imported inside those operations (bench/cold_start.py
times the import against `import boto3`); this catches one moving back to module level without a
timing assertion. Each check runs in a fresh interpreter, as a new Lambda sandbox does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import RESOLVER_ENV

ROOT = Path(__file__).resolve().parent.parent.parent

# Needed by the estimate and photo operations only (and by views of tickets that have an estimate or
# photos); unicodedata by text normalisation only.
HANDLER_LAZY = (
    "resolvers.estimates",
    "resolvers.estimate_service",
    "resolvers.estimate_store",
    "resolvers.photos",
    "resolvers.photo_service",
    "resolvers.photo_storage",
    "resolvers.photo_store",
    "unicodedata",
)
PUBLISHER_LAZY = ("resolvers.estimates", "resolvers.photos", "unicodedata")


def modules_after_import(module: str) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PITSTOP_"))}
    env.update(RESOLVER_ENV)
    env.pop("PYTHONPATH", None)
    out = subprocess.run(
        [sys.executable, "-c", f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("module", "lazy"), [("resolvers.handler", HANDLER_LAZY), ("resolvers.publisher", PUBLISHER_LAZY)]
)
def test_import_leaves_the_lazy_modules_unloaded(module: str, lazy: tuple[str, ...]) -> None:
    loaded = modules_after_import(module)
    assert module in loaded
    assert sorted(m for m in lazy if m in loaded) == []
    assert "boto3" not in loaded  # botocore clients only (resolvers/aws.py)
