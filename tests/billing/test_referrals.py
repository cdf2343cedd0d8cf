"""The referral program: the link, attribution from the first click, the rules
against self-referral and re-attribution, and rewards that refunds take back."""

from datetime import timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from billing.attribution import COOKIE_NAME
from billing.models import Referral, ReferralClick, ReferralEntry, ReferralProgram
from billing.selectors import email_masked, referral_totals
from billing.services import (
    email_normalized,
    payment_record,
    referral_program_activate,
    referral_signup_attribute,
    refund_record,
)
from crm.models import Crm
from tests.factories import (
    AccountFactory,
    CrmFactory,
    OwnerCrmUserFactory,
    ReferralClickFactory,
    ReferralFactory,
    ReferralProgramFactory,
)

D = Decimal
SIGNUP_URL = reverse("account_signup")


def signup(client, email="friend@example.com", crm_name="Friend Shop"):
    return client.post(
        SIGNUP_URL,
        {
            "email": email,
            "crm_name": crm_name,
            "password1": "a-long-secret-phrase",
            "password2": "a-long-secret-phrase",
        },
    )


def link(program) -> str:
    return reverse("billing:referral_link", kwargs={"code": program.code})


@pytest.fixture
def referrer(db):
    return ReferralProgramFactory(account__email="ref@agency.example")


def test_activation_gives_one_code_for_ever(db):
    account = AccountFactory()
    program = referral_program_activate(account=account)
    assert len(program.code) == 10
    assert referral_program_activate(account=account) == program
    assert ReferralProgram.objects.count() == 1


def test_a_visit_records_a_click_and_attributes_the_browser(client, referrer):
    response = client.get(link(referrer))
    assert response.status_code == 302
    assert response.url == SIGNUP_URL
    assert ReferralClick.objects.filter(referrer=referrer).count() == 1
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["max-age"] == 7 * 24 * 3600


def test_an_unknown_code_is_a_clear_404(client, db):
    response = client.get("/r/no-such-code/")
    assert response.status_code == 404
    assert "This referral link does not exist" in response.content.decode()
    assert COOKIE_NAME not in response.cookies
    assert not ReferralClick.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_sign_up_through_the_link_is_attributed_and_the_referrer_is_mailed(
    client, referrer
):
    client.get(link(referrer))
    assert signup(client).status_code == 302
    account = Account.objects.get(email="friend@example.com")
    referral = Referral.objects.get(account=account)
    assert referral.referrer == referrer
    assert referral.click == ReferralClick.objects.get()
    assert referral.rewards_until == referral.signed_up_at + relativedelta(months=12)
    sent = [m for m in mail.outbox if m.to == ["ref@agency.example"]]
    assert len(sent) == 1
    assert "signed up through your referral link" in sent[0].subject
    assert "fr***@ex***.com" in sent[0].body
    assert "friend@example.com" not in sent[0].body


def test_the_first_click_wins_and_is_not_renewed(client, referrer):
    other = ReferralProgramFactory()
    first = client.get(link(referrer)).cookies[COOKIE_NAME].value
    second = client.get(link(other))
    assert COOKIE_NAME not in second.cookies  # the first attribution stays
    assert ReferralClick.objects.count() == 2  # both visits are counted
    assert client.cookies[COOKIE_NAME].value == first
    signup(client)
    assert Referral.objects.get().referrer == referrer


def test_a_sign_up_after_the_attribution_lapsed_is_not_attributed(db, referrer):
    account = AccountFactory()
    click = ReferralClickFactory(referrer=referrer)
    ReferralClick.objects.filter(pk=click.pk).update(
        created_at=timezone.now() - timedelta(days=7, minutes=1)
    )
    assert referral_signup_attribute(account=account, click_id=click.pk) is None
    assert not Referral.objects.exists()


@override_settings(REFERRAL_ATTRIBUTION_DAYS=1)
def test_the_cookie_lapses_with_the_attribution_days(client, referrer, monkeypatch):
    client.get(link(referrer))
    later = timezone.now() + timedelta(days=1, seconds=5)
    monkeypatch.setattr("django.core.signing.time.time", lambda: later.timestamp())
    signup(client)
    assert not Referral.objects.exists()


def test_a_forged_cookie_attributes_nothing(client, referrer):
    click = ReferralClickFactory(referrer=referrer)
    client.cookies[COOKIE_NAME] = str(click.pk)
    signup(client)
    assert Account.objects.filter(email="friend@example.com").exists()
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("referrer_email", "new_email"),
    [
        ("john.doe@gmail.com", "johndoe+again@gmail.com"),
        ("john.doe@gmail.com", "J.O.H.N.doe@googlemail.com"),
        ("boss@shop.example", "boss+second@shop.example"),
    ],
)
def test_no_self_referral_through_another_address_of_the_same_mailbox(
    db, referrer_email, new_email
):
    program = ReferralProgramFactory(account__email=referrer_email)
    click = ReferralClickFactory(referrer=program)
    # Emails are unique per Account, case-insensitively: the same mailbox can only
    # come back under another spelling.
    second = AccountFactory(email=new_email)
    assert referral_signup_attribute(account=second, click_id=click.pk) is None
    assert not Referral.objects.exists()


