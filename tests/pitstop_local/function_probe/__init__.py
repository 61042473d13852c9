"""A test-only Lambda handler: returns the environment its worker sees."""

import os
from typing import Any


def lambda_handler(event: Any, context: Any) -> dict[str, str]:
    return dict(os.environ)
