"""Fixtures for the local-AppSync tests: `api` (gql clients for the `local_stack` target)."""

from __future__ import annotations

from typing import Any

import pytest
from appsync_clients import Api


@pytest.fixture(scope="session")
def api(local_stack: Any) -> Api:
    return Api(local_stack)
