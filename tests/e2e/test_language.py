# ruff: noqa: RUF001 - Cyrillic text is what these tests are about
"""The header's language switcher in a real browser, on the project as `make run`
serves it: it works without JavaScript, fits a phone's screen, and the portal and a
CRM keep their own languages."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import new_context
from .pages import (
    DEMO_LOGINS,
    PASSWORD,
    crm_row,
    open_menu,
    sign_in,
    sign_up,
    unique_email,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
CRM_HOME = re.compile(r"/c/[\w-]+/$")


def switch_language(page: Page, name: str, button: str) -> None:
    open_menu(page)
    page.get_by_label(
        {"Change": "Language", "Змінити": "Мова", "Изменить": "Язык"}[button]
    ).select_option(label=name)
    page.get_by_role("button", name=button).click()


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def signed_up_elsewhere(
    browser: Browser, base_url: str, crm_name: str, locale: str = "en-GB"
) -> str:
    """An Account and its first CRM, made in another browser whose person reads
    ``locale``; its email."""
    email = unique_email("owner")
    context = new_context(browser, base_url, locale=locale)
    try:
        sign_up(context.new_page(), email, crm_name)
    finally:
        context.close()
    return email


def test_switching_works_without_javascript(chromium_browser: Browser, running_project):
    context = new_context(
        chromium_browser,
        running_project.url,
        viewport=PHONE,
        java_script_enabled=False,
    )
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        expect(page.locator("h1")).to_have_text("Sign in to your account")
        switch_language(page, "Українська", "Change")
        expect(page).to_have_url(f"{running_project.url}/accounts/login/")
        expect(page.locator("h1")).to_have_text("Вхід в акаунт")
        expect(page.locator("html")).to_have_attribute("lang", "uk")
    finally:
        context.close()


def test_portal_and_crm_keep_their_own_languages_on_a_phone(
    chromium_browser: Browser, project_tab: Page, running_project, screenshot_dir
):
    # The Account speaks the Ukrainian it signed up in, whatever this browser says.
    email = signed_up_elsewhere(
        chromium_browser, running_project.url, "Крамниця Олени", locale="uk-UA"
    )
    page = project_tab
    page.set_viewport_size(PHONE)
    sign_in(page, email, PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_role("heading", name="Мої CRM")).to_be_visible()
    assert no_horizontal_scroll(page)
    page.screenshot(path=screenshot_dir / "portal-list-uk-375.png", full_page=True)

    # Inside the CRM the owner's CRM user switches to Russian ...
    page.get_by_role("button", name="Перейти").first.click()
    expect(page).to_have_url(CRM_HOME)
    crm_url = page.url
    switch_language(page, "Русский", "Змінити")
    expect(page).to_have_url(crm_url)
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    assert no_horizontal_scroll(page)
    page.screenshot(path=screenshot_dir / "crm-home-ru-375.png", full_page=True)

    # ... and the portal still speaks the Account's Ukrainian.
    page.goto("/portal/")
    expect(page.locator("html")).to_have_attribute("lang", "uk")

    # Both choices are kept with the person, not in this browser: a fresh one,
    # signed in again, finds the portal in Ukrainian and the CRM in Russian.
    other = new_context(chromium_browser, running_project.url)
    try:
        again = other.new_page()
        sign_in(again, email, PASSWORD)
        expect(again.locator("html")).to_have_attribute("lang", "uk")
        again.get_by_role("button", name="Перейти").first.click()
        expect(again).to_have_url(crm_url)
        expect(again.locator("html")).to_have_attribute("lang", "ru")
    finally:
        other.close()


def test_crm_login_page_switches_for_a_visitor(project_tab: Page, running_project):
    """The demo's staff member of Acme Store has chosen no language yet (a user an
    admin adds speaks the admin's), so the one picked on the sign-in page stays."""
    page = project_tab
    # The demo owner's list shows the CRM's own sign-in link; then a fresh visitor.
    sign_in(page, DEMO_LOGINS["owner"], DEMO_LOGINS["password"])
    login_url = crm_row(page, "Acme Store").locator(".muted a").get_attribute("href")
    page.context.clear_cookies()

    page.goto(login_url)
    switch_language(page, "Українська", "Change")
    expect(page).to_have_url(running_project.url + login_url)
    expect(page.locator("h1")).to_have_text("Вхід у Acme Store")
    page.locator("input[name=email]").fill(DEMO_LOGINS["staff"])
    page.locator("input[name=password]").fill(DEMO_LOGINS["password"])
    page.get_by_role("button", name="Увійти").click()
    expect(page).to_have_url(CRM_HOME)
    expect(page.locator("html")).to_have_attribute("lang", "uk")
