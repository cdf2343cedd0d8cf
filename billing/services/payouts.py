"""Payouts of a referrer's rewards: requested by the referrer, decided by staff."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from billing.models import PayoutRequest, ReferralEntry, ReferralProgram
from billing.services.money import money_clean
from config.celery import enqueue_after_commit


def referral_available(*, program: ReferralProgram, currency: str) -> Decimal:
    total = ReferralEntry.objects.filter(referrer=program, currency=currency).aggregate(
        total=Sum("amount")
    )["total"]
    return (total or Decimal("0")).quantize(Decimal("0.01"))


@transaction.atomic
def payout_request(
    *, account: Account, amount: Decimal, currency: str, destination: str
) -> PayoutRequest:
    """Hold ``amount`` of what is available for a payout to ``destination``. The
    referrer's row is locked first, so two requests at once cannot both spend the
    same money."""
    program = (
        ReferralProgram.objects.select_for_update().filter(account=account).first()
    )
    if program is None:
        raise ValidationError(_("Activate the referral program first."))
    amount = money_clean(amount)
    destination = (destination or "").strip()
    if not destination:
        raise ValidationError({"destination": _("Say where to send the money.")})
    minimum = settings.REFERRAL_MIN_PAYOUT
    if amount < minimum:
        raise ValidationError(
            {
                "amount": _("The smallest payout is %(minimum)s %(currency)s.")
                % {"minimum": minimum, "currency": currency}
            }
        )
    available = referral_available(program=program, currency=currency)
    if amount > available:
        raise ValidationError(
            {
                "amount": _("You can request at most %(available)s %(currency)s.")
                % {"available": max(available, Decimal("0.00")), "currency": currency}
            }
        )
    payout = PayoutRequest.objects.create(
        referrer=program, amount=amount, currency=currency, destination=destination
    )
    ReferralEntry.objects.create(
        referrer=program,
        kind=ReferralEntry.Kind.PAYOUT,
        amount=-amount,
        currency=currency,
        payout=payout,
    )
    from billing.tasks import send_payout_email

    enqueue_after_commit(send_payout_email, payout.pk)
    return payout


@transaction.atomic
def payout_decide(
    *, payout_id: int, paid: bool, actor: Account | None, note: str | None = None
) -> PayoutRequest:
    """Staff: the money was sent (paid) or will not be (rejected: the amount is
    available again). A request is decided once. ``note`` (None: the one already
    written on the request) is shown to the referrer."""
    referrer_id = (
        PayoutRequest.objects.filter(pk=payout_id)
        .values_list("referrer_id", flat=True)
        .first()
    )
    if referrer_id is None:
        raise ValidationError(_("There is no such payout request."))
    ReferralProgram.objects.select_for_update().get(pk=referrer_id)
    payout = PayoutRequest.objects.select_for_update().get(pk=payout_id)
    if payout.status != PayoutRequest.Status.REQUESTED:
        raise ValidationError(
            _("This request is already %(status)s.")
            % {"status": payout.get_status_display().lower()}
        )
    payout.status = PayoutRequest.Status.PAID if paid else PayoutRequest.Status.REJECTED
    payout.decided_at = timezone.now()
    payout.decided_by = actor
    if note is not None:
        payout.note = note.strip()
    payout.save(update_fields=["status", "decided_at", "decided_by", "note"])
    if not paid:
        ReferralEntry.objects.create(
            referrer_id=referrer_id,
            kind=ReferralEntry.Kind.PAYOUT_RETURNED,
            amount=payout.amount,
            currency=payout.currency,
            payout=payout,
        )
    from billing.tasks import send_payout_email

    enqueue_after_commit(send_payout_email, payout.pk)
    return payout
