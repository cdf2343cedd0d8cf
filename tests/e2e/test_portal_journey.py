"""A new CRM owner's whole first visit, in a real browser: sign up with a first CRM,
create a second one and enter it, then add a third CRM (someone else's, where they
have a user) by a connection code and enter that one too."""

import re

import pytest
from playwright.sync_api import Page, expect

from crm.models import Crm, CrmUser
from tests.factories import (
    DEFAULT_PASSWORD,
    CrmFactory,
    CrmUserFactory,
    OwnerCrmUserFactory,
)

pytestmark = pytest.mark.browser

EMAIL = "olga@shop.example"
PASSWORD = "plum-orchard-ladder-42"
SETTLE_MS = 5_000  # the htmx row polls every second while a CRM is being created


def url_is(live_server, path: str) -> re.Pattern[str]:
    """The full URL of ``path`` on the live server, nothing before or after it."""
    return re.compile(rf"^{re.escape(live_server.url + path)}$")


def crm_row(page: Page, crm: Crm):
    return page.locator(f"tr#crm-{crm.pk}")


def sign_up(page: Page, live_server, crm_name: str) -> None:
    page.goto("/accounts/signup/")
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=crm_name]").fill(crm_name)
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.get_by_role("button", name="Create account and CRM").click()
    expect(page).to_have_url(url_is(live_server, "/portal/"))


def test_sign_up_create_enter_and_connect_a_crm(tab: Page, live_server, screenshot_dir):
    page = tab
    # Someone else's CRM, where our new owner already works as a plain user.
    gamma = CrmFactory(name="Gamma Logistics", slug="gamma-logistics")
    OwnerCrmUserFactory(crm=gamma)
    staff = CrmUserFactory(crm=gamma, email="olga@gamma.example", name="Olga Gamma")

    # 1. Sign up: the Account and its first CRM, ready at once.
    sign_up(page, live_server, "Olga's Shop")
    first = Crm.objects.get(owner__email=EMAIL)
    assert first.status == Crm.Status.ACTIVE
    expect(page.get_by_role("heading", name="My CRMs")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(1)
    first_row = crm_row(page, first)
    expect(first_row.locator(".crm-name")).to_have_text("Olga's Shop")
    expect(first_row).to_contain_text("Owner")
    expect(first_row).to_have_attribute("data-status", "active")
    expect(first_row.get_by_role("button", name="Enter")).to_be_visible()

    # 2. Create a second CRM; its row settles to Active with an Enter button.
    page.get_by_role("link", name="Create new CRM").click()
    expect(page).to_have_url(url_is(live_server, "/portal/crms/new/"))
    page.locator("input[name=name]").fill("Second Branch")
    page.get_by_role("button", name="Create CRM").click()
    expect(page).to_have_url(url_is(live_server, "/portal/"))
    expect(page.locator(".flash-success")).to_contain_text("Second Branch")
    second = Crm.objects.get(owner__email=EMAIL, name="Second Branch")
    second_row = crm_row(page, second)
    expect(second_row).to_have_attribute("data-status", "active", timeout=SETTLE_MS)
    expect(second_row).to_contain_text("Active")
    expect(second_row.get_by_role("button", name="Enter")).to_be_visible(
        timeout=SETTLE_MS
    )
    expect(page.locator("tbody tr")).to_have_count(2)

    # 3. Enter it: one click lands inside, signed in as its owner.
    second_row.get_by_role("button", name="Enter").click()
    expect(page).to_have_url(url_is(live_server, f"/c/{second.slug}/"))
    expect(page.get_by_role("heading", name="Second Branch")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"You are signed in as {EMAIL}")
    expect(page.locator("main")).to_contain_text("(Owner)")

    # 4. Back to the portal: the CRM's own login did not end the Account's session.
    page.get_by_role("link", name="All my CRMs").click()
    expect(page).to_have_url(url_is(live_server, "/portal/"))
    expect(page.locator("tbody tr")).to_have_count(2)

    # 5. In the same browser, sign in to Gamma with its own credentials and make a
    #    connection code in My profile.
    page.goto(f"/c/{gamma.slug}/login/")
    expect(page.locator("main")).to_contain_text(
        f"You are signed in to the portal as {EMAIL}"
    )
    page.locator("input[name=email]").fill(staff.email)
    page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(url_is(live_server, f"/c/{gamma.slug}/"))
    expect(page.locator("main")).to_contain_text("You are signed in as Olga Gamma")

    page.goto(f"/c/{gamma.slug}/profile/")
    page.get_by_role("button", name="Make a connection code").click()
    code_box = page.get_by_test_id("connection-code")
    expect(code_box).to_have_text(re.compile(r"^[A-Z0-9]{5}-[A-Z0-9]{5}$"))
    code = code_box.inner_text()

    # Leave Gamma, so that entering it later can only work through the portal.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(url_is(live_server, f"/c/{gamma.slug}/login/"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    # 6. Add existing CRM: paste the code, check what it links, confirm.
    page.goto("/portal/crms/connect/")
    page.locator("input[name=code]").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Add this CRM?")).to_be_visible()
    expect(page.get_by_test_id("connect-crm-name")).to_have_text("Gamma Logistics")
    expect(page.get_by_test_id("connect-role")).to_have_text("Olga Gamma (User)")
    staff.refresh_from_db()
    assert staff.account_id is None  # nothing is linked before the confirmation
    page.screenshot(path=screenshot_dir / "portal-connect-confirm.png", full_page=True)

    page.get_by_role("button", name="Add to my CRMs").click()
    expect(page).to_have_url(url_is(live_server, "/portal/"))
    expect(page.locator(".flash-success")).to_contain_text(
        "Gamma Logistics is now in your list"
    )
    expect(page.locator("tbody tr")).to_have_count(3)
    gamma_row = crm_row(page, gamma)
    expect(gamma_row.locator(".crm-name")).to_have_text("Gamma Logistics")
    expect(gamma_row).to_contain_text("User")
    expect(gamma_row).to_have_attribute("data-status", "active")
    staff.refresh_from_db()
    assert staff.account.email == EMAIL
    page.screenshot(path=screenshot_dir / "portal-crm-list.png", full_page=True)

    # 7. Enter Gamma from the portal: signed in as the linked user, not as an owner.
    gamma_row.get_by_role("button", name="Enter").click()
    expect(page).to_have_url(url_is(live_server, f"/c/{gamma.slug}/"))
    expect(page.locator("main")).to_contain_text("You are signed in as Olga Gamma")
    expect(page.locator("main")).to_contain_text("(User)")
    assert (screenshot_dir / "portal-connect-confirm.png").stat().st_size > 0
    assert (screenshot_dir / "portal-crm-list.png").stat().st_size > 0
    assert CrmUser.objects.filter(account__email=EMAIL).count() == 3
