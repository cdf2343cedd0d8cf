"""Real-browser tests: a headless Chromium, driven by Playwright's sync API, against
pytest-django's ``live_server``.

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


@pytest.fixture
def browser_context(chromium_browser: Browser, live_server) -> Iterator[BrowserContext]:
    """A fresh browser profile per test (no cookies), with relative URLs resolved
    against the live server."""
    context = chromium_browser.new_context(
        base_url=live_server.url, viewport=DESKTOP_VIEWPORT, locale="en-GB"
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
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
