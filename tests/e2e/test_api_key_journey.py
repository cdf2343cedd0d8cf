"""An administrator makes an API key in a real browser: the key is shown once
after the redirect, a reload shows it no more and makes no second key, and the
key works."""

import pytest
from playwright.sync_api import Page, expect

from crm.models import ApiKey
from tests.api.helpers import api_client
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def test_a_new_key_is_shown_once_and_a_reload_makes_no_second(
    tab: Page, live_server, crm_a, staff_a
):
    staff_a.role = "admin"
    staff_a.save()
    tab.goto("/c/alpha/login/")
    tab.fill("#id_email", staff_a.email)
    tab.fill("#id_password", DEFAULT_PASSWORD)
    tab.get_by_role("button", name="Sign in").click()

    tab.goto("/c/alpha/settings/api/")
    tab.fill("#id_name", "Website form")
    tab.get_by_role("button", name="Create key").click()
    # A key acts as its maker: the CRM asks for the password again first.
    expect(tab.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    tab.fill("#id_password", DEFAULT_PASSWORD)
    tab.get_by_role("button", name="Confirm").click()
    assert tab.url == f"{live_server.url}/c/alpha/settings/api/"
    assert ApiKey.objects.count() == 0
    tab.fill("#id_name", "Website form")
    tab.get_by_role("button", name="Create key").click()

    raw_key = tab.get_by_test_id("raw-key")
    expect(raw_key).to_be_visible()
    raw = raw_key.inner_text()
    assert raw.startswith("crm_")
    # After the redirect the keyboard is on the next step: copying the key.
    expect(tab.get_by_role("button", name="Copy")).to_be_focused()
    assert tab.url == f"{live_server.url}/c/alpha/settings/api/"
    assert raw not in "".join(c["value"] for c in tab.context.cookies())

    tab.reload()
    expect(tab.get_by_role("cell", name="Website form")).to_be_visible()
    expect(tab.get_by_test_id("raw-key")).to_have_count(0)
    assert ApiKey.objects.count() == 1
    assert api_client(raw).get("/api/v1/crm/").status_code == 200
