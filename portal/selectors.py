from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Account
from crm.models import CrmUser


def crm_memberships_for_account(*, account: Account) -> QuerySet[CrmUser]:
    """The Account's CRM users, one per CRM it is linked to, with their CRM."""
    return (
        CrmUser.objects.filter(account=account)
        .select_related("crm")
        .order_by("crm__name", "crm__pk")
    )
