"""Customer communication in the browser: the opt-in boxes, link recovery, the two note fields and
the delivery log on the staff card (headless Chromium against the local stack)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from browser_helpers import DESKTOP, screenshot, wait_until
from test_frontend_pages import fill_form, sign_in_staff, wait_live


def customer_messages(stack: Any, reference: str) -> list[dict[str, Any]]:
    return [
        m
        for m in stack.get_json("/_local/outbox")
        if m["channel"] != "staff-email" and reference in m["message"]
    ]


def test_opt_in_boxes_notes_and_the_delivery_log(browsing: Any, local_stack: Any) -> None:
    customer = browsing.new_page(DESKTOP)
    customer.goto(browsing.url("/"))
    customer.wait_for_selector("form")
    email_box, sms_box = (
        customer.locator("[data-testid=notify-email]"),
        customer.locator("[data-testid=notify-sms]"),
    )
    assert not email_box.is_checked() and not sms_box.is_checked()
    fill_form(customer, description=f"Squeal at start ({uuid.uuid4().hex[:8]})")
    assert email_box.is_checked(), "e-mail is ticked once an e-mail is given"
    assert not sms_box.is_checked(), "SMS is never ticked for the customer"
    assert "reply STOP" in customer.locator("label[for=notify-sms]").inner_text()
    sms_box.check()
    screenshot(customer, "comms-form-channels", DESKTOP)
    customer.get_by_role("button", name="Send request").click()
    reference = customer.locator("[data-testid=reference]").inner_text().strip()
    sent = wait_until(
        lambda: (
            len(customer_messages(local_stack, reference)) >= 2 and customer_messages(local_stack, reference)
        )
    )
    assert sorted(m["channel"] for m in sent) == ["email", "sms"]

    staff = browsing.new_page(DESKTOP)
    staff.goto(browsing.url("/staff"))
    sign_in_staff(staff, local_stack)
    wait_live(staff)
    card = staff.locator(f".board [data-reference='{reference}']")
    card.wait_for()
    assert card.get_by_label("Public note to the customer", exact=False).is_visible()
    assert card.get_by_label("Internal note (staff only", exact=False).is_visible()
    assert "e-mail, SMS" in card.locator("[data-testid=card-channels]").inner_text()
    card.locator("select").select_option("RECEIVED")
    card.get_by_label("Public note to the customer", exact=False).fill("We have your car")
    card.get_by_label("Internal note (staff only", exact=False).fill("Check the alternator too")
    card.get_by_role("button", name="Move").click()
    staff.locator(f"#col-RECEIVED [data-reference='{reference}']").wait_for()
    staff.reload()
    wait_live(staff)
    log = staff.locator(f"#col-RECEIVED [data-reference='{reference}'] [data-testid=delivery-log]")
    log.wait_for()
    log.locator("summary").click()
    text = log.inner_text()
    assert "TICKET_CREATED" in text and "SENT" in text and "SMS" in text
    screenshot(staff, "comms-staff-card", DESKTOP)

    # the customer's page never shows the internal note
    link = customer.input_value("#tracking-link")
    tracker = browsing.new_page(DESKTOP)
    tracker.goto(link)
    tracker.wait_for_selector("[data-testid=status][data-status=RECEIVED]")
    assert "We have your car" in tracker.content() and "alternator" not in tracker.content()


def test_lost_link_on_the_home_page_sends_a_link_that_opens_the_ticket(
    browsing: Any, local_stack: Any
) -> None:
    customer = browsing.new_page(DESKTOP)
    customer.goto(browsing.url("/"))
    fill_form(customer, description=f"Lost link ({uuid.uuid4().hex[:8]})")
    customer.locator("[data-testid=notify-email]").uncheck()  # no messages at all
    customer.get_by_role("button", name="Send request").click()
    reference = customer.locator("[data-testid=reference]").inner_text().strip()

    home = browsing.new_page(DESKTOP)
    home.goto(browsing.url("/"))
    home.fill("[data-testid=lost-ref]", reference.lower())
    home.fill("[data-testid=lost-contact]", "nobody@example.com")
    home.get_by_role("button", name="Send me a new link").click()
    home.wait_for_selector("[data-testid=lost-message]:has-text('If the reference and contact match')")
    home.fill("[data-testid=lost-contact]", "ADA@example.com")
    home.get_by_role("button", name="Send me a new link").click()
    [mail] = wait_until(lambda: customer_messages(local_stack, reference))
    assert (mail["channel"], mail["event"], mail["to"]) == ("email", "TRACKING_LINK", ["ada@example.com"])
    link = re.search(r"http://\S+/track#id=\S+&token=\S+", mail["message"]).group(0)  # type: ignore[union-attr]
    opened = browsing.new_page(DESKTOP)
    opened.goto(link)
    opened.wait_for_selector("[data-testid=status][data-status=SUBMITTED]")
    assert opened.locator("[data-testid=reference]").inner_text().strip() == reference
    screenshot(home, "comms-lost-link", DESKTOP)


def outputs_saying_sms(page: Any, on: bool) -> None:
    """The stack's own amplify_outputs.json, with custom.customerSms set to `on` (the stage's switch)."""

    def handle(route: Any) -> None:
        response = route.fetch()
        outputs = response.json()
        outputs.setdefault("custom", {})["customerSms"] = on
        route.fulfill(response=response, json=outputs)

    page.route("**/amplify_outputs.json", handle)


def test_sms_is_offered_only_when_the_outputs_say_the_stage_texts(browsing: Any, local_stack: Any) -> None:
    on = browsing.new_page(DESKTOP)
    outputs_saying_sms(on, True)
    on.goto(browsing.url("/"))
    on.wait_for_selector("form")
    assert on.locator("[data-testid=notify-sms]").count() == 1
    assert on.locator("[data-testid=notify-email]").count() == 1

    off = browsing.new_page(DESKTOP)
    outputs_saying_sms(off, False)
    off.goto(browsing.url("/"))
    off.wait_for_selector("form")
    assert off.locator("[data-testid=notify-email]").count() == 1
    assert off.locator("[data-testid=notify-sms]").count() == 0  # no dead control
    assert "text message" not in off.locator("fieldset.channels").inner_text()
    fill_form(off, description=f"No texts please ({uuid.uuid4().hex[:8]})")
    assert off.locator("[data-testid=notify-email]").is_checked()
    off.get_by_role("button", name="Send request").click()
    link = off.input_value("#tracking-link")  # created: e-mail only was asked for

    tracker = browsing.new_page(DESKTOP)
    outputs_saying_sms(tracker, False)
    tracker.goto(link)
    tracker.wait_for_selector("[data-testid=status]")
    assert tracker.locator("#track-notify-email").count() == 1
    assert tracker.locator("#track-notify-sms").count() == 0
