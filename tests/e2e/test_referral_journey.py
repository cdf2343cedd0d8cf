"""The referral program end to end, in real browsers: the referrer activates the
program and copies the link; a newcomer in a fresh browser opens it and signs up;
the provider's signed webhook tops up the newcomer's CRM; the referrer sees the
sign-up and the reward, and requests a payout. Then the pages on a phone."""

import json
import re
import time
import urllib.request
from decimal import Decimal

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from billing.models import PayoutRequest, Referral
from billing.webhook import webhook_signature
from crm.models import Crm
from tests.factories import AccountFactory, CrmFactory, OwnerCrmUserFactory

pytestmark = pytest.mark.browser

NEWCOMER = "mila.newcomer@store.example"
PASSWORD = "plum-orchard-ladder-42"
PHONE = {"width": 375, "height": 740}


def send_payment(live_server, crm: Crm, amount: str) -> dict:
    """What the payment provider would send: a signed POST to the webhook."""
    body = json.dumps(
        {
            "type": "payment.succeeded",
            "id": f"pay_{crm.pk}_{amount}",
            "crm_id": crm.pk,
            "amount": amount,
            "currency": "USD",
        }
    ).encode()
    stamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - the live server's own URL
        live_server.url + "/billing/webhook/",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Billing-Timestamp": stamp,
            "X-Billing-Signature": webhook_signature(
                secret=settings.BILLING_WEBHOOK_SECRET, timestamp=stamp, body=body
            ),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200
        return json.loads(response.read())


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_refer_sign_up_top_up_reward_and_payout(
    tab: Page,
    chromium_browser: Browser,
    live_server,
    login_browser,
    screenshot_dir,
):
    page = tab
    referrer = AccountFactory(email="referrer@agency.example")
    OwnerCrmUserFactory(crm=CrmFactory(owner=referrer, name="Agency"))
    login_browser(referrer)

    # 1. The banner on the portal → the rules → Activate → the link.
    page.goto("/portal/")
    page.locator(".banner").get_by_role("link", name="Learn more").click()
    expect(page.get_by_role("heading", name="Referral program")).to_be_visible()
    expect(page.locator(".rules")).to_contain_text("50%")
    page.get_by_role("button", name="Activate referral program").click()
    expect(page.locator(".flash-success")).to_contain_text("referral program is active")
    link_box = page.locator("#referral-link")
    expect(link_box).to_have_value(
        re.compile(rf"^{re.escape(live_server.url)}/r/\w+/$")
    )
    page.context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=live_server.url
    )
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("button.copy")).to_have_text("✓")
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == link_box.input_value()
    page.screenshot(path=screenshot_dir / "referral-activated.png", full_page=True)

    # 2. A newcomer opens it in a fresh browser (no cookies) and signs up.
    newcomer = chromium_browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        visitor = newcomer.new_page()
        visitor.goto(link)
        expect(visitor).to_have_url(f"{live_server.url}/accounts/signup/")
        visitor.locator("input[name=email]").fill(NEWCOMER)
        visitor.locator("input[name=crm_name]").fill("Mila's Store")
        visitor.locator("input[name=password1]").fill(PASSWORD)
        visitor.locator("input[name=password2]").fill(PASSWORD)
        visitor.get_by_role("button", name="Create account and CRM").click()
        expect(visitor).to_have_url(f"{live_server.url}/portal/")
        store = Crm.objects.get(owner__email=NEWCOMER)
        assert (
            Referral.objects.get(account__email=NEWCOMER).referrer.account == referrer
        )

        # 3. The provider tops up the new CRM; its owner sees the balance.
        answer = send_payment(live_server, store, "100.00")
        assert answer["status"] == "recorded"
        visitor.reload()
        expect(visitor.locator(f"tr#crm-{store.pk} .crm-balance")).to_contain_text(
            "100.00 USD"
        )
        visitor.locator(f"tr#crm-{store.pk} .crm-balance a").click()
        expect(
            visitor.get_by_role("heading", name="Balance of Mila's Store")
        ).to_be_visible()
        expect(visitor.locator("table.ledger tbody tr")).to_have_count(1)
        expect(visitor.locator("table.ledger tbody tr")).to_contain_text("Top-up")
        visitor.screenshot(path=screenshot_dir / "billing-history.png", full_page=True)
    finally:
        newcomer.close()

    # 4. The referrer sees the sign-up (masked) and the reward it produced.
    page.goto("/portal/referral/")
    page.get_by_role("navigation", name="Referral program").get_by_role(
        "link", name="Referrals"
    ).click()
    referral_row = page.locator("table.referrals tbody tr")
    expect(referral_row).to_have_count(1)
    expect(referral_row).to_contain_text("mi***@st***.example")
    expect(referral_row.locator("[data-payments]")).to_have_text("100.00")
    expect(referral_row.locator("[data-rewards]")).to_have_text("50.00")
    assert NEWCOMER not in page.content()
    page.screenshot(path=screenshot_dir / "referral-referrals.png", full_page=True)

    page.get_by_role("link", name="Statistics").click()
    expect(page.locator('[data-stat="clicks"]')).to_have_text("1")
    expect(page.locator('[data-stat="signups"]')).to_have_text("1")
    expect(page.locator('[data-stat="conversion"]')).to_have_text("100.0%")
    expect(page.locator(".chart-month").last).to_have_attribute("data-value", "50.00")
    page.screenshot(path=screenshot_dir / "referral-statistics.png", full_page=True)

    # 5. And asks for a payout: first too much (refused, clearly), then 40.
    page.get_by_role("link", name="Payouts").click()
    expect(page.locator('[data-total="available"]')).to_have_text("50.00 USD")
    page.locator("input[name=amount]").fill("60")
    page.locator("input[name=destination]").fill("IBAN UA21 3223 1300 0002 6007")
    page.get_by_role("button", name="Request payout").click()
    expect(page.locator(".errorlist")).to_contain_text("at most 50.00 USD")
    page.locator("input[name=amount]").fill("40")
    page.get_by_role("button", name="Request payout").click()
    expect(page.locator(".flash-success")).to_contain_text("40.00 USD requested")
    expect(page.locator('[data-total="available"]')).to_have_text("10.00 USD")
    expect(page.locator("table.payouts tbody tr")).to_have_count(1)
    expect(page.locator("table.payouts tbody tr")).to_have_attribute(
        "data-status", "requested"
    )
    payout = PayoutRequest.objects.get()
    assert payout.amount == Decimal("40.00")

    # 6. The same pages on a phone: nothing scrolls sideways.
    page.set_viewport_size(PHONE)
    for path in (
        "/portal/",
        "/portal/referral/",
        "/portal/referral/referrals/",
        "/portal/referral/payouts/",
        "/portal/referral/statistics/",
        f"/portal/crms/{Crm.objects.get(owner=referrer).pk}/billing/",
    ):
        page.goto(path)
        assert no_sideways_scroll(page), path
        name = path.strip("/").replace("/", "-")
        page.screenshot(path=screenshot_dir / f"phone-{name}.png", full_page=True)
