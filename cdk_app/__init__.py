"""Pitstop's deployable stack (AWS CDK v2, Python). `cdk.json` runs `python -m cdk_app.app`."""

import os

# jsii prints a banner for Node 20 on every start; the CDK works on it (CI and this machine run 20).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
