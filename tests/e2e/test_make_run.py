"""`make run` as a newcomer opens it, with the demo logins it prints: every page's
stylesheets and scripts load from the server itself, htmx and the page scripts
run, and the API docs render from their own static files."""

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .pages import DEMO_LOGINS, crm_row, sign_in

pytestmark = pytest.mark.browser

DEMO_CRMS = ("Acme Store", "Beta Studio")  # what `make run`'s demo data makes
PUBLIC_PAGES = (
    "/",
    "/accounts/signup/",
    "/accounts/login/",
    "/accounts/password/reset/",
    "/find/",
)
PORTAL_PAGES = (
    "/portal/",
    "/portal/crms/new/",
    "/portal/crms/connect/",
    "/accounts/password/change/",
    "/portal/referral/",
    "/portal/referral/statistics/",
)
CRM_PAGES = (
    "",
    "profile/",
    "contacts/",
    "contacts/new/",
    "companies/",
    "companies/new/",
    "deals/",
    "deals/list/",
    "deals/new/",
    "settings/users/",
    "settings/users/new/",
    "settings/groups/",
    "settings/fields/",
    "settings/pipelines/",
    "settings/audit/",
    "settings/api/",
)
# Every stylesheet and script the page links, and how many rules each stylesheet
# gave the page (none when the browser refused it: then its rules cannot even be
# read).
LINKED_ASSETS = """() => {
    const rules = (link) => {
        try { return link.sheet ? link.sheet.cssRules.length : 0; }
        catch (error) { return 0; }
    };
    return {
        stylesheets: [...document.querySelectorAll('link[rel~="stylesheet"][href]')]
            .map((link) => [link.href, rules(link)]),
        scripts: [...document.querySelectorAll("script[src]")].map((s) => s.src),
    };
}"""


class AssetCheck:
    """Visits pages and keeps every problem with their static files."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        self.checked: dict[str, int] = {}
        self.script_errors: list[str] = []
        page.on("pageerror", lambda error: self.script_errors.append(str(error)))

    def visit(self, path: str, *, uses_htmx: bool = True) -> None:
        response = self.page.goto(path)
        assert response is not None and response.status == 200, (path, response)
        self.check_current(path, uses_htmx=uses_htmx)

    def check_current(self, path: str, *, uses_htmx: bool = True) -> None:
        self.page.wait_for_load_state("load")
        linked = self.page.evaluate(LINKED_ASSETS)
        if not linked["stylesheets"]:
            self.problems.append(f"{path}: links no stylesheet")
        for url, rules in linked["stylesheets"]:
            self.answers(path, url, "text/css")
            if rules == 0:
                self.problems.append(f"{path}: {url} gave the page no styles")
        for url in linked["scripts"]:
            self.answers(path, url, "javascript")
        if uses_htmx and not self.page.evaluate("typeof htmx === 'object'"):
            self.problems.append(f"{path}: htmx is not running")
        for error in self.script_errors:
            self.problems.append(f"{path}: script error {error}")
        self.script_errors.clear()

    def answers(self, path: str, url: str, content_type: str) -> None:
        """The asset as the server answers it (the browser's cache aside)."""
        if url not in self.checked:
            response = self.page.context.request.get(url)
            self.checked[url] = response.status
            if content_type not in response.headers.get("content-type", ""):
                self.problems.append(
                    f"{path}: {url} is {response.headers.get('content-type')}"
                )
        if self.checked[url] != 200:
            self.problems.append(f"{path}: {url} answers {self.checked[url]}")


def enter(page: Page, crm_name: str) -> str:
    """Enter a CRM from My CRMs; its address."""
    page.goto("/portal/")
    crm_row(page, crm_name).get_by_role("button", name="Enter").click()
    expect(page).to_have_url(re.compile(r"/c/[\w-]+/$"))
    return page.url


def test_every_page_loads_its_stylesheets_and_scripts(project_tab: Page):
    page = project_tab
    check = AssetCheck(page)
    for path in PUBLIC_PAGES:
        check.visit(path)
    check.visit("/admin/login/", uses_htmx=False)
    check.visit("/api/v1/docs/", uses_htmx=False)

    sign_in(page, DEMO_LOGINS["owner"], DEMO_LOGINS["password"])
    for path in PORTAL_PAGES:
        check.visit(path)
    row = crm_row(page, DEMO_CRMS[0])
    # Its deletion page and its balance.
    for link in (row.get_by_role("link", name="Delete"), row.locator(".crm-balance a")):
        page.goto("/portal/")
        link.click()
        check.check_current(page.url)

    crm_url = enter(page, DEMO_CRMS[0])
    for path in CRM_PAGES:
        check.visit(crm_url + path)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/c/[\w-]+/login/$"))
    check.check_current(page.url)

    assert check.checked, "no stylesheet or script was linked at all"
    assert not check.problems, "\n".join(check.problems)


def test_api_docs_render_from_the_servers_own_files(project_tab: Page):
    page = project_tab
    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("CRM API")
    expect(page.locator(".opblock-tag").first).to_be_visible()
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()


def test_adding_a_user_says_when_the_email_is_already_here(project_tab: Page):
    """htmx asks the server about the email as it is typed and swaps the answer
    in: the demo's staff member is a user of Acme Store, and unknown to Beta
    Studio, which hears nothing about other CRMs."""
    page = project_tab
    sign_in(page, DEMO_LOGINS["owner"], DEMO_LOGINS["password"])
    for crm_name, answer in (
        (DEMO_CRMS[0], "This CRM already has a user with this email."),
        (DEMO_CRMS[1], ""),
    ):
        crm_url = enter(page, crm_name)
        page.goto(crm_url + "settings/users/new/")
        offer = page.locator("#existing-person")
        expect(offer).to_be_empty()
        with page.expect_response(re.compile(r"/settings/users/lookup/\?")) as lookup:
            page.locator("input[name=email]").fill(DEMO_LOGINS["staff"])
        assert lookup.value.status == 200
        if answer:
            expect(offer).to_contain_text(answer)
        else:
            expect(offer).to_have_text(re.compile(r"^\s*$"))
        page.goto("/portal/")


def test_copy_buttons_put_the_value_on_the_clipboard(
    project_context: BrowserContext, project_tab: Page, running_project
):
    page = project_tab
    project_context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=running_project.url
    )
    sign_in(page, DEMO_LOGINS["owner"], DEMO_LOGINS["password"])
    crm_url = enter(page, DEMO_CRMS[0])
    page.goto(crm_url + "profile/")
    crm_id = page.get_by_test_id("crm-id").inner_text()
    button = page.get_by_test_id("crm-id").locator("xpath=following-sibling::button")
    expect(button).to_have_text("Copy")
    button.click()
    expect(button).to_have_text("✓")
    assert page.evaluate("navigator.clipboard.readText()") == crm_id
    expect(button).to_have_text("Copy")  # and says so only for a moment
