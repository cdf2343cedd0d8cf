"""A list's layout: the page where a CRM user chooses its columns and sort, and the
sort buttons in the list's header row, which post here."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from crm.entities import record_kind
from crm.forms.layouts import ListLayoutForm
from crm.rights import can
from crm.selectors.layouts import list_layout_get
from crm.services.layouts import list_layout_save
from crm.services.records import custom_fields_for
from crm.tenancy import crm_view
from crm.views.records import _filter_params, _refuse


def _back_to_list(request: HttpRequest, entity: str) -> HttpResponse:
    """The list again, with the filters it had (posted back as hidden fields)."""
    url = reverse(
        record_kind(entity).url_name("list"), kwargs={"slug": request.crm.slug}
    )
    params = _filter_params(request.POST)
    return redirect(f"{url}?{urlencode(params)}" if params else url)


@require_http_methods(["GET", "POST"])
@crm_view
def list_layout(request: HttpRequest, entity: str) -> HttpResponse:
    if not can(request.crm_user, entity, "view"):
        return _refuse(request)
    crm, actor = request.crm, request.crm_user
    if request.method == "POST" and ("sort" in request.POST or "reset" in request.POST):
        # A sort button of the list's header row, or "Back to default".
        reset = "reset" in request.POST
        try:
            list_layout_save(
                crm=crm,
                actor=actor,
                entity=entity,
                columns=[] if reset else None,
                sort="" if reset else request.POST["sort"],
            )
        except PermissionDenied as error:
            return _refuse(request, error)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return _back_to_list(request, entity)
    layout = list_layout_get(
        crm=crm,
        actor=actor,
        entity=entity,
        custom_fields=custom_fields_for(crm=crm, entity=entity),
    )
    form = ListLayoutForm(
        request.POST if request.method == "POST" else None, layout=layout
    )
    if request.method == "POST" and form.is_valid():
        try:
            list_layout_save(
                crm=crm,
                actor=actor,
                entity=entity,
                columns=form.columns(),
                sort=form.sort(),
            )
        except PermissionDenied as error:
            return _refuse(request, error)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("The list's columns are saved."))
            return _back_to_list(request, entity)
    return render(
        request,
        "crm/records/layout.html",
        {
            "entity": entity,
            "title": record_kind(entity).label,
            "kind": record_kind(entity),
            "form": form,
            "params": _filter_params(request.POST or request.GET),
        },
        status=400 if form.errors else 200,
    )
