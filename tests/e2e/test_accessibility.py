"""The main pages in a real browser, as a phone and a desktop show them: axe-core
(from the npm registry, injected into each page) finds no serious or critical
accessibility violation, and no page is wider than a 375 px screen."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from crm.models import Contact, Pipeline
from crm.services.crms import crm_create
from tests.factories import (
    DEFAULT_PASSWORD,
    AccountFactory,
    CompanyFactory,
    ContactFactory,
    CrmUserFactory,
)

pytestmark = pytest.mark.browser

AXE_SCRIPT = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
BLOCKING_IMPACTS = {"serious", "critical"}


def axe_violations(page: Page) -> list[dict]:
    """Serious and critical violations of WCAG 2 A and AA rules on this page."""
    if not AXE_SCRIPT.exists():
        pytest.fail(
            f"{AXE_SCRIPT} is missing: `make setup` installs it (npm ci).",
            pytrace=False,
        )
    # Evaluated, not added as a <script>: the page's Content-Security-Policy
    # refuses inline scripts without its nonce.
    page.evaluate(AXE_SCRIPT.read_text())
    result = page.evaluate(
        """() => axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
        })"""
    )
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "where": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"
    )


@pytest.fixture
def crm_with_records(db):
    owner = AccountFactory(email="owner@shop.example", name="Olena Owner")
    crm = crm_create(owner=owner, name="Shop Dnipro", provision_now=True)
    admin = CrmUserFactory(
        crm=crm, email="admin@shop.example", name="Andrii Admin", role="admin"
    )
    company = CompanyFactory(crm=crm, name="Kyiv Coffee", responsible=admin)
    for n in range(3):
        contact = ContactFactory(crm=crm, name=f"Contact number {n}", responsible=admin)
        contact.companies.add(company, through_defaults={"crm": crm})
    return owner, crm, admin


def sign_in_to_crm(page: Page, crm, email: str) -> None:
    page.goto(f"/c/{crm.slug}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{page.url.split('/c/')[0]}/c/{crm.slug}/")


def check_page(page: Page, path: str, problems: list[str]) -> None:
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response)
        for violation in axe_violations(page):
            problems.append(f"{path} ({name}): {violation}")
        if name == "phone" and (overflow := horizontal_overflow(page)) > 0:
            problems.append(f"{path} (phone): {overflow}px wider than the screen")


def test_public_pages(tab: Page, crm_with_records):
    _owner, crm, _admin = crm_with_records
    problems: list[str] = []
    for path in ("/accounts/signup/", "/accounts/login/", "/find/"):
        check_page(tab, path, problems)
    check_page(tab, f"/c/{crm.slug}/login/", problems)
    assert not problems, "\n".join(problems)


def test_portal_pages(tab: Page, login_browser, crm_with_records):
    owner, crm, _admin = crm_with_records
    login_browser(owner)
    problems: list[str] = []
    for path in (
        "/portal/",
        "/portal/crms/new/",
        "/portal/crms/connect/",
        f"/portal/crms/{crm.pk}/delete/",
        "/accounts/password/change/",
    ):
        check_page(tab, path, problems)
    assert not problems, "\n".join(problems)


def test_crm_pages(tab: Page, crm_with_records):
    _owner, crm, admin = crm_with_records
    sign_in_to_crm(tab, crm, admin.email)
    contact = Contact.objects.filter(crm=crm).first()
    problems: list[str] = []
    for path in (
        "",
        "profile/",
        "contacts/",
        "contacts/layout/",
        f"contacts/{contact.pk}/",
        "companies/",
        "deals/",
        "deals/list/",
        "settings/users/",
        "settings/users/new/",
        "settings/fields/",
        "settings/pipelines/",
        f"settings/pipelines/{Pipeline.objects.filter(crm=crm).first().pk}/",
        "settings/api/",
    ):
        check_page(tab, f"/c/{crm.slug}/{path}", problems)
    assert not problems, "\n".join(problems)


def test_keyboard_focus_is_visible_from_the_first_key(tab: Page, login_browser):
    login_browser(AccountFactory(email="keys@shop.example"))
    tab.goto("/portal/")
    seen = []
    for _press in range(6):
        tab.keyboard.press("Tab")
        seen.append(
            tab.evaluate(
                """() => {
                    const element = document.activeElement;
                    const style = getComputedStyle(element);
                    return {
                        tag: element.tagName,
                        text: element.textContent.trim().slice(0, 40),
                        ring: style.boxShadow !== "none"
                            || style.outlineStyle !== "none",
                    };
                }"""
            )
        )
    assert seen[0]["text"], seen  # the skip link comes first
    assert all(stop["tag"] != "BODY" for stop in seen), seen
    assert all(stop["ring"] for stop in seen), seen
