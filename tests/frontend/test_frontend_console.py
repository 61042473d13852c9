"""/console: GraphiQL against the stack, with the API key, over HTTP and the AppSync real-time protocol."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from browser_helpers import DESKTOP, assert_accessible, screenshot

# Monaco renders spaces as no-break spaces.
EDITOR_SHOWS = (
    "t => document.querySelector('.graphiql-query-editor')?.innerText.replace(/\\s/g, ' ').includes(t)"
)


def open_console(browsing: Any, query: str, variables: dict[str, Any]) -> Any:
    page = browsing.new_page(DESKTOP)
    introspection = page.expect_response(
        lambda r: r.url.endswith("/graphql") and "IntrospectionQuery" in (r.request.post_data or "")
    )
    with introspection:
        page.goto(browsing.url("/console?" + urlencode({"query": query, "variables": json.dumps(variables)})))
    page.wait_for_selector(".graphiql-container")
    page.get_by_text("Using the API key").wait_for()
    # The editors are ready when the operation shows in the query editor.
    page.wait_for_function(
        EDITOR_SHOWS,
        arg=query.split("(")[0].split("{")[0].strip(),
    )
    return page


def response_text(page: Any) -> str:
    return page.locator(".graphiql-response").inner_text()


def run(page: Any) -> None:
    page.locator(".graphiql-execute-button").click()


def test_console_query_with_api_key(browsing: Any, api: Any) -> None:
    created = api.create_ticket()
    ticket = created["ticket"]
    page = open_console(
        browsing,
        "query Track($id: ID!, $token: String) {"
        " ticket(id: $id, trackingToken: $token) { reference status } }",
        {"id": ticket["id"], "token": created["trackingToken"]},
    )
    run(page)
    page.wait_for_function(
        "ref => document.querySelector('.graphiql-response')?.innerText.includes(ref)",
        arg=ticket["reference"],
    )
    assert "SUBMITTED" in response_text(page)
    screenshot(page, "console-desktop", DESKTOP, full_page=False)
    # GraphiQL's own tab strip nests each tab's close button inside role=tab (upstream markup);
    # everything else on the page, including our bar and the editors, is checked.
    assert_accessible(page, exclude=[".graphiql-tabs"])


def test_console_subscription_receives_an_event(browsing: Any, api: Any) -> None:
    created = api.create_ticket()
    ticket = created["ticket"]
    page = open_console(
        browsing,
        "subscription Follow($id: ID!, $token: String) {"
        " onTicketUpdated(id: $id, trackingToken: $token) { reference status version } }",
        {"id": ticket["id"], "token": created["trackingToken"]},
    )
    acked: list[str] = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived", lambda frame: acked.append(str(frame)) if "start_ack" in str(frame) else None
        ),
    )
    run(page)
    # The change is made once the server has acknowledged the subscription (AppSync `start_ack`).
    for _ in range(150):  # page.wait_for_timeout lets Playwright deliver the frames meanwhile
        if acked:
            break
        page.wait_for_timeout(100)
    assert acked, "the subscription was not acknowledged"
    api.move(ticket["id"], "RECEIVED", ticket["version"])
    page.wait_for_function(
        "() => document.querySelector('.graphiql-response')?.innerText.includes('RECEIVED')", timeout=20_000
    )
    assert ticket["reference"] in response_text(page)


def test_console_switches_to_staff_sign_in(browsing: Any, local_stack: Any) -> None:
    page = open_console(browsing, "query Board { tickets(limit: 1) { items { id reference } } }", {})
    page.get_by_label("Staff (Cognito)").check()
    page.fill("#c-user", local_stack.staff_username)
    page.fill("#c-pass", local_stack.staff_password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Using the staff token").wait_for()
    page.wait_for_function(EDITOR_SHOWS, arg="query Board")
    run(page)
    page.wait_for_function("() => document.querySelector('.graphiql-response')?.innerText.includes('items')")
    assert "Unauthorized" not in response_text(page)
