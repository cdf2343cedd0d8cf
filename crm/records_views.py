"""Contacts, companies and deals: lists with filters and bulk deletion, cards with
edit, archive, notes and delete, the deals board, and custom fields settings."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from crm.forms.records import RECORD_FORMS, picker_chosen
from crm.models import BulkDeleteJob, CrmUser, CustomField, Pipeline, PipelineStatus
from crm.rights import can
from crm.selectors.records import records_filtered
from crm.services.record_deletion import record_delete, records_delete
from crm.services.records import (
    company_save,
    contact_save,
    custom_fields_for,
    deal_move,
    deal_save,
    note_add,
    record_get,
    record_set_archived,
    visible_records,
)
from crm.tenancy import crm_admin_required, crm_view

PAGE_SIZE = 50
# Lazy: translated per request, not once in whatever language the process started.
ENTITY_LABELS = {
    "contact": (gettext_lazy("Contacts"), "contacts"),
    "company": (gettext_lazy("Companies"), "companies"),
    "deal": (gettext_lazy("Deals"), "deals"),
}
SAVERS = {"contact": contact_save, "company": company_save, "deal": deal_save}
FILTER_KEYS = ("q", "responsible", "archived")


def _base(request: HttpRequest, entity: str) -> str:
    return f"/c/{request.crm.slug}/{ENTITY_LABELS[entity][1]}/"


def _filter_params(data: QueryDict) -> dict[str, str]:
    return {
        key: value
        for key, value in data.items()
        if (key in FILTER_KEYS or key.startswith("cf_")) and value
    }


def _refuse(
    request: HttpRequest, error: PermissionDenied | None = None
) -> HttpResponse:
    reason = str(error) if error else _("Your rights do not allow this.")
    return render(request, "403.html", {"reason": reason}, status=403)


def record_list(request: HttpRequest, entity: str) -> HttpResponse:
    if not can(request.crm_user, entity, "view"):
        return _refuse(request)
    params = _filter_params(request.GET)
    records = records_filtered(
        crm=request.crm, actor=request.crm_user, entity=entity, params=params
    )
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "crm/records/list.html",
        {
            "entity": entity,
            "title": ENTITY_LABELS[entity][0],
            "page": page,
            "params": params,
            "querystring": urlencode(params),
            "fields": custom_fields_for(crm=request.crm, entity=entity),
            "users": CrmUser.objects.for_crm(request.crm).order_by("name"),
            "can_create": can(request.crm_user, entity, "create"),
            "can_delete": can(request.crm_user, entity, "delete"),
        },
    )


def record_form(
    request: HttpRequest, entity: str, record_id: int | None = None
) -> HttpResponse:
    """Create or edit a record through its form: the form checks what was
    submitted against this CRM's choices, the record service writes it."""
    record = None
    if record_id is not None:
        record = record_get(
            crm=request.crm, actor=request.crm_user, entity=entity, record_id=record_id
        )
        if not can(request.crm_user, entity, "edit", record):
            return _refuse(
                request, PermissionDenied(_("Your rights do not allow this."))
            )
    elif not can(request.crm_user, entity, "create"):
        return _refuse(request)
    form = RECORD_FORMS[entity](
        request.POST if request.method == "POST" else None,
        instance=record,
        crm=request.crm,
        actor=request.crm_user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = SAVERS[entity](
                crm=request.crm,
                actor=request.crm_user,
                data=form.service_data(),
                **{f"{entity}_id": record_id},
            )
        except PermissionDenied as error:
            return _refuse(request, error)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Saved."))
            return redirect(f"{_base(request, entity)}{saved.pk}/")
    return render(
        request,
        "crm/records/form.html",
        {
            "entity": entity,
            "title": ENTITY_LABELS[entity][0],
            "record": record,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


PICKER_RESULTS = 20
# The form fields each picker serves.
PICKER_FIELDS = {"company": ("company", "companies"), "contact": ("contacts",)}


def record_picker(request: HttpRequest, entity: str) -> HttpResponse:
    """A record form's searchable picker, drawn again with what is chosen now
    and the visible records whose name has the search text."""
    name = request.GET.get("field", "")
    if entity not in PICKER_FIELDS or name not in PICKER_FIELDS[entity]:
        raise Http404
    if not can(request.crm_user, entity, "view"):
        return _refuse(request)
    visible = visible_records(crm=request.crm, actor=request.crm_user, entity=entity)
    values = {v for v in request.GET.getlist(name) if v}
    if not all(v.isascii() and v.isdigit() for v in values):
        return HttpResponseBadRequest(_("A record ID is a whole number."))
    chosen = picker_chosen(visible, values)
    if len(chosen) != len(values):
        raise Http404
    query = " ".join(request.GET.get("picker_q", "").split())[:200]
    results = visible.exclude(pk__in=[record.pk for record in chosen])
    if query:
        results = results.filter(name__icontains=query)
    picker = {
        "name": name,
        "multiple": request.GET.get("multiple") != "0",
        "url": request.path,
        "chosen": chosen,
        "results": list(
            results.order_by("name", "pk").only("pk", "name")[:PICKER_RESULTS]
        ),
        "query": query,
        "entity": entity,
    }
    return render(request, "crm/widgets/_record_picker_body.html", {"picker": picker})


def record_card(request: HttpRequest, entity: str, record_id: int) -> HttpResponse:
    record = record_get(
        crm=request.crm, actor=request.crm_user, entity=entity, record_id=record_id
    )
    fields = custom_fields_for(crm=request.crm, entity=entity)
    custom = [(field, record.custom.get(str(field.pk))) for field in fields]
    return render(
        request,
        "crm/records/card.html",
        {
            "entity": entity,
            "title": ENTITY_LABELS[entity][0],
            "record": record,
            "custom": custom,
            "notes": record.notes.select_related("author").order_by("-created_at")[
                :100
            ],
            "people": (
                record.contacts.order_by("name")[:200]
                if entity in ("company", "deal")
                else []
            ),
            "can_edit": can(request.crm_user, entity, "edit", record),
            "can_delete": can(request.crm_user, entity, "delete", record),
        },
    )


def record_action(request: HttpRequest, entity: str, record_id: int, action: str):
    base = _base(request, entity)
    try:
        if action == "delete":
            record_delete(
                crm=request.crm,
                actor=request.crm_user,
                entity=entity,
                record_id=record_id,
            )
            messages.success(request, _("Deleted."))
            return redirect(base)
        if action in ("archive", "restore"):
            record_set_archived(
                crm=request.crm,
                actor=request.crm_user,
                entity=entity,
                record_id=record_id,
                archived=action == "archive",
            )
            messages.success(
                request, _("Archived.") if action == "archive" else _("Restored.")
            )
        elif action == "note":
            note_add(
                crm=request.crm,
                actor=request.crm_user,
                entity=entity,
                record_id=record_id,
                text=request.POST.get("text", ""),
            )
    except PermissionDenied as error:
        return _refuse(request, error)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(f"{base}{record_id}/")


def bulk_delete(request: HttpRequest, entity: str) -> HttpResponse:
    """Tick rows (ids) or "all matching this filter" → confirm the exact number →
    delete, inline or as a job with progress."""
    if request.POST.get("all_matching") == "1":
        params = _filter_params(request.POST)
        ids = list(
            records_filtered(
                crm=request.crm, actor=request.crm_user, entity=entity, params=params
            ).values_list("pk", flat=True)
        )
        description = urlencode(params) or _("all")
    else:
        # isascii(): "²".isdigit() is true, but int("²") fails.
        ids = [
            int(i) for i in request.POST.getlist("ids") if i.isascii() and i.isdigit()
        ]
        description = _("selected rows")
    if not ids:
        messages.error(request, _("Nothing was selected."))
        return redirect(_base(request, entity))
    if request.POST.get("confirm") != "1":
        return render(
            request,
            "crm/records/bulk_confirm.html",
            {
                "entity": entity,
                "title": ENTITY_LABELS[entity][0],
                "count": len(ids),
                "ids": ids if request.POST.get("all_matching") != "1" else [],
                "post": request.POST,
                "params": _filter_params(request.POST),
            },
        )
    try:
        result = records_delete(
            crm=request.crm,
            actor=request.crm_user,
            entity=entity,
            ids=ids,
            description=description,
        )
    except PermissionDenied as error:
        return _refuse(request, error)
    if result.job is not None:
        return redirect(f"/c/{request.crm.slug}/jobs/{result.job.pk}/")
    messages.success(
        request, _("%(count)d records deleted.") % {"count": len(result.deleted)}
    )
    return redirect(_base(request, entity))


def _entity_views(entity: str):
    @require_http_methods(["GET"])
    @crm_view
    def list_view(request):
        return record_list(request, entity)

    @require_http_methods(["GET", "POST"])
    @crm_view
    def new_view(request):
        return record_form(request, entity)

    @require_http_methods(["GET"])
    @crm_view
    def card_view(request, record_id: int):
        return record_card(request, entity, record_id)

    @require_http_methods(["GET", "POST"])
    @crm_view
    def edit_view(request, record_id: int):
        return record_form(request, entity, record_id)

    @require_POST
    @crm_view
    def action_view(request, record_id: int, action: str):
        if action not in ("delete", "archive", "restore", "note"):
            raise Http404
        return record_action(request, entity, record_id, action)

    @require_POST
    @crm_view
    def bulk_view(request):
        return bulk_delete(request, entity)

    return list_view, new_view, card_view, edit_view, action_view, bulk_view


@require_http_methods(["GET"])
@crm_view
def record_picker_view(request: HttpRequest, entity: str) -> HttpResponse:
    return record_picker(request, entity)


@require_http_methods(["GET"])
@crm_view
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    job = BulkDeleteJob.objects.for_crm(request.crm).filter(pk=job_id).first()
    if job is None:
        raise Http404
    template = "crm/records/_job.html" if request.htmx else "crm/records/job.html"
    return render(request, template, {"job": job})


@require_http_methods(["GET"])
@crm_view
def deals_board(request: HttpRequest) -> HttpResponse:
    if not can(request.crm_user, "deal", "view"):
        return _refuse(request)
    pipelines = list(Pipeline.objects.for_crm(request.crm).order_by("position", "pk"))
    if not pipelines:
        return render(request, "crm/records/board.html", {"pipelines": []})
    wanted = request.GET.get("pipeline_id")
    pipeline = next((p for p in pipelines if str(p.pk) == wanted), None)
    if wanted and pipeline is None:
        raise Http404
    pipeline = pipeline or pipelines[0]
    statuses = list(
        PipelineStatus.objects.for_crm(request.crm).filter(pipeline=pipeline)
    )
    deals = records_filtered(
        crm=request.crm,
        actor=request.crm_user,
        entity="deal",
        params={"archived": "0"},
    ).filter(pipeline=pipeline)[:1000]
    columns = {status.pk: [] for status in statuses}
    for deal in deals:
        columns.setdefault(deal.status_id, []).append(deal)
    return render(
        request,
        "crm/records/board.html",
        {
            "pipelines": pipelines,
            "pipeline": pipeline,
            "columns": [(status, columns[status.pk]) for status in statuses],
        },
    )


@require_POST
@crm_view
def deal_move_view(request: HttpRequest, record_id: int) -> HttpResponse:
    try:
        deal = deal_move(
            crm=request.crm,
            actor=request.crm_user,
            deal_id=record_id,
            status_id=request.POST.get("status_id"),
        )
    except PermissionDenied as error:
        return _refuse(request, error)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(f"/c/{request.crm.slug}/deals/")
    return redirect(f"/c/{request.crm.slug}/deals/?pipeline_id={deal.pipeline_id}")


@require_http_methods(["GET", "POST"])
@crm_view
@crm_admin_required
def custom_fields(request: HttpRequest) -> HttpResponse:
    from crm.services.fields import custom_field_create, custom_field_delete

    errors: list[str] = []
    if request.method == "POST":
        try:
            if request.POST.get("delete"):
                custom_field_delete(crm=request.crm, field_id=request.POST["delete"])
                messages.success(request, _("Field deleted."))
            else:
                custom_field_create(
                    crm=request.crm,
                    entity=request.POST.get("entity", ""),
                    name=request.POST.get("name", ""),
                    type=request.POST.get("type", ""),
                    options=request.POST.get("options", ""),
                )
                messages.success(request, _("Field created."))
            return redirect(f"/c/{request.crm.slug}/settings/fields/")
        except ValidationError as error:
            errors = error.messages
    return render(
        request,
        "crm/settings/fields.html",
        {
            "fields": CustomField.objects.for_crm(request.crm).order_by(
                "entity", "position", "pk"
            ),
            "entities": CustomField.Entity.choices,
            "types": CustomField.Type.choices,
            "errors": errors,
            "posted": request.POST,
        },
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
@crm_view
@crm_admin_required
def pipelines_settings(request: HttpRequest) -> HttpResponse:
    from crm.services.pipelines import (
        pipeline_create,
        pipeline_status_create,
        pipeline_status_delete,
    )

    errors: list[str] = []
    if request.method == "POST":
        try:
            if request.POST.get("delete_status"):
                pipeline_status_delete(
                    crm=request.crm, status_id=request.POST["delete_status"]
                )
            elif request.POST.get("pipeline_id"):
                pipeline_status_create(
                    crm=request.crm,
                    pipeline_id=request.POST["pipeline_id"],
                    name=request.POST.get("name", ""),
                )
            else:
                pipeline_create(crm=request.crm, name=request.POST.get("name", ""))
            messages.success(request, _("Saved."))
            return redirect(f"/c/{request.crm.slug}/settings/pipelines/")
        except ValidationError as error:
            errors = error.messages
    pipelines = Pipeline.objects.for_crm(request.crm).prefetch_related("statuses")
    return render(
        request,
        "crm/settings/pipelines.html",
        {"pipelines": pipelines, "errors": errors},
        status=400 if errors else 200,
    )
