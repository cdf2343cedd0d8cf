"""Settings → API: the CRM's API keys (owner and admins)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.forms.apikeys import ApiKeyForm
from crm.models import ApiKey
from crm.services.apikeys import api_key_create, api_key_revoke
from crm.tenancy import crm_admin_required, crm_view


def _keys_url(request: HttpRequest) -> str:
    return reverse("crm:api_keys", kwargs={"slug": request.crm.slug})


@require_http_methods(["GET", "POST"])
@crm_view
@crm_admin_required
def api_keys(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    created: ApiKey | None = None
    raw_key = ""
    if request.method == "POST" and form.is_valid():
        try:
            created, raw_key = api_key_create(
                crm=request.crm,
                name=form.cleaned_data["name"],
                created_by=request.crm_user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            form = ApiKeyForm()
    keys = (
        ApiKey.objects.for_crm(request.crm)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )
    response = render(
        request,
        "crm/settings/api_keys.html",
        {
            "form": form,
            "keys": keys,
            "created": created,
            "raw_key": raw_key,
            "api_root": request.build_absolute_uri("/api/v1/"),
            "api_docs": reverse("api:docs"),
        },
        status=400 if form.errors else 200,
    )
    if raw_key:
        # The raw key exists only in this response: no cache may keep a copy.
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@crm_view
@crm_admin_required
def api_key_revoke_view(request: HttpRequest, api_key_id: int) -> HttpResponse:
    api_key = api_key_revoke(
        crm=request.crm, api_key_id=api_key_id, actor=request.crm_user
    )
    messages.success(
        request,
        _("The key “%(name)s” is revoked: requests with it are refused from now on.")
        % {"name": api_key.name},
    )
    return redirect(_keys_url(request))
