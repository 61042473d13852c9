"""Fixtures for the engine tests; the helpers live in engine_testkit."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

from appsync_local.engine import EngineSettings, create_app  # noqa: E402
from engine_testkit import LOCAL, Keys, make_settings  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys()


@pytest.fixture
def settings_factory(keys: Keys) -> Callable[..., EngineSettings]:
    return lambda **overrides: make_settings(keys, **overrides)


@pytest.fixture
def client(keys: Keys) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(keys)), base_url=LOCAL) as test_client:
        yield test_client


@pytest.fixture
def events() -> Iterator[list[dict[str, Any]]]:
    import engine_fake_recorder

    engine_fake_recorder.clear()
    yield engine_fake_recorder.Events()  # type: ignore[misc]
