"""What a person does on the pages, for the journeys on ``make run``: every row
they need comes from a form, never from a factory."""

import re
import uuid

from playwright.sync_api import Locator, Page, expect

from portal.management.commands.demo_data import (
    DEMO_PASSWORD,
    OWNER_EMAIL,
    STAFF_EMAIL,
)

PASSWORD = "plum-orchard-ladder-42"
# The demo logins `make run` prints.
DEMO_LOGINS = {"owner": OWNER_EMAIL, "staff": STAFF_EMAIL, "password": DEMO_PASSWORD}


def unique_email(who: str) -> str:
    """An address no other test on the same server signs up with."""
    return f"{who}-{uuid.uuid4().hex[:8]}@shop.example"


def sign_up(page: Page, email: str, crm_name: str, password: str = PASSWORD) -> None:
    """The sign-up form: an Account and its first CRM, landing on My CRMs."""
    page.goto("/accounts/signup/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=crm_name]").fill(crm_name)
    page.locator("input[name=password1]").fill(password)
    page.locator("input[name=password2]").fill(password)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))


def sign_in(page: Page, email: str, password: str) -> None:
    """The portal's sign-in form."""
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))


def open_menu(page: Page) -> None:
    """On a phone the header's links and a CRM's sidebar fold behind the menu
    button: open it (a no-op on a desktop, where they are always shown)."""
    button = page.locator(".menu-button")
    if button.is_visible() and not page.locator("#nav-toggle").is_checked():
        button.click()


def crm_row(within: Page | Locator, name: str) -> Locator:
    """The row of the CRM called ``name`` in My CRMs (or in a part of it)."""
    page = within.page if isinstance(within, Locator) else within
    return within.locator("tr[id^=crm-]").filter(
        has=page.locator(".crm-name").get_by_text(name, exact=True)
    )


def add_user_with_password(page: Page, crm_url: str, name: str, email: str) -> None:
    """Settings → Users → Add user, with a password instead of an invitation."""
    page.goto(crm_url + "settings/users/new/")
    page.get_by_label("Name", exact=True).fill(name)
    page.locator("input[name=email]").fill(email)
    page.get_by_label("Email an invitation so they choose their own password").uncheck()
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_label("Role").select_option(label="User")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text(f"{name} is added")
