"""Reads for the API's lists: filtered, ordered, and with the relations a page
needs fetched up front, so a page of 100 costs the same queries as a page of 5."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from crm.models import (
    Company,
    Contact,
    Crm,
    CrmGroup,
    CrmUser,
    CustomField,
    Note,
    Pipeline,
)
from crm.rights import Entity, Scope, scope_of
from crm.services.records import visible_records

# Every ordering ends in the id, so that pages never repeat or skip a record.
ORDER_BY: dict[str, tuple[str, ...]] = {
    "id": ("pk",),
    "-id": ("-pk",),
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "created_at": ("created_at", "pk"),
    "-created_at": ("-created_at", "-pk"),
}
DEFAULT_ORDERING = "id"


def record_relations(*, entity: str, queryset: QuerySet) -> QuerySet:
    """The links a record's JSON shows (``company_ids``, ``contact_ids``), read
    for a whole page in one query rather than one per record."""
    if entity == Entity.CONTACT:
        return queryset.prefetch_related(
            Prefetch("companies", queryset=Company.objects.only("pk"))
        )
    if entity == Entity.DEAL:
        return queryset.prefetch_related(
            Prefetch("contacts", queryset=Contact.objects.only("pk"))
        )
    return queryset


def records_list(
    *, crm: Crm, actor: CrmUser, entity: str, filters: dict[str, Any]
) -> QuerySet:
    """The records of ``entity`` in ``crm`` the actor may view, narrowed by
    ``filters`` (the validated query of a list request), with their links."""
    queryset = visible_records(crm=crm, actor=actor, entity=entity).for_crm(crm)
    if "responsible_id" in filters:
        queryset = queryset.filter(responsible_id=filters["responsible_id"])
    if "archived" in filters:
        queryset = queryset.filter(is_archived=filters["archived"])
    q = (filters.get("q") or "").strip()
    if entity == Entity.CONTACT:
        if q:
            queryset = queryset.filter(
                Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q)
            )
        if "email" in filters:
            queryset = queryset.filter(email__iexact=filters["email"].strip())
        if "phone" in filters:
            queryset = queryset.filter(phone=filters["phone"].strip())
    elif entity == Entity.COMPANY:
        if q:
            queryset = queryset.filter(name__icontains=q)
    else:
        for key in ("pipeline_id", "status_id", "company_id"):
            if key in filters:
                queryset = queryset.filter(**{key: filters[key]})
    ordering = ORDER_BY[filters.get("ordering") or DEFAULT_ORDERING]
    return record_relations(entity=entity, queryset=queryset.order_by(*ordering))


def note_entity(note: Note) -> str:
    """Which kind of record a note is on (exactly one, by a database constraint)."""
    for entity in Entity.values:
        if getattr(note, f"{entity}_id") is not None:
            return entity
    return ""


def notes_visible(*, crm: Crm, actor: CrmUser) -> QuerySet[Note]:
    """Notes on records the actor may view. For a scope of "all" that is every
    note on that kind of record, without a subquery."""
    on_visible = Q()
    for entity in Entity.values:
        scope = scope_of(actor, entity, "view") if actor.is_active else Scope.NONE
        if scope == Scope.ALL:
            on_visible |= Q(**{f"{entity}__isnull": False})
        elif scope != Scope.NONE:
            records = visible_records(crm=crm, actor=actor, entity=entity)
            on_visible |= Q(**{f"{entity}__in": records.values("pk")})
    if not on_visible:
        return Note.objects.none()
    return Note.objects.for_crm(crm).filter(on_visible)


def notes_list(*, crm: Crm, actor: CrmUser, filters: dict[str, Any]) -> QuerySet[Note]:
    queryset = notes_visible(crm=crm, actor=actor)
    for key in ("contact_id", "company_id", "deal_id"):
        if key in filters:
            queryset = queryset.filter(**{key: filters[key]})
    return queryset.order_by(*ORDER_BY[filters.get("ordering") or DEFAULT_ORDERING])


def note_get(*, crm: Crm, actor: CrmUser, note_id: Any) -> Note:
    """One note the actor may see; 404 otherwise (also for another CRM's id)."""
    note = notes_visible(crm=crm, actor=actor).filter(pk=note_id).first()
    if note is None:
        raise Http404
    return note


def crm_users_list(*, crm: Crm) -> QuerySet[CrmUser]:
    return CrmUser.objects.for_crm(crm).order_by("pk")


def crm_groups_list(*, crm: Crm) -> QuerySet[CrmGroup]:
    return CrmGroup.objects.for_crm(crm).order_by("pk")


def pipelines_list(*, crm: Crm) -> QuerySet[Pipeline]:
    # Statuses come ordered by position (their Meta), in one query per page.
    return Pipeline.objects.for_crm(crm).prefetch_related("statuses")


def custom_fields_list(*, crm: Crm, filters: dict[str, Any]) -> QuerySet[CustomField]:
    queryset = CustomField.objects.for_crm(crm)
    if "entity" in filters:
        queryset = queryset.filter(entity=filters["entity"])
    return queryset.order_by("entity", "position", "pk")
