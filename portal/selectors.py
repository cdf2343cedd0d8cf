from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Account
from crm.models import CrmUser


def crm_memberships_for_account(*, account: Account) -> QuerySet[CrmUser]:
    """The Account's CRM users, one per CRM it is linked to, with their CRM."""
    return (
        CrmUser.objects.filter(account=account)
        .select_related("crm")
        .order_by("crm__name", "crm__pk")
    )


def crm_membership_get(*, account: Account, crm_id: int) -> CrmUser:
    """The Account's CRM user in that CRM; 404 when the Account is not linked to it."""
    return get_object_or_404(
        CrmUser.objects.select_related("crm"), account=account, crm_id=crm_id
    )
