"""The owner's balance in the portal list and on the billing page, and the
referral program's pages: who may see what, and what bad input gets."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import PayoutRequest, ReferralEntry, ReferralProgram
from billing.services import ledger_entry_add, payment_record
from crm.models import CrmUser
from tests.factories import (
    AccountFactory,
    CrmFactory,
    CrmUserFactory,
    OwnerCrmUserFactory,
    ReferralClickFactory,
    ReferralFactory,
    ReferralProgramFactory,
)

D = Decimal
LIST_URL = reverse("portal:crm_list")


def billing_url(crm) -> str:
    return reverse("billing:crm_billing", kwargs={"crm_id": crm.pk})


def row(html: str, crm) -> str:
    found = re.search(rf'<tr id="crm-{crm.pk}".*?</tr>', html, re.S)
    assert found, crm
    return found[0]


def top_up(crm, amount="10.00", payment_id=None):
    return payment_record(
        crm_id=crm.pk,
        payment_id=payment_id or f"pay-{crm.pk}-{amount}",
        amount=D(amount),
        currency="USD",
    )


# --- the portal list ------------------------------------------------------------


def test_the_list_shows_the_balance_of_owned_crms_only(client, owner, shop):
    joined = CrmFactory(name="Joined Agency")
    CrmUserFactory(crm=joined, account=owner, role=CrmUser.Role.ADMIN)
    top_up(shop, "1234.50")
    top_up(joined, "999.00")
    client.force_login(owner)
    html = client.get(LIST_URL).content.decode()
    own = row(html, shop)
    assert "1,234.50 USD" in own or "1234.50 USD" in own
    assert f'href="{billing_url(shop)}"' in own
    other = row(html, joined)
    assert "999" not in other
    assert billing_url(joined) not in other


def test_an_owned_crm_without_payments_shows_zero(client, owner, shop):
    client.force_login(owner)
    assert "0.00 USD" in row(client.get(LIST_URL).content.decode(), shop)


def test_the_list_shows_a_new_balance_at_once(client, owner, shop):
    client.force_login(owner)
    assert "0.00 USD" in row(client.get(LIST_URL).content.decode(), shop)
    top_up(shop, "5.00")
    assert "5.00 USD" in row(client.get(LIST_URL).content.decode(), shop)
    ledger_entry_add(
        crm=shop, kind="correction", amount=D("-1"), reason="x", actor=None
    )
    assert "4.00 USD" in row(client.get(LIST_URL).content.decode(), shop)


def test_the_list_with_balances_runs_a_constant_number_of_queries(
    client, owner, django_assert_max_num_queries
):
    for index in range(20):
        crm = CrmFactory(owner=owner)
        OwnerCrmUserFactory(crm=crm)
        top_up(crm, f"{index + 1}.00")
    client.force_login(owner)
    with django_assert_max_num_queries(6):
        html = client.get(LIST_URL).content.decode()
    assert html.count(" USD</a>") == 20
    top_up(crm, "0.50", payment_id="one-more")
    with django_assert_max_num_queries(6):
        html = client.get(LIST_URL).content.decode()
    assert "20.50 USD" in html


def test_the_list_has_the_referral_banner(client, owner, shop):
    client.force_login(owner)
    html = client.get(LIST_URL).content.decode()
    assert "Learn more" in html
    assert f'href="{reverse("billing:referral_home")}"' in html


# --- the billing page -----------------------------------------------------------


def test_the_owner_sees_the_balance_and_its_history(client, owner, shop):
    top_up(shop, "50.00")
    ledger_entry_add(
        crm=shop, kind="correction", amount=D("-5"), reason="Double charge", actor=None
    )
    client.force_login(owner)
    response = client.get(billing_url(shop))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-balance="45.00"' in html
    assert "Double charge" in html
    assert html.index('data-kind="correction"') < html.index('data-kind="top_up"')


@pytest.mark.parametrize("who", ["admin_of_it", "stranger"])
def test_the_billing_page_of_a_crm_one_does_not_own_is_404(client, shop, who):
    account = AccountFactory()
    if who == "admin_of_it":
        CrmUserFactory(crm=shop, account=account, role=CrmUser.Role.ADMIN)
    top_up(shop, "77.00")
    client.force_login(account)
    response = client.get(billing_url(shop))
    assert response.status_code == 404
    assert "77.00" not in response.content.decode()


def test_billing_pages_need_a_sign_in(client, shop):
    response = client.get(billing_url(shop))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_every_billing_url_with_another_accounts_crm_id_is_404(client, crm_a, crm_b):
    from billing import urls

    client.force_login(crm_a.owner)
    with_ids = [p for p in urls.urlpatterns if "crm_id" in p.pattern.regex.groupindex]
    assert with_ids
    for pattern in with_ids:
        url = reverse(f"billing:{pattern.name}", kwargs={"crm_id": crm_b.pk})
        assert client.get(url).status_code == 404
        assert client.get(url.replace(str(crm_b.pk), "999999")).status_code == 404


# --- the referral program -------------------------------------------------------


def test_rules_then_activate_then_a_link(client, owner):
    client.force_login(owner)
    home = reverse("billing:referral_home")
    html = client.get(home).content.decode()
    assert "Activate referral program" in html
    assert "50%" in html and "12 months" in html and "7 days" in html
    assert "/r/" not in html

    response = client.post(reverse("billing:referral_activate"))
    assert response.status_code == 302
    html = client.get(home).content.decode()
    code = owner.referral_program.code
    assert f"http://testserver/r/{code}/" in html
    assert "Activate referral program" not in html


def test_activation_is_post_only(client, owner):
    client.force_login(owner)
    assert client.get(reverse("billing:referral_activate")).status_code == 405


@pytest.mark.parametrize(
    "name", ["referral_referrals", "referral_payouts", "referral_stats"]
)
def test_program_pages_before_activation_send_to_the_rules(client, owner, name):
    client.force_login(owner)
    response = client.get(reverse(f"billing:{name}"))
    assert response.status_code == 302
    assert response.url == reverse("billing:referral_home")


@pytest.fixture
def program(owner):
    return ReferralProgramFactory(account=owner)


def test_referrals_page_shows_masked_emails_payments_and_rewards(client, program):
    referral = ReferralFactory(referrer=program, account__email="mila@store.example")
    crm = CrmFactory(owner=referral.account)
    top_up(crm, "40.00")
    other = ReferralFactory(account__email="not-mine@store.example")
    client.force_login(program.account)
    html = client.get(reverse("billing:referral_referrals")).content.decode()
    found = row_of = re.search(rf'<tr id="referral-{referral.pk}".*?</tr>', html, re.S)
    assert found
    row_of = found[0]
    assert "mi***@st***.example" in row_of
    assert "mila@store.example" not in html
    assert "40.00" in row_of and "20.00" in row_of
    assert f"referral-{other.pk}" not in html


def test_payouts_page_requests_and_refuses_clearly(client, program):
    ReferralEntry.objects.create(
        referrer=program, kind="reward", amount=D("60"), currency="USD"
    )
    client.force_login(program.account)
    url = reverse("billing:referral_payouts")
    html = client.get(url).content.decode()
    assert 'data-total="available">60.00 USD' in html

    too_much = client.post(
        url, {"amount": "60.01", "currency": "USD", "destination": "card 4242"}
    )
    assert too_much.status_code == 400
    assert "at most 60.00 USD" in too_much.content.decode()
    for bad in (
        {"amount": "abc", "currency": "USD", "destination": "x"},
        {"amount": "30", "currency": "XXX", "destination": "x"},
        {"amount": "10", "currency": "USD", "destination": "x"},
        {"amount": "30", "currency": "USD", "destination": ""},
    ):
        assert client.post(url, bad).status_code == 400
    assert not PayoutRequest.objects.exists()

    ok = client.post(url, {"amount": "25", "currency": "USD", "destination": "card"})
    assert ok.status_code == 302
    html = client.get(url).content.decode()
    assert 'data-total="available">35.00 USD' in html
    assert 'data-status="requested"' in html


def test_statistics_count_clicks_signups_and_chart_rewards(client, program):
    for _ in range(4):
        ReferralClickFactory(referrer=program)
    referral = ReferralFactory(referrer=program)
    top_up(CrmFactory(owner=referral.account), "30.00")
    client.force_login(program.account)
    html = client.get(reverse("billing:referral_stats")).content.decode()
    assert 'data-stat="clicks">4<' in html
    assert 'data-stat="signups">1<' in html
    assert 'data-stat="conversion">25.0%<' in html
    assert html.count('class="chart-month"') == 12
    bars = re.findall(r'data-value="([^"]+)"', html)
    assert bars[-1] == "15.00" and set(bars[:-1]) == {"0.00"}
    assert "<svg" in html and "http" not in html.split("<svg", 1)[1].split("</svg>")[0]


def test_a_long_history_is_paged_with_a_constant_number_of_queries(
    client, owner, shop, django_assert_max_num_queries
):
    for index in range(55):
        top_up(shop, "1.00", payment_id=f"p{index}")
    client.force_login(owner)
    with django_assert_max_num_queries(8):
        first = client.get(billing_url(shop)).content.decode()
    assert first.count('data-kind="top_up"') == 50
    assert 'data-balance="55.00"' in first
    assert "Page 1 of 2" in first
    second = client.get(billing_url(shop) + "?page=2").content.decode()
    assert second.count('data-kind="top_up"') == 5
    assert client.get(billing_url(shop) + "?page=abc").status_code == 200
    assert client.get(billing_url(shop) + "?page=999").status_code == 200


def test_bad_input_in_urls_is_404_never_500(client, owner):
    client.force_login(owner)
    huge = "9" * 30
    assert client.get(f"/portal/crms/{huge}/billing/").status_code == 404
    assert client.get("/r/" + "x" * 300 + "/").status_code == 404
    assert client.get("/r/UPPER-case_code/").status_code == 404


@pytest.mark.parametrize(
    "name", ["referral_referrals", "referral_payouts", "referral_stats"]
)
def test_program_pages_run_a_constant_number_of_queries(
    client, program, name, django_assert_max_num_queries
):
    from billing.services import payout_request

    for _ in range(15):
        referral = ReferralFactory(referrer=program)
        top_up(CrmFactory(owner=referral.account), "100.00")
        ReferralClickFactory(referrer=program)
    for _ in range(5):
        payout_request(
            account=program.account, amount=D("20"), currency="USD", destination="x"
        )
    client.force_login(program.account)
    with django_assert_max_num_queries(9):
        response = client.get(reverse(f"billing:{name}"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "referral_home",
        "referral_activate",
        "referral_referrals",
        "referral_payouts",
        "referral_stats",
    ],
)
def test_referral_pages_need_a_sign_in(client, db, name):
    response = client.post(reverse(f"billing:{name}"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not ReferralProgram.objects.exists()
