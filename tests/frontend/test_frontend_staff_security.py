"""The staff page's sign-in and board safety in real headless Chromium against the local stack:
TOTP two-step sign-in (turned on while signed in, then asked for at sign-in), the customer-visible
note field and its limit, and `mailto:` links that a crafted e-mail address cannot extend.

Each TOTP test makes its own staff user (through the local Cognito), so the shared staff user never
gets a second factor. Codes are computed from the secret the page shows (RFC 6238) and the local
Cognito checks them, so a wrong code really fails.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from browser_helpers import DESKTOP, ROOT, assert_accessible

TOTP_STEP = 30
PASSWORD = "Totp-Passw0rd!x"
SPOOFED_EMAIL = "x?bcc=spy%40evil.example&subject=hi@example.com"


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 TOTP as authenticator apps compute it for Cognito: SHA-1, 6 digits, 30 s steps.
    (Written out because it is ten lines and pyotp is not a dependency.)"""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // TOTP_STEP)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def fresh_code(secret: str, used: set[str]) -> str:
    """The current code, not one used before (Cognito takes each code once), and not in the last
    3 s of its step (so it is still current when the server checks it)."""
    while True:
        now = time.time()
        code = totp(secret, now)
        if code not in used and TOTP_STEP - now % TOTP_STEP > 3:
            used.add(code)
            return code
        time.sleep(1)


def wrong_code(secret: str) -> str:
    now = time.time()
    valid = {totp(secret, now + delta) for delta in (-TOTP_STEP, 0, TOTP_STEP)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


@dataclass
class StaffUser:
    username: str
    password: str


@pytest.fixture
def own_staff_user(local_stack: Any) -> Iterator[StaffUser]:
    if not local_stack.is_local:
        pytest.skip("creates a user in the local Cognito")
    cognito = local_stack.aws_client("cognito-idp")
    pool_id = local_stack.outputs["auth"]["user_pool_id"]
    user = StaffUser(f"totp-{uuid.uuid4().hex[:10]}@example.com", PASSWORD)
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=user.username,
        UserAttributes=[
            {"Name": "email", "Value": user.username},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=user.username, Password=user.password, Permanent=True
    )
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=user.username, GroupName="staff")
    yield user
    cognito.admin_delete_user(UserPoolId=pool_id, Username=user.username)


def submit_password(page: Any, user: StaffUser) -> None:
    page.fill("#staff-username", user.username)
    page.fill("#staff-password", user.password)
    page.get_by_role("button", name="Sign in").click()


def test_staff_turns_on_totp_then_signs_in_with_a_code(
    browsing: Any, local_stack: Any, own_staff_user: StaffUser
) -> None:
    page = browsing.new_page(DESKTOP)
    page.goto(browsing.url("/staff"))
    submit_password(page, own_staff_user)
    page.wait_for_selector("[data-testid=board]")

    # Turn TOTP on from the board: the secret as text and as a QR code drawn in the page.
    page.get_by_role("button", name="Set up two-step sign-in").click()
    setup = page.locator("[data-testid=two-step] [data-testid=totp-setup]")
    secret = setup.locator("#totp-secret").get_attribute("data-secret")
    assert secret and len(secret) >= 8
    qr = setup.get_by_role("img", name="QR code for your authenticator app")
    assert qr.evaluate("svg => svg.tagName.toLowerCase()") == "svg"
    assert qr.locator("path").get_attribute("d").count("h1v1h-1z") > 100  # a real code, modules drawn
    assert_accessible(page, exclude=[".board"])  # the set-up form; the board has its own test
    used: set[str] = set()
    page.pitstop_log.allowed.append("status of 400")  # the wrong codes, refused by Cognito
    page.fill("#two-step-code", wrong_code(secret))
    page.get_by_role("button", name="Turn on").click()
    page.get_by_text("That code is not right").wait_for()
    page.fill("#two-step-code", fresh_code(secret, used))
    page.get_by_role("button", name="Turn on").click()
    page.get_by_text("Two-step sign-in is on").wait_for()

    cognito = local_stack.aws_client("cognito-idp")
    user = cognito.admin_get_user(
        UserPoolId=local_stack.outputs["auth"]["user_pool_id"], Username=own_staff_user.username
    )
    assert user.get("UserMFASettingList") == ["SOFTWARE_TOKEN_MFA"]
    assert user.get("PreferredMfaSetting") == "SOFTWARE_TOKEN_MFA"

    # Signing in again (another browser: the local Cognito has no RevokeToken for Sign out) now asks
    # for a code after the password; a wrong one is refused.
    page = browsing.new_page(DESKTOP)
    page.pitstop_log.allowed.append("status of 400")
    page.goto(browsing.url("/staff"))
    submit_password(page, own_staff_user)
    page.wait_for_selector("#staff-totp-code")
    page.wait_for_selector("#staff-password", state="hidden")  # the code step replaces the password step
    page.fill("#staff-totp-code", wrong_code(secret))
    page.get_by_role("button", name="Verify").click()
    page.get_by_text("That code is not right").wait_for()
    page.fill("#staff-totp-code", fresh_code(secret, used))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_selector("[data-testid=board]")
    page.get_by_text("Two-step sign-in is on.").wait_for()


def test_board_note_is_labelled_customer_visible_and_mailto_cannot_add_headers(
    browsing: Any, api: Any, local_stack: Any
) -> None:
    body = api.call(
        """mutation($input: CreateTicketInput!) {
            createTicket(input: $input) { ticket { id reference } }
        }""",
        {
            "input": {
                "vehicle": {"make": "Saab", "model": "900"},
                "description": f"Crafted e-mail address {uuid.uuid4().hex[:8]}",
                "customer": {"name": "Mallory", "email": SPOOFED_EMAIL},
                "clientToken": str(uuid.uuid4()),
            }
        },
    )
    assert not body.get("errors"), body
    reference = body["data"]["createTicket"]["ticket"]["reference"]

    page = browsing.new_page(DESKTOP)
    page.goto(browsing.url("/staff"))
    page.fill("#staff-username", local_stack.staff_username)
    page.fill("#staff-password", local_stack.staff_password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("[data-testid=board]")
    page.fill("#find-ref", reference)
    page.get_by_role("button", name="Find").click()
    card = page.locator(f"[data-testid=find-result] [data-reference='{reference}']")
    card.wait_for()

    href = card.get_by_role("link", name=SPOOFED_EMAIL).get_attribute("href")
    parsed = urllib.parse.urlsplit(href)
    assert parsed.scheme == "mailto"
    assert parsed.query == "", href  # no bcc=, no subject=
    assert urllib.parse.unquote(parsed.path) == SPOOFED_EMAIL  # the whole address stays the recipient

    limits = json.loads((ROOT / "resolvers" / "limits.json").read_text(encoding="utf-8"))
    note = card.get_by_label("Public note to the customer (shown on their tracking page", exact=False)
    assert note.get_attribute("maxlength") == str(limits["noteMaxLength"])
