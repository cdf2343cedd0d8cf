"""Resetting a portal password in a real browser, from the form to the email's link
to signing in again; and each page on the way, as a phone and a desktop show it:
no serious accessibility violation, nothing wider than the screen."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from tests.e2e.test_accessibility import check_page
from tests.factories import AccountFactory

pytestmark = pytest.mark.browser


def test_password_reset_journey(tab: Page, db):
    AccountFactory(email="owner@shop.example", language="en")
    problems: list[str] = []
    check_page(tab, "/accounts/password/reset/", problems)

    tab.goto("/accounts/password/reset/")
    expect(tab.get_by_role("heading", level=1)).to_have_text("Reset your password")
    tab.get_by_label("Email").fill("owner@shop.example")
    tab.get_by_role("button", name="Send me the link").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    check_page(tab, tab.url, problems)

    (message,) = mail.outbox
    assert message.subject == "Reset your CRM Portal password"
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", message.body)
    tab.goto(link.group(0))
    expect(tab.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    check_page(tab, tab.url, problems)
    tab.locator("input[name=password1]").fill("reset-secret-5678")
    tab.locator("input[name=password2]").fill("reset-secret-5678")
    tab.get_by_role("button", name="Change password").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Password changed")
    check_page(tab, tab.url, problems)

    # The email's link is spent.
    tab.goto(link.group(0))
    expect(tab.get_by_role("heading", level=1)).to_have_text(
        "This link no longer works"
    )
    check_page(tab, tab.url, problems)

    tab.goto("/accounts/login/")
    tab.get_by_label("Email").fill("owner@shop.example")
    tab.get_by_label("Password").fill("reset-secret-5678")
    tab.get_by_role("button", name="Sign in", exact=True).click()
    expect(tab).to_have_url(re.compile(r"/portal/$"))
    check_page(tab, "/accounts/logout/", problems)
    assert not problems, "\n".join(problems)
