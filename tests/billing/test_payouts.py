"""Payouts: requested within what is available, decided once by staff; a
rejection gives the amount back; two requests at once cannot spend it twice."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import translation

from billing.models import PayoutRequest, ReferralEntry
from billing.selectors import referral_totals
from billing.services import payout_decide, payout_request
from tests.billing.conftest import at_once
from tests.factories import AccountFactory, ReferralProgramFactory

D = Decimal


def earn(program, amount: str) -> None:
    ReferralEntry.objects.create(
        referrer=program, kind="reward", amount=D(amount), currency="USD"
    )


@pytest.fixture
def program(db):
    program = ReferralProgramFactory(account__email="earner@example.com")
    earn(program, "100.00")
    return program


def request(program, amount="30.00", destination="IBAN UA21 3223 1300 0002 6007"):
    return payout_request(
        account=program.account,
        amount=D(amount),
        currency="USD",
        destination=destination,
    )


def refused_or_ok(outcomes: list) -> list[str]:
    """Sorted: "refused" for a call that raised ValidationError, else "ok"; any
    other exception is raised here."""
    for outcome in outcomes:
        if isinstance(outcome, Exception) and not isinstance(outcome, ValidationError):
            raise outcome
    return sorted(
        "refused" if isinstance(outcome, ValidationError) else "ok"
        for outcome in outcomes
    )


def totals(program):
    item = referral_totals(program=program)[0]
    return item.accrued, item.pending, item.paid, item.available


def test_a_request_holds_the_amount_and_mails_the_referrer(
    program, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payout = request(program)
    assert payout.status == PayoutRequest.Status.REQUESTED
    assert totals(program) == (D("100"), D("30"), D("0"), D("70"))
    assert [m.to for m in mail.outbox] == [["earner@example.com"]]
    assert "payout request" in mail.outbox[0].subject


def test_the_referrer_is_mailed_in_their_own_language(
    program, django_capture_on_commit_callbacks
):
    program.account.language = "uk"
    program.account.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        request(program)
    with translation.override("uk"):
        expected = render_to_string(
            "emails/payout_status_subject.txt", {"payout": PayoutRequest.objects.get()}
        ).strip()
    assert "payout request" not in mail.outbox[0].subject
    assert mail.outbox[0].subject == expected


@pytest.mark.parametrize(
    ("amount", "destination", "field"),
    [
        ("19.99", "card", "amount"),  # below REFERRAL_MIN_PAYOUT (20)
        ("100.01", "card", "amount"),  # above what is available
        ("30.00", "   ", "destination"),
        ("30.001", "card", None),
    ],
)
def test_refused_requests_change_nothing(program, amount, destination, field):
    with pytest.raises(ValidationError) as refused:
        request(program, amount=amount, destination=destination)
    if field:
        assert field in refused.value.message_dict
    assert not PayoutRequest.objects.exists()
    assert totals(program)[3] == D("100")


def test_no_program_no_payout(db):
    with pytest.raises(ValidationError):
        payout_request(
            account=AccountFactory(), amount=D("50"), currency="USD", destination="x"
        )


def test_paid_and_rejected(program, django_capture_on_commit_callbacks):
    paid = request(program, "30")
    rejected = request(program, "50")
    assert totals(program)[3] == D("20")

    with django_capture_on_commit_callbacks(execute=True):
        payout_decide(payout_id=paid.pk, paid=True, actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        payout_decide(payout_id=rejected.pk, paid=False, actor=None, note="Wrong IBAN")

    assert totals(program) == (D("100"), D("0"), D("30"), D("70"))
    subjects = [m.subject for m in mail.outbox]
    assert subjects == [
        "Your payout has been sent",
        "Your payout request was rejected",
    ]
    assert "Wrong IBAN" in mail.outbox[1].body


def test_a_request_is_decided_once(program):
    payout = request(program)
    payout_decide(payout_id=payout.pk, paid=False, actor=None)
    for paid in (True, False):
        with pytest.raises(ValidationError):
            payout_decide(payout_id=payout.pk, paid=paid, actor=None)
    # The amount came back once, not twice.
    assert totals(program)[3] == D("100")
    assert ReferralEntry.objects.filter(kind="payout_returned").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_cannot_both_spend_the_same_money():
    """Two payout requests racing on two connections for 80 of 100 available: the
    referrer's row lock lets exactly one through. (SQLite, which cannot lock rows,
    serialises the two write transactions instead.)"""
    program = ReferralProgramFactory()
    earn(program, "100.00")
    outcomes = at_once(*[lambda: request(program, "80.00")] * 2)

    assert refused_or_ok(outcomes) == ["ok", "refused"]
    assert PayoutRequest.objects.count() == 1
    assert totals(program)[3] == D("20.00")


@pytest.mark.django_db(transaction=True)
def test_deciding_one_request_twice_at_once_returns_the_money_once():
    program = ReferralProgramFactory()
    earn(program, "100.00")
    payout = request(program, "60.00")
    outcomes = at_once(
        *[lambda: payout_decide(payout_id=payout.pk, paid=False, actor=None)] * 2
    )

    assert refused_or_ok(outcomes) == ["ok", "refused"]
    assert totals(program)[3] == D("100.00")
