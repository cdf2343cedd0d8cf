"""The CRM's frame in a real browser, at a phone's width and a desktop's: the
sidebar is there on a desktop, folds into a menu button on a phone that opens it
(with JavaScript off, too), and a list's long e-mail stays on one line, cut with an
ellipsis, instead of breaking mid-word."""

import pytest
from playwright.sync_api import Browser, Page, expect

from crm.services.crms import crm_create
from tests.factories import AccountFactory, ContactFactory, CrmUserFactory

from .conftest import new_context
from .test_accessibility import axe_violations, horizontal_overflow, sign_in_to_crm

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
LONG_EMAIL = "bartholomew.longname-the-third@example-enterprises.org"


@pytest.fixture
def crm_with_a_long_email(db):
    owner = AccountFactory(email="owner@shell.example", name="Olena Owner")
    crm = crm_create(owner=owner, name="Shell Traders", provision_now=True)
    admin = CrmUserFactory(
        crm=crm, email="admin@shell.example", name="Andrii Admin", role="admin"
    )
    ContactFactory(
        crm=crm, name="Bob", email=LONG_EMAIL, phone="+380501234567", responsible=admin
    )
    return crm, admin


def email_cell(page: Page):
    return page.locator("td[data-column=email]").first


def one_line(page: Page) -> dict:
    """The e-mail cell's text: its line count and how it is cut."""
    return email_cell(page).evaluate(
        """(td) => {
            const text = td.querySelector(".cell-text") || td;
            const style = getComputedStyle(text);
            const range = document.createRange();
            range.selectNodeContents(text);
            const tops = [...range.getClientRects()].map((r) => Math.round(r.top));
            const lines = new Set(tops);
            return {
                lines: lines.size,
                overflow: style.textOverflow,
                whiteSpace: style.whiteSpace,
                title: text.getAttribute("title"),
            };
        }"""
    )


def test_desktop_sidebar_and_a_long_email_on_one_line(
    tab: Page, crm_with_a_long_email, screenshot_dir
):
    crm, admin = crm_with_a_long_email
    tab.set_viewport_size(DESKTOP)
    sign_in_to_crm(tab, crm, admin.email)
    sidebar = tab.locator(".sidebar")
    expect(sidebar).to_be_visible()
    expect(tab.locator(".menu-button")).to_be_hidden()
    for name in ("Contacts", "Companies", "Deals", "Settings", "My profile"):
        expect(sidebar.get_by_role("link", name=name)).to_be_visible()
    sidebar.get_by_role("link", name="Contacts").click()
    expect(sidebar.get_by_role("link", name="Contacts")).to_have_attribute(
        "aria-current", "page"
    )
    # The content uses the width beside the sidebar, not a narrow column.
    main_width = tab.locator("main").evaluate("(m) => m.getBoundingClientRect().width")
    assert main_width > 900
    cell = one_line(tab)
    assert cell["lines"] == 1, cell
    assert cell["whiteSpace"] == "nowrap"
    assert cell["overflow"] == "ellipsis"
    assert cell["title"] == LONG_EMAIL
    assert axe_violations(tab) == []
    tab.screenshot(path=screenshot_dir / "shell-contacts-1280.png", full_page=True)


def test_phone_menu_opens_the_sidebar(tab: Page, crm_with_a_long_email, screenshot_dir):
    crm, admin = crm_with_a_long_email
    tab.set_viewport_size(PHONE)
    sign_in_to_crm(tab, crm, admin.email)
    tab.goto(f"/c/{crm.slug}/contacts/")
    sidebar = tab.locator(".sidebar")
    expect(sidebar).to_be_hidden()
    # The header is one slim bar, not a quarter of the screen.
    header = tab.locator("header").evaluate("(h) => h.getBoundingClientRect().height")
    assert header < 80
    assert horizontal_overflow(tab) == 0
    cell = one_line(tab)
    assert cell["lines"] == 1, cell
    assert axe_violations(tab) == []
    tab.screenshot(path=screenshot_dir / "shell-contacts-390.png", full_page=True)

    tab.locator(".menu-button").click()
    expect(sidebar).to_be_visible()
    assert axe_violations(tab) == []
    tab.screenshot(path=screenshot_dir / "shell-menu-390.png")
    tab.keyboard.press("Escape")  # js/nav.js
    expect(sidebar).to_be_hidden()
    tab.locator(".menu-button").click()
    sidebar.get_by_role("link", name="Companies").click()
    expect(tab).to_have_url(f"{tab.url.split('/c/')[0]}/c/{crm.slug}/companies/")
    expect(sidebar).to_be_hidden()


def test_phone_menu_works_without_javascript(
    chromium_browser: Browser, live_server, crm_with_a_long_email
):
    crm, admin = crm_with_a_long_email
    context = new_context(
        chromium_browser, live_server.url, viewport=PHONE, java_script_enabled=False
    )
    try:
        page = context.new_page()
        sign_in_to_crm(page, crm, admin.email)
        expect(page.locator(".sidebar")).to_be_hidden()
        page.locator(".menu-button").click()
        expect(page.locator(".sidebar")).to_be_visible()
        page.locator(".sidebar").get_by_role("link", name="Deals").click()
        expect(page).to_have_url(f"{live_server.url}/c/{crm.slug}/deals/")
        # The portal's header folds the same way.
        page.goto("/accounts/login/")
        expect(page.get_by_label("Language")).to_be_hidden()
        page.locator(".menu-button").click()
        expect(page.get_by_label("Language")).to_be_visible()
    finally:
        context.close()
