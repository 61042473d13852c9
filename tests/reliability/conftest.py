"""Fixtures for the reliability tests. They run against `local_stack` (tests/conftest.py); destructive
ones start their own stack with `local_stack_factory`.

Their helpers (rel_helpers, and the session tests' appsync_clients) are importable through pytest's
`pythonpath` (pyproject.toml)."""