def test_email_normalization():
    assert email_normalized(" J.Doe+x@GoogleMail.com ") == "jdoe@gmail.com"
    assert email_normalized("a.b+c@shop.example") == "a.b@shop.example"
    assert email_masked("anna@example.com") == "an***@ex***.com"


def test_one_referrer_per_account_never_re_attributed(db, referrer):
    account = AccountFactory()
    first = referral_signup_attribute(
        account=account, click_id=ReferralClickFactory(referrer=referrer).pk
    )
    assert first is not None
    other_click = ReferralClickFactory()
    assert referral_signup_attribute(account=account, click_id=other_click.pk) is None
    assert Referral.objects.get(account=account).referrer == referrer


def test_an_existing_account_visiting_a_link_is_not_attributed(client, referrer):
    account = AccountFactory()
    client.force_login(account)
    response = client.get(link(referrer))
    assert response.status_code == 302
    assert response.url == reverse("portal:crm_list")
    assert COOKIE_NAME not in response.cookies
    assert not Referral.objects.exists()


# --- rewards ---------------------------------------------------------------------


@pytest.fixture
def referred(referrer):
    """An Account referred by ``referrer``, with a CRM of its own."""
    referral = ReferralFactory(referrer=referrer, account__email="new@shop.example")
    crm = CrmFactory(owner=referral.account, name="Referred Shop")
    OwnerCrmUserFactory(crm=crm)
    return crm


def rewards(program):
    return list(
        ReferralEntry.objects.filter(referrer=program)
        .order_by("pk")
        .values_list("kind", "amount")
    )


def test_a_top_up_of_a_referred_accounts_crm_earns_half(referrer, referred):
    payment_record(
        crm_id=referred.pk, payment_id="p1", amount=D("99.99"), currency="USD"
    )
    second = CrmFactory(owner=referred.owner)
    payment_record(crm_id=second.pk, payment_id="p2", amount=D("10"), currency="USD")
    assert rewards(referrer) == [("reward", D("49.99")), ("reward", D("5.00"))]
    totals = referral_totals(program=referrer)[0]
    assert (totals.accrued, totals.available) == (D("54.99"), D("54.99"))


def test_the_same_payment_twice_rewards_once(referrer, referred):
    for _ in range(2):
        payment_record(
            crm_id=referred.pk, payment_id="p1", amount=D("10"), currency="USD"
        )
    assert rewards(referrer) == [("reward", D("5.00"))]


def test_no_reward_after_the_reward_period_or_without_a_referral(referrer, referred):
    Referral.objects.filter(account=referred.owner).update(
        rewards_until=timezone.now() - timedelta(seconds=1)
    )
    payment_record(crm_id=referred.pk, payment_id="p1", amount=D("10"), currency="USD")
    stranger = CrmFactory()
    payment_record(crm_id=stranger.pk, payment_id="p2", amount=D("10"), currency="USD")
    assert rewards(referrer) == []


def test_refunds_take_back_the_reward_in_proportion_and_in_full(referrer, referred):
    payment_record(
        crm_id=referred.pk, payment_id="p1", amount=D("10.01"), currency="USD"
    )
    assert rewards(referrer) == [("reward", D("5.00"))]
    refund_record(refund_id="r1", payment_id="p1", amount=D("3.33"), currency="USD")
    refund_record(refund_id="r1", payment_id="p1", amount=D("3.33"), currency="USD")
    refund_record(refund_id="r2", payment_id="p1", amount=D("6.68"), currency="USD")
    kinds = rewards(referrer)
    assert [kind for kind, _ in kinds] == [
        "reward",
        "reward_reversal",
        "reward_reversal",
    ]
    assert sum(amount for _, amount in kinds) == D("0.00")
    assert kinds[1][1] == D("-1.66")


def test_a_refund_of_an_unrewarded_payment_touches_no_referrer(referrer, shop):
    payment_record(crm_id=shop.pk, payment_id="p1", amount=D("10"), currency="USD")
    refund_record(refund_id="r1", payment_id="p1", amount=D("10"), currency="USD")
    assert not ReferralEntry.objects.exists()


@override_settings(REFERRAL_REWARD_PERCENT=D("12.5"))
def test_the_percentage_comes_from_settings(referrer, referred):
    payment_record(crm_id=referred.pk, payment_id="p1", amount=D("10"), currency="USD")
    assert rewards(referrer) == [("reward", D("1.25"))]


def test_crm_status_does_not_matter_for_payments(referrer, referred):
    Crm.objects.filter(pk=referred.pk).update(
        status=Crm.Status.PENDING_DELETION, deletion_due_at=timezone.now()
    )
    payment_record(crm_id=referred.pk, payment_id="p1", amount=D("4"), currency="USD")
    assert rewards(referrer) == [("reward", D("2.00"))]


def test_a_top_up_and_its_reward_commit_together_or_not_at_all(
    referrer, referred, monkeypatch
):
    from billing.models import LedgerEntry, Wallet
    from billing.services import referrals

    def broken(**kwargs):
        raise RuntimeError("the reward could not be written")

    monkeypatch.setattr(referrals.ReferralEntry.objects, "create", broken)
    with pytest.raises(RuntimeError):
        payment_record(
            crm_id=referred.pk, payment_id="p1", amount=D("10"), currency="USD"
        )
    assert not LedgerEntry.objects.exists()
    assert not Wallet.objects.filter(balance__gt=0).exists()
