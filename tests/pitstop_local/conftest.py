"""Fixtures for the local-AppSync tests: `api` (gql clients for the `local_stack` target)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from appsync_clients import Api


@pytest.fixture(scope="session")
def api(local_stack: Any) -> Api:
    return Api(local_stack)
