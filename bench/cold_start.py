"""Figure 1: cold start. Import time of resolvers.handler / resolvers.publisher vs a bare `import boto3`.

Each sample is a fresh interpreter (`python -c`) that times only the import statement (wall clock
and CPU), with the environment Lambda gives the function and no bytecode cache written, so every run
is as cold as the first import in a new Lambda sandbox. The three kinds are interleaved so that load
from other processes on the machine hits all of them alike; the figure is the ratio of medians.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from .common import RESOLVER_ENV, ROOT, Figure, at_most, info, median

MODULES = ("boto3", "resolvers.handler", "resolvers.publisher")
TARGET = 1.25
_PROBE = (
    "import json, time\n"
    "w, c = time.perf_counter(), time.process_time()\n"
    "import {module}\n"
    "print(json.dumps([time.perf_counter() - w, time.process_time() - c]))\n"
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PITSTOP_"))}
    env.update(RESOLVER_ENV)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONPATH", None)
    return env


def import_time(module: str, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall, cpu) seconds of `import module` in a fresh interpreter started in the repository."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)],
        cwd=ROOT,
        env=env or _env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    wall, cpu = json.loads(out.stdout.strip().splitlines()[-1])
    return float(wall), float(cpu)


def run(smoke: bool = False) -> tuple[list[Figure], dict[str, Any]]:
    runs = 3 if smoke else 15
    env = _env()
    samples: dict[str, list[tuple[float, float]]] = {m: [] for m in MODULES}
    for module in MODULES:  # warm the OS file cache once; not counted
        import_time(module, env)
    for _ in range(runs):
        for module in MODULES:
            samples[module].append(import_time(module, env))
    wall = {m: median([s[0] for s in v]) for m, v in samples.items()}
    cpu = {m: median([s[1] for s in v]) for m, v in samples.items()}
    base = wall["boto3"]
    figures = [
        at_most(
            "cold start: resolvers.handler / import boto3", wall["resolvers.handler"] / base, "x", TARGET
        ),
        at_most(
            "cold start: resolvers.publisher / import boto3", wall["resolvers.publisher"] / base, "x", TARGET
        ),
        info("cold start: import boto3 (median)", base * 1000, "ms"),
        info("cold start: import resolvers.handler (median)", wall["resolvers.handler"] * 1000, "ms"),
        info("cold start: import resolvers.publisher (median)", wall["resolvers.publisher"] * 1000, "ms"),
    ]
    details = {
        "runs_per_module": runs,
        "median_wall_ms": {m: round(v * 1000, 2) for m, v in wall.items()},
        "median_cpu_ms": {m: round(v * 1000, 2) for m, v in cpu.items()},
        "cpu_ratio": {
            m: round(cpu[m] / cpu["boto3"], 3) for m in ("resolvers.handler", "resolvers.publisher")
        },
    }
    return figures, details
