"""Real-browser tests: a headless Chromium, driven by Playwright's sync API.

Journeys that only need pages run against the project as ``make run`` starts it in
a fresh clone (``running_project``, ``project_tab``; see make_run.py): runserver
with its static files, a real Celery worker and beat. Tests that set up or check
rows themselves (factories, the ORM) use pytest-django's ``live_server`` instead
(``tab``, ``login_browser``), which shares their test database; it serves static
files by itself, so it cannot tell whether the real server does.

The fixtures are our own (not pytest-playwright's) so that nothing beyond the
``playwright`` package and a system Chromium is needed: ``CHROMIUM_PATH`` names the
binary, or ``chromium`` is looked up on ``PATH``. ``playwright install`` is never
needed.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    sync_playwright,
)

from tests.e2e import make_run

# Playwright's sync API keeps an asyncio loop running in this thread, which makes
# Django refuse ORM calls from the test body (factories, refresh_from_db) unless told
# that this is fine. The live server answers from its own thread, without a loop.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DEFAULT_TIMEOUT_MS = 10_000
DESKTOP_VIEWPORT = {"width": 1280, "height": 800}


def chromium_executable() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path:
        pytest.fail(
            "No Chromium for the browser tests: install Debian's `chromium` or set "
            "CHROMIUM_PATH to a Chromium binary.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium_browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(
        executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def new_context(browser: Browser, base_url: str, **options) -> BrowserContext:
    """A fresh browser profile (no cookies), with relative URLs resolved against
    ``base_url``: a desktop in British English unless ``options`` say otherwise."""
    options = {"viewport": DESKTOP_VIEWPORT, "locale": "en-GB", **options}
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    return context


@pytest.fixture(scope="session")
def running_project(tmp_path_factory) -> Iterator[make_run.RunningProject]:
    """``make run`` in a fresh clone on a free port, once for the whole session:
    every test on it signs up its own Account (or uses the demo logins that
    ``make run`` prints), so they do not see each other's CRMs."""
    project = make_run.start(tmp_path_factory.mktemp("make-run"))
    try:
        yield project
    finally:
        make_run.stop(project)


@pytest.fixture
def project_context(
    chromium_browser: Browser, running_project
) -> Iterator[BrowserContext]:
    context = new_context(chromium_browser, running_project.url)
    yield context
    context.close()


@pytest.fixture
def project_tab(project_context: BrowserContext) -> Page:
    """A browser tab on the project as ``make run`` serves it."""
    return project_context.new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test on ``make run`` shows what its processes said last."""
    report = yield
    project = getattr(item, "funcargs", {}).get("running_project")
    if report.failed and project is not None:
        report.sections.append(("make run (last lines)", project.output()))
    return report


@pytest.fixture
def browser_context(chromium_browser: Browser, live_server) -> Iterator[BrowserContext]:
    """A fresh browser profile per test (no cookies), with relative URLs resolved
    against the live server."""
    context = new_context(chromium_browser, live_server.url)
    yield context
    context.close()


@pytest.fixture
def tab(browser_context: BrowserContext) -> Page:
    """One browser tab. (Not named ``page``: that name belongs to pytest-playwright,
    which must not take part when it happens to be installed.)"""
    return browser_context.new_page()


@pytest.fixture
def login_browser(browser_context: BrowserContext, live_server):
    """Sign a portal Account in to the browser without going through the form: a
    session made by Django's test client, handed over as the browser's cookie."""

    def login(account) -> None:
        client = Client()
        client.force_login(account)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        browser_context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": cookie.value,
                    "url": live_server.url,
                    "httpOnly": True,
                    "sameSite": "Lax",
                }
            ]
        )

    return login


@pytest.fixture
def screenshot_dir() -> Path:
    """Where the tests leave screenshots for people to look at (git-ignored)."""
    folder = Path(settings.BASE_DIR) / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
