"""Tasks and task types: every write checks the actor's rights and keeps every
reference inside the actor's CRM (another CRM's id is a 404).

A task on a record goes with the record's rights: whoever may view the record
sees the task, whoever may edit it changes, completes or deletes the task. A task
on no record is its responsible user's and the administrators'. The responsible
user may always complete a task they can see: it is theirs to do."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Crm, CrmUser, Task, TaskType
from crm.models.tasks import TASK_TEXT_MAX_LENGTH
from crm.models.tenancy import id_from
from crm.rights import can
from crm.services.records import record_get, responsible_get

TASK_ENTITIES = ("contact", "company", "deal")
MAX_TASK_TYPES = 50


def task_can_view(actor: CrmUser, task: Task) -> bool:
    if not actor.is_active or task.crm_id != actor.crm_id:
        return False
    entity = task.entity
    if entity is None:
        return actor.is_admin or task.responsible_id == actor.pk
    return can(actor, entity, "view", task.record)


def task_can_edit(actor: CrmUser, task: Task) -> bool:
    if not task_can_view(actor, task):
        return False
    entity = task.entity
    if entity is None:
        return True
    return can(actor, entity, "edit", task.record)


def task_can_complete(actor: CrmUser, task: Task) -> bool:
    return task_can_view(actor, task) and (
        task.responsible_id == actor.pk or task_can_edit(actor, task)
    )


def task_get(*, crm: Crm, actor: CrmUser, task_id: Any) -> Task:
    """A task the actor may see; 404 otherwise, also for another CRM's."""
    task = (
        Task.objects.for_crm(crm)
        .select_related(
            "contact__responsible",
            "company__responsible",
            "deal__responsible",
            "custom_type",
            "responsible",
        )
        .by_id(task_id)
    )
    if task is None or not task_can_view(actor, task):
        raise Http404
    return task


