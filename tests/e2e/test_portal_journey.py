"""A new CRM owner's whole first visit, on the project as `make run` serves it:
sign up with a first CRM, create a second one and enter it, then add a third CRM
(someone else's, where they have a user) by a connection code and enter that one
too. Everything they need is made through the pages, by them or by that someone."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import new_context
from .pages import PASSWORD, add_user_with_password, crm_row, sign_up, unique_email

pytestmark = pytest.mark.browser

SETTLE_MS = 10_000  # the real worker provisions a new CRM


def someone_elses_crm_with_a_user(
    browser: Browser, base_url: str, name: str, email: str
) -> str:
    """Another owner signs up with a CRM and gives ``name`` a user in it; the
    CRM's address."""
    context = new_context(browser, base_url)
    try:
        page = context.new_page()
        sign_up(page, unique_email("gamma-owner"), "Gamma Logistics")
        crm_row(page, "Gamma Logistics").get_by_role("button", name="Enter").click()
        expect(page).to_have_url(re.compile(r"/c/gamma-logistics[\w-]*/$"))
        crm_url = page.url
        add_user_with_password(page, crm_url, name, email)
        return crm_url
    finally:
        context.close()


def test_sign_up_create_enter_and_connect_a_crm(
    project_tab: Page, chromium_browser: Browser, running_project, screenshot_dir
):
    page = project_tab
    email = unique_email("olga")
    staff_email = unique_email("olga-gamma")
    # Someone else's CRM, where our new owner already works as a plain user.
    gamma_url = someone_elses_crm_with_a_user(
        chromium_browser, running_project.url, "Olga Gamma", staff_email
    )

    # 1. Sign up: the Account and its first CRM, ready at once.
    sign_up(page, email, "Olga's Shop")
    expect(page.get_by_role("heading", name="My CRMs")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(1)
    first_row = crm_row(page, "Olga's Shop")
    expect(first_row).to_contain_text("Owner")
    expect(first_row).to_have_attribute("data-status", "active")
    expect(first_row.get_by_role("button", name="Enter")).to_be_visible()

    # 2. Create a second CRM; its row settles to Active with an Enter button.
    page.get_by_role("link", name="Create new CRM").click()
    expect(page).to_have_url(re.compile(r"/portal/crms/new/$"))
    page.locator("input[name=name]").fill("Second Branch")
    page.get_by_role("button", name="Create CRM").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.locator(".flash-success")).to_contain_text("Second Branch")
    second_row = crm_row(page, "Second Branch")
    expect(second_row).to_have_attribute("data-status", "active", timeout=SETTLE_MS)
    expect(second_row).to_contain_text("Active")
    expect(second_row.get_by_role("button", name="Enter")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(2)

    # 3. Enter it: one click lands inside, signed in as its owner.
    second_row.get_by_role("button", name="Enter").click()
    expect(page).to_have_url(re.compile(r"/c/second-branch[\w-]*/$"))
    expect(page.get_by_role("heading", name="Second Branch")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"You are signed in as {email}")
    expect(page.locator("main")).to_contain_text("(Owner)")

    # 4. Back to the portal: the CRM's own login did not end the Account's session.
    page.get_by_role("link", name="All my CRMs").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.locator("tbody tr")).to_have_count(2)

    # 5. In the same browser, sign in to Gamma with its own credentials and make a
    #    connection code in My profile.
    page.goto(gamma_url + "login/")
    expect(page.locator("main")).to_contain_text(
        f"You are signed in to the portal as {email}"
    )
    page.locator("input[name=email]").fill(staff_email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(gamma_url)
    expect(page.locator("main")).to_contain_text("You are signed in as Olga Gamma")

    page.goto(gamma_url + "profile/")
    page.get_by_role("button", name="Make a connection code").click()
    code_box = page.get_by_test_id("connection-code")
    expect(code_box).to_have_text(re.compile(r"^[A-Z0-9]{5}-[A-Z0-9]{5}$"))
    code = code_box.inner_text()

    # Leave Gamma, so that entering it later can only work through the portal.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(gamma_url + "login/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    # 6. Add existing CRM: paste the code, check what it links, confirm.
    page.goto("/portal/crms/connect/")
    page.locator("input[name=code]").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Add this CRM?")).to_be_visible()
    expect(page.get_by_test_id("connect-crm-name")).to_have_text("Gamma Logistics")
    expect(page.get_by_test_id("connect-role")).to_have_text("Olga Gamma (User)")
    # Nothing is linked before the confirmation: another tab still lists two.
    other_tab = page.context.new_page()
    other_tab.goto("/portal/")
    expect(other_tab.locator("tbody tr")).to_have_count(2)
    other_tab.close()
    page.screenshot(path=screenshot_dir / "portal-connect-confirm.png", full_page=True)

    page.get_by_role("button", name="Add to my CRMs").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.locator(".flash-success")).to_contain_text(
        "Gamma Logistics is now in your list"
    )
    expect(page.locator("tbody tr")).to_have_count(3)
    gamma_row = crm_row(page, "Gamma Logistics")
    expect(gamma_row).to_contain_text("User")
    expect(gamma_row).to_have_attribute("data-status", "active")
    page.screenshot(path=screenshot_dir / "portal-crm-list.png", full_page=True)

    # 7. Enter Gamma from the portal: signed in as the linked user, not as an owner.
    gamma_row.get_by_role("button", name="Enter").click()
    expect(page).to_have_url(gamma_url)
    expect(page.locator("main")).to_contain_text("You are signed in as Olga Gamma")
    expect(page.locator("main")).to_contain_text("(User)")
    assert (screenshot_dir / "portal-connect-confirm.png").stat().st_size > 0
    assert (screenshot_dir / "portal-crm-list.png").stat().st_size > 0
