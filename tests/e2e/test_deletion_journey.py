"""Deleting a CRM in a real browser: confirm with its name and the password, see it
scheduled with its date, cancel, and Enter it again."""

import pytest
from playwright.sync_api import Page, expect

from crm.models import Crm
from tests.factories import (
    DEFAULT_PASSWORD,
    AccountFactory,
    CrmFactory,
    OwnerCrmUserFactory,
)

pytestmark = pytest.mark.browser


def test_schedule_deletion_then_cancel_and_enter_again(
    tab: Page, login_browser, screenshot_dir
):
    account = AccountFactory(email="leaving@example.com")
    crm = CrmFactory(name="Shop To Close", slug="shop-to-close", owner=account)
    owner_user = OwnerCrmUserFactory(crm=crm)
    login_browser(account)

    tab.goto("/portal/")
    row = tab.locator(f"tr#crm-{crm.pk}")
    row.get_by_role("link", name="Delete").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Delete Shop To Close")
    tab.get_by_label("CRM name").fill("Shop To Close")
    tab.get_by_label("Your password").fill(DEFAULT_PASSWORD)
    tab.get_by_role("button", name="Schedule deletion").click()

    expect(tab).to_have_url(f"{tab.url.split('/portal/')[0]}/portal/")
    crm.refresh_from_db()
    assert crm.status == Crm.Status.PENDING_DELETION
    scheduled = tab.locator("#scheduled-for-deletion")
    row = scheduled.locator(f"tr#crm-{crm.pk}")
    expect(row).to_contain_text(str(crm.deletion_due_at.year))
    expect(row).to_contain_text("UTC")
    expect(row.get_by_role("button", name="Enter")).to_have_count(0)
    tab.screenshot(path=str(screenshot_dir / "portal-deletion-scheduled.png"))

    row.get_by_role("button", name="Cancel deletion").click()
    expect(tab.get_by_text("is cancelled. Nothing was lost.")).to_be_visible()
    crm.refresh_from_db()
    assert crm.status == Crm.Status.ACTIVE

    tab.locator(f"tr#crm-{crm.pk}").get_by_role("button", name="Enter").click()
    expect(tab.get_by_text("You are signed in as")).to_be_visible()
    expect(tab.get_by_text(owner_user.name).first).to_be_visible()
