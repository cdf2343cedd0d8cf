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


def crm_row(page: Page, name: str) -> Locator:
    """The row of the CRM called ``name`` in My CRMs."""
    return page.locator("tr[id^=crm-]").filter(
        has=page.locator(".crm-name").get_by_text(name, exact=True)
    )
