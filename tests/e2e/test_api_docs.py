"""The API's documentation as a browser renders it: Swagger UI turns the
descriptions' Markdown into HTML, and what is written there reaches the reader."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_the_docs_show_how_to_send_the_key(tab: Page, live_server, db):
    tab.goto("/api/v1/docs/")
    info = tab.locator(".information-container .description")
    expect(info).to_contain_text("Authorization: Bearer <key>")
    expect(info.locator("code", has_text="Authorization: Bearer <key>")).to_be_visible()
