"""The Lambda code asset: a folder that holds only the `resolvers` package (`lambda_package`).

Handler strings are then `resolvers.handler.lambda_handler` and `resolvers.publisher.lambda_handler`,
and the package's relative imports work. The folder is a throw-away copy of `resolvers/` (without
caches), so the asset hash that CDK computes depends on the package's files and nothing else: a
change in README, frontend or tests leaves the Lambda untouched on the next deploy. No Docker, no
pip: third-party code comes from the public Powertools layer and the runtime's botocore.

The copy carries the package's bytecode, compiled by an interpreter of the runtime's version; on a
machine without one, the asset is source only and synth says so.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Annotations
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from .lambda_package import INTERPRETER_ENV, runtime_python, runtime_version, stage_package


def resolvers_code(scope: Construct, root: Path, runtime: lambda_.Runtime) -> lambda_.Code:
    """The asset for both Lambdas. CDK stages (copies) it at construction, so the temp copy may go at exit."""
    version = runtime_version(runtime.name)
    python = runtime_python(version)
    if python is None:
        name = f"python{version[0]}.{version[1]}"
        Annotations.of(scope).add_warning_v2(
            "pitstop:lambda-bytecode",
            f"No {name} on this machine to precompile the Lambda code: the asset is source only "
            f"(a few ms more per cold start). Put {name} on PATH or name it in {INTERPRETER_ENV}.",
        )
    # Only the staged copy's own files: the exclusions were applied when copying.
    return lambda_.Code.from_asset(str(stage_package(root, python)))
