"""Reading tasks: those the actor may see, sorted into the Tasks page's buckets
and the home page's "my tasks"."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from crm.models import Crm, CrmUser, Task, TaskType
from crm.rights import Scope, scope_of

RECORD_ENTITIES = ("contact", "company", "deal")
# Rows a bucket of the Tasks page shows; the page says when there are more.
BUCKET_LIMIT = 200


def on_visible_record(actor: CrmUser) -> Q:
    """Rows (tasks, notes, record changes: each with a ``contact``, ``company``
    and ``deal`` key) on a record ``actor`` may view: one condition, no
    subquery, for any number of rows."""
    condition = Q(pk__in=[])
    if not actor.is_active:
        return condition
    for entity in RECORD_ENTITIES:
        scope = scope_of(actor, entity, "view")
        if scope == Scope.NONE:
            continue
        on_one = Q(**{f"{entity}__isnull": False})
        if scope != Scope.ALL:
            mine = Q(**{f"{entity}__responsible": actor})
            if scope == Scope.GROUP and actor.group_id is not None:
                mine |= Q(**{f"{entity}__responsible__group_id": actor.group_id})
            on_one &= mine
        condition |= on_one
    return condition


def visible_tasks(*, crm: Crm, actor: CrmUser) -> QuerySet:
    """The tasks ``actor`` may see: on a record they may view, or on none and
    theirs (every one of those, for administrators)."""
    if not actor.is_active or actor.crm_id != crm.pk:
        return Task.objects.none()
    on_nothing = Q(contact__isnull=True, company__isnull=True, deal__isnull=True)
    if not actor.is_admin:
        on_nothing &= Q(responsible=actor)
    return (
        Task.objects.for_crm(crm)
        .filter(on_visible_record(actor) | on_nothing)
        .select_related("responsible", "custom_type", "contact", "company", "deal")
    )


def day_bounds(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The start of ``now``'s day and of the next, in the site's time zone."""
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + datetime.timedelta(days=1)


@dataclass(frozen=True)
class TaskFilters:
    responsible_id: int | None = None
    # A built-in type's key or a custom type's id, as text; empty: any.
    type: str = ""


def tasks_filtered(*, crm: Crm, actor: CrmUser, filters: TaskFilters) -> QuerySet:
    tasks = visible_tasks(crm=crm, actor=actor)
    if filters.responsible_id is not None:
        tasks = tasks.filter(responsible_id=filters.responsible_id)
    if filters.type in Task.Type.values:
        tasks = tasks.filter(type=filters.type, custom_type__isnull=True)
    elif filters.type.isdigit():
        tasks = tasks.filter(custom_type_id=int(filters.type))
    return tasks


@dataclass(frozen=True)
class TaskBuckets:
    """Open tasks by when they are due, and the latest completed ones. Each is a
    list of at most ``BUCKET_LIMIT`` tasks and the total."""

    overdue: tuple[list[Task], int]
    today: tuple[list[Task], int]
    upcoming: tuple[list[Task], int]
    done: tuple[list[Task], int]


def _bucket(tasks: QuerySet) -> tuple[list[Task], int]:
    rows = list(tasks[: BUCKET_LIMIT + 1])
    if len(rows) <= BUCKET_LIMIT:
        return rows, len(rows)
    return rows[:BUCKET_LIMIT], tasks.count()


def tasks_buckets(
    *, crm: Crm, actor: CrmUser, filters: TaskFilters, now: datetime.datetime
) -> TaskBuckets:
    """Overdue: open and due before ``now``. Today: open and due from ``now`` to
    the end of the day. Upcoming: open and due later. Done: newest first."""
    tasks = tasks_filtered(crm=crm, actor=actor, filters=filters)
    _start, tomorrow = day_bounds(now)
    open_tasks = tasks.filter(completed_at__isnull=True).order_by("due_at", "pk")
    return TaskBuckets(
        overdue=_bucket(open_tasks.filter(due_at__lt=now)),
        today=_bucket(open_tasks.filter(due_at__gte=now, due_at__lt=tomorrow)),
        upcoming=_bucket(open_tasks.filter(due_at__gte=tomorrow)),
        done=_bucket(
            tasks.filter(completed_at__isnull=False).order_by("-completed_at", "-pk")
        ),
    )


def my_tasks_due(
    *, crm: Crm, actor: CrmUser, now: datetime.datetime, limit: int = 50
) -> list[Task]:
    """The actor's own open tasks due by the end of today, overdue ones first."""
    _start, tomorrow = day_bounds(now)
    return list(
        visible_tasks(crm=crm, actor=actor)
        .filter(responsible=actor, completed_at__isnull=True, due_at__lt=tomorrow)
        .order_by("due_at", "pk")[:limit]
    )


def record_open_tasks(*, crm: Crm, actor: CrmUser, entity: str, record) -> list[Task]:
    """A record's open tasks, soonest first (the card shows them above the
    timeline). The record itself is one the actor may view."""
    return list(
        Task.objects.for_crm(crm)
        .filter(**{entity: record}, completed_at__isnull=True)
        .select_related("responsible", "custom_type")
        .order_by("due_at", "pk")[:BUCKET_LIMIT]
    )


def task_type_choices(*, crm: Crm) -> list[tuple[str, str]]:
    """Every type a task can have: the built-in ones, then the CRM's own (by
    id)."""
    return [
        *Task.Type.choices,
        *(
            (str(pk), name)
            for pk, name in TaskType.objects.for_crm(crm).values_list("pk", "name")
        ),
    ]
