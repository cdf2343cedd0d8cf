"""Reading CRMs."""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone

from crm.models import Crm


def crm_get_by_slug(*, slug: str) -> Crm:
    return get_object_or_404(Crm, slug=slug)


def crm_ids_stuck_provisioning(*, older_than_seconds: int = 20) -> list[int]:
    """CRMs still being created well after a worker should have finished them."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        Crm.objects.filter(status=Crm.Status.PROVISIONING, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
