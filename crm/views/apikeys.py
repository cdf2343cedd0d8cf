"""Settings → API: the CRM's API keys (owner and admins).

A new key is made by a POST that redirects to the page (so a reload makes no
second key), and the page's next GET shows it once. On the way from the one to
the other it is kept split in two: the session, which lives in the cache or the
database, holds the key XOR a one-time pad; a short-lived cookie, sent only to
this page, holds the pad. Neither half alone says anything about the key; the GET
joins them, drops both and tells every cache to keep nothing."""

from __future__ import annotations

import secrets
from base64 import urlsafe_b64decode, urlsafe_b64encode
from binascii import Error as Base64Error

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.forms.apikeys import ApiKeyForm
from crm.models import ApiKey
from crm.services.apikeys import api_key_create, api_key_revoke
from crm.services.secrets import secret_hash
from crm.tenancy import crm_admin_required, crm_recent_sign_in_required, crm_view

NEW_KEY_COOKIE = "crm_new_api_key"
# Long enough for a slow redirect, short enough that a pad nobody collected is gone.
NEW_KEY_SECONDS = 300


def _keys_url(request: HttpRequest) -> str:
    return reverse("crm:api_keys", kwargs={"slug": request.crm.slug})


def _session_key(request: HttpRequest) -> str:
    # One browser session may hold several CRMs: each keeps its own new key.
    return f"crm_new_api_key:{request.crm.pk}"


def _xor(data: bytes, pad: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, pad, strict=True))


def _b64(data: bytes) -> str:
    return urlsafe_b64encode(data).decode("ascii")


def _new_key_keep(
    request: HttpRequest, response: HttpResponse, api_key: ApiKey, raw_key: str
) -> None:
    raw = raw_key.encode("ascii")
    pad = secrets.token_bytes(len(raw))
    request.session[_session_key(request)] = {
        "api_key_id": api_key.pk,
        "crm_user_id": request.crm_user.pk,
        "sealed": _b64(_xor(raw, pad)),
    }
    response.set_cookie(
        NEW_KEY_COOKIE,
        _b64(pad),
        max_age=NEW_KEY_SECONDS,
        path=_keys_url(request),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


def _new_key_take(request: HttpRequest) -> tuple[ApiKey, str] | None:
    """The key made by this CRM user's last POST and its raw value, once: the
    session's half goes now, the caller drops the cookie. None when there is no
    key, or when the halves do not make it (an old pad, another session's)."""
    kept = request.session.pop(_session_key(request), None)
    pad_text = request.COOKIES.get(NEW_KEY_COOKIE)
    if not isinstance(kept, dict) or not pad_text:
        return None
    if kept.get("crm_user_id") != request.crm_user.pk:
        return None
    try:
        raw = _xor(urlsafe_b64decode(kept["sealed"]), urlsafe_b64decode(pad_text))
        raw_key = raw.decode("ascii")
    except (KeyError, TypeError, ValueError, Base64Error, UnicodeDecodeError):
        return None
    api_key = (
        ApiKey.objects.for_crm(request.crm)
        .filter(pk=kept.get("api_key_id"), revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not constant_time_compare(
        secret_hash(purpose="api", value=raw_key), api_key.key_hash
    ):
        return None
    return api_key, raw_key


@require_http_methods(["GET", "POST"])
@crm_view
@crm_admin_required
def api_keys(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _api_key_create(request)
    return _api_keys_page(request, ApiKeyForm())


# A key acts with its maker's rights for as long as it lives: making one asks the
# maker to sign in again first (with their second factor, if they have one).
@crm_recent_sign_in_required
def _api_key_create(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        try:
            created, raw_key = api_key_create(
                crm=request.crm,
                name=form.cleaned_data["name"],
                created_by=request.crm_user,
                expires_at=form.cleaned_data["expires_at"],
                scope=form.cleaned_data["scope"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            response = redirect(_keys_url(request))
            _new_key_keep(request, response, created, raw_key)
            add_never_cache_headers(response)
            return response
    return _api_keys_page(request, form)


def _api_keys_page(request: HttpRequest, form: ApiKeyForm) -> HttpResponse:
    new_key = _new_key_take(request) if request.method == "GET" else None
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
            "created": new_key[0] if new_key else None,
            "raw_key": new_key[1] if new_key else "",
            "api_root": request.build_absolute_uri("/api/v1/"),
            "api_docs": reverse("api:docs"),
            # amoCRM's clients ask for the account's address and add /api/v4/.
            "amo_address": request.build_absolute_uri("/").rstrip("/"),
            "amo_root": request.build_absolute_uri("/api/v4/"),
            "amo_docs": reverse("amo:docs"),
        },
        status=400 if form.errors else 200,
    )
    if request.method == "GET" and NEW_KEY_COOKIE in request.COOKIES:
        response.delete_cookie(
            NEW_KEY_COOKIE, path=_keys_url(request), samesite="Strict"
        )
    if new_key:
        # The raw key exists only in this response: no cache may keep a copy.
        add_never_cache_headers(response)
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
