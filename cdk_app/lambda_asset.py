"""The Lambda code asset: a folder that holds only the `resolvers` package.

Handler strings are then `resolvers.handler.lambda_handler` and `resolvers.publisher.lambda_handler`,
and the package's relative imports work. The folder is a throw-away copy of `resolvers/` (without
caches), so the asset hash that CDK computes depends on the package's files and nothing else: a
change in README, frontend or tests leaves the Lambda untouched on the next deploy. No Docker, no
pip: third-party code comes from the public Powertools layer and the runtime's botocore.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

PACKAGE = "resolvers"
# Never part of the asset, even if they sit in the working tree.
EXCLUDE = ["__pycache__", "*.pyc", "*.pyo", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".DS_Store"]


def stage_package(root: Path) -> Path:
    """Copy `<root>/resolvers` into a fresh temporary folder and return that folder."""
    source = root / PACKAGE
    if not (source / "__init__.py").is_file():
        raise FileNotFoundError(f"{source} is not a Python package (no __init__.py)")
    staging = Path(tempfile.mkdtemp(prefix="pitstop-lambda-"))
    atexit.register(shutil.rmtree, staging, ignore_errors=True)
    shutil.copytree(source, staging / PACKAGE, ignore=shutil.ignore_patterns(*EXCLUDE))
    return staging


def resolvers_code(root: Path) -> lambda_.Code:
    """The asset for both Lambdas. CDK stages (copies) it at construction, so the temp copy may go at exit."""
    return lambda_.Code.from_asset(str(stage_package(root)), exclude=EXCLUDE)
