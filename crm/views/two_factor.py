"""A CRM user's second factor: the code step of signing in, setting the app up in
My profile, signing in again before a sensitive step, and the owner's choice to
require a second factor of everyone."""

from __future__ import annotations

import time
from base64 import b64encode

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.hashers import is_password_usable
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.forms.errors import form_add_service_errors
from crm.forms.two_factor import (
    AuthenticatorCodeForm,
    SignInAgainForm,
    TwoFactorRequirementForm,
)
from crm.models import CrmUser
from crm.selectors.users import crm_user_get
from crm.services.access import crm_user_record_login
from crm.services.two_factor import (
    crm_two_factor_require,
    crm_user_totp_disable,
    crm_user_totp_enable,
    totp_code_accepted,
    totp_secret_new,
    totp_setup_picture,
)
from crm.sessions import (
    crm_recent_sign_in_stamp,
    crm_session_login,
    crm_session_refresh,
)
from crm.tenancy import crm_admin_required, crm_view, safe_next

# Between the password and the code: whose password was right, for how long.
PENDING_KEY = "crm_second_factor_pending"
PENDING_SECONDS = 300
# An app being set up: the secret waits here until a code shows the app has it.
SETUP_KEY = "crm_totp_setup"
CODE_FAILED_ACTION = "crm_code_failed"


def second_factor_pending_start(
    request: HttpRequest, crm_user: CrmUser, next_url: str
) -> HttpResponse:
    """The password was right: ask for the code (or set the app up, where the CRM
    requires one and the user has none yet) before opening the CRM."""
    pending = dict(request.session.get(PENDING_KEY, {}))
    pending[str(crm_user.crm_id)] = {
        "user_id": crm_user.pk,
        "hash": crm_user.session_auth_hash(),
        "at": time.time(),
        "next": next_url,
    }
    request.session[PENDING_KEY] = pending
    return redirect("crm:login_code", slug=crm_user.crm.slug)


def _pending_user(request: HttpRequest) -> tuple[CrmUser | None, dict]:
    entry = request.session.get(PENDING_KEY, {}).get(str(request.crm.pk))
    if not isinstance(entry, dict) or time.time() - entry.get("at", 0) > (
        PENDING_SECONDS
    ):
        return None, {}
    crm_user = (
        CrmUser.objects.for_crm(request.crm)
        .filter(pk=entry.get("user_id"), is_active=True)
        .select_related("crm")
        .first()
    )
    if crm_user is None or not constant_time_compare(
        str(entry.get("hash", "")), crm_user.session_auth_hash()
    ):
        return None, {}
    return crm_user, entry


def _setup_secret(request: HttpRequest) -> str:
    secrets = dict(request.session.get(SETUP_KEY, {}))
    secret = secrets.get(str(request.crm.pk))
    if not secret:
        secret = secrets[str(request.crm.pk)] = totp_secret_new()
        request.session[SETUP_KEY] = secrets
    return secret


def _setup_done(request: HttpRequest) -> None:
    secrets = dict(request.session.get(SETUP_KEY, {}))
    if secrets.pop(str(request.crm.pk), None):
        request.session[SETUP_KEY] = secrets


def _setup_context(request: HttpRequest, crm_user: CrmUser) -> dict:
    secret = _setup_secret(request)
    picture = totp_setup_picture(crm_user=crm_user, secret=secret)
    return {
        "secret": secret,
        # An image, not inline markup: the page's policy allows no inline style.
        "qr_src": "data:image/svg+xml;base64," + b64encode(picture.encode()).decode(),
    }


def _code_key(request: HttpRequest, crm_user: CrmUser) -> str:
    return f"{request.crm.pk}:{crm_user.pk}"


def _codes_left(request: HttpRequest, crm_user: CrmUser) -> bool:
    return bool(
        ratelimit.consume(
            request,
            action=CODE_FAILED_ACTION,
            key=_code_key(request, crm_user),
            dry_run=True,
        )
    )


def _code_failed(request: HttpRequest, crm_user: CrmUser) -> None:
    ratelimit.consume(
        request, action=CODE_FAILED_ACTION, key=_code_key(request, crm_user)
    )


def _too_many(form) -> int:
    form.add_error(
        None, _("Too many failed attempts. Please wait a few minutes and try again.")
    )
    return 429


