"""Celery doors into billing: take ids, load, call one service, safe to rerun."""

from celery import shared_task

from billing.emails import payout_send_status_email, referral_send_signup_email
from billing.models import PayoutRequest, Referral


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_referral_signup_email(referral_id: int) -> None:
    referral = (
        Referral.objects.select_related("referrer__account")
        .filter(pk=referral_id)
        .first()
    )
    if referral is not None and referral.referrer.account.is_active:
        referral_send_signup_email(referral=referral)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_payout_email(payout_id: int) -> None:
    payout = (
        PayoutRequest.objects.select_related("referrer__account")
        .filter(pk=payout_id)
        .first()
    )
    if payout is not None and payout.referrer.account.is_active:
        payout_send_status_email(payout=payout)
