"""Helpers for the browser tests: Debian's Chromium driven by Playwright for Python, against the local stack
(tests/conftest.py `local_stack`), with axe-core (frontend/node_modules) injected for accessibility.

Screenshots go to docs/screenshots/ (the current ones are committed and shown in the README).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
AXE = FRONTEND / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("PITSTOP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
# Console messages that are not errors of the app (Chromium noise on a headless machine).
IGNORED_CONSOLE = ("Download the React DevTools",)


@dataclass
class PageLog:
    errors: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [
            e
            for e in self.errors
            if not any(i in e for i in IGNORED_CONSOLE) and not any(a in e for a in self.allowed)
        ]


@dataclass
class Browsing:
    base_url: str
    browser: Any
    pages: list[tuple[Any, Any, PageLog]] = field(default_factory=list)

    def new_page(self, viewport: dict[str, int] | None = None, locale: str = "en-US") -> Any:
        context = self.browser.new_context(
            viewport=viewport or DESKTOP, locale=locale, timezone_id="Europe/Berlin"
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        log = PageLog()
        page.on(
            "console",
            lambda m: log.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: log.errors.append(f"pageerror: {e}"))
        page.pitstop_log = log
        self.pages.append((context, page, log))
        return page

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


def axe_violations(page: Any, *, exclude: list[str] | None = None) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through DevTools, not as a <script> tag: the pages run under the deployed CSP
        # (script-src 'self'), which rightly refuses an injected inline script.
        page.evaluate("(source) => { (0, eval)(source); }", AXE.read_text(encoding="utf-8"))
    context = {"exclude": [[s] for s in exclude]} if exclude else None
    result = page.evaluate(
        """async (context) => {
            const r = await axe.run(context ?? document, { resultTypes: ['violations'] });
            return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }));
        }""",
        context,
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def assert_accessible(page: Any, **kwargs: Any) -> None:
    violations = axe_violations(page, **kwargs)
    assert not violations, f"axe on {page.url}:\n" + json.dumps(violations, indent=2)


def screenshot(page: Any, name: str, viewport: dict[str, int], *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(viewport)
    page.wait_for_timeout(150)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@dataclass
class Api:
    """Plain GraphQL over HTTP for arranging and checking state (not what the pages use)."""

    stack: Any

    def call(
        self, query: str, variables: dict[str, Any] | None = None, *, staff: bool = False
    ) -> dict[str, Any]:
        headers = (
            {"Authorization": self.stack.staff_id_token()} if staff else {"x-api-key": self.stack.api_key}
        )
        response = httpx.post(
            self.stack.graphql_url,
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=15,
        )
        return response.json()

    def create_ticket(self, description: str | None = None) -> dict[str, Any]:
        body = self.call(
            """mutation($input: CreateTicketInput!) {
                createTicket(input: $input) {
                    trackingToken ticket { id reference status version description }
                }
            }""",
            {
                "input": {
                    "vehicle": {"make": "Volvo", "model": "V70", "year": 2009},
                    "description": description or f"Rattle from the back {uuid.uuid4().hex[:8]}",
                    "customer": {"name": "Test Customer", "email": "customer@example.com"},
                    "clientToken": str(uuid.uuid4()),
                }
            },
        )
        assert not body.get("errors"), body
        return body["data"]["createTicket"]

    def move(self, ticket_id: str, status: str, version: int) -> dict[str, Any]:
        body = self.call(
            """mutation($input: UpdateTicketStatusInput!) {
                updateTicketStatus(input: $input) { id status version }
            }""",
            {"input": {"id": ticket_id, "status": status, "expectedVersion": version}},
            staff=True,
        )
        assert not body.get("errors"), body
        return body["data"]["updateTicketStatus"]

    def tickets_with_description(self, description: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token = None
        for _ in range(50):
            body = self.call(
                """query($nextToken: String) {
                    tickets(limit: 100, nextToken: $nextToken) {
                        nextToken items { id reference description }
                    }
                }""",
                {"nextToken": token},
                staff=True,
            )
            assert not body.get("errors"), body
            page = body["data"]["tickets"]
            found += [t for t in page["items"] if t["description"] == description]
            token = page["nextToken"]
            if not token:
                break
        return found


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
