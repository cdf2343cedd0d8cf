"""Settings of a CRM: custom fields, pipelines and the audit log (owner and
administrators)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from crm.models import (
    AuditEvent,
    CustomField,
    Pipeline,
    PipelineStatus,
)
from crm.tenancy import crm_admin_required, crm_view


@require_http_methods(["GET"])
@crm_view
@crm_admin_required
def audit_log(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.for_crm(request.crm).order_by("-created_at", "-pk")[
        :200
    ]
    return render(request, "crm/settings/audit.html", {"events": events})


@require_http_methods(["GET", "POST"])
@crm_view
@crm_admin_required
def custom_fields(request: HttpRequest) -> HttpResponse:
    """The CRM's custom fields: create one, delete one, move one up or down
    among its kind's fields (each its own small form, without JavaScript)."""
    from crm.selectors.fields import custom_fields_list
    from crm.services.fields import (
        custom_field_create,
        custom_field_delete,
        custom_field_move,
    )

    errors: list[str] = []
    if request.method == "POST":
        try:
            if request.POST.get("delete"):
                custom_field_delete(crm=request.crm, field_id=request.POST["delete"])
                messages.success(request, _("Field deleted."))
            elif request.POST.get("move"):
                step = request.POST.get("step")
                if step not in ("-1", "1"):
                    raise ValidationError(_("Move a field up or down."))
                custom_field_move(
                    crm=request.crm, field_id=request.POST["move"], step=int(step)
                )
                messages.success(request, _("Field moved."))
            else:
                custom_field_create(
                    crm=request.crm,
                    entity=request.POST.get("entity", ""),
                    name=request.POST.get("name", ""),
                    type=request.POST.get("type", ""),
                    options=request.POST.get("options", ""),
                    is_required=bool(request.POST.get("is_required")),
                )
                messages.success(request, _("Field created."))
            return redirect("crm:custom_fields", slug=request.crm.slug)
        except ValidationError as error:
            errors = error.messages
    fields = list(custom_fields_list(crm=request.crm))
    # Up and Down move a field among the fields of its own kind of record.
    for index, field in enumerate(fields):
        before = fields[index - 1] if index else None
        after = fields[index + 1] if index + 1 < len(fields) else None
        field.can_move_up = before is not None and before.entity == field.entity
        field.can_move_down = after is not None and after.entity == field.entity
    return render(
        request,
        "crm/settings/fields.html",
        {
            "fields": fields,
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
def custom_field_edit(request: HttpRequest, field_id: int) -> HttpResponse:
    """One custom field: its name, a select's options, whether it is required."""
    from crm.forms.errors import form_add_service_errors
    from crm.forms.fields import CustomFieldEditForm
    from crm.services.fields import custom_field_update

    field = CustomField.objects.for_crm(request.crm).by_id(field_id)
    if field is None:
        raise Http404
    form = CustomFieldEditForm(
        request.POST if request.method == "POST" else None, field=field
    )
    if request.method == "POST" and form.is_valid():
        try:
            custom_field_update(crm=request.crm, field_id=field.pk, **form.changes())
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Field saved."))
            return redirect("crm:custom_fields", slug=request.crm.slug)
    return render(
        request,
        "crm/settings/field_edit.html",
        {"field": field, "form": form},
        status=400 if form.errors else 200,
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
            return redirect("crm:pipelines", slug=request.crm.slug)
        except ValidationError as error:
            errors = error.messages
    pipelines = Pipeline.objects.for_crm(request.crm).prefetch_related("statuses")
    return render(
        request,
        "crm/settings/pipelines.html",
        {"pipelines": pipelines, "errors": errors},
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
@crm_view
@crm_admin_required
def pipeline_setup(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    """The board's set-up for one pipeline: rename, recolour and reorder its
    statuses, add one, delete an open one."""
    from crm.forms.pipelines import PipelineSetupForm
    from crm.services.pipelines import (
        pipeline_status_create,
        pipeline_status_delete,
        pipeline_statuses_update,
    )

    crm = request.crm
    pipeline = Pipeline.objects.for_crm(crm).by_id(pipeline_id)
    if pipeline is None:
        raise Http404
    statuses = list(
        PipelineStatus.objects.for_crm(crm)
        .filter(pipeline=pipeline)
        .order_by("position", "pk")
    )
    form = PipelineSetupForm(statuses=statuses)
    errors: list[str] = []
    if request.method == "POST":
        try:
            if request.POST.get("delete_status"):
                status = next(
                    (s for s in statuses if str(s.pk) == request.POST["delete_status"]),
                    None,
                )
                if status is None:
                    raise Http404
                pipeline_status_delete(crm=crm, status_id=status.pk)
                messages.success(request, _("Status deleted."))
            elif "new_status" in request.POST:
                pipeline_status_create(
                    crm=crm,
                    pipeline_id=pipeline.pk,
                    name=request.POST.get("new_status", ""),
                )
                messages.success(request, _("Status added."))
            else:
                form = PipelineSetupForm(request.POST, statuses=statuses)
                if not form.is_valid():
                    raise ValidationError(_("Check the statuses below."))
                pipeline_statuses_update(
                    crm=crm, pipeline_id=pipeline.pk, changes=form.changes()
                )
                messages.success(request, _("Saved."))
            return redirect(
                "crm:pipeline_setup", slug=crm.slug, pipeline_id=pipeline.pk
            )
        except ValidationError as error:
            errors = error.messages
    return render(
        request,
        "crm/settings/pipeline_setup.html",
        {"pipeline": pipeline, "form": form, "errors": errors},
        status=400 if errors else 200,
    )
