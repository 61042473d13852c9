"""The GitHub workflows, checked offline: GitHub's workflow JSON schema (vendored by check-jsonschema)
plus what they must do (CI on every push/PR; deploy main via OIDC, diff, deploy staging, remote tests)."""

from __future__ import annotations

import json
import subprocess
import sys

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
    (job,) = ci["jobs"].values()
    runs = _run_lines(job)
    assert "make lint" in runs and "make test" in runs
    assert ci["permissions"] == {"contents": "read"}


def test_deploy_uses_oidc_diffs_deploys_staging_then_remote_tests() -> None:
    deploy = _load("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    assert deploy["permissions"]["id-token"] == "write"
    (job,) = deploy["jobs"].values()
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
def test_workflows_install_the_lambda_runtimes_python(name: str) -> None:
    """The asset's bytecode is written by the runtime's Python; without it a deploy ships source only."""
    from cdk_app.functions import RUNTIME

    (job,) = _load(name)["jobs"].values()
    (setup,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-python")]
    versions = str(setup["with"]["python-version"]).split()
    assert RUNTIME.name.removeprefix("python") in versions
    assert versions[-1] == "3.11"  # the default `python`: the version the project's venv is made with
