"""Deleting a CRM from the portal, and its export: the owner's doors only."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
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


# Wrong Account passwords on the deletion form, per Account and client address, as
# ACCOUNT_RATE_LIMITS["crm_delete_password"] says: a session left open is not a way
# to guess the password at leisure. Only failures count.
DELETE_CHECK_ACTION = "crm_delete_password"


def _delete_check_key(request: HttpRequest) -> str:
    return f"{request.user.pk}:{get_adapter(request).get_client_ip(request)}"


@login_required
@require_http_methods(["GET", "POST"])
def crm_delete(request: HttpRequest, crm_id: int) -> HttpResponse:
    crm = _owned_crm(request, crm_id)
    form = DeleteCrmForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        key = _delete_check_key(request)
        if not ratelimit.consume(
            request, action=DELETE_CHECK_ACTION, key=key, dry_run=True
        ):
            form.add_error(
                None,
                _("Too many failed attempts. Please wait a few minutes and try again."),
            )
            status = 429
        else:
            try:
                crm_schedule_deletion(
                    crm=crm,
                    account=request.user,
                    typed_name=form.cleaned_data["typed_name"],
                    password=form.cleaned_data["password"],
                )
            except ValidationError as error:
                form_add_service_errors(form, error)
                if form.has_error("password"):
                    ratelimit.consume(request, action=DELETE_CHECK_ACTION, key=key)
            else:
                messages.success(
                    request,
                    _("%(crm)s is scheduled for deletion. You can cancel until then.")
                    % {"crm": crm.name},
                )
                return redirect("portal:crm_list")
    if form.errors and status == 200:
        status = 400
    return render(
        request, "portal/crm_delete.html", {"crm": crm, "form": form}, status=status
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
