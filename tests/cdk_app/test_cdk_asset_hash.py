"""The Lambda asset hash depends on resolvers/ and nothing else: that is what makes "the Lambda is
updated only if its code changed" true. Runs on a temporary copy of the repository, never the tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import AssetStaging
from cdk_helpers import ROOT

from cdk_app.app import build_app

COPY = [
    "cdk_app",
    "resolvers",
    "schema.graphql",
    "api_config.json",
    "table.json",
    "cdk.json",
    "table.json",  # the table declaration
    "requirements.txt",  # the Powertools pin names the layer
    "README.md",
]


def _hashes(outdir: Path) -> dict[str, Any]:
    (template_file,) = outdir.glob("Pitstop-*.template.json")
    resources = json.loads(template_file.read_text(encoding="utf-8"))["Resources"]
    lambda_keys = {
        r["Properties"]["Handler"]: r["Properties"]["Code"]["S3Key"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Function"
        and r["Properties"].get("Handler", "").startswith("resolvers.")
    }
    (deployment,) = (r for r in resources.values() if r["Type"] == "Custom::CDKBucketDeployment")
    return {"lambda": lambda_keys, "site": deployment["Properties"]["SourceObjectKeys"][0]}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    copy.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, copy / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, copy / name)
    (copy / "README.md").touch()
    (copy / "frontend" / "src").mkdir(parents=True)
    (copy / "frontend" / "src" / "main.ts").write_text("export const x = 1;\n")
    (copy / "frontend" / "dist").mkdir()
    (copy / "frontend" / "dist" / "index.html").write_text("<!doctype html><title>v1</title>\n")
    return copy


def _context() -> dict[str, Any]:
    context = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    return {**context, "stage": "hash"}


def synth_cli_way(root: Path, outdir: Path) -> dict[str, Any]:
    """What `cdk synth` does: run cdk.json's app from the repository root with the context in env."""
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(_context()),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    env.pop("PYTHONPATH", None)
    subprocess.run(
        [sys.executable, "-m", "cdk_app.app"], cwd=root, env=env, check=True, capture_output=True, timeout=300
    )
    return _hashes(outdir)


def synth_in_process(root: Path, outdir: Path) -> dict[str, Any]:
    AssetStaging.clear_asset_hash_cache()
    app, _ = build_app(_context(), root=root, outdir=str(outdir), nag=False)
    app.synth()
    return _hashes(outdir)


def test_lambda_hash_changes_with_resolvers_only(repo: Path, tmp_path: Path) -> None:
    first = synth_cli_way(repo, tmp_path / "out1")
    assert len(set(first["lambda"].values())) == 1, "resolver and publisher share one asset"

    # Twice, no change (and another process): the same hashes.
    second = synth_in_process(repo, tmp_path / "out2")
    assert second == first

    # README, frontend sources, caches inside resolvers/: the Lambda asset does not move.
    (repo / "README.md").write_text("# Pitstop\n\nchanged\n")
    (repo / "frontend" / "src" / "main.ts").write_text("export const x = 2;\n")
    (repo / "frontend" / "dist" / "index.html").write_text("<!doctype html><title>v2</title>\n")
    cache = repo / "resolvers" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "handler.cpython-313.pyc").write_bytes(b"\x00junk")
    third = synth_in_process(repo, tmp_path / "out3")
    assert third["lambda"] == first["lambda"]
    assert third["site"] != first["site"], "the frontend asset does follow the build"

    # A change in the package: a new Lambda asset for both functions.
    init = repo / "resolvers" / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    fourth = synth_in_process(repo, tmp_path / "out4")
    assert set(fourth["lambda"]) == set(first["lambda"])
    for handler, key in fourth["lambda"].items():
        assert key != first["lambda"][handler], handler
    assert fourth["site"] == third["site"]
