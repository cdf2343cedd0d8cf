"""The portal's CRM list in a real browser: a row that turns ready by itself (on
`make run`, with its real worker), and a page that fits a phone."""

import re

import pytest
from playwright.sync_api import Page, expect

from crm.models import Crm
from tests.factories import AccountFactory, CrmFactory, OwnerCrmUserFactory

from .pages import crm_row, sign_up, unique_email

pytestmark = pytest.mark.browser

SETTLE_MS = 10_000  # the worker polls its folder, then provisions on SQLite

PHONE_VIEWPORT = {"width": 375, "height": 812}


def test_row_of_a_crm_being_created_turns_active_without_a_reload(
    project_tab: Page, running_project
):
    """On `make run`: the worker provisions the new CRM while the page polls its
    row through htmx, which swaps the ready row in."""
    page = project_tab
    sign_up(page, unique_email("owner"), "Alpha Traders")
    ready = crm_row(page, "Alpha Traders")
    expect(ready).to_have_attribute("data-status", "active")
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url))

    page.get_by_role("link", name="Create new CRM").click()
    page.locator("input[name=name]").fill("Beta Works")
    # The worker is held until the page has shown the CRM being created, as a busy
    # worker would; without that it can finish before the page is drawn.
    with running_project.worker_paused():
        page.get_by_role("button", name="Create CRM").click()
        expect(page).to_have_url(re.compile(r"/portal/$"))
        row = crm_row(page, "Beta Works")
        expect(row).to_have_attribute("data-status", "provisioning")
        expect(row.get_by_role("status")).to_have_text("Being created…")
        message = page.locator(".messages .flash")
        expect(message).to_have_text(
            "Beta Works is being created. It will be ready in a few seconds."
        )
        expect(row.get_by_role("button", name="Enter")).to_have_count(0)
        # Only the row being created polls; the ready one has its Enter button.
        row_path = row.get_attribute("hx-get")
        assert re.fullmatch(r"/portal/crms/\d+/row/", row_path), row_path
        row_url = re.compile(rf"{re.escape(row_path)}$")
        assert ready.get_attribute("hx-get") is None
        expect(ready.get_by_role("button", name="Enter")).to_be_visible()
        with page.expect_request(row_url, timeout=3_000):
            pass
        with page.expect_request(row_url, timeout=3_000):
            pass
        expect(row).to_have_attribute("data-status", "provisioning")
        page.evaluate("window.notReloaded = true")

    # ...and the real worker finishes it.
    expect(row).to_have_attribute("data-status", "active", timeout=SETTLE_MS)
    expect(row).to_contain_text("Active")
    # The message above the list says so too, instead of "being created".
    expect(message).to_have_text("Beta Works is ready.")
    enter = row.get_by_role("button", name="Enter")
    expect(enter).to_be_visible()
    assert page.evaluate("window.notReloaded") is True  # swapped in place

    # A ready row stops polling.
    polls_when_ready = sum(bool(row_url.search(url)) for url in polls)
    page.wait_for_timeout(1_500)
    assert sum(bool(row_url.search(url)) for url in polls) == polls_when_ready

    enter.click()
    expect(page).to_have_url(re.compile(r"/c/beta-works[\w-]*/$"))
    expect(page.locator("main")).to_contain_text("You are signed in as")


def test_crm_list_fits_a_375px_phone_without_sideways_scrolling(
    tab: Page, login_browser
):
    account = AccountFactory(email="a.rather.long.address@example-company.com")
    for name, slug, status in [
        ("Olga's Shop", "olgas-shop", Crm.Status.ACTIVE),
        (
            "International Freight Forwarding and Logistics Group Limited",
            "international-freight-forwarding-and",
            Crm.Status.ACTIVE,
        ),
        (
            "Kundenbeziehungsmanagementsystemverwaltungsgesellschaft",
            "kundenbeziehungsmanagementsystemverwaltu",
            Crm.Status.ACTIVE,
        ),
        (
            "New Branch Being Created",
            "new-branch-being-created",
            Crm.Status.PROVISIONING,
        ),
    ]:
        OwnerCrmUserFactory(
            crm=CrmFactory(name=name, slug=slug, owner=account, status=status)
        )
    login_browser(account)
    tab.set_viewport_size(PHONE_VIEWPORT)

    tab.goto("/portal/")
    expect(tab.locator("tbody tr")).to_have_count(4)
    expect(tab.get_by_role("button", name="Enter")).to_have_count(3)
    # The table turns into stacked cards, without its header row.
    expect(tab.locator("table.crm-list thead")).to_be_hidden()
    widths = tab.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    scroll_width, inner_width = widths
    assert inner_width == PHONE_VIEWPORT["width"]
    assert scroll_width <= inner_width, f"sideways scroll: {widths}"