@require_http_methods(["GET", "POST"])
@crm_view(allow_anonymous=True)
def crm_login_code(request: HttpRequest) -> HttpResponse:
    crm_user, entry = _pending_user(request)
    if crm_user is None:
        messages.info(request, _("Please sign in again."))
        return redirect("crm:login", slug=request.crm.slug)
    setting_up = not crm_user.totp_secret
    form = AuthenticatorCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not _codes_left(request, crm_user):
            status = _too_many(form)
        elif form.is_valid():
            code = form.cleaned_data["code"]
            if setting_up:
                try:
                    crm_user_totp_enable(
                        crm_user=crm_user, secret=_setup_secret(request), code=code
                    )
                except ValidationError as error:
                    form_add_service_errors(form, error)
            elif not totp_code_accepted(
                crm_user=crm_user, secret=crm_user.totp_secret, code=code
            ):
                form.add_error(
                    "code",
                    _("This code is not right. Enter the code your app shows now."),
                )
            if form.errors:
                _code_failed(request, crm_user)
            else:
                request.session[PENDING_KEY] = {
                    k: v
                    for k, v in request.session.get(PENDING_KEY, {}).items()
                    if k != str(request.crm.pk)
                }
                _setup_done(request)
                crm_session_login(request, crm_user)
                crm_user_record_login(crm_user=crm_user)
                if setting_up:
                    messages.success(
                        request, _("Two-factor authentication is on. Welcome!")
                    )
                return redirect(entry.get("next") or "crm:home", slug=request.crm.slug)
        if form.errors and status == 200:
            status = 400
    context = {"crm": request.crm, "form": form, "setting_up": setting_up}
    if setting_up:
        context.update(_setup_context(request, crm_user))
    return render(request, "crm/login_code.html", context, status=status)


@require_http_methods(["GET", "POST"])
@crm_view(allow_without_second_factor=True)
def crm_two_factor(request: HttpRequest) -> HttpResponse:
    """My profile → Two-factor authentication: set the app up, or turn it off."""
    crm_user = request.crm_user
    form = AuthenticatorCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and crm_user.account_id is None:
        if not _codes_left(request, crm_user):
            status = _too_many(form)
        elif form.is_valid():
            code = form.cleaned_data["code"]
            try:
                if crm_user.totp_secret:
                    crm_user_totp_disable(crm_user=crm_user, actor=crm_user, code=code)
                    done = _("Two-factor authentication is off.")
                else:
                    crm_user_totp_enable(
                        crm_user=crm_user, secret=_setup_secret(request), code=code
                    )
                    _setup_done(request)
                    done = _(
                        "Two-factor authentication is on. You will be asked for a "
                        "code whenever you sign in."
                    )
            except ValidationError as error:
                form_add_service_errors(form, error)
                _code_failed(request, crm_user)
            else:
                # This session goes on; the user's others end with the change.
                crm_session_refresh(request, crm_user)
                messages.success(request, done)
                return redirect("crm:profile", slug=request.crm.slug)
        if form.errors and status == 200:
            status = 400
    context = {"form": form}
    if crm_user.account_id is None and not crm_user.totp_secret:
        context.update(_setup_context(request, crm_user))
    return render(request, "crm/two_factor.html", context, status=status)


@require_http_methods(["GET", "POST"])
@crm_view
def crm_sign_in_again(request: HttpRequest) -> HttpResponse:
    """Before a sensitive step, a CRM user with a password of the CRM gives it
    again, with a code when they have an app; linked users are asked by the
    portal (allauth) instead."""
    crm_user = request.crm_user
    home = reverse("crm:home", kwargs={"slug": request.crm.slug})
    if not is_password_usable(crm_user.password):
        return redirect(safe_next(request, home))
    form = SignInAgainForm(request.POST or None, with_code=bool(crm_user.totp_secret))
    status = 200
    if request.method == "POST":
        if not _codes_left(request, crm_user):
            status = _too_many(form)
        elif form.is_valid():
            right = crm_user.check_password(form.cleaned_data["password"]) and (
                not crm_user.totp_secret
                or totp_code_accepted(
                    crm_user=crm_user,
                    secret=crm_user.totp_secret,
                    code=form.cleaned_data["code"],
                )
            )
            if right:
                crm_recent_sign_in_stamp(request, request.crm)
                return redirect(safe_next(request, home))
            _code_failed(request, crm_user)
            form.add_error(None, _("This is not right. Please try again."))
        if form.errors and status == 200:
            status = 400
    return render(
        request,
        "crm/sign_in_again.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@crm_view
@crm_admin_required
def crm_security(request: HttpRequest) -> HttpResponse:
    """Settings → Security: the owner requires a second factor of everyone."""
    is_owner = request.crm_user.role == CrmUser.Role.OWNER
    form = TwoFactorRequirementForm(request.POST or None, instance=request.crm)
    if request.method == "POST" and is_owner and form.is_valid():
        try:
            crm_two_factor_require(
                crm=request.crm,
                actor=request.crm_user,
                required=form.cleaned_data["require_two_factor"],
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Security settings saved."))
            return redirect("crm:security", slug=request.crm.slug)
    if request.method == "POST" and not is_owner:
        return render(request, "403.html", {"crm": request.crm}, status=403)
    return render(
        request,
        "crm/settings/security.html",
        {"form": form, "is_owner": is_owner},
        status=400 if form.errors else 200,
    )


@require_POST
@crm_view
@crm_admin_required
def crm_user_two_factor_reset(request: HttpRequest, crm_user_id: int) -> HttpResponse:
    """An administrator turns off a user's app (a lost phone)."""
    crm_user = crm_user_get(crm=request.crm, crm_user_id=crm_user_id)
    try:
        crm_user_totp_disable(crm_user=crm_user, actor=request.crm_user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Two-factor authentication is off for %(name)s.")
            % {"name": crm_user.name},
        )
    return redirect("crm:user_edit", slug=request.crm.slug, crm_user_id=crm_user.pk)
