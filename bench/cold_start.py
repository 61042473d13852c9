"""Figure 1: cold start. Import time of resolvers.handler / resolvers.publisher vs a bare `import boto3`.

Each sample is a fresh interpreter (`python -c`) that times only the import statement (wall clock
and CPU), with the environment Lambda gives the function and no bytecode cache written (Lambda's
code folder is read-only), so every run is as cold as the first import in a new Lambda sandbox. The
package is imported from the Lambda asset's own layout, staged the way the CDK app stages it
(`cdk_app.lambda_package`): the headline uses the asset as deployed (with its precompiled bytecode,
written here by this interpreter as the CDK app writes it with the runtime's), and the source-only
form is listed beside it. The kinds are interleaved so that load from other processes on the
machine hits all of them alike; the figures are ratios of medians.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from cdk_app.lambda_package import stage_package

from .common import RESOLVER_ENV, ROOT, Figure, at_most, info, median

HANDLERS = ("resolvers.handler", "resolvers.publisher")
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


def import_time(module: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> tuple[float, float]:
    """(wall, cpu) seconds of `import module` in a fresh interpreter started in `cwd` (first on sys.path)."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)],
        cwd=cwd,
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
    # kind -> (module, folder it is imported from)
    kinds: dict[str, tuple[str, Path]] = {"boto3": ("boto3", ROOT)}
    deployed, source_only = stage_package(ROOT, sys.executable), stage_package(ROOT)
    for module in HANDLERS:
        kinds[module] = (module, deployed)
        kinds[f"{module} (source only)"] = (module, source_only)
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in kinds}
    for module, cwd in kinds.values():  # warm the OS file cache once; not counted
        import_time(module, env, cwd)
    for _ in range(runs):
        for kind, (module, cwd) in kinds.items():
            samples[kind].append(import_time(module, env, cwd))
    wall = {k: median([s[0] for s in v]) for k, v in samples.items()}
    cpu = {k: median([s[1] for s in v]) for k, v in samples.items()}
    base = wall["boto3"]
    figures = [at_most(f"cold start: {m} / import boto3", wall[m] / base, "x", TARGET) for m in HANDLERS]
    figures += [
        info(
            f"cold start: {m} / import boto3, source only (no bytecode)",
            wall[f"{m} (source only)"] / base,
            "x",
        )
        for m in HANDLERS
    ]
    figures += [info(f"cold start: import {k} (median)", v * 1000, "ms") for k, v in wall.items()]
    details = {
        "runs_per_kind": runs,
        "python": ".".join(map(str, sys.version_info[:3])),
        "median_wall_ms": {k: round(v * 1000, 2) for k, v in wall.items()},
        "median_cpu_ms": {k: round(v * 1000, 2) for k, v in cpu.items()},
        "cpu_ratio": {k: round(cpu[k] / cpu["boto3"], 3) for k in kinds if k != "boto3"},
    }
    return figures, details
