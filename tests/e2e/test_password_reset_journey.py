"""A staff user who forgot their password, in a real browser: from the CRM's login
page through "Forgot password?", the emailed link and a new password, to signing in
with it. On a phone's screen, and with no serious accessibility violation."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from crm.models import AuditEvent
from tests.e2e.test_accessibility import PHONE, axe_violations, horizontal_overflow
from tests.factories import (
    DEFAULT_PASSWORD,
    CrmFactory,
    CrmUserFactory,
    OwnerCrmUserFactory,
)

pytestmark = pytest.mark.browser

NEW_PASSWORD = "amber-window-sparrow-31"


def check_phone_page(page: Page, problems: list[str]) -> None:
    for violation in axe_violations(page):
        problems.append(f"{page.url}: {violation}")
    if (overflow := horizontal_overflow(page)) > 0:
        problems.append(f"{page.url}: {overflow}px wider than the screen")


def test_staff_user_resets_a_forgotten_password_from_the_login_page(
    tab: Page, live_server
):
    page = tab
    page.set_viewport_size(PHONE)
    crm = CrmFactory(name="Harbour Supplies", slug="harbour")
    OwnerCrmUserFactory(crm=crm)
    staff = CrmUserFactory(crm=crm, email="mira@harbour.example", name="Mira Staff")
    problems: list[str] = []

    # 1. The login page, where the password is not remembered.
    page.goto(f"/c/{crm.slug}/login/")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page).to_have_url(re.compile(r"/c/harbour/login/forgot/$"))
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    check_phone_page(page, problems)

    # 2. Ask for a link: the page answers without saying whether the email exists.
    page.get_by_label("Email").fill(staff.email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page).to_have_url(re.compile(r"/c/harbour/login/forgot/sent/$"))
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    check_phone_page(page, problems)

    # 3. The email (Django's outbox in tests) holds the link to this CRM.
    assert [message.to for message in mail.outbox] == [[staff.email]]
    link = re.search(
        r"https?://\S+(/c/harbour/password-reset/\S+/)", mail.outbox[0].body
    )
    assert link, mail.outbox[0].body

    # 4. Open it: the browser leaves the token's URL at once.
    page.goto(link[1])
    expect(page).to_have_url(re.compile(r"/c/harbour/password-reset/$"))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    expect(page.get_by_text(staff.email)).to_be_visible()
    check_phone_page(page, problems)

    # 5. A mistyped repeat is caught, then the new password is set.
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD + "x")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("The two new passwords differ.")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()

    # 6. Back at the login page: sign in with the new password.
    expect(page).to_have_url(re.compile(r"/c/harbour/login/$"))
    expect(page.locator(".flash-success")).to_contain_text(
        "Your password has been changed"
    )
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/c/harbour/$"))
    expect(page.locator(".sidebar .user-name")).to_have_text("Mira Staff")

    # 7. The link was single use.
    page.goto(link[1])
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    expect(page.get_by_text("already been used")).to_be_visible()

    assert AuditEvent.objects.filter(
        crm=crm, action="crm_user.password_reset", actor_crm_user=staff
    ).exists()
    assert not problems, "\n".join(problems)


def test_an_admin_sends_a_reset_link_from_the_users_edit_page(tab: Page, live_server):
    page = tab
    page.set_viewport_size(PHONE)
    crm = CrmFactory(name="Harbour Supplies", slug="harbour")
    OwnerCrmUserFactory(crm=crm)
    admin = CrmUserFactory(crm=crm, email="ada@harbour.example", role="admin")
    staff = CrmUserFactory(crm=crm, email="mira@harbour.example", name="Mira Staff")
    problems: list[str] = []
    page.goto(f"/c/{crm.slug}/login/")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/c/harbour/$"))

    page.goto(f"/c/{crm.slug}/settings/users/{staff.pk}/")
    check_phone_page(page, problems)
    page.get_by_role("link", name="Set a new password").click()
    expect(page.get_by_label("New password", exact=True)).to_be_visible()
    check_phone_page(page, problems)
    page.get_by_role("link", name="Cancel").click()

    page.get_by_role("link", name="Send a password reset link").click()
    expect(page.get_by_text(staff.email)).to_be_visible()
    check_phone_page(page, problems)
    assert mail.outbox == []  # nothing goes before the confirmation
    page.get_by_role("button", name="Send the link").click()

    expect(page).to_have_url(re.compile(rf"/c/harbour/settings/users/{staff.pk}/$"))
    expect(page.locator(".flash-success")).to_contain_text(staff.email)
    assert [message.to for message in mail.outbox] == [[staff.email]]
    assert not problems, "\n".join(problems)
