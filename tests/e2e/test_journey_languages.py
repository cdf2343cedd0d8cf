"""The main journey in Ukrainian and in Russian, on a phone-sized screen, on the
project as `make run` serves it: sign up, create a CRM (provisioned by the real
worker), Enter it, add a user, schedule the deletion and cancel it. Every page
shows the language's own text (looked up in its catalogue, and required to differ
from the English) and none scrolls sideways. Screenshots for the README are left in
``var/screenshots/``."""

import re
from collections.abc import Iterator

import pytest
from django.utils import translation
from django.utils.translation import gettext, pgettext
from playwright.sync_api import Browser, Page, expect

from .conftest import new_context
from .pages import PASSWORD, crm_row, open_menu, sign_up, unique_email

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
SETTLE_MS = 10_000  # the real worker provisions it while the row polls every second
BROWSER_LOCALES = {"uk": "uk-UA", "ru": "ru-RU"}


@pytest.fixture(params=["uk", "ru"])
def language(request) -> str:
    return request.param


@pytest.fixture
def phone_tab(
    chromium_browser: Browser, running_project, language: str
) -> Iterator[Page]:
    """A phone-sized tab of a browser whose person reads ``language``."""
    context = new_context(
        chromium_browser,
        running_project.url,
        viewport=PHONE,
        locale=BROWSER_LOCALES[language],
    )
    yield context.new_page()
    context.close()


def text_in(language: str, english: str, context: str | None = None) -> str:
    """``english`` (in ``context``, if given) as the catalogue of ``language`` has
    it; a missing translation fails the test instead of passing it in English."""
    with translation.override(language):
        translated = pgettext(context, english) if context else gettext(english)
    assert translated != english, f"no {language} translation of {english!r}"
    return translated


def fits_the_screen(page: Page) -> None:
    # Measured once the page and its stylesheet have loaded, not mid-navigation.
    page.wait_for_load_state("load")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"
    )
    if overflow > 0:
        culprits = page.evaluate(
            """() => {
                const wide = (e) => e.getBoundingClientRect().right > innerWidth;
                return [...document.querySelectorAll("body *")]
                    .filter((e) => wide(e) && !wide(e.parentElement))
                    .slice(0, 5)
                    .map((e) => e.outerHTML.slice(0, 120));
            }"""
        )
        pytest.fail(
            f"{page.url} is {overflow}px wider than a 375 px screen: {culprits}"
        )


def test_main_journey_in_the_language_of_the_browser(
    phone_tab: Page, language: str, screenshot_dir
):
    page = phone_tab
    t = lambda english: text_in(language, english)  # noqa: E731

    # Sign up: the Account and its first CRM.
    page.goto("/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("button", name=t("Create account and CRM"))).to_be_visible()
    fits_the_screen(page)
    sign_up(page, unique_email(f"owner-{language}"), "Kyiv Flowers")
    expect(page.get_by_role("heading", name=t("My CRMs"))).to_be_visible()
    fits_the_screen(page)

    # Create a second CRM and watch it become ready.
    page.get_by_role("link", name=t("Create new CRM")).click()
    fits_the_screen(page)
    page.locator("input[name=name]").fill("Lviv Branch")
    page.get_by_role("button", name=t("Create CRM")).click()
    row = crm_row(page, "Lviv Branch")
    expect(row).to_have_attribute("data-status", "active", timeout=SETTLE_MS)
    expect(row).to_contain_text(t("Active"))
    fits_the_screen(page)
    page.screenshot(path=screenshot_dir / f"{language}-portal-list.png", full_page=True)

    # Enter it, then add a user in Settings → Users.
    row.get_by_role("button", name=t("Enter")).click()
    expect(page).to_have_url(re.compile(r"/c/lviv-branch[\w-]*/$"))
    fits_the_screen(page)
    open_menu(page)
    page.get_by_role("link", name=t("Settings")).click()
    expect(page.get_by_role("heading", name=t("Users"), exact=True)).to_be_visible()
    page.get_by_role("link", name=t("Add user")).click()
    fits_the_screen(page)
    person_name = text_in(language, "Name", context="person")
    page.get_by_label(person_name, exact=True).fill("Taras Shevchenko")
    page.locator("input[name=email]").fill(unique_email(f"taras-{language}"))
    # A new owner has not confirmed their email yet, and a CRM sends no
    # invitations until they have: the user gets a password instead.
    page.get_by_label(
        t("Email an invitation so they choose their own password")
    ).uncheck()
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name=t("Add user")).click()
    expect(page.get_by_role("heading", name=t("Users"), exact=True)).to_be_visible()
    expect(page.locator("main table")).to_contain_text("Taras Shevchenko")
    fits_the_screen(page)
    page.screenshot(path=screenshot_dir / f"{language}-crm-users.png", full_page=True)

    # The deals board: a deal added in its first column, counted and summed there.
    open_menu(page)
    page.get_by_role("link", name=t("Deals")).click()
    first = page.locator(".board-column").nth(0)
    first.locator(".board-quick-add summary").click()
    first.get_by_label(t("Deal name")).fill("Wedding bouquets")
    first.get_by_label(t("Amount")).fill("4800")
    first.get_by_role("button", name=t("Add")).click()
    expect(first.locator(".board-card", has_text="Wedding bouquets")).to_be_visible()
    # Grouped as the language groups thousands: 4,800 or 4 800.
    expect(first.locator(".board-sum")).to_contain_text(re.compile(r"4\D?800"))
    fits_the_screen(page)
    page.screenshot(path=screenshot_dir / f"{language}-deals-board.png", full_page=True)

    # Back to the portal: schedule the deletion, see it, cancel it.
    open_menu(page)
    page.get_by_role("link", name=t("All my CRMs")).click()
    crm_row(page, "Lviv Branch").get_by_role("link", name=t("Delete")).click()
    # The portal asks for the password again before a risky step.
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name=t("Confirm")).click()
    fits_the_screen(page)
    page.get_by_label(t("CRM name")).fill("Lviv Branch")
    page.get_by_role("button", name=t("Schedule deletion")).click()
    scheduled = page.locator("#scheduled-for-deletion")
    expect(scheduled).to_contain_text(t("CRMs scheduled for deletion"))
    expect(crm_row(scheduled, "Lviv Branch")).to_be_visible()
    expect(crm_row(scheduled, "Lviv Branch").get_by_role("button")).to_have_text(
        t("Cancel deletion")
    )
    fits_the_screen(page)
    page.screenshot(
        path=screenshot_dir / f"{language}-deletion-scheduled.png", full_page=True
    )

    scheduled.get_by_role("button", name=t("Cancel deletion")).click()
    expect(scheduled).to_have_count(0)
    row = crm_row(page, "Lviv Branch")
    expect(row).to_have_attribute("data-status", "active")
    expect(row.get_by_role("button", name=t("Enter"))).to_be_visible()
    fits_the_screen(page)
