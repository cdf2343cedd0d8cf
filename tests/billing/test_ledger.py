"""A CRM's ledger: payments and refunds once each, staff entries with reasons, the
balance always the ledger's sum, and bookkeeping that outlives the CRM."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.models import LedgerEntry, Wallet
from billing.selectors import ledger_sum
from billing.services import (
    BillingRefused,
    ledger_entry_add,
    payment_record,
    refund_record,
)
from crm.models import Crm, CrmTombstone
from crm.purge import crm_purge
from tests.factories import AccountFactory

D = Decimal


def balance(crm) -> Decimal:
    return Wallet.objects.get(crm_id=crm.pk).balance


def test_a_payment_is_a_top_up_and_the_balance_is_the_ledger_sum(shop):
    entry, created = payment_record(
        crm_id=shop.pk, payment_id="pay_1", amount=D("100.50"), currency="USD"
    )
    assert created
    assert entry.kind == LedgerEntry.Kind.TOP_UP
    assert (entry.crm_id, entry.crm_name) == (shop.pk, "Owner Shop")
    assert entry.balance_after == D("100.50")
    payment_record(crm_id=shop.pk, payment_id="pay_2", amount=D("0.25"), currency="USD")
    ledger_entry_add(
        crm=shop, kind="charge", amount=D("-30"), reason="Plan", actor=None
    )
    assert balance(shop) == ledger_sum(crm_id=shop.pk) == D("70.75")
    assert Wallet.objects.get(crm_id=shop.pk).entry_count == 3


def test_the_same_payment_twice_is_one_entry(shop):
    first, _ = payment_record(
        crm_id=shop.pk, payment_id="pay_1", amount=D("10"), currency="USD"
    )
    again, created = payment_record(
        crm_id=shop.pk, payment_id="pay_1", amount=D("10.00"), currency="USD"
    )
    assert not created
    assert again.pk == first.pk
    assert LedgerEntry.objects.count() == 1
    assert balance(shop) == D("10.00")


def test_a_payment_id_reused_for_other_details_is_refused(shop, crm_b):
    payment_record(crm_id=shop.pk, payment_id="pay_1", amount=D("10"), currency="USD")
    for kwargs in (
        {"crm_id": shop.pk, "amount": D("11")},
        {"crm_id": crm_b.pk, "amount": D("10")},
    ):
        with pytest.raises(BillingRefused) as refused:
            payment_record(payment_id="pay_1", currency="USD", **kwargs)
        assert refused.value.code == "payment_id_conflict"
    assert LedgerEntry.objects.count() == 1
    assert not Wallet.objects.filter(crm_id=crm_b.pk).exists()


def test_unknown_crm_and_other_currency_are_refused_and_write_nothing(shop):
    with pytest.raises(BillingRefused) as refused:
        payment_record(crm_id=987654, payment_id="p", amount=D("5"), currency="USD")
    assert refused.value.code == "unknown_crm"
    payment_record(crm_id=shop.pk, payment_id="p1", amount=D("5"), currency="EUR")
    with pytest.raises(BillingRefused) as refused:
        payment_record(crm_id=shop.pk, payment_id="p2", amount=D("5"), currency="USD")
    assert refused.value.code == "currency_mismatch"
    assert Wallet.objects.get(crm_id=shop.pk).currency == "EUR"
    assert list(LedgerEntry.objects.values_list("provider_payment_id", flat=True)) == [
        "p1"
    ]


@pytest.mark.parametrize("amount", ["0", "-5", "1.005", "NaN", "1e20"])
def test_amounts_that_are_not_a_payment_are_refused(shop, amount):
    with pytest.raises((BillingRefused, ValidationError)):
        payment_record(crm_id=shop.pk, payment_id="p", amount=D(amount), currency="USD")
    assert not LedgerEntry.objects.exists()


def test_refunds_reverse_a_payment_once_each_and_never_beyond_it(shop):
    payment, _ = payment_record(
        crm_id=shop.pk, payment_id="pay_1", amount=D("100"), currency="USD"
    )
    refund, created = refund_record(
        refund_id="ref_1", payment_id="pay_1", amount=D("40"), currency="USD"
    )
    assert created
    assert refund.kind == LedgerEntry.Kind.REFUND
    assert refund.amount == D("-40.00")
    assert refund.refund_of == payment
    _same, created = refund_record(
        refund_id="ref_1", payment_id="pay_1", amount=D("40"), currency="USD"
    )
    assert not created
    with pytest.raises(BillingRefused) as refused:
        refund_record(
            refund_id="ref_2", payment_id="pay_1", amount=D("60.01"), currency="USD"
        )
    assert refused.value.code == "refund_exceeds_payment"
    refund_record(refund_id="ref_2", payment_id="pay_1", amount=D("60"), currency="USD")
    assert balance(shop) == ledger_sum(crm_id=shop.pk) == D("0.00")


def test_a_refund_of_an_unknown_payment_is_refused(shop):
    with pytest.raises(BillingRefused) as refused:
        refund_record(refund_id="r", payment_id="nope", amount=D("1"), currency="USD")
    assert refused.value.code == "unknown_payment"


def test_staff_entries_need_a_reason_and_the_right_sign(shop):
    staff = AccountFactory(is_staff=True)
    entry = ledger_entry_add(
        crm=shop, kind="correction", amount=D("-2.50"), reason=" Typo ", actor=staff
    )
    assert (entry.reason, entry.created_by, entry.amount) == ("Typo", staff, D("-2.50"))
    bad = [
        {"kind": "correction", "amount": D("5"), "reason": "  "},
        {"kind": "correction", "amount": D("0"), "reason": "x"},
        {"kind": "charge", "amount": D("5"), "reason": "x"},
        {"kind": "referral_bonus", "amount": D("-5"), "reason": "x"},
        {"kind": "top_up", "amount": D("5"), "reason": "x"},
        {"kind": "refund", "amount": D("-5"), "reason": "x"},
    ]
    for kwargs in bad:
        with pytest.raises(ValidationError):
            ledger_entry_add(crm=shop, actor=staff, **kwargs)
    assert LedgerEntry.objects.count() == 1
    assert balance(shop) == D("-2.50")


@pytest.mark.django_db(transaction=True)
def test_the_purge_leaves_the_ledger_and_a_refund_still_lands(owner):
    from tests.factories import CrmFactory, OwnerCrmUserFactory

    crm = CrmFactory(owner=owner, name="Short Lived")
    OwnerCrmUserFactory(crm=crm)
    payment_record(crm_id=crm.pk, payment_id="pay_1", amount=D("50"), currency="USD")
    crm_id = crm.pk
    Crm.objects.filter(pk=crm_id).update(
        status=Crm.Status.PURGING, updated_at=timezone.now()
    )

    assert crm_purge(crm_id=crm_id) is not None

    assert not Crm.objects.filter(pk=crm_id).exists()
    assert CrmTombstone.objects.filter(crm_id=crm_id).exists()
    entry = LedgerEntry.objects.get(crm_id=crm_id)
    assert (entry.crm_name, entry.amount) == ("Short Lived", D("50.00"))
    # The provider may refund after the CRM is gone: bookkeeping still balances.
    refund_record(refund_id="ref_1", payment_id="pay_1", amount=D("50"), currency="USD")
    assert Wallet.objects.get(crm_id=crm_id).balance == D("0.00")
    # And nothing can top up a CRM that is gone.
    with pytest.raises(BillingRefused):
        payment_record(crm_id=crm_id, payment_id="p2", amount=D("1"), currency="USD")


def test_demo_data_gives_a_balance_once(db):
    from io import StringIO

    from django.core.management import call_command

    call_command("demo_data", stdout=StringIO())
    call_command("demo_data", stdout=StringIO())
    acme = Crm.objects.get(name="Acme Store")
    assert Wallet.objects.get(crm_id=acme.pk).balance == D("250.00")


def test_reconcile_finds_a_balance_that_is_not_its_ledgers_sum(shop, crm_b):
    from io import StringIO

    from django.core.management import CommandError, call_command

    payment_record(crm_id=shop.pk, payment_id="p1", amount=D("10"), currency="USD")
    payment_record(crm_id=crm_b.pk, payment_id="p2", amount=D("3"), currency="USD")
    out = StringIO()
    call_command("billing_reconcile", stdout=out)
    assert "Every balance is its ledger's sum" in out.getvalue()

    Wallet.objects.filter(crm_id=shop.pk).update(balance=D("11.00"))
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("billing_reconcile", stdout=out)
    assert f"CRM {shop.pk} (Owner Shop): balance 11.00" in out.getvalue()
    assert f"CRM {crm_b.pk} " not in out.getvalue()


def test_demo_data_prints_logins_that_work(db):
    """The owner's login is the portal's (their CRMs are entered from there), the
    staff member's the CRM's; the owner's address is confirmed, so the demo CRMs
    can send invitations."""
    from io import StringIO

    from allauth.account.models import EmailAddress
    from django.core.management import call_command
    from django.test import Client

    out = StringIO()
    call_command("demo_data", stdout=out)
    printed = out.getvalue()

    assert "/accounts/login/  owner@example.com" in printed
    assert "/c/acme-store/login/  staff@example.com" in printed
    assert "/login/  owner@example.com" not in printed.replace(
        "/accounts/login/  owner@example.com", ""
    )
    assert EmailAddress.objects.get(email="owner@example.com").verified
    staff = Client()
    staff.post(
        "/c/acme-store/login/",
        {"email": "staff@example.com", "password": "demo-pass-2026"},
    )
    acme = Crm.objects.get(slug="acme-store")
    assert staff.get(f"/c/{acme.slug}/").status_code == 200
