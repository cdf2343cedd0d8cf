"""Deleting a CRM from the portal, and its export: the owner's doors only."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.forms.errors import form_add_service_errors
from crm.models import Crm, CrmExport, CrmUser
from crm.services.crm_deletion import crm_cancel_deletion, crm_schedule_deletion
from crm.services.export import crm_export_request
from portal.forms import DeleteCrmForm


def _owned_crm(request: HttpRequest, crm_id: int) -> Crm:
    """The CRM if this Account owns it. Linked but not the owner: 403 (the page
    exists, they may not). Not linked at all: 404, as for any other CRM."""
    crm = Crm.objects.select_related("owner").filter(pk=crm_id).first()
    if crm is None:
        raise Http404
    if crm.owner_id == request.user.pk:
        return crm
    if CrmUser.objects.filter(crm=crm, account=request.user).exists():
        raise PermissionDenied(_("Only the owner of a CRM can delete it."))
    raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def crm_delete(request: HttpRequest, crm_id: int) -> HttpResponse:
    crm = _owned_crm(request, crm_id)
    return _crm_delete_confirmed(request, crm)


# After the ownership check, so a stranger learns nothing by being asked to sign in
# again: allauth asks for the password, or the second factor when one is on, unless
# it was given in the last ACCOUNT_REAUTHENTICATION_TIMEOUT seconds (and resumes a
# POST it interrupted).
@reauthentication_required
def _crm_delete_confirmed(request: HttpRequest, crm: Crm) -> HttpResponse:
    form = DeleteCrmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            crm_schedule_deletion(
                crm=crm,
                account=request.user,
                typed_name=form.cleaned_data["typed_name"],
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(crm)s is scheduled for deletion. You can cancel until then.")
                % {"crm": crm.name},
            )
            return redirect("portal:crm_list")
    return render(
        request,
        "portal/crm_delete.html",
        {"crm": crm, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def crm_cancel_deletion_view(request: HttpRequest, crm_id: int) -> HttpResponse:
    crm = _owned_crm(request, crm_id)
    try:
        crm_cancel_deletion(crm=crm, account=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The deletion of %(crm)s is cancelled. Nothing was lost.")
            % {"crm": crm.name},
        )
    return redirect("portal:crm_list")


@login_required
@require_http_methods(["GET", "POST"])
def crm_export(request: HttpRequest, crm_id: int) -> HttpResponse:
    crm = _owned_crm(request, crm_id)
    if request.method == "POST":
        crm_export_request(crm=crm, account=request.user)
        return redirect("portal:crm_export", crm_id=crm.pk)
    export = CrmExport.objects.for_crm(crm).order_by("-created_at").first()
    template = (
        "portal/_export_status.html" if request.htmx else "portal/crm_export.html"
    )
    return render(request, template, {"crm": crm, "export": export})


@login_required
@require_http_methods(["GET"])
def crm_export_download(request: HttpRequest, crm_id: int, export_id: int):
    crm = _owned_crm(request, crm_id)
    return _export_file(request, crm, export_id)


# The whole CRM in one file: asked for again, as deleting is.
@reauthentication_required
def _export_file(request: HttpRequest, crm: Crm, export_id: int) -> FileResponse:
    export = (
        CrmExport.objects.for_crm(crm)
        .filter(pk=export_id, status=CrmExport.Status.DONE)
        .first()
    )
    if export is None or not export.file_name:
        raise Http404
    return FileResponse(
        default_storage.open(export.file_name, "rb"),
        as_attachment=True,
        filename=export.file_name.rsplit("/", 1)[-1],
        content_type="application/zip",
    )
