"""Deleting a CRM on `make run`: sign in again, confirm with its name, see it
scheduled with its date and a countdown that moves, take an export that the worker
builds while the page follows its progress, cancel, and Enter it again."""

import re

import pytest
from playwright.sync_api import Page, expect

from .pages import PASSWORD, crm_row, sign_up, unique_email

pytestmark = pytest.mark.browser

COUNTDOWN = re.compile(r"^in (\d+) days? \((\d+) hr\)$")
SETTLE_MS = 10_000  # the worker polls its folder, then builds the export


def hours_left(text: str) -> int:
    match = COUNTDOWN.match(text)
    assert match, f"not a countdown: {text!r}"
    return int(match[1]) * 24 + int(match[2])


def test_schedule_deletion_then_cancel_and_enter_again(
    project_tab: Page, running_project, screenshot_dir
):
    page = project_tab
    sign_up(page, unique_email("leaving"), "Shop To Close")
    # The page's clock, to see the countdown move without waiting for it.
    page.clock.install()

    crm_row(page, "Shop To Close").get_by_role("link", name="Delete").click()
    # A risky step: the portal asks for the password again first.
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete Shop To Close")
    page.get_by_label("CRM name").fill("Shop To Close")
    page.get_by_role("button", name="Schedule deletion").click()

    expect(page).to_have_url(re.compile(r"/portal/$"))
    row = page.locator("#scheduled-for-deletion").locator(
        "tr", has_text="Shop To Close"
    )
    expect(row).to_contain_text("Scheduled for deletion on")
    expect(row).to_contain_text("UTC")
    expect(row.get_by_role("button", name="Enter")).to_have_count(0)
    countdown = row.locator("time[data-countdown]")
    expect(countdown).to_have_text(COUNTDOWN)  # empty until its script runs
    shown = countdown.inner_text()
    assert 6 * 24 <= hours_left(shown) < 7 * 24
    page.screenshot(path=str(screenshot_dir / "portal-deletion-scheduled.png"))
    page.clock.fast_forward("03:00:00")
    expect(countdown).not_to_have_text(shown)
    assert hours_left(countdown.inner_text()) == hours_left(shown) - 3

    # An export first: the page follows the worker's progress by itself.
    row.get_by_role("link", name="Download export").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Export of Shop To Close")
    status = page.locator("#export-status")
    with running_project.worker_paused():
        page.get_by_role("button", name="Make an export").click()
        expect(status).to_contain_text("Waiting…")
        expect(status.locator("progress")).to_be_visible()
    download_link = status.get_by_test_id("export-download")
    expect(download_link).to_be_visible(timeout=SETTLE_MS)
    expect(status.locator("progress")).to_have_count(0)
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.endswith(".zip")

    page.get_by_role("link", name="Back to my CRMs").click()
    row = page.locator("#scheduled-for-deletion").locator(
        "tr", has_text="Shop To Close"
    )
    row.get_by_role("button", name="Cancel deletion").click()
    expect(page.get_by_text("is cancelled. Nothing was lost.")).to_be_visible()
    expect(page.locator("#scheduled-for-deletion")).to_have_count(0)
    row = crm_row(page, "Shop To Close")
    expect(row).to_have_attribute("data-status", "active")

    row.get_by_role("button", name="Enter").click()
    expect(page).to_have_url(re.compile(r"/c/shop-to-close[\w-]*/$"))
    expect(page.get_by_text("You are signed in as")).to_be_visible()
