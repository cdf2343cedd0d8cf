# ruff: noqa: RUF001 - Cyrillic text is what these tests are about
"""The header's language switcher in a real browser: it works without JavaScript,
fits a phone's screen, and the portal and a CRM keep their own languages."""

import pytest
from playwright.sync_api import Browser, Page, expect

from crm.models import CrmUser
from tests.e2e.conftest import DEFAULT_TIMEOUT_MS
from tests.factories import (
    DEFAULT_PASSWORD,
    AccountFactory,
    CrmFactory,
    OwnerCrmUserFactory,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


def switch_language(page: Page, name: str, button: str) -> None:
    page.get_by_label(
        {"Change": "Language", "Змінити": "Мова", "Изменить": "Язык"}[button]
    ).select_option(label=name)
    page.get_by_role("button", name=button).click()


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_switching_works_without_javascript(chromium_browser: Browser, live_server):
    context = chromium_browser.new_context(
        base_url=live_server.url, viewport=PHONE, java_script_enabled=False
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        expect(page.locator("h1")).to_have_text("Sign in to your account")
        switch_language(page, "Українська", "Change")
        expect(page).to_have_url(f"{live_server.url}/accounts/login/")
        expect(page.locator("h1")).to_have_text("Вхід в акаунт")
        expect(page.locator("html")).to_have_attribute("lang", "uk")
    finally:
        context.close()


def test_portal_and_crm_keep_their_own_languages_on_a_phone(
    tab: Page, live_server, login_browser, screenshot_dir
):
    page = tab
    page.set_viewport_size(PHONE)
    owner = AccountFactory(email="olena@shop.example", language="uk")
    crm = CrmFactory(owner=owner, name="Крамниця Олени", slug="kramnytsia")
    # As provisioning makes it: the owner's CRM user starts in the Account's language.
    OwnerCrmUserFactory(crm=crm, name="Олена", language="uk")
    login_browser(owner)

    page.goto("/portal/")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_role("heading", name="Мої CRM")).to_be_visible()
    assert no_horizontal_scroll(page)
    page.screenshot(path=screenshot_dir / "portal-list-uk-375.png", full_page=True)

    # Inside the CRM the owner's CRM user switches to Russian ...
    page.get_by_role("button", name="Перейти").first.click()
    expect(page).to_have_url(f"{live_server.url}/c/kramnytsia/")
    switch_language(page, "Русский", "Змінити")
    expect(page).to_have_url(f"{live_server.url}/c/kramnytsia/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    assert no_horizontal_scroll(page)
    page.screenshot(path=screenshot_dir / "crm-home-ru-375.png", full_page=True)
    assert CrmUser.objects.get(crm=crm).language == "ru"

    # ... and the portal still speaks the Account's Ukrainian.
    page.goto("/portal/")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    owner.refresh_from_db()
    assert owner.language == "uk"


def test_crm_login_page_switches_for_a_visitor(tab: Page, live_server):
    page = tab
    crm = CrmFactory(slug="alpha", name="Alpha Traders")
    OwnerCrmUserFactory(crm=crm)
    page.goto("/c/alpha/login/")
    switch_language(page, "Українська", "Change")
    expect(page).to_have_url(f"{live_server.url}/c/alpha/login/")
    expect(page.locator("h1")).to_have_text("Вхід у Alpha Traders")
    page.locator("input[name=email]").fill(crm.owner.email)
    page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Увійти").click()
    expect(page).to_have_url(f"{live_server.url}/c/alpha/")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
