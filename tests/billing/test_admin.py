"""Operators in Django admin: corrections only with a reason, through the ledger
service; bookkeeping never edited or deleted; payouts marked paid or rejected."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import LedgerEntry, PayoutRequest, ReferralEntry, Wallet
from billing.services import payment_record, payout_request
from tests.factories import AccountFactory, ReferralProgramFactory

D = Decimal
ADD_URL = reverse("admin:billing_ledgerentry_add")


@pytest.fixture
def operator(client, db):
    staff = AccountFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    return staff


def test_a_correction_with_a_reason_changes_the_balance(client, operator, shop):
    response = client.post(
        ADD_URL,
        {
            "crm": shop.pk,
            "kind": "correction",
            "amount": "12.30",
            "reason": "Goodwill for the outage",
        },
    )
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount, entry.created_by) == (
        "correction",
        D("12.30"),
        operator,
    )
    assert Wallet.objects.get(crm_id=shop.pk).balance == D("12.30")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "correction", "amount": "5", "reason": ""}, "This field is required"),
        ({"kind": "correction", "amount": "0", "reason": "x"}, "zero changes nothing"),
        ({"kind": "charge", "amount": "5", "reason": "x"}, "make it negative"),
        ({"kind": "top_up", "amount": "5", "reason": "x"}, "Select a valid choice"),
    ],
)
def test_bad_corrections_are_refused_on_the_form(client, operator, shop, data, message):
    response = client.post(ADD_URL, {"crm": shop.pk, **data})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not LedgerEntry.objects.exists()


def test_ledger_entries_are_never_edited_or_deleted(client, operator, shop):
    entry, _ = payment_record(
        crm_id=shop.pk, payment_id="p1", amount=D("10"), currency="USD"
    )
    change = reverse("admin:billing_ledgerentry_change", args=[entry.pk])
    assert client.get(change).status_code == 200  # read-only view
    client.post(change, {"amount": "999", "reason": "x"})
    delete = reverse("admin:billing_ledgerentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.amount == D("10.00")
    assert (
        client.get(reverse("admin:billing_ledgerentry_changelist")).status_code == 200
    )


def test_payout_actions_mark_paid_and_reject(client, operator):
    program = ReferralProgramFactory()
    ReferralEntry.objects.create(
        referrer=program, kind="reward", amount=D("100"), currency="USD"
    )
    paid = payout_request(
        account=program.account, amount=D("30"), currency="USD", destination="card"
    )
    rejected = payout_request(
        account=program.account, amount=D("40"), currency="USD", destination="card"
    )
    change = reverse("admin:billing_payoutrequest_change", args=[rejected.pk])
    client.post(change, {"note": "The IBAN is not valid"})
    url = reverse("admin:billing_payoutrequest_changelist")
    for payout, action in ((paid, "mark_paid"), (rejected, "mark_rejected")):
        response = client.post(
            url, {"action": action, "_selected_action": [payout.pk]}, follow=True
        )
        assert response.status_code == 200
    paid.refresh_from_db()
    rejected.refresh_from_db()
    assert (paid.status, paid.decided_by) == (PayoutRequest.Status.PAID, operator)
    assert rejected.status == PayoutRequest.Status.REJECTED
    assert rejected.note == "The IBAN is not valid"
    # Deciding again is refused with a message, not an error page.
    response = client.post(
        url, {"action": "mark_paid", "_selected_action": [rejected.pk]}, follow=True
    )
    assert "already rejected" in response.content.decode()
    rejected.refresh_from_db()
    assert rejected.status == PayoutRequest.Status.REJECTED
