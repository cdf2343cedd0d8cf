"""The portal's CRM list in a real browser: a row that turns ready by itself, and a
page that fits a phone."""

import re

import pytest
from playwright.sync_api import Page, expect

from crm.models import Crm
from crm.tasks import provision_crm
from tests.factories import AccountFactory, CrmFactory, OwnerCrmUserFactory

pytestmark = pytest.mark.browser

PHONE_VIEWPORT = {"width": 375, "height": 812}


def test_row_of_a_crm_being_created_turns_active_without_a_reload(
    tab: Page, live_server, login_browser
):
    account = AccountFactory(email="owner@example.com", name="Ola Owner")
    ready = CrmFactory(name="Alpha Traders", owner=account)
    OwnerCrmUserFactory(crm=ready)
    # Created, but the worker has not provisioned it yet.
    pending = CrmFactory(
        name="Beta Works", owner=account, status=Crm.Status.PROVISIONING
    )
    OwnerCrmUserFactory(crm=pending)
    row_url = re.compile(rf"/portal/crms/{pending.pk}/row/$")
    polls: list[str] = []
    tab.on("request", lambda request: polls.append(request.url))
    login_browser(account)

    tab.goto("/portal/")
    row = tab.locator(f"tr#crm-{pending.pk}")
    expect(row).to_have_attribute("data-status", "provisioning")
    expect(row.get_by_role("status")).to_have_text("Being created…")
    expect(row.get_by_role("button", name="Enter")).to_have_count(0)
    # Only the row being created polls; the ready one has its Enter button already.
    assert row.get_attribute("hx-get") == f"/portal/crms/{pending.pk}/row/"
    ready_row = tab.locator(f"tr#crm-{ready.pk}")
    assert ready_row.get_attribute("hx-get") is None
    expect(ready_row.get_by_role("button", name="Enter")).to_be_visible()
    # The page polls the row while the CRM is still being created...
    with tab.expect_request(row_url, timeout=3_000):
        pass
    expect(row).to_have_attribute("data-status", "provisioning")
    tab.evaluate("window.notReloaded = true")

    # ...and the worker finishes it.
    provision_crm.delay(pending.pk)
    pending.refresh_from_db()
    assert pending.status == Crm.Status.ACTIVE

    expect(row).to_have_attribute("data-status", "active", timeout=5_000)
    expect(row).to_contain_text("Active")
    enter = row.get_by_role("button", name="Enter")
    expect(enter).to_be_visible()
    assert tab.evaluate("window.notReloaded") is True  # swapped in place

    # A ready row stops polling.
    polls_when_ready = sum(bool(row_url.search(url)) for url in polls)
    tab.wait_for_timeout(1_500)
    assert sum(bool(row_url.search(url)) for url in polls) == polls_when_ready

    enter.click()
    expect(tab).to_have_url(f"{live_server.url}/c/{pending.slug}/")
    expect(tab.locator("main")).to_contain_text("You are signed in as")


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
