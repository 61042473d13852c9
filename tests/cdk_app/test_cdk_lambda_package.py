"""The staged Lambda package: bytecode written for one Python version, hash-checked, deterministic.

Uses this interpreter as the "runtime" Python (the asset test checks the real runtime's version)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cdk_helpers import ROOT

from cdk_app.lambda_package import (
    EXCLUDE,
    bytecode_report,
    compile_package,
    runtime_python,
    runtime_version,
    stage_package,
)

HERE = (sys.version_info[0], sys.version_info[1])


def test_runtime_version_parses_lambda_runtime_names() -> None:
    assert runtime_version("python3.13") == (3, 13)
    assert runtime_version("python3.9") == (3, 9)


def test_runtime_python_finds_this_interpreter_and_no_missing_version() -> None:
    found = runtime_python(HERE)
    assert found is not None
    probe = [found, "-c", "import sys; print(sys.version_info[:2])"]
    out = subprocess.run(probe, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(HERE)
    assert runtime_python((2, 99)) is None


def test_runtime_python_honours_the_named_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PITSTOP_LAMBDA_PYTHON", str(tmp_path / "no-such-python"))
    assert runtime_python(HERE) == sys.executable  # a broken name falls through to the next candidate
    monkeypatch.setenv("PITSTOP_LAMBDA_PYTHON", sys.executable)
    assert runtime_python(HERE) == sys.executable


def test_staged_package_is_the_sources_plus_valid_bytecode() -> None:
    staged = stage_package(ROOT, sys.executable) / "resolvers"
    sources = {p.name for p in (ROOT / "resolvers").glob("*.py")}
    assert {p.name for p in staged.glob("*.py")} == sources
    report = bytecode_report(staged, sys.executable)
    assert set(report) == sources and set(report.values()) == {"ok"}, report
    assert not any(staged.rglob(".pytest_cache")) and "__pycache__" in EXCLUDE


def test_source_only_staging_has_no_bytecode() -> None:
    staged = stage_package(ROOT) / "resolvers"
    assert not list(staged.rglob("*.pyc"))
    assert set(bytecode_report(staged, sys.executable).values()) == {"missing"}


def test_bytecode_is_the_same_bytes_wherever_it_is_staged() -> None:
    first, second = (stage_package(ROOT, sys.executable) / "resolvers" for _ in range(2))
    pycs = sorted(p.relative_to(first) for p in first.rglob("*.pyc"))
    assert pycs
    assert all((first / p).read_bytes() == (second / p).read_bytes() for p in pycs)


def test_edited_source_is_not_served_stale_bytecode(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text("VALUE = 1\n")
    compile_package(package, sys.executable)
    assert bytecode_report(package, sys.executable)["mod.py"] == "ok"
    (package / "mod.py").write_text("VALUE = 2\n")
    assert bytecode_report(package, sys.executable)["mod.py"] == "stale"
    out = subprocess.run(
        [sys.executable, "-B", "-c", "import pkg.mod; print(pkg.mod.VALUE)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "2"


def test_bytecode_of_another_version_is_reported() -> None:
    found = (runtime_python((3, minor)) for minor in (13, 12, 11, 10) if (3, minor) != HERE)
    other = next((python for python in found if python), None)
    if other is None:
        pytest.skip("no second Python version on this machine")
    staged = stage_package(ROOT, other) / "resolvers"
    assert set(bytecode_report(staged, sys.executable).values()) == {"missing"}
    assert set(bytecode_report(staged, other).values()) == {"ok"}
