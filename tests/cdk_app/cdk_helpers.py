"""Helpers shared by the CDK tests (a module of its own: `conftest` is a name every test folder uses)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk.assertions import Template

from cdk_app.stack import PitstopStack

ROOT = Path(__file__).resolve().parents[2]
STAFF_EMAILS = ["staff-a@example.com", "staff-b@example.com"]


@dataclass
class Synth:
    stack: PitstopStack
    template: Template
    json: dict[str, Any]
    outdir: Path
    dist: Path

    def resources(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.json["Resources"].items() if v["Type"] == cfn_type}

    def one(self, cfn_type: str) -> tuple[str, dict[str, Any]]:
        found = self.resources(cfn_type)
        assert len(found) == 1, f"expected one {cfn_type}, found {sorted(found)}"
        return next(iter(found.items()))


def make_fake_dist(path: Path) -> Path:
    (path / "assets").mkdir(parents=True, exist_ok=True)
    (path / "index.html").write_text("<!doctype html><title>Pitstop</title>", encoding="utf-8")
    (path / "console.html").write_text("<!doctype html><title>Console</title>", encoding="utf-8")
    (path / "assets" / "main.js").write_text("console.log('pitstop');\n", encoding="utf-8")
    # A local build may carry its own outputs file: it must never be deployed.
    (path / "amplify_outputs.json").write_text('{"data": {"url": "http://127.0.0.1:4000/graphql"}}')
    return path
