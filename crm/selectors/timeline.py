"""A record's timeline, newest first: its notes, the changes of its fields, its
tasks as they were added and as they were completed with their results.

Each stream is read once, newest first and cut at the page's size, then merged:
a card with a thousand notes costs the same few queries as one with three. A
deal's company in a change is named only to those who may see that company.
The home page's recent activity is the same merge over the records the person
may view."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import Any

from django.utils.translation import gettext_lazy as _

from crm.models import Company, Crm, CrmUser, Note, RecordChange, Task
from crm.rights import scope_queryset
from crm.selectors.tasks import on_visible_record

TIMELINE_PAGE = 50
TIMELINE_MAX = 1000

FIELD_LABELS = {
    "name": _("Name"),
    "responsible": _("Responsible"),
    "pipeline": _("Pipeline"),
    "status": _("Status"),
    "amount": _("Amount"),
    "company": _("Company"),
    "phone": _("Phone"),
    "email": _("Email"),
    "phones": _("Phones"),
    "emails": _("Emails"),
    "website": _("Website"),
    "address": _("Address"),
}


@dataclass(frozen=True)
class TimelineItem:
    # "note", "change", "task" (added) or "task_done" (completed).
    kind: str
    at: datetime.datetime
    who: str
    row: Any
    # A change's field as people read it, and its values before and after.
    label: str = ""
    old: str = ""
    new: str = ""
    # On the home page: the record it happened on, and its kind.
    record: Any = None
    entity: str = ""


def _company_names(crm: Crm, actor: CrmUser, changes: list[RecordChange]) -> dict:
    ids = {
        int(value)
        for change in changes
        if change.field == "company"
        for value in (change.old, change.new)
        if value.isdigit()
    }
    if not ids:
        return {}
    visible = scope_queryset(actor, "company", "view", Company.objects.for_crm(crm))
    return dict(visible.filter(pk__in=ids).values_list("pk", "name"))


def _change_item(change: RecordChange, companies: dict) -> TimelineItem:
    old, new = change.old, change.new
    if change.field == "company":
        hidden = _("a company you may not see")
        old, new = (
            (companies.get(int(value), hidden) if value.isdigit() else "")
            for value in (old, new)
        )
    label = FIELD_LABELS.get(change.field) or change.field_name or _("Custom field")
    return TimelineItem(
        kind="change",
        at=change.created_at,
        who=change.actor_name,
        row=change,
        label=str(label),
        old=old,
        new=new,
    )


def _merge(
    crm: Crm,
    actor: CrmUser,
    notes: list[Note],
    changes: list[RecordChange],
    added: list[Task],
    completed: list[Task],
    limit: int,
) -> tuple[list[TimelineItem], bool]:
    companies = _company_names(crm, actor, changes)
    items = [
        *(
            TimelineItem("note", note.created_at, note.author.name, note)
            if note.author
            else TimelineItem("note", note.created_at, "", note)
            for note in notes
        ),
        *(_change_item(change, companies) for change in changes),
        *(
            TimelineItem(
                "task", task.created_at, getattr(task.created_by, "name", ""), task
            )
            for task in added
        ),
        *(
            TimelineItem("task_done", task.completed_at, task.completed_by_name, task)
            for task in completed
        ),
    ]
    items.sort(key=lambda item: (item.at, item.kind, item.row.pk), reverse=True)
    return items[:limit], len(items) > limit


def record_timeline(
    *, crm: Crm, actor: CrmUser, entity: str, record, limit: int = TIMELINE_PAGE
) -> tuple[list[TimelineItem], bool]:
    """The newest ``limit`` items of a record the actor may view, and whether
    there are older ones."""
    limit = max(1, min(limit, TIMELINE_MAX))
    on_record = {entity: record}
    tasks = Task.objects.for_crm(crm).filter(**on_record)
    return _merge(
        crm,
        actor,
        list(
            Note.objects.for_crm(crm)
            .filter(**on_record)
            .select_related("author")
            .order_by("-created_at", "-pk")[: limit + 1]
        ),
        list(
            RecordChange.objects.for_crm(crm)
            .filter(**on_record)
            .order_by("-created_at", "-pk")[: limit + 1]
        ),
        list(
            tasks.select_related("created_by", "custom_type", "responsible").order_by(
                "-created_at", "-pk"
            )[: limit + 1]
        ),
        list(
            tasks.filter(completed_at__isnull=False)
            .select_related("custom_type", "responsible")
            .order_by("-completed_at", "-pk")[: limit + 1]
        ),
        limit,
    )


def recent_activity(*, crm: Crm, actor: CrmUser, limit: int = 15) -> list[TimelineItem]:
    """The latest notes and field changes across the records the actor may
    view, each with its record, newest first."""
    visible = on_visible_record(actor)
    records = ("contact", "company", "deal")
    notes = list(
        Note.objects.for_crm(crm)
        .filter(visible)
        .select_related("author", *records)
        .order_by("-created_at", "-pk")[:limit]
    )
    changes = list(
        RecordChange.objects.for_crm(crm)
        .filter(visible)
        .select_related(*records)
        .order_by("-created_at", "-pk")[:limit]
    )
    items, _more = _merge(crm, actor, notes, changes, [], [], limit)
    return [
        replace(item, entity=entity, record=getattr(item.row, entity))
        for item in items
        for entity in records
        if getattr(item.row, f"{entity}_id") is not None
    ]
