"""An owner on `make run` turns on an authenticator app and a passkey, and is asked
for them when signing in and again before deleting a CRM. The passkey lives in
Chromium's virtual authenticator (DevTools' WebAuthn domain); the app's codes are
computed from the secret the page shows, as the app on a phone would."""

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import Page, expect

from .conftest import new_context
from .pages import PASSWORD, crm_row, sign_in, sign_up, unique_email

pytestmark = pytest.mark.browser


def app_code(secret: str, not_one_of: set[str]) -> str:
    """The code the app shows now; a code already used waits for the next one,
    as a person would (a code works once)."""
    while True:
        code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
        if code not in not_one_of:
            not_one_of.add(code)
            return code
        time.sleep(1)


def add_virtual_passkey_device(page: Page) -> None:
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable", {"enableUI": False})
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def sign_out(page: Page) -> None:
    page.goto("/accounts/logout/")
    page.locator("main form button[type=submit]").click()


@pytest.fixture
def localhost_tab(chromium_browser, running_project):
    """WebAuthn takes a domain, not an address, as the site's id: `localhost`."""
    url = running_project.url.replace("127.0.0.1", "localhost")
    context = new_context(chromium_browser, url)
    yield context.new_page()
    context.close()


def confirm_email(page: Page, running_project, email: str) -> None:
    """Follow the link of the confirmation `make run` printed (its e-mail goes to
    the console): a second factor needs a confirmed address."""
    deadline = time.monotonic() + 20
    while True:
        log = running_project.log.read_text(errors="replace")
        after = log[log.find(f"To: {email}") :] if f"To: {email}" in log else ""
        link = re.search(r"https?://\S+(/accounts/confirm-email/[^/\s]+/)", after)
        if link or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert link, running_project.output()
    page.goto(link.group(1))
    page.locator("main form button[type=submit]").click()


def test_app_and_passkey_at_sign_in_and_before_deleting(
    localhost_tab: Page, running_project
):
    page = localhost_tab
    email = unique_email("guarded")
    sign_up(page, email, "Guarded Shop")
    confirm_email(page, running_project, email)
    add_virtual_passkey_device(page)
    used: set[str] = set()

    # The authenticator app, after giving the password once more.
    page.goto("/accounts/2fa/")
    page.locator("a[href$='/2fa/totp/activate/']").click()
    page.wait_for_load_state()
    if "/reauthenticate/" in page.url:  # unless the sign-up was a moment ago
        page.locator("input[name=password]").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.locator("input[name=code]").fill(app_code(secret, used))
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Authenticator app activated")

    # A passkey.
    page.goto("/accounts/2fa/webauthn/add/")
    page.locator("input[name=name]").fill("Laptop")
    page.locator("#mfa_webauthn_add").click()
    expect(page.locator("main")).to_contain_text("Security key added")

    # Signing in: the password alone is not enough; the app's code is.
    sign_out(page)
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.locator("input[name=code]").fill(app_code(secret, used))
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/portal/$"))

    # And with the passkey instead.
    sign_out(page)
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.locator("#mfa_webauthn_authenticate").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))

    # Deleting a CRM asks for a factor again, not the password.
    crm_row(page, "Guarded Shop").get_by_role("link", name="Delete").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/reauthenticate/"))
    expect(page.locator("input[name=password]")).to_have_count(0)
    page.locator("input[name=code]").fill(app_code(secret, used))
    page.locator("main form button[type=submit]").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete Guarded Shop")
    page.get_by_label("CRM name").fill("Guarded Shop")
    page.get_by_role("button", name="Schedule deletion").click()
    expect(page.locator("#scheduled-for-deletion")).to_contain_text("Guarded Shop")


def test_signing_in_with_the_password_works_until_a_factor_is_on(
    project_tab: Page,
):
    email = unique_email("plain")
    sign_up(project_tab, email, "Plain Shop")
    sign_out(project_tab)
    sign_in(project_tab, email, PASSWORD)
