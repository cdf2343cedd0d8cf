"""A person links records through the pages, on the project as `make run` serves
it: a company, a contact at it, a deal with both (the pickers search through htmx),
then an edit of the contact's phone that keeps every link."""

import re

import pytest
from playwright.sync_api import Page, expect

from .pages import crm_row, sign_up, unique_email

pytestmark = pytest.mark.browser


def _pick(tab: Page, field: str, text: str, name: str) -> None:
    """Type into a record picker's search box and tick the match."""
    tab.fill(f"#id_{field}_q", text)
    match = tab.locator(f"[data-picker={field}] .picker-results label", has_text=name)
    match.locator("input").click()
    expect(
        tab.locator(f"[data-testid=picker-chosen-{field}]").get_by_text(name)
    ).to_be_visible()


def test_company_contact_and_deal_stay_linked_after_an_edit(project_tab: Page):
    tab = project_tab
    sign_up(tab, unique_email("records"), "Alpha Traders")
    crm_row(tab, "Alpha Traders").get_by_role("button", name="Enter").click()
    expect(tab).to_have_url(re.compile(r"/c/alpha-traders[\w-]*/$"))
    crm_url = tab.url

    tab.goto(crm_url + "companies/new/")
    tab.fill("#id_name", "Acme Ltd")
    tab.get_by_role("button", name="Save").click()
    expect(tab.locator("h1")).to_contain_text("Acme Ltd")

    tab.goto(crm_url + "contacts/new/")
    tab.fill("#id_name", "Olga Petrenko")
    tab.fill("#id_phones-0-value", "+380 67 000 00 00")
    _pick(tab, "companies", "acme", "Acme Ltd")
    tab.get_by_role("button", name="Save").click()
    expect(tab.locator("main")).to_contain_text("Acme Ltd")
    contact_url = tab.url

    tab.goto(crm_url + "deals/new/")
    tab.fill("#id_name", "Annual supply")
    tab.fill("#id_amount", "1500")
    _pick(tab, "company", "acm", "Acme Ltd")
    _pick(tab, "contacts", "olga", "Olga Petrenko")
    tab.get_by_role("button", name="Save").click()
    expect(tab.locator("main")).to_contain_text("Olga Petrenko")
    expect(tab.locator("main")).to_contain_text("Acme Ltd")

    tab.goto(contact_url + "edit/")
    tab.fill("#id_phones-0-value", "+380 67 123 45 67")
    tab.get_by_role("button", name="Save").click()
    expect(tab).to_have_url(re.compile(r"/contacts/\d+/$"))
    expect(tab.locator("main")).to_contain_text("+380 67 123 45 67")
    expect(tab.locator("main")).to_contain_text("Acme Ltd")

    # The deal kept both links too.
    tab.goto(crm_url + "deals/list/")
    tab.get_by_role("link", name="Annual supply").click()
    expect(tab.locator("main")).to_contain_text("Olga Petrenko")
    expect(tab.locator("main")).to_contain_text("Acme Ltd")
