"""Tasks: the Tasks page (overdue, today, upcoming, done), a task's form, its
completion with a result, and the CRM's own task types (administrators)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.entities import record_kind
from crm.forms.tasks import TaskCompleteForm, TaskForm, TaskTypeForm
from crm.models import CrmUser, Task, TaskType
from crm.models.tenancy import id_from
from crm.selectors.tasks import (
    RECORD_ENTITIES,
    TaskFilters,
    task_type_choices,
    tasks_buckets,
)
from crm.services.records import record_get
from crm.services.tasks import (
    task_can_complete,
    task_can_edit,
    task_complete,
    task_create,
    task_delete,
    task_get,
    task_type_create,
    task_type_delete,
    task_update,
)
from crm.tenancy import crm_admin_required, crm_view


def _refuse(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return render(request, "403.html", {"reason": str(error)}, status=403)


def _list_url(request: HttpRequest) -> str:
    return reverse("crm:task_list", kwargs={"slug": request.crm.slug})


def _card_url(request: HttpRequest, entity: str, record_id: int) -> str:
    return reverse(
        record_kind(entity).url_name("card"),
        kwargs={"slug": request.crm.slug, "record_id": record_id},
    )


def _next_url(request: HttpRequest, default: str) -> str:
    """Where to go after a task's form: the page it was sent from (the card, the
    Tasks page, home) when that is a page of this site, else ``default``."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    crm_prefix = reverse("crm:home", kwargs={"slug": request.crm.slug})
    if wanted.startswith(crm_prefix) and url_has_allowed_host_and_scheme(
        wanted,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return wanted
    return default


def _filters(request: HttpRequest) -> tuple[TaskFilters, dict[str, str]]:
    params = {
        key: request.GET[key] for key in ("responsible", "type") if request.GET.get(key)
    }
    responsible_id = None
    if "responsible" in params:
        responsible_id = id_from(params["responsible"])
        if responsible_id is None:
            raise Http404
    return (
        TaskFilters(responsible_id=responsible_id, type=params.get("type", "")),
        params,
    )


@require_http_methods(["GET"])
@crm_view
def task_list(request: HttpRequest) -> HttpResponse:
    filters, params = _filters(request)
    now = timezone.now()
    buckets = tasks_buckets(
        crm=request.crm, actor=request.crm_user, filters=filters, now=now
    )
    return render(
        request,
        "crm/tasks/list.html",
        {
            "buckets": [
                ("overdue", _("Overdue"), *buckets.overdue),
                ("today", _("Today"), *buckets.today),
                ("upcoming", _("Upcoming"), *buckets.upcoming),
                ("done", _("Done"), *buckets.done),
            ],
            "params": params,
            "querystring": urlencode(params),
            "users": CrmUser.objects.for_crm(request.crm).order_by("name"),
            "types": task_type_choices(crm=request.crm),
            "now": now,
        },
    )


def _preset_record(request: HttpRequest):
    """The record a new task is opened from (``?entity=deal&record_id=5``, or the
    same in the posted form): one the person may view, else a 404."""
    data = request.POST if request.method == "POST" else request.GET
    entity, record_id = data.get("entity"), data.get("record_id")
    if not entity and not record_id:
        return None, None
    if entity not in RECORD_ENTITIES:
        raise Http404
    record = record_get(
        crm=request.crm, actor=request.crm_user, entity=entity, record_id=record_id
    )
    return entity, record


@require_http_methods(["GET", "POST"])
@crm_view
def task_new(request: HttpRequest) -> HttpResponse:
    entity, record = _preset_record(request)
    form = TaskForm(
        request.POST if request.method == "POST" else None,
        crm=request.crm,
        actor=request.crm_user,
        entity=entity,
        record=record,
    )
    back = _card_url(request, entity, record.pk) if record else _list_url(request)
    if request.method == "POST" and form.is_valid():
        on_entity, on_record = form.attached()
        try:
            task_create(
                crm=request.crm,
                actor=request.crm_user,
                entity=on_entity,
                record_id=on_record,
                **form.service_data(),
            )
        except PermissionDenied as error:
            return _refuse(request, error)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Task added."))
            return redirect(_next_url(request, back))
    return render(
        request,
        "crm/tasks/form.html",
        {
            "form": form,
            "task": None,
            "entity": entity,
            "record": record,
            "back": back,
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@crm_view
def task_edit(request: HttpRequest, task_id: int) -> HttpResponse:
    task = task_get(crm=request.crm, actor=request.crm_user, task_id=task_id)
    if not task_can_edit(request.crm_user, task):
        return _refuse(request, PermissionDenied(_("Your rights do not allow this.")))
    form = TaskForm(
        request.POST if request.method == "POST" else None,
        instance=task,
        crm=request.crm,
        actor=request.crm_user,
        entity=task.entity,
        record=task.record,
    )
    back = (
        _card_url(request, task.entity, task.record.pk)
        if task.entity
        else _list_url(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            task_update(
                crm=request.crm,
                actor=request.crm_user,
                task_id=task.pk,
                **form.service_data(),
            )
        except PermissionDenied as error:
            return _refuse(request, error)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Saved."))
            return redirect(_next_url(request, back))
    return render(
        request,
        "crm/tasks/form.html",
        {
            "form": form,
            "task": task,
            "entity": task.entity,
            "record": task.record,
            "back": back,
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@crm_view
def task_complete_view(request: HttpRequest, task_id: int) -> HttpResponse:
    """Complete a task with its result: the small forms on the card and the
    Tasks page post here (htmx swaps the task in place), and without them this
    page asks for the result itself."""
    task = task_get(crm=request.crm, actor=request.crm_user, task_id=task_id)
    back = (
        _card_url(request, task.entity, task.record.pk)
        if task.entity
        else _list_url(request)
    )
    if not task_can_complete(request.crm_user, task):
        return _refuse(request, PermissionDenied(_("Your rights do not allow this.")))
    form = TaskCompleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            task = task_complete(
                crm=request.crm,
                actor=request.crm_user,
                task_id=task.pk,
                result=form.cleaned_data["result"],
            )
        except PermissionDenied as error:
            return _refuse(request, error)
        except ValidationError as error:
            if request.htmx:
                return render(
                    request,
                    "crm/tasks/_task.html",
                    {
                        "task": task,
                        "error": " ".join(error.messages),
                        "now": timezone.now(),
                    },
                )
            messages.error(request, " ".join(error.messages))
            return redirect(_next_url(request, back))
        if request.htmx:
            return render(
                request, "crm/tasks/_task.html", {"task": task, "now": timezone.now()}
            )
        messages.success(request, _("Task completed."))
        return redirect(_next_url(request, back))
    return render(
        request,
        "crm/tasks/complete.html",
        {"form": form, "task": task, "back": back},
        status=400 if form.errors else 200,
    )


@require_POST
@crm_view
def task_delete_view(request: HttpRequest, task_id: int) -> HttpResponse:
    task = task_get(crm=request.crm, actor=request.crm_user, task_id=task_id)
    back = (
        _card_url(request, task.entity, task.record.pk)
        if task.entity
        else _list_url(request)
    )
    try:
        task_delete(crm=request.crm, actor=request.crm_user, task_id=task.pk)
    except PermissionDenied as error:
        return _refuse(request, error)
    messages.success(request, _("Task deleted."))
    return redirect(_next_url(request, back))


@require_http_methods(["GET", "POST"])
@crm_view
@crm_admin_required
def task_types(request: HttpRequest) -> HttpResponse:
    form = TaskTypeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            task_type_create(
                crm=request.crm, actor=request.crm_user, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            form.add_error("name", error.message_dict.get("name", error.messages))
        else:
            messages.success(request, _("Task type added."))
            return redirect("crm:task_types", slug=request.crm.slug)
    return render(
        request,
        "crm/settings/task_types.html",
        {
            "form": form,
            "section": "task_types",
            "types": TaskType.objects.for_crm(request.crm),
            "builtin": Task.Type.choices,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@crm_view
@crm_admin_required
def task_type_delete_view(request: HttpRequest, task_type_id: int) -> HttpResponse:
    moved = task_type_delete(
        crm=request.crm, actor=request.crm_user, task_type_id=task_type_id
    )
    messages.success(
        request,
        _("Task type deleted; %(count)d tasks of it are now follow-ups.")
        % {"count": moved},
    )
    return redirect("crm:task_types", slug=request.crm.slug)
