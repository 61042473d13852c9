"""The GitHub workflows, checked offline: GitHub's workflow JSON schema (vendored by check-jsonschema),
zizmor's audits, and what they must do (CI on every push/PR; on main, once CI passed on that commit,
deploy via OIDC: diff, deploy staging, remote tests), with every action pinned to a commit SHA and the
least permissions per job."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cdk_helpers import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def _load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def _run_lines(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _step_jobs(name: str) -> dict[str, dict[str, Any]]:
    """The jobs that run steps (not the ones that call a reusable workflow)."""
    return {k: j for k, j in _load(name)["jobs"].items() if "steps" in j}


def _deploy_job() -> dict[str, Any]:
    (job,) = _step_jobs("deploy.yml").values()
    return job


# `uses: owner/repo[/path]@<40 hex> # v1.2.3`: a commit cannot be moved like a tag; the comment says
# which release it is (and lets update tools bump both).
PINNED = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def test_workflows_match_githubs_schema() -> None:
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert len(files) >= 2
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ci_lints_and_runs_make_test_on_every_push_and_pr() -> None:
    ci = _load("ci.yml")
    assert "push" in ci["on"] and "pull_request" in ci["on"]
    assert ci["on"]["push"] is None or "branches" not in (ci["on"]["push"] or {})
    (job,) = _step_jobs("ci.yml").values()
    runs = _run_lines(job)
    assert "make lint" in runs and "make test" in runs
    assert ci["permissions"] == {}
    assert job["permissions"] == {"contents": "read"}


def test_deploy_runs_only_on_main_after_ci_passed_on_the_same_commit() -> None:
    """deploy.yml is a reusable workflow that only ci.yml calls, after its test job, on a push to main."""
    ci = _load("ci.yml")
    callers = {k: j for k, j in ci["jobs"].items() if "uses" in j}
    assert list(callers) == ["deploy"]
    call = callers["deploy"]
    assert call["uses"] == "$/.github/workflows/deploy.yml"  # this repository, this run's commit
    (test_job,) = _step_jobs("ci.yml")
    assert call["needs"] in (test_job, [test_job])
    assert call["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert call["permissions"] == {"contents": "read", "id-token": "write"}
    # Nothing else starts a deploy: no push, dispatch or workflow_run trigger of its own.
    deploy = _load("deploy.yml")
    assert set(deploy["on"]) == {"workflow_call"}
    # A newer push to main must not cancel a deploy under way.
    assert ci["concurrency"]["cancel-in-progress"] == "${{ github.ref != 'refs/heads/main' }}"
    assert _deploy_job()["concurrency"] == {"group": "deploy-staging", "cancel-in-progress": False}


def test_deploy_uses_oidc_diffs_deploys_staging_then_remote_tests() -> None:
    deploy = _load("deploy.yml")
    assert deploy["permissions"] == {}
    job = _deploy_job()
    assert job["environment"] == "staging"  # the OIDC subject the role trusts (docs/deploy.md)
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    creds = [
        s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials")
    ]
    assert len(creds) == 1
    assert "role-to-assume" in creds[0]["with"]
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(creds[0]["with"])
    runs = _run_lines(job)
    diff, deploy_at, remote = runs.find("cdk diff"), runs.find("cdk deploy"), runs.find("make test-remote")
    assert -1 < diff < deploy_at < remote
    assert "--require-approval never" in runs
    assert job["env"]["STAGE"] == "staging" and 'stage="$STAGE"' in runs
    remote_step = next(s for s in job["steps"] if "make test-remote" in s.get("run", ""))
    assert set(remote_step["env"]) == {"PITSTOP_OUTPUTS", "PITSTOP_STAFF_USERNAME", "PITSTOP_STAFF_PASSWORD"}


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml"])
def test_no_stored_aws_keys(name: str) -> None:
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    for forbidden in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "aws-secret-access-key", "secrets."):
        assert forbidden not in text, forbidden


def test_cdk_cli_is_pinned_and_node_modules_not_committed() -> None:
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    version = package["devDependencies"]["aws-cdk"]
    assert version[0].isdigit(), "pin an exact version"
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/aws-cdk"]["version"] == version
    assert "node_modules/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    cdk_json = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))
    assert cdk_json["app"].endswith("-m cdk_app.app")


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml"])
def test_every_action_is_pinned_to_a_commit_with_its_version(name: str) -> None:
    lines = (WORKFLOWS / name).read_text(encoding="utf-8").splitlines()
    uses = [line for line in lines if re.match(r"^\s*(- )?uses: ", line)]
    remote = [line for line in uses if not line.split("uses: ", 1)[1].startswith("$/")]
    assert remote
    unpinned = [line.strip() for line in remote if not PINNED.match(line)]
    assert not unpinned, unpinned


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml"])
def test_checkouts_keep_no_credentials_and_only_the_deploy_job_gets_an_oidc_token(name: str) -> None:
    workflow = _load(name)
    assert workflow["permissions"] == {}  # every job says what it needs
    for job_id, job in _step_jobs(name).items():
        checkouts = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@")]
        assert checkouts and all(s["with"]["persist-credentials"] is False for s in checkouts)
        wants_token = job["permissions"].get("id-token") == "write"
        assert wants_token == (name == "deploy.yml"), job_id
        assert set(job["permissions"].values()) <= {"read", "write"}
        assert {k for k, v in job["permissions"].items() if v == "write"} <= {"id-token"}


def test_the_deploy_job_restores_no_cache() -> None:
    """A job holding AWS credentials does not restore a dependency cache another run could have written."""
    for step in _deploy_job()["steps"]:
        uses = str(step.get("uses", ""))
        if uses.startswith(("actions/setup-python@", "actions/setup-node@")):
            assert "cache" not in step.get("with", {}), uses
        if uses.startswith("actions/setup-node@"):
            assert step["with"]["package-manager-cache"] is False
        assert not uses.startswith("actions/cache")


def _zizmor() -> str | None:
    beside = Path(sys.executable).parent / "zizmor"  # installed by `make setup` from requirements.lock
    return str(beside) if beside.exists() else os.environ.get("ZIZMOR") or shutil.which("zizmor")


def test_zizmor_finds_nothing() -> None:
    """zizmor (https://docs.zizmor.sh/audits/), offline audits: pins, credentials, permissions, triggers,
    template injection, cache poisoning. `make lint` runs it too; this keeps `pytest` alone honest."""
    zizmor = _zizmor()
    if zizmor is None:
        if os.environ.get("CI"):
            pytest.fail("zizmor is not installed (requirements.lock pins it)")
        pytest.skip("zizmor is not installed: make setup")
    done = subprocess.run(
        [zizmor, "--offline", "--no-progress", str(WORKFLOWS)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml"])
def test_workflows_install_the_lambda_runtimes_python(name: str) -> None:
    """The asset's bytecode is written by the runtime's Python; without it a deploy ships source only."""
    from cdk_app.functions import RUNTIME

    (job,) = _step_jobs(name).values()
    (setup,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-python")]
    versions = str(setup["with"]["python-version"]).split()
    assert RUNTIME.name.removeprefix("python") in versions
    assert versions[-1] == "3.11"  # the default `python`: the version the project's venv is made with


def _requirements(path: Path) -> dict[str, str]:
    """name (normalized) -> pinned version, from `name[extras]==version` lines."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        found = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", line)
        if found:
            pins[re.sub(r"[-_.]+", "-", found[1].lower())] = found[2]
    return pins


def test_the_lock_is_generated_with_a_hash_for_every_package() -> None:
    """CI and `make setup` install requirements.lock with --require-hashes; `make lock` writes it."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert "autogenerated by pip-compile" in text and "make lock = pip-compile --generate-hashes" in text
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    packages = [b for b in blocks if re.match(r"^[A-Za-z0-9_.-]+==", b)]
    assert packages and all("--hash=sha256:" in b for b in packages)
    locked = _requirements(ROOT / "requirements.lock")
    wanted = _requirements(ROOT / "requirements.txt")
    assert "zizmor" in wanted
    assert {name: locked.get(name) for name in wanted} == wanted
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements.lock" in makefile
    assert "zizmor --offline" in makefile
