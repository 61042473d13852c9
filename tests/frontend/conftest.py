"""Browser fixtures: Debian's Chromium driven by Playwright for Python, against the local stack
(tests/conftest.py `local_stack`). Helpers live in browser_helpers.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, FRONTEND, Api, Browsing


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def frontend_dist() -> Path:
    """The built frontend (make -C frontend build is a no-op when nothing changed)."""
    if shutil.which("npm") is None and not (FRONTEND / "dist" / "index.html").exists():
        pytest.skip("npm is not installed and frontend/dist is missing")
    subprocess.run(["make", "-s", "-C", str(FRONTEND), "build"], check=True, timeout=600)
    return FRONTEND / "dist"


@pytest.fixture(scope="module")
def browser(frontend_dist: Path) -> Iterator[Any]:
    """Per module, not per session: Playwright's sync API keeps an event loop running in this thread
    while it is open, which would break every later test that calls asyncio.run (gql clients)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM} (.ci/run installs Debian's chromium)")
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browsing(browser: Any, local_stack: Any) -> Iterator[Browsing]:
    if not local_stack.base_url:
        pytest.skip("no site URL for this stack")
    b = Browsing(base_url=local_stack.base_url, browser=browser)
    yield b
    problems = [p for _, _, log in b.pages for p in log.problems()]
    for context, _, _ in b.pages:
        context.close()
    assert not problems, "console errors:\n" + "\n".join(problems)


@pytest.fixture
def api(local_stack: Any) -> Api:
    return Api(local_stack)
