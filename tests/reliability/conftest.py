"""Fixtures for the reliability tests. They run against `local_stack` (tests/conftest.py); destructive
ones start their own stack with `local_stack_factory`."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "pitstop_local"))  # the session tests' gql helpers (appsync_clients)
