"""Downloading a list of records as CSV or XLSX: the list page's "Export" form
sends its search, filters and sort here (crm/services/list_export.py)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from crm.services.list_export import (
    EXPORT_FORMATS,
    list_csv_lines,
    list_export_file_name,
    list_export_prepare,
    list_xlsx_file,
)
from crm.tenancy import crm_view
from crm.views.records import FILTER_KEYS

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_http_methods(["GET"])
@crm_view
def record_list_export(request: HttpRequest, entity: str) -> HttpResponse:
    file_format = request.GET.get("format", "xlsx")
    if file_format not in EXPORT_FORMATS:
        return HttpResponseBadRequest(_("Choose CSV or XLSX."))
    params = {
        key: value
        for key, value in request.GET.items()
        if (key in FILTER_KEYS or key.startswith("cf_")) and value
    }
    try:
        export = list_export_prepare(
            crm=request.crm,
            actor=request.crm_user,
            entity=entity,
            params=params,
            sort=request.GET.get("sort"),
        )
    except PermissionDenied as error:
        return render(request, "403.html", {"reason": str(error)}, status=403)
    name = list_export_file_name(export, file_format)
    if file_format == "csv":
        response = StreamingHttpResponse(
            list_csv_lines(export), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    try:
        handle = list_xlsx_file(export)
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    return FileResponse(
        handle, as_attachment=True, filename=name, content_type=XLSX_TYPE
    )
