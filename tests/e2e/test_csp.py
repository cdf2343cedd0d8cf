"""The Content-Security-Policy in a real browser, on the project as ``make run``
serves it: the main pages load and work (htmx, the record picker, confirmations, the
status colours, the API docs, the admin) without the browser refusing anything."""

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.factories import AccountFactory, CrmFactory

from .pages import crm_row, sign_up, unique_email

pytestmark = pytest.mark.browser

REFUSED = re.compile(r"Content Security Policy|Content-Security-Policy", re.I)


class Refusals:
    """Every CSP refusal and uncaught script error a tab reports, with its page."""

    def __init__(self, page: Page):
        self.page = page
        self.seen: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.seen.append(f"{page.url}: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if REFUSED.search(message.text):
            self.seen.append(f"{self.page.url}: {message.text}")


def test_the_main_pages_run_under_the_policy(project_tab: Page):
    tab = project_tab
    refusals = Refusals(tab)

    tab.goto("/")
    expect(tab.locator("main")).to_be_visible()
    sign_up(tab, unique_email("csp"), "Policy Traders")
    # My CRMs polls the new CRM's row through htmx until it is ready.
    crm_row(tab, "Policy Traders").get_by_role("button", name="Enter").click()
    expect(tab).to_have_url(re.compile(r"/c/policy-traders[\w-]*/$"))
    crm_url = tab.url

    tab.goto(crm_url + "companies/new/")
    tab.fill("#id_name", "Acme Ltd")
    tab.get_by_role("button", name="Save").click()
    expect(tab.locator("h1")).to_contain_text("Acme Ltd")

    tab.goto(crm_url + "contacts/")
    expect(tab.locator("h1")).to_be_visible()

    # The record picker searches through htmx as one types.
    tab.goto(crm_url + "contacts/new/")
    tab.fill("#id_companies_q", "acme")
    match = tab.locator(
        "[data-picker=companies] .picker-results label", has_text="Acme Ltd"
    )
    match.locator("input").click()
    expect(
        tab.locator("[data-testid=picker-chosen-companies]").get_by_text("Acme Ltd")
    ).to_be_visible()

    # A status's own colour reaches the page through static/js/colors.js.
    tab.goto(crm_url + "settings/pipelines/")
    swatch = tab.locator(".swatch[data-color]").first
    colour = swatch.get_attribute("data-color")
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    expect(swatch).to_have_css("background-color", f"rgb({red}, {green}, {blue})")
    tab.goto(crm_url + "deals/")
    head = tab.locator(".board-column-head[data-color]").first
    colour = head.get_attribute("data-color")
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    expect(head).to_have_css("border-top-color", f"rgb({red}, {green}, {blue})")

    # A confirmation comes from static/js/confirm.js: Cancel keeps the group, OK
    # deletes it.
    tab.goto(crm_url + "settings/groups/")
    tab.fill("#id_name", "Night shift")
    tab.get_by_role("button", name="Create group").click()
    row = tab.locator("tr", has=tab.locator("input[value='Night shift']"))
    expect(row).to_be_visible()
    tab.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="Delete").click()
    tab.reload()
    expect(row).to_be_visible()
    tab.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)

    tab.goto("/api/v1/docs/")
    expect(tab.locator(".information-container")).to_contain_text("CRM API")

    assert refusals.seen == []


def test_a_refusal_is_noticed(project_tab: Page):
    """The check above can fail: an inline handler added to a page is refused, and
    the refusal is caught."""
    refusals = Refusals(project_tab)
    project_tab.goto("/")
    project_tab.evaluate(
        """() => {
            const box = document.createElement("div");
            box.innerHTML =
                '<img src="/static/no-such.png" onerror="window.ran = true">';
            document.body.append(box);
        }"""
    )
    expect(project_tab.locator("img[onerror]")).to_have_count(1)
    project_tab.wait_for_timeout(300)
    assert project_tab.evaluate("() => window.ran") is None
    assert refusals.seen


def test_the_admin_runs_under_the_policy(tab: Page, login_browser, db):
    admin = AccountFactory(is_staff=True, is_superuser=True)
    crm = CrmFactory(owner=admin)
    login_browser(admin)
    refusals = Refusals(tab)

    for path in (
        "/admin/",
        "/admin/crm/crm/",
        f"/admin/crm/crm/{crm.pk}/change/",
        "/admin/accounts/account/add/",
    ):
        tab.goto(path)
        expect(tab.locator("#content")).to_be_visible()

    assert refusals.seen == []