def _text_clean(value: Any, field: str, *, required: bool) -> str:
    text = str(value or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise ValidationError({field: _("Write what is to be done.")})
    if len(text) > TASK_TEXT_MAX_LENGTH:
        raise ValidationError(
            {field: _("At most %(n)d characters.") % {"n": TASK_TEXT_MAX_LENGTH}}
        )
    return text


def task_type_resolve(*, crm: Crm, value: Any) -> tuple[str, TaskType | None]:
    """A type as forms and clients name it: a built-in key ("call") or the id of
    the CRM's own type. Another CRM's type is a 404."""
    value = str(value or "").strip()
    if value in Task.Type.values:
        return value, None
    if id_from(value) is None:
        raise ValidationError({"type": _("Choose a type from the list.")})
    custom = TaskType.objects.for_crm(crm).by_id(value)
    if custom is None:
        raise Http404
    return "", custom


def _due_clean(value: Any) -> datetime.datetime:
    if not isinstance(value, datetime.datetime):
        raise ValidationError({"due_at": _("Give a date and time.")})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _record_for_task(crm: Crm, actor: CrmUser, entity: str | None, record_id: Any):
    """The record a task goes on: one the actor may edit. One they cannot see is a
    404, like one of another CRM."""
    if not entity and not record_id:
        return None
    if entity not in TASK_ENTITIES:
        raise Http404
    record = record_get(crm=crm, actor=actor, entity=entity, record_id=record_id)
    if not can(actor, entity, "edit", record):
        raise PermissionDenied(_("Your rights do not allow adding tasks here."))
    return record


def _responsible_for(crm: Crm, entity: str | None, record, responsible_id: Any):
    responsible = responsible_get(crm=crm, crm_user_id=responsible_id)
    if record is not None and not can(responsible, entity, "view", record):
        raise ValidationError(
            {
                "responsible_id": _("%(name)s may not see this record.")
                % {"name": responsible.name}
            }
        )
    return responsible


@transaction.atomic
def task_create(
    *,
    crm: Crm,
    actor: CrmUser,
    text: Any,
    type: Any,
    due_at: Any,
    responsible_id: Any,
    entity: str | None = None,
    record_id: Any = None,
) -> Task:
    """A new open task, on the record ``entity``/``record_id`` or on none. Without
    a record only administrators give tasks to others."""
    record = _record_for_task(crm, actor, entity, record_id)
    responsible = _responsible_for(crm, entity, record, responsible_id)
    if record is None and responsible.pk != actor.pk and not actor.is_admin:
        raise PermissionDenied(
            _("Only administrators give others tasks that are on no record.")
        )
    builtin, custom = task_type_resolve(crm=crm, value=type)
    task = Task(
        crm=crm,
        text=_text_clean(text, "text", required=True),
        type=builtin,
        custom_type=custom,
        due_at=_due_clean(due_at),
        responsible=responsible,
        created_by=actor,
    )
    if record is not None:
        setattr(task, entity, record)
    task.save()
    return task


@transaction.atomic
def task_update(
    *,
    crm: Crm,
    actor: CrmUser,
    task_id: Any,
    text: Any,
    type: Any,
    due_at: Any,
    responsible_id: Any,
) -> Task:
    """Change what an open task says, its type, due time or responsible user;
    the record it is on stays."""
    task = task_get(crm=crm, actor=actor, task_id=task_id)
    if not task_can_edit(actor, task):
        raise PermissionDenied(_("Your rights do not allow changing this task."))
    if task.is_done:
        raise ValidationError(_("A completed task cannot be changed."))
    entity, record = task.entity, task.record
    if str(responsible_id) != str(task.responsible_id):
        task.responsible = _responsible_for(crm, entity, record, responsible_id)
        if record is None and task.responsible_id != actor.pk and not actor.is_admin:
            raise PermissionDenied(
                _("Only administrators give others tasks that are on no record.")
            )
    task.type, task.custom_type = task_type_resolve(crm=crm, value=type)
    task.text = _text_clean(text, "text", required=True)
    task.due_at = _due_clean(due_at)
    task.save()
    return task


@transaction.atomic
def task_complete(*, crm: Crm, actor: CrmUser, task_id: Any, result: Any) -> Task:
    """Close a task with what came of it, recording who closed it and when."""
    task = task_get(crm=crm, actor=actor, task_id=task_id)
    if not task_can_complete(actor, task):
        raise PermissionDenied(_("Your rights do not allow completing this task."))
    # The row lock makes a second, concurrent completion find it done.
    Task.objects.select_for_update().filter(pk=task.pk).first()
    task.refresh_from_db(fields=["completed_at"])
    if task.is_done:
        raise ValidationError(_("This task is already completed."))
    task.result = _text_clean(result, "result", required=False)
    task.completed_at = timezone.now()
    task.completed_by = actor
    task.completed_by_name = actor.name
    task.save(
        update_fields=[
            "result",
            "completed_at",
            "completed_by",
            "completed_by_name",
            "updated_at",
        ]
    )
    return task


def task_delete(*, crm: Crm, actor: CrmUser, task_id: Any) -> None:
    task = task_get(crm=crm, actor=actor, task_id=task_id)
    if not task_can_edit(actor, task):
        raise PermissionDenied(_("Your rights do not allow deleting this task."))
    task.delete()


# --- the CRM's own task types (administrators) ---------------------------------------


def _require_admin(actor: CrmUser) -> None:
    if not (actor.is_active and actor.is_admin):
        raise PermissionDenied(_("Only administrators manage task types."))


def task_type_create(*, crm: Crm, actor: CrmUser, name: Any) -> TaskType:
    _require_admin(actor)
    name = " ".join(str(name or "").split())
    if not name or len(name) > 100:
        raise ValidationError(
            {"name": _("Give the type a name of at most 100 characters.")}
        )
    builtin = {str(label).lower() for label in Task.Type.labels}
    if name.lower() in builtin:
        raise ValidationError({"name": _("There is a built-in type of that name.")})
    with transaction.atomic():
        Crm.objects.select_for_update().get(pk=crm.pk)
        types = TaskType.objects.for_crm(crm)
        if types.count() >= MAX_TASK_TYPES:
            raise ValidationError(
                {
                    "name": _("A CRM can have at most %(n)d task types.")
                    % {"n": MAX_TASK_TYPES}
                }
            )
        if types.filter(name__iexact=name).exists():
            raise ValidationError({"name": _("There is a type of that name.")})
        top = types.aggregate(top=Max("position"))["top"]
        try:
            with transaction.atomic():
                return TaskType.objects.create(
                    crm=crm, name=name, position=(top or 0) + 1
                )
        except IntegrityError:
            raise ValidationError(
                {"name": _("There is a type of that name.")}
            ) from None


@transaction.atomic
def task_type_delete(*, crm: Crm, actor: CrmUser, task_type_id: Any) -> int:
    """Delete one of the CRM's own types; its tasks become follow-ups rather
    than lose their type. Returns how many tasks changed."""
    _require_admin(actor)
    task_type = TaskType.objects.for_crm(crm).by_id(task_type_id)
    if task_type is None:
        raise Http404
    moved = (
        Task.objects.for_crm(crm)
        .filter(custom_type=task_type)
        .update(type=Task.Type.FOLLOW_UP, custom_type=None)
    )
    task_type.delete()
    return moved
