"""The portal's list of CRMs and what it leads to: creating one, entering one,
adding an existing one by its connection code."""

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.models import Crm
from crm.services.connection import (
    ConnectRefused,
    connection_code_preview,
    crm_user_connect_account,
)
from crm.services.crms import crm_create
from crm.services.sso import SsoRefused
from portal.forms import ConnectionCodeForm, CrmCreateForm
from portal.selectors import crm_memberships_for_account
from portal.services import crm_enter


def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:crm_list")
    return redirect("account_signup")


@login_required
@require_GET
def crm_list(request: HttpRequest) -> HttpResponse:
    memberships = list(crm_memberships_for_account(account=request.user))
    scheduled = Crm.Status.PENDING_DELETION
    return render(
        request,
        "portal/crm_list.html",
        {
            "memberships": [m for m in memberships if m.crm.status != scheduled],
            "scheduled": [m for m in memberships if m.crm.status == scheduled],
        },
    )


@login_required
@require_GET
def crm_row(request: HttpRequest, crm_id: int) -> HttpResponse:
    """One row of the list, polled by htmx while its CRM is being created."""
    membership = get_object_or_404(
        crm_memberships_for_account(account=request.user), crm_id=crm_id
    )
    return render(
        request, "portal/_crm_rows.html", {"memberships": [membership], "polled": True}
    )


@login_required
@require_http_methods(["GET", "POST"])
def crm_new(request: HttpRequest) -> HttpResponse:
    form = CrmCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not ratelimit.consume(request, action="crm_create", user=request.user):
            return ratelimit.respond_429(request)
        try:
            crm = crm_create(owner=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Tagged with the CRM so that its row, once active, replaces it.
            messages.success(
                request,
                _("%(crm)s is being created. It will be ready in a few seconds.")
                % {"crm": crm.name},
                extra_tags=f"crm-{crm.pk}-created",
            )
            return redirect("portal:crm_list")
    status = 400 if form.errors else 200
    return render(request, "portal/crm_new.html", {"form": form}, status=status)


@login_required
@require_POST
def crm_enter_view(request: HttpRequest, crm_id: int) -> HttpResponse:
    try:
        return redirect(crm_enter(account=request.user, crm_id=crm_id))
    except SsoRefused as refusal:
        return render(
            request, "portal/refused.html", {"reason": refusal.message}, status=403
        )


@login_required
@require_http_methods(["GET", "POST"])
def crm_connect(request: HttpRequest) -> HttpResponse:
    """Add existing CRM: enter a code, see what it links, confirm."""
    form = ConnectionCodeForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        status = 400 if form.errors else 200
        return render(request, "portal/crm_connect.html", {"form": form}, status=status)
    if not ratelimit.consume(request, action="crm_connect", user=request.user):
        form.add_error(
            None, _("Too many attempts. Please wait a few minutes and try again.")
        )
        return render(request, "portal/crm_connect.html", {"form": form}, status=429)
    code = form.cleaned_data["code"]
    try:
        if "confirm" not in request.POST:
            crm_user = connection_code_preview(code=code, account=request.user)
            return render(
                request,
                "portal/crm_connect_confirm.html",
                {"crm_user": crm_user, "crm": crm_user.crm, "code": code},
            )
        crm_user = crm_user_connect_account(code=code, account=request.user)
    except ConnectRefused as refusal:
        form.add_error("code", refusal.message)
        return render(request, "portal/crm_connect.html", {"form": form}, status=400)
    messages.success(
        request,
        _("%(crm)s is now in your list. Press Enter to go in.")
        % {"crm": crm_user.crm.name},
    )
    return redirect("portal:crm_list")
