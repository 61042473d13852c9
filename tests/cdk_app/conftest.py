"""Synthesize the Pitstop app ONCE per test session (a synth takes seconds) and share the result.

The synth uses stage `test`, two staff e-mails and a stand-in frontend build in a temp folder, fully
offline: no account, no region, no Docker, no lookups.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template
from cdk_helpers import ROOT, STAFF_EMAILS, Synth, make_fake_dist

from cdk_app.app import build_app


@pytest.fixture(scope="session")
def cdk_context() -> dict[str, Any]:
    """cdk.json's context (feature flags included), as the CLI would pass it, plus the test stage."""
    context = dict(json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"])
    context.update({"stage": "test", "staffEmails": STAFF_EMAILS})
    return context


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory, cdk_context: dict[str, Any]) -> Synth:
    dist = make_fake_dist(tmp_path_factory.mktemp("dist"))
    outdir = tmp_path_factory.mktemp("cdk.out")
    context = {**cdk_context, "frontendDist": str(dist)}
    # nag=False here: the cdk-nag test runs the pack itself and reports every finding by name.
    app, stack = build_app(context, outdir=str(outdir), nag=False)
    app.synth()
    template = Template.from_stack(stack)
    return Synth(stack=stack, template=template, json=template.to_json(), outdir=outdir, dist=dist)


@pytest.fixture(scope="session")
def api_config() -> dict[str, Any]:
    return json.loads((ROOT / "api_config.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def prod_synth(tmp_path_factory: pytest.TempPathFactory, cdk_context: dict[str, Any]) -> Synth:
    """Stage prod, with a publisher reservation, tracing and customer SMS set in context: what differs
    from the other stages (whose cdk.json default keeps SMS off)."""
    dist = make_fake_dist(tmp_path_factory.mktemp("dist-prod"))
    outdir = tmp_path_factory.mktemp("cdk.out-prod")
    context = {
        **cdk_context,
        "stage": "prod",
        "frontendDist": str(dist),
        "publisherReservedConcurrency": 2,
        "tracing": "true",
        "customerSms": "true",  # as `-c customerSms=true` passes it: a string
    }
    context.pop("allowPasswordAuth", None)
    app, stack = build_app(context, outdir=str(outdir), nag=False)
    app.synth()
    template = Template.from_stack(stack)
    return Synth(stack=stack, template=template, json=template.to_json(), outdir=outdir, dist=dist)
