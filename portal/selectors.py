from __future__ import annotations

from django.conf import settings
from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import Account
from billing.models import MONEY, ZERO, Wallet
from crm.models import CrmUser


def crm_memberships_for_account(*, account: Account) -> QuerySet[CrmUser]:
    """The Account's CRM users, one per CRM it is linked to, with their CRM and
    its balance (zero in the default currency while it has no wallet), in one
    query however many there are."""
    wallet = Wallet.objects.filter(crm_id=OuterRef("crm_id"))
    return (
        CrmUser.objects.filter(account=account)
        .select_related("crm")
        .annotate(
            balance=Coalesce(
                Subquery(wallet.values("balance")[:1]),
                Value(ZERO),
                output_field=DecimalField(**MONEY),
            ),
            currency=Coalesce(
                Subquery(wallet.values("currency")[:1]),
                Value(settings.BILLING_DEFAULT_CURRENCY),
            ),
        )
        .order_by("crm__name", "crm__pk")
    )
