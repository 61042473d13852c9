"""Photos in real headless Chromium against the local stack, under the deployed CSP: the submit form
with two photos (one resized in the browser), shown on the staff card; a staff photo, hidden until
staff show it, then appearing live on the tracking page; an upload S3 refuses is still confirmed
(REJECTED, its slot free) and the next photo goes."""

from __future__ import annotations

import struct
import uuid
import zlib
from typing import Any

from browser_helpers import DESKTOP, PHONE, Api, assert_accessible, screenshot
from test_frontend_pages import fill_form, sign_in_staff, wait_live

# JS: the thumbnails under `sel` that the browser decoded (CSP and S3 both let them through)
DECODED = (
    "sel => [...document.querySelectorAll(sel + ' [data-testid=photos] img')].filter(i => i.naturalWidth > 0)"
)
PHOTOS_QUERY = (
    "query($id: ID!) { ticket(id: $id) { photos { id status contentType size uploadedBy caption } } }"
)


def png(width: int, height: int, stripe: tuple[int, int, int]) -> bytes:
    """A valid RGB PNG with horizontal stripes (compresses to little, decodes in any browser)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    light, dark = bytes(stripe), bytes(c // 2 for c in stripe)
    rows = b"".join(b"\x00" + (light if (y // 16) % 2 else dark) * width for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def loaded_images(page: Any, selector: str) -> int:
    """How many images under `selector` the browser actually decoded (CSP and S3 both allowed them)."""
    return int(
        page.eval_on_selector_all(
            f"{selector} img", "els => els.filter(e => e.complete && e.naturalWidth > 0).length"
        )
    )


def test_photos_from_submit_to_staff_card_and_back_to_the_customer_live(
    browsing: Any, api: Api, local_stack: Any
) -> None:
    staff = browsing.new_page(DESKTOP)
    staff.goto(browsing.url("/staff"))
    sign_in_staff(staff, local_stack)
    wait_live(staff)

    customer = browsing.new_page(DESKTOP)
    customer.goto(browsing.url("/"))
    customer.wait_for_selector("form")
    description = f"Oil drips under the engine ({uuid.uuid4().hex[:8]})"
    fill_form(customer, description=description)
    customer.set_input_files(
        "#f-photos",
        files=[
            {"name": "drip.png", "mimeType": "image/png", "buffer": png(160, 120, (200, 120, 40))},
            # wider than the resize setting (2048 px): sent as a smaller JPEG
            {"name": "underside.png", "mimeType": "image/png", "buffer": png(3000, 1500, (60, 90, 200))},
        ],
    )
    previews = customer.locator("[data-testid=photo-previews] li")
    previews.nth(1).wait_for()
    assert previews.count() == 2
    customer.fill("#f-photo-caption-0", "Oil drop on the garage floor")
    assert_accessible(customer)
    screenshot(customer, "photos-submit-form", DESKTOP)

    customer.get_by_role("button", name="Send request").click()
    reference = customer.locator("[data-testid=reference]").inner_text().strip()
    customer.wait_for_selector("[data-testid=uploads][data-done=true]")
    assert customer.locator(".upload-row[data-result=ok]").count() == 2, customer.locator(
        "[data-testid=uploads]"
    ).inner_text()
    link = customer.input_value("#tracking-link")
    ticket_id = link.split("id=")[1].split("&")[0]
    stored = api.call(PHOTOS_QUERY, {"id": ticket_id}, staff=True)["data"]["ticket"]["photos"]
    assert [(p["status"], p["uploadedBy"]) for p in stored] == [("READY", "CUSTOMER")] * 2
    assert stored[1]["contentType"] == "image/jpeg"  # resized in the browser
    assert stored[0]["caption"] == "Oil drop on the garage floor"

    # Both arrive on the staff card without a reload, as thumbnails the browser loads.
    card = f".board [data-reference='{reference}']"
    staff.wait_for_function(
        "sel => document.querySelectorAll(sel + ' [data-testid=photos] img').length === 2", arg=card
    )
    staff.wait_for_function(
        f"sel => ({DECODED})(sel).length === 2",
        arg=card,
    )
    assert staff.locator(f"{card} img[alt='Oil drop on the garage floor']").count() == 1

    # The customer's tracking page shows their two photos.
    tracker = browsing.new_page(PHONE)
    tracker.goto(link)
    tracker.wait_for_selector("[data-testid=photos] img")
    wait_live(tracker)
    tracker.evaluate("window.__noReload = 1")
    assert tracker.locator("[data-testid=photos] img").count() == 2

    # Staff add a photo: hidden from the customer until shown.
    staff.set_input_files(
        f"{card} input[type=file]",
        files=[{"name": "pads.png", "mimeType": "image/png", "buffer": png(200, 150, (90, 90, 90))}],
    )
    switch = staff.locator(f"{card} [data-testid=photo-visibility]")
    switch.wait_for()
    assert switch.get_attribute("aria-pressed") == "false"
    assert tracker.locator("[data-testid=photos] img").count() == 2
    staff.wait_for_function(
        f"sel => ({DECODED})(sel).length === 3",
        arg=card,
    )
    assert_accessible(staff)
    staff.locator(card).scroll_into_view_if_needed()
    screenshot(staff, "photos-staff-card", DESKTOP, full_page=False)

    switch.focus()
    staff.keyboard.press("Enter")  # keyboard-usable
    staff.locator(f"{card} [data-testid=photo-visibility][aria-pressed=true]").wait_for()
    tracker.wait_for_function("() => document.querySelectorAll('[data-testid=photos] img').length === 3")
    tracker.wait_for_function(f"() => ({DECODED})('body').length === 3")
    assert tracker.evaluate("window.__noReload") == 1, "the tracking page reloaded"
    assert_accessible(tracker)
    screenshot(tracker, "photos-tracking", PHONE)


def test_a_refused_upload_is_confirmed_so_its_slot_is_free_and_the_next_photo_goes(
    browsing: Any, api: Api
) -> None:
    """S3 refuses the first photo's POST: the row says so, the page still confirms it (the server
    answers REJECTED and frees the customer's slot, instead of a PENDING photo holding it for good),
    and the next photo, whose POST nothing stops, arrives READY."""
    customer = browsing.new_page(DESKTOP)
    customer.pitstop_log.allowed.append("status of 403")  # Chromium logs the refused POST
    refused: list[str] = []

    def refuse_first_upload(route: Any) -> None:
        # Only the POST to S3 is multipart; the GraphQL calls and everything else pass.
        is_upload = "multipart/form-data" in (route.request.headers.get("content-type") or "")
        if is_upload and not refused:
            refused.append(route.request.url)
            route.fulfill(
                status=403, content_type="application/xml", body="<Error><Code>AccessDenied</Code></Error>"
            )
        else:
            route.fallback()

    customer.route("**/*", refuse_first_upload)
    customer.goto(browsing.url("/"))
    customer.wait_for_selector("form")
    fill_form(customer, description=f"Squeal when braking ({uuid.uuid4().hex[:8]})")
    customer.set_input_files(
        "#f-photos",
        files=[
            {"name": "refused.png", "mimeType": "image/png", "buffer": png(120, 90, (200, 40, 40))},
            {"name": "disc.png", "mimeType": "image/png", "buffer": png(120, 90, (40, 160, 60))},
        ],
    )
    customer.locator("[data-testid=photo-previews] li").nth(1).wait_for()
    customer.get_by_role("button", name="Send request").click()
    customer.wait_for_selector("[data-testid=uploads][data-done=true]")
    customer.unroute("**/*", refuse_first_upload)

    rows = customer.locator(".upload-row")
    assert len(refused) == 1
    assert rows.nth(0).get_attribute("data-result") == "failed"
    assert "The upload was refused (HTTP 403)" in rows.nth(0).inner_text()  # the message as before
    assert rows.nth(1).get_attribute("data-result") == "ok", rows.nth(1).inner_text()

    link = customer.input_value("#tracking-link")
    ticket_id = link.split("id=")[1].split("&")[0]
    stored = api.call(PHOTOS_QUERY, {"id": ticket_id}, staff=True)["data"]["ticket"]["photos"]
    # REJECTED does not count against the 10 customer photos; PENDING would, for good.
    assert [p["status"] for p in stored] == ["REJECTED", "READY"], stored

    # The tracking page lists the refused photo as not accepted (url null) next to the one that went.
    tracker = browsing.new_page(PHONE)
    tracker.goto(link)
    tracker.wait_for_selector("[data-testid=photos] img")
    items = tracker.locator("[data-testid=photos] li")
    assert [items.nth(i).get_attribute("data-status") for i in range(items.count())] == ["REJECTED", "READY"]
    assert items.nth(0).locator(".placeholder.rejected").count() == 1
