"""What the portal does with an Account and its CRMs."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import Account
from accounts.tasks import send_welcome_email
from billing.services import referral_signup_attribute
from config.celery import enqueue_after_commit
from crm.models import Crm
from crm.services.crms import crm_create
from crm.services.sso import SsoRefused, sso_token_issue_for
from crm.tasks import send_memberships_email


def onboarding_start(
    *, account: Account, crm_name: str, referral_click_id: int | None = None
) -> Crm:
    """A new Account's first CRM, ready before the sign-up response is sent, and the
    welcome email, sent by the worker once the sign-up has committed. A sign-up
    through a referral link (``referral_click_id``: its first visit) is attributed
    to the referrer in the same transaction."""
    crm = crm_create(owner=account, name=crm_name, provision_now=True)
    referral_signup_attribute(account=account, click_id=referral_click_id)
    enqueue_after_commit(send_welcome_email, account.pk)
    return crm


def crm_enter(*, account: Account, crm_id: int) -> str:
    """Where to send the browser to land inside the CRM, signed in (Enter)."""
    crm, token = sso_token_issue_for(account=account, crm_id=crm_id)
    if crm is None:
        raise Http404("No CRM of this account has this id.")
    if not crm.is_active:
        raise SsoRefused(_crm_unavailable_message(crm))
    if token is None:
        raise SsoRefused(
            _("Your user in this CRM has been deactivated. Ask its administrator.")
        )
    return reverse("crm:sso_redeem", kwargs={"slug": crm.slug, "token": token})


def _crm_unavailable_message(crm: Crm) -> str:
    if crm.status == Crm.Status.PROVISIONING:
        return _("%(crm)s is still being created. Try again in a few seconds.") % {
            "crm": crm.name
        }
    if crm.status == Crm.Status.PENDING_DELETION:
        return _(
            "%(crm)s is scheduled for deletion on %(date)s and cannot be entered. "
            "Cancel the deletion to use it again."
        ) % {
            "crm": crm.name,
            "date": date_format(crm.deletion_due_at, "DATETIME_FORMAT"),
        }
    return _("%(crm)s is being deleted.") % {"crm": crm.name}


def find_my_crms_request(*, email: str) -> None:
    """Mail ``email`` the CRMs it can sign in to. Says nothing to the requester.

    The email speaks the language the request was made in: the address belongs to
    no one person whose choice could be asked."""
    enqueue_after_commit(
        send_memberships_email, email.strip().lower(), get_language() or ""
    )
