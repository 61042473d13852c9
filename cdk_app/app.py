"""The CDK app: `cdk synth|diff|deploy` (cdk.json runs `.venv/bin/python -m cdk_app.app`).

Context: stage (default dev; prod retains data), staffEmails (list or comma-separated), apiKeyExpiryDays
(1-365, default 365) or apiKeyExpires (ISO date), apiKeyGeneration (bump to rotate the key),
allowPasswordAuth (default true, prod: false and not allowed), logRetentionDays,
publisherReservedConcurrency (default 0 = no reservation), powertoolsLayerVersion (default: the layer of the
Powertools release requirements.txt pins, via its public SSM parameter), frontendDist.
No lookups: the stack is environment-agnostic and synthesizes offline without an account.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from .settings import PROJECT_ROOT, Settings
from .stack import PitstopStack


def build_app(
    context: dict[str, Any] | None = None,
    *,
    root: Path = PROJECT_ROOT,
    outdir: str | None = None,
    nag: bool = True,
) -> tuple[App, PitstopStack]:
    """Build the app. `nag=True` registers cdk-nag's AwsSolutions pack, so synth fails on any finding."""
    app = App(context=context or None, outdir=outdir)
    settings = Settings.from_context(app.node, root=root)
    stack = PitstopStack(
        app,
        f"Pitstop-{settings.stage}",
        settings=settings,
        description=f"Pitstop repair-shop tickets ({settings.stage})",
    )
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
