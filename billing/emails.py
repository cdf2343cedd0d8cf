"""E-mails to referrers; sent by the worker (billing.tasks)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import Account
from billing.models import PayoutRequest, Referral
from billing.selectors import email_masked


def _send(template: str, context: dict, to: Account) -> None:
    """One email to ``to``, in the language it reads."""
    with translation.override(to.email_language):
        subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
        body = render_to_string(f"emails/{template}_body.txt", context)
    send_mail(subject, body, None, [to.email])


def referral_send_signup_email(*, referral: Referral) -> None:
    _send(
        "referral_signup",
        {
            "email": email_masked(referral.email),
            "referral": referral,
            "link": settings.SITE_URL + reverse("billing:referral_referrals"),
        },
        referral.referrer.account,
    )


def payout_send_status_email(*, payout: PayoutRequest) -> None:
    _send(
        "payout_status",
        {
            "payout": payout,
            "link": settings.SITE_URL + reverse("billing:referral_payouts"),
        },
        payout.referrer.account,
    )
