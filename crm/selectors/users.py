"""Reads of CRM data that more than one caller needs."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from crm.models import Crm, CrmGroup, CrmUser


def crm_user_get(*, crm: Crm, crm_user_id: int) -> CrmUser:
    return get_object_or_404(CrmUser.objects.for_crm(crm), pk=crm_user_id)


def crm_user_find_by_email(*, crm: Crm, email: str) -> CrmUser | None:
    return CrmUser.objects.for_crm(crm).filter(email__iexact=email.strip()).first()


def crm_user_for_account(*, crm: Crm, account_id: int) -> CrmUser | None:
    return CrmUser.objects.for_crm(crm).filter(account_id=account_id).first()


def crm_users_list(*, crm: Crm) -> QuerySet[CrmUser]:
    return CrmUser.objects.for_crm(crm).order_by("name", "pk")


def crm_users_by_id(*, crm: Crm) -> QuerySet[CrmUser]:
    """In the order they were added, which a renamed user does not change: for
    paging through them (the API)."""
    return CrmUser.objects.for_crm(crm).order_by("pk")


def crm_groups_list(*, crm: Crm) -> QuerySet[CrmGroup]:
    return CrmGroup.objects.for_crm(crm).order_by("pk")


def crm_user_memberships_by_email(*, email: str) -> QuerySet[CrmUser]:
    """Active CRM users with this email in active CRMs (for Find my CRMs)."""
    return (
        CrmUser.objects.filter(
            email__iexact=email.strip(), is_active=True, crm__status=Crm.Status.ACTIVE
        )
        .select_related("crm")
        .order_by("crm__name")
    )


def account_language(*, account_id: int) -> str:
    """The language an Account chose ("" if none, or if it is gone)."""
    return (
        get_user_model()
        .objects.filter(pk=account_id)
        .values_list("language", flat=True)
        .first()
        or ""
    )
