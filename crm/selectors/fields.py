"""Reading a CRM's settings of its records: pipelines and custom fields."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.models import Crm, CustomField, Pipeline


def pipelines_list(*, crm: Crm) -> QuerySet[Pipeline]:
    # Statuses come ordered by position (their Meta), in one query per page.
    return Pipeline.objects.for_crm(crm).prefetch_related("statuses")


def custom_fields_list(*, crm: Crm, entity: str | None = None) -> QuerySet[CustomField]:
    """The CRM's custom fields, only those of one kind of record if ``entity``."""
    queryset = CustomField.objects.for_crm(crm)
    if entity is not None:
        queryset = queryset.filter(entity=entity)
    return queryset.order_by("entity", "position", "pk")
