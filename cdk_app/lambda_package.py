"""The Lambda code package, staged: a copy of `resolvers/` with bytecode for the runtime's Python.

Lambda's code folder (/var/task) is read-only, so Python cannot write `__pycache__` there: a package
shipped as source alone is compiled again in every new sandbox, about 6 ms of each cold start for
`resolvers/` (`make bench`, cold start). Shipping the `.pyc` files removes that. They are only used
by the Python version that wrote them (the magic number), so they are written by an interpreter of
the runtime's version (Python 3.13 for `python3.13`), found by `runtime_python`. They are
hash-checked (PEP 552): no timestamps, so the asset hash stays deterministic, and a `.pyc` whose
source changed is ignored rather than trusted.

No aws_cdk import here: the benchmark stages the package the same way without starting jsii.
"""

from __future__ import annotations

import atexit
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = "resolvers"
# Never copied from the working tree (local caches, whatever Python wrote them).
EXCLUDE = ["__pycache__", "*.pyc", "*.pyo", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".DS_Store"]

# The interpreter to use, when it is not on PATH as pythonX.Y (e.g. a CI runner's setup-python).
INTERPRETER_ENV = "PITSTOP_LAMBDA_PYTHON"

_COMPILE_TIMEOUT = 120


def runtime_version(runtime_name: str) -> tuple[int, int]:
    """`python3.13` -> (3, 13)."""
    major, minor = runtime_name.removeprefix("python").split(".")[:2]
    return int(major), int(minor)


def _version_of(python: str) -> tuple[int, int] | None:
    """The interpreter's (major, minor), or None when it does not run (e.g. a pyenv shim of a version
    that is installed but not selected)."""
    try:
        out = subprocess.run(  # noqa: S603 - an interpreter path, fixed argv
            [python, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        major, minor = out.stdout.split()
        return int(major), int(minor)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def _candidates(version: tuple[int, int]) -> list[str]:
    name = f"python{version[0]}.{version[1]}"
    found = [os.environ.get(INTERPRETER_ENV, ""), sys.executable, shutil.which(name) or ""]
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    pattern = os.path.join(pyenv_root, "versions", f"{version[0]}.{version[1]}.*", "bin", name)
    found += sorted(glob.glob(pattern))
    return [c for c in found if c]


def runtime_python(version: tuple[int, int]) -> str | None:
    """An interpreter of exactly this version, or None when the machine has none."""
    for candidate in _candidates(version):
        if _version_of(candidate) == version:
            return candidate
    return None


def compile_package(package_dir: Path, python: str) -> None:
    """Write hash-checked `__pycache__/*.pyc` next to every module of `package_dir`.

    `-d` names the package folder instead of the temporary path, so the bytes do not depend on where
    the asset was staged (Python fixes the file name up at import); PYTHONHASHSEED pins set ordering.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    subprocess.run(  # noqa: S603 - an interpreter path, fixed argv
        [
            python,
            "-m",
            "compileall",
            "-q",
            "--invalidation-mode",
            "checked-hash",
            "-d",
            package_dir.name,
            str(package_dir),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=_COMPILE_TIMEOUT,
        check=True,
    )


def stage_package(root: Path, python: str | None = None) -> Path:
    """Copy `<root>/resolvers` into a fresh temporary folder (compiled by `python`, if given); return it.

    The folder holds only the package, so its hash depends on the package's files and nothing else.
    """
    source = root / PACKAGE
    if not (source / "__init__.py").is_file():
        raise FileNotFoundError(f"{source} is not a Python package (no __init__.py)")
    staging = Path(tempfile.mkdtemp(prefix="pitstop-lambda-"))
    atexit.register(shutil.rmtree, staging, ignore_errors=True)
    shutil.copytree(source, staging / PACKAGE, ignore=shutil.ignore_patterns(*EXCLUDE))
    if python:
        compile_package(staging / PACKAGE, python)
    return staging


# Run inside the target interpreter: every module has a `.pyc` that this interpreter will load.
_CHECK = """
import importlib.util, json, pathlib, sys
root = pathlib.Path(sys.argv[1])
report = {}
for source in sorted(root.rglob("*.py")):
    cached = pathlib.Path(importlib.util.cache_from_source(str(source)))
    if not cached.is_file():
        report[source.name] = "missing"
        continue
    data = cached.read_bytes()
    flags = int.from_bytes(data[4:8], "little")
    if data[:4] != importlib.util.MAGIC_NUMBER:
        report[source.name] = "other Python version"
    elif flags != 0b11:
        report[source.name] = "not hash-checked"
    elif data[8:16] != importlib.util.source_hash(source.read_bytes()):
        report[source.name] = "stale"
    else:
        report[source.name] = "ok"
print(json.dumps(report))
"""


def bytecode_report(package_dir: Path, python: str) -> dict[str, str]:
    """{module file: "ok" | why that interpreter would compile it again} for the package."""
    out = subprocess.run(  # noqa: S603 - an interpreter path, fixed argv
        [python, "-c", _CHECK, str(package_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)
