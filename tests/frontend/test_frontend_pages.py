"""The customer and staff pages in real headless Chromium against the running local stack."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from browser_helpers import DESKTOP, PHONE, assert_accessible, screenshot, wait_until

# Records every status the tracking page shows, in order, without relying on timing.
RECORD_STATUSES = """
window.__statuses = [];
new MutationObserver(() => {
  const el = document.querySelector('[data-testid=status]');
  const s = el && el.dataset.status;
  if (s && window.__statuses[window.__statuses.length - 1] !== s) window.__statuses.push(s);
}).observe(document, { subtree: true, childList: true, attributes: true });
"""


OPTION_VALUES = "els => els.map(e => e.value)"


def fill_form(page: Any, *, description: str, year: str = "2016") -> None:
    page.fill("#f-vehicle-make", "Toyota")
    page.fill("#f-vehicle-model", "Corolla")
    page.fill("#f-vehicle-year", year)
    page.fill("#f-vehicle-licensePlate", "B-PS 1234")
    page.fill("#f-vehicle-mileage", "84000")
    page.fill("#f-description", description)
    page.fill("#f-customer-name", "Ada Lovelace")
    page.fill("#f-customer-email", "ada@example.com")
    page.fill("#f-customer-phone", "+1 206 555 0100")


def sign_in_staff(page: Any, stack: Any) -> None:
    page.fill("#staff-username", stack.staff_username)
    page.fill("#staff-password", stack.staff_password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("[data-testid=board]")


def wait_live(page: Any) -> None:
    page.wait_for_selector("[data-testid=live-state][data-state=Connected]")


def move(staff: Any, reference: str, status: str, note: str | None = None) -> None:
    card = staff.locator(f".board [data-reference='{reference}']")
    card.locator("select").select_option(status)
    if note:
        card.locator("input[name=note]").fill(note)
    card.get_by_role("button", name="Move").click()
    staff.locator(f"#col-{status} [data-reference='{reference}']").wait_for()


def test_submit_track_and_staff_board_live(browsing: Any, local_stack: Any) -> None:
    # Staff is on the board first, so the new ticket can only arrive live.
    staff = browsing.new_page(DESKTOP)
    staff.goto(browsing.url("/staff"))
    sign_in_staff(staff, local_stack)
    wait_live(staff)
    staff.evaluate("window.__noReload = 1")

    customer = browsing.new_page(DESKTOP)
    customer.goto(browsing.url("/"))
    customer.wait_for_selector("form")
    assert customer.evaluate("document.documentElement.lang") == "en"
    screenshot(customer, "customer-form-phone", PHONE)
    screenshot(customer, "customer-form-desktop", DESKTOP)
    assert_accessible(customer)

    description = f"Grinding noise when braking ({uuid.uuid4().hex[:8]})"
    fill_form(customer, description=description, year="1700")
    customer.get_by_role("button", name="Send request").click()
    year_error = customer.locator("#f-vehicle-year-error")
    year_error.wait_for()
    assert "vehicle.year" in year_error.inner_text()
    assert customer.get_attribute("#f-vehicle-year", "aria-invalid") == "true"
    assert_accessible(customer)

    customer.fill("#f-vehicle-year", "2016")
    assert customer.locator("#f-vehicle-year-error").is_hidden()
    customer.get_by_role("button", name="Send request").click()
    reference = customer.locator("[data-testid=reference]").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9-]{4,}", reference), reference
    link = customer.input_value("#tracking-link")
    assert re.search(r"/track#id=[^&]+&token=.+", link), link
    assert_accessible(customer)

    # The new ticket appears on the staff board without a reload.
    staff.locator(f"#col-SUBMITTED [data-reference='{reference}']").wait_for()
    assert staff.evaluate("window.__noReload") == 1

    tracker = browsing.new_page(PHONE)
    tracker.add_init_script(RECORD_STATUSES)
    tracker.goto(link)
    tracker.wait_for_selector("[data-testid=status][data-status=SUBMITTED]")
    assert tracker.locator("[data-testid=reference]").inner_text().strip() == reference
    wait_live(tracker)
    tracker.evaluate("window.__noReload = 1")

    move(staff, reference, "RECEIVED", note="Car is in the workshop")
    tracker.wait_for_selector("[data-testid=status][data-status=RECEIVED]")
    move(staff, reference, "DIAGNOSING")
    tracker.wait_for_selector("[data-testid=status][data-status=DIAGNOSING]")

    assert tracker.evaluate("window.__noReload") == 1, "the tracking page reloaded"
    assert tracker.evaluate("window.__statuses") == ["SUBMITTED", "RECEIVED", "DIAGNOSING"]
    history = tracker.locator("[data-testid=history]").inner_text()
    assert "Car is in the workshop" in history
    assert (
        history.index("Diagnosing") < history.index("Received") < history.index("Submitted")
    )  # newest first
    assert "ada@example.com" not in tracker.content()  # contact details are staff-only
    assert_accessible(tracker)
    screenshot(tracker, "tracking-phone", PHONE)
    screenshot(tracker, "tracking-desktop", DESKTOP)

    assert staff.evaluate("window.__noReload") == 1
    card = staff.locator(f"#col-DIAGNOSING [data-reference='{reference}']")
    assert "ada@example.com" in card.inner_text()
    assert_accessible(staff)
    screenshot(staff, "staff-board-desktop", DESKTOP, full_page=False)
    screenshot(staff, "staff-board-phone", PHONE)

    if local_stack.is_local:
        mails = wait_until(
            lambda: [m for m in local_stack.get_json("/_local/outbox") if reference in json.dumps(m)]
        )
        assert mails, "no new-ticket e-mail in the outbox"


def test_wrong_or_unknown_tracking_link_shows_not_found(browsing: Any, api: Any) -> None:
    created = api.create_ticket()
    ticket = created["ticket"]
    page = browsing.new_page(PHONE)
    for fragment in (
        f"id={ticket['id']}&token=wrong-token",
        f"id=no-such-ticket&token={created['trackingToken']}",
        f"id={ticket['id']}",
        "",
    ):
        page.goto("about:blank")
        page.goto(browsing.url(f"/track#{fragment}"))
        page.wait_for_selector("[data-testid=not-found]")
        text = page.locator("main").inner_text()
        assert "could not find" in text.lower()
        for secret in (ticket["reference"], ticket["description"], "Volvo"):
            assert secret not in page.content(), (fragment, secret)
    assert_accessible(page)


def test_staff_page_without_sign_in_shows_only_the_form(browsing: Any, local_stack: Any) -> None:
    page = browsing.new_page(PHONE)
    page.pitstop_log.allowed.append("status of 400")  # Cognito's answer to the wrong password
    page.goto(browsing.url("/staff"))
    page.wait_for_selector("#staff-username")
    assert page.locator("[data-testid=board]").count() == 0
    assert page.locator(".card").count() == 0
    assert_accessible(page)
    page.fill("#staff-username", local_stack.staff_username)
    page.fill("#staff-password", "not-the-password-1A!")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Wrong e-mail or password.").wait_for()
    assert page.locator("[data-testid=board]").count() == 0


def test_double_clicked_submit_makes_one_ticket(browsing: Any, api: Any) -> None:
    page = browsing.new_page(DESKTOP)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "") if r.url.endswith("/graphql") else None)
    page.goto(browsing.url("/"))
    description = f"Double click {uuid.uuid4().hex[:8]}"
    fill_form(page, description=description)
    page.get_by_role("button", name="Send request").dblclick()
    page.wait_for_selector("[data-testid=reference]")
    page.wait_for_timeout(500)
    creates = [json.loads(body) for body in sent if "createTicket" in body]
    assert 1 <= len(creates) <= 2
    assert len({c["variables"]["input"]["clientToken"] for c in creates}) == 1
    assert len(api.tickets_with_description(description)) == 1


def test_retry_after_lost_response_returns_the_same_ticket(browsing: Any, api: Any) -> None:
    page = browsing.new_page(DESKTOP)
    page.pitstop_log.allowed += ["net::ERR_", "Failed to load resource"]
    first: dict[str, Any] = {}

    def lose_first_answer(route: Any) -> None:
        body = route.request.post_data or ""
        if "createTicket" in body and not first:
            response = route.fetch()  # the server creates the ticket …
            first["body"] = response.json()
            route.abort("connectionreset")  # … but the browser never hears back
            return
        route.continue_()

    page.route("**/graphql", lose_first_answer)
    page.goto(browsing.url("/"))
    description = f"Lost answer {uuid.uuid4().hex[:8]}"
    fill_form(page, description=description)
    page.get_by_role("button", name="Send request").click()
    # Amplify retries a request that failed on the network, with the same body (and clientToken);
    # should it give up, the person presses the button again. Either way: the same ticket.
    outcome = page.locator("[data-testid=reference], .form-summary:not([hidden])").first
    outcome.wait_for()
    if page.locator("[data-testid=reference]").count() == 0:
        assert "could not reach the workshop" in outcome.inner_text()
        page.get_by_role("button", name="Send request").click()
    reference = page.locator("[data-testid=reference]").inner_text().strip()
    assert reference == first["body"]["data"]["createTicket"]["ticket"]["reference"]
    assert len(api.tickets_with_description(description)) == 1


def test_stale_move_shows_conflict_and_reloads(browsing: Any, api: Any, local_stack: Any) -> None:
    created = api.create_ticket()
    ticket = created["ticket"]
    staff = browsing.new_page(DESKTOP)
    # This page misses live updates (its real-time socket never reaches the server), so its copy
    # of the ticket goes stale when someone else changes it.
    staff.route_web_socket("**/graphql/realtime", lambda ws: None)
    staff.goto(browsing.url("/staff"))
    sign_in_staff(staff, local_stack)
    staff.fill("#find-ref", ticket["reference"])
    staff.get_by_role("button", name="Find").click()
    found = staff.locator(f"[data-testid=find-result] [data-reference='{ticket['reference']}']")
    found.wait_for()
    # Only the lifecycle's next statuses are offered.
    assert found.locator("select option").evaluate_all(OPTION_VALUES) == [
        "RECEIVED",
        "CANCELLED",
    ]

    api.move(ticket["id"], "RECEIVED", ticket["version"])  # someone else, elsewhere
    found.locator("select").select_option("CANCELLED")
    found.get_by_role("button", name="Move").click()
    result = staff.locator("[data-testid=find-result]")
    result.get_by_text("Someone else changed this ticket — reloaded.").wait_for()
    result.locator(f"[data-reference='{ticket['reference']}'][data-version='2']").wait_for()
    options = result.locator("select option").evaluate_all(OPTION_VALUES)
    assert options == ["DIAGNOSING", "IN_REPAIR", "CANCELLED"]
    status = api.call("query($id: ID!) { ticket(id: $id) { status } }", {"id": ticket["id"]}, staff=True)
    assert status["data"]["ticket"]["status"] == "RECEIVED"


def test_tracking_page_catches_up_when_the_tab_wakes(browsing: Any, api: Any) -> None:
    created = api.create_ticket()
    ticket = created["ticket"]
    page = browsing.new_page(PHONE)
    # No live updates reach this page (its socket never gets to the server): only the re-query on
    # tab wake can show the change.
    page.route_web_socket("**/graphql/realtime", lambda ws: None)
    page.goto(browsing.url(f"/track#id={ticket['id']}&token={created['trackingToken']}"))
    page.wait_for_selector("[data-testid=status][data-status=SUBMITTED]")
    api.move(ticket["id"], "RECEIVED", ticket["version"])
    page.wait_for_timeout(300)
    assert page.locator("[data-testid=status]").get_attribute("data-status") == "SUBMITTED"
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_selector("[data-testid=status][data-status=RECEIVED]")


def test_board_pages_with_load_more(browsing: Any, api: Any, local_stack: Any) -> None:
    for _ in range(11):  # more than one page (10) of SUBMITTED tickets
        api.create_ticket()
    staff = browsing.new_page(DESKTOP)
    staff.goto(browsing.url("/staff"))
    sign_in_staff(staff, local_stack)
    column = staff.locator("#col-SUBMITTED")
    column.locator("[data-ticket-id]").first.wait_for()
    # the first page holds 10; live events of the tickets just created may add a few on top of it
    staff.wait_for_function("() => document.querySelectorAll('#col-SUBMITTED [data-ticket-id]').length >= 10")
    before = column.locator("[data-ticket-id]").count()
    more = column.get_by_role("button", name="Load more submitted")
    more.click()
    staff.wait_for_function(
        f"() => document.querySelectorAll('#col-SUBMITTED [data-ticket-id]').length > {before}"
    )
    ids = column.locator("[data-ticket-id]").evaluate_all("els => els.map(e => e.dataset.ticketId)")
    assert len(ids) == len(set(ids))
