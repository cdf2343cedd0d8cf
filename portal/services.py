"""What the portal does with an Account and its CRMs."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Account
from accounts.tasks import send_welcome_email
from crm.models import Crm
from crm.services import crm_create


def onboarding_start(*, account: Account, crm_name: str) -> Crm:
    """A new Account's first CRM, ready before the sign-up response is sent, and the
    welcome email, sent by the worker once the sign-up has committed."""
    crm = crm_create(owner=account, name=crm_name, provision_now=True)
    transaction.on_commit(lambda: send_welcome_email.delay(account.pk))
    return crm
