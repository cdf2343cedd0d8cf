"""Importing contacts and companies, a page per step: upload → columns → preview
and duplicates → progress → report, and undo. Each page works without
JavaScript; with it, the progress bar follows the job through htmx."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from crm.entities import record_kind
from crm.forms.imports import ImportMappingForm, ImportRunForm, ImportUploadForm
from crm.models import RecordImport, RecordImportRow
from crm.rights import can
from crm.selectors.imports import import_report_page, imports_visible
from crm.services.export import _csv_cell
from crm.services.imports import (
    PREVIEW_ROWS,
    import_entities_allowed,
    import_report_rows,
    import_samples,
    import_targets,
    record_import_get,
    record_import_mapping_set,
    record_import_preview,
    record_import_request,
    record_import_start,
    record_import_undo_request,
    record_import_undo_summary,
)
from crm.tenancy import crm_view

REPORT_PAGE_ROWS = 200


def _refuse(request: HttpRequest, error: PermissionDenied | None = None):
    reason = str(error) if error else _("Your rights do not allow this.")
    return render(request, "403.html", {"reason": reason}, status=403)


def _to(request: HttpRequest, name: str, record_import: RecordImport):
    return redirect(name, slug=request.crm.slug, import_id=record_import.pk)


@require_http_methods(["GET"])
@crm_view
def import_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "crm/imports/list.html",
        {
            "imports": imports_visible(crm=request.crm, actor=request.crm_user)[:100],
            "can_import": bool(import_entities_allowed(request.crm_user)),
        },
    )


@require_http_methods(["GET", "POST"])
@crm_view
def import_new(request: HttpRequest) -> HttpResponse:
    entities = import_entities_allowed(request.crm_user)
    if not entities:
        return _refuse(request)
    wanted = request.GET.get("entity")
    form = ImportUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        entities=entities,
        initial={"entity": wanted} if wanted in entities else None,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            record_import = record_import_start(
                crm=request.crm,
                actor=request.crm_user,
                entity=form.cleaned_data["entity"],
                file_name=upload.name,
                data=upload.read(),
                encoding=form.cleaned_data["encoding"],
            )
        except PermissionDenied as error:
            return _refuse(request, error)
        except ValidationError as error:
            form.add_error("file", error.messages)
        else:
            return _to(request, "crm:import_columns", record_import)
    return render(
        request,
        "crm/imports/upload.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _step_refused(request: HttpRequest, record_import: RecordImport):
    """The columns and preview pages are for an import not started yet, by the
    person who uploaded it; anyone else who may see it gets its progress."""
    if (
        record_import.status != RecordImport.Status.NEW
        or record_import.requested_by_id != request.crm_user.pk
    ):
        return _to(request, "crm:import_detail", record_import)
    return None


@require_http_methods(["GET", "POST"])
@crm_view
def import_columns(request: HttpRequest, import_id: int) -> HttpResponse:
    crm, actor = request.crm, request.crm_user
    record_import = record_import_get(crm=crm, actor=actor, import_id=import_id)
    refused = _step_refused(request, record_import)
    if refused is not None:
        return refused
    try:
        samples = import_samples(record_import)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("crm:import_new", slug=crm.slug)
    form = ImportMappingForm(
        request.POST if request.method == "POST" else None,
        headers=record_import.headers,
        samples=samples,
        targets=import_targets(crm=crm, entity=record_import.entity),
        mapping=record_import.mapping,
    )
    if request.method == "POST" and form.is_valid():
        try:
            record_import_mapping_set(
                crm=crm, actor=actor, import_id=import_id, mapping=form.mapping()
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            return _to(request, "crm:import_preview", record_import)
    return render(
        request,
        "crm/imports/columns.html",
        {
            "record_import": record_import,
            "kind": record_kind(record_import.entity),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@crm_view
def import_preview(request: HttpRequest, import_id: int) -> HttpResponse:
    crm, actor = request.crm, request.crm_user
    record_import = record_import_get(crm=crm, actor=actor, import_id=import_id)
    refused = _step_refused(request, record_import)
    if refused is not None:
        return refused
    form = ImportRunForm(
        request.POST if request.method == "POST" else None,
        can_update=can(actor, record_import.entity, "edit"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            record_import_request(
                crm=crm,
                actor=actor,
                import_id=import_id,
                duplicates=form.cleaned_data["duplicates"],
            )
        except PermissionDenied as error:
            return _refuse(request, error)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            return _to(request, "crm:import_detail", record_import)
    try:
        record_import, plans = record_import_preview(
            crm=crm, actor=actor, import_id=import_id
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("crm:import_new", slug=crm.slug)
    targets = {
        t.key: t.label for t in import_targets(crm=crm, entity=record_import.entity)
    }
    return render(
        request,
        "crm/imports/preview.html",
        {
            "record_import": record_import,
            "kind": record_kind(record_import.entity),
            "plans": plans,
            "preview_rows": PREVIEW_ROWS,
            "mapped": [
                (header, targets[key])
                for header, key in zip(
                    record_import.headers, record_import.mapping, strict=False
                )
                if key
            ],
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET"])
@crm_view
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    record_import = record_import_get(
        crm=request.crm, actor=request.crm_user, import_id=import_id
    )
    if request.htmx:
        if record_import.is_running:
            return render(
                request, "crm/imports/_progress.html", {"record_import": record_import}
            )
        # Finished: the whole page again, with its report.
        return HttpResponseClientRefresh()
    if (
        record_import.status == RecordImport.Status.NEW
        and record_import.requested_by_id == request.crm_user.pk
    ):
        return _to(request, "crm:import_columns", record_import)
    rows = import_report_page(record_import=record_import, limit=REPORT_PAGE_ROWS)
    return render(
        request,
        "crm/imports/detail.html",
        {
            "record_import": record_import,
            "kind": record_kind(record_import.entity),
            "rows": rows,
            "rows_cut": len(rows) == REPORT_PAGE_ROWS,
            "can_undo": record_import.status
            in (RecordImport.Status.DONE, RecordImport.Status.FAILED),
        },
    )


def _report_lines(record_import: RecordImport) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # A byte order mark: Excel then reads the names in UTF-8, not the ANSI page.
    buffer.write("\ufeff")
    writer.writerow([_("Row"), _("Outcome"), _("ID"), _("Name"), _("Reason")])
    outcomes = dict(RecordImportRow.Outcome.choices)
    for row in import_report_rows(record_import).iterator(chunk_size=2000):
        writer.writerow(
            [
                row.line,
                str(outcomes.get(row.outcome, row.outcome)),
                row.record_id or "",
                _csv_cell(row.name),
                _csv_cell(row.reason),
            ]
        )
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@require_http_methods(["GET"])
@crm_view
def import_report(request: HttpRequest, import_id: int) -> HttpResponse:
    record_import = record_import_get(
        crm=request.crm, actor=request.crm_user, import_id=import_id
    )
    response = StreamingHttpResponse(
        _report_lines(record_import), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="import-{record_import.pk}-report.csv"'
    )
    return response


@require_http_methods(["GET", "POST"])
@crm_view
def import_undo(request: HttpRequest, import_id: int) -> HttpResponse:
    crm, actor = request.crm, request.crm_user
    record_import = record_import_get(crm=crm, actor=actor, import_id=import_id)
    if request.method == "POST":
        try:
            record_import_undo_request(crm=crm, actor=actor, import_id=import_id)
        except PermissionDenied as error:
            # The reason says which records stand in the way.
            messages.error(request, str(error))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return _to(request, "crm:import_detail", record_import)
    if record_import.status not in (
        RecordImport.Status.DONE,
        RecordImport.Status.FAILED,
    ):
        messages.error(request, _("Only an import that has finished can be undone."))
        return _to(request, "crm:import_detail", record_import)
    return render(
        request,
        "crm/imports/undo.html",
        {
            "record_import": record_import,
            "kind": record_kind(record_import.entity),
            "summary": record_import_undo_summary(record_import),
        },
    )
