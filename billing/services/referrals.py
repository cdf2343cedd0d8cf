"""The referral program: activation, link visits, attribution at sign-up, and the
rewards that referred Accounts' top-ups earn."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Account
from billing.models import (
    LedgerEntry,
    Referral,
    ReferralClick,
    ReferralEntry,
    ReferralProgram,
)
from config.celery import enqueue_after_commit

CENT = Decimal("0.01")
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # nothing to misread
CODE_LENGTH = 10
# Mail providers that ignore dots in the local part.
DOTLESS_DOMAINS = {"gmail.com", "googlemail.com"}


def email_normalized(email: str) -> str:
    """The mailbox an address really reaches: lower case, no ``+tag``, and no dots
    where the provider ignores them. Two Accounts with the same normalized email
    are one person as far as referrals go."""
    local, _at, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain == "googlemail.com":
        domain = "gmail.com"
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"


def referral_program_activate(*, account: Account) -> ReferralProgram:
    """The Account's place in the program, with its link's code; activating again
    changes nothing."""
    existing = ReferralProgram.objects.filter(account=account).first()
    if existing is not None:
        return existing
    for _attempt in range(5):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with transaction.atomic():
                return ReferralProgram.objects.create(account=account, code=code)
        except IntegrityError:
            existing = ReferralProgram.objects.filter(account=account).first()
            if existing is not None:  # activated twice at once
                return existing
    raise RuntimeError("Could not find a free referral code.")


def referral_click_record(*, program: ReferralProgram) -> ReferralClick:
    return ReferralClick.objects.create(referrer=program)


def attribution_window() -> timedelta:
    return timedelta(days=settings.REFERRAL_ATTRIBUTION_DAYS)


def referral_signup_attribute(
    *, account: Account, click_id: int | None
) -> Referral | None:
    """Attribute a new Account to the referrer whose link it first visited, if that
    visit is recent enough. Never its own link (not even under another address of
    the same mailbox), never a second referrer, never later than sign-up."""
    if not click_id:
        return None
    click = (
        ReferralClick.objects.select_related("referrer__account")
        .filter(pk=click_id)
        .first()
    )
    now = timezone.now()
    if click is None or now - click.created_at > attribution_window():
        return None
    referrer = click.referrer
    if referrer.account_id == account.pk or email_normalized(
        referrer.account.email
    ) == email_normalized(account.email):
        return None
    if Referral.objects.filter(account=account).exists():
        return None
    signed_up_at = account.date_joined or now
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                referrer=referrer,
                account=account,
                email=account.email,
                click=click,
                signed_up_at=signed_up_at,
                rewards_until=signed_up_at
                + relativedelta(months=settings.REFERRAL_REWARD_MONTHS),
            )
    except IntegrityError:  # attributed meanwhile: the first one stays
        return None
    from billing.tasks import send_referral_signup_email

    enqueue_after_commit(send_referral_signup_email, referral.pk)
    return referral


def reward_for(amount: Decimal) -> Decimal:
    """The referrer's share of a payment, rounded down to the cent: never more than
    the percentage."""
    share = amount * settings.REFERRAL_REWARD_PERCENT / Decimal(100)
    return share.quantize(CENT, rounding=ROUND_DOWN)


def referral_reward_for_top_up(
    *, entry: LedgerEntry, owner_id: int
) -> ReferralEntry | None:
    """The reward a top-up earns the referrer of the CRM's owner, within the reward
    period after the owner's sign-up. Called inside the top-up's transaction, which
    holds the CRM's wallet; the referrer's row is locked next."""
    referral = Referral.objects.filter(account_id=owner_id).first()
    if referral is None or entry.created_at >= referral.rewards_until:
        return None
    amount = reward_for(entry.amount)
    if amount <= 0:
        return None
    ReferralProgram.objects.select_for_update().get(pk=referral.referrer_id)
    return ReferralEntry.objects.create(
        referrer_id=referral.referrer_id,
        kind=ReferralEntry.Kind.REWARD,
        amount=amount,
        currency=entry.currency,
        referral=referral,
        ledger_entry=entry,
        payment_amount=entry.amount,
    )


def referral_reward_reverse(
    *, refund: LedgerEntry, payment: LedgerEntry
) -> ReferralEntry | None:
    """Take back the part of a payment's reward that a refund of it cancels. All the
    refunds of a payment together take back exactly its reward, never more."""
    reward = ReferralEntry.objects.filter(
        ledger_entry=payment, kind=ReferralEntry.Kind.REWARD
    ).first()
    if reward is None:
        return None
    ReferralProgram.objects.select_for_update().get(pk=reward.referrer_id)
    reversed_so_far = -(
        ReferralEntry.objects.filter(
            kind=ReferralEntry.Kind.REWARD_REVERSAL, ledger_entry__refund_of=payment
        ).aggregate(total=Sum("amount"))["total"]
        or Decimal("0")
    )
    refunded = -(payment.refunds.aggregate(total=Sum("amount"))["total"] or 0)
    if refunded >= payment.amount:
        amount = reward.amount - reversed_so_far
    else:
        share = reward.amount * (-refund.amount) / payment.amount
        amount = min(
            share.quantize(CENT, rounding=ROUND_HALF_UP),
            reward.amount - reversed_so_far,
        )
    if amount <= 0:
        return None
    return ReferralEntry.objects.create(
        referrer_id=reward.referrer_id,
        kind=ReferralEntry.Kind.REWARD_REVERSAL,
        amount=-amount,
        currency=reward.currency,
        referral_id=reward.referral_id,
        ledger_entry=refund,
        payment_amount=refund.amount,
    )
