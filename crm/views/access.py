"""Signing in to a CRM: its login and logout, Enter's landing, invitations, a
forgotten password, My profile and the language switcher."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_http_methods, require_POST

from crm.forms.access import (
    CrmLoginForm,
    NewPasswordForm,
    OwnPasswordChangeForm,
    PasswordForgotForm,
    SetPasswordForm,
)
from crm.forms.errors import form_add_service_errors
from crm.models import CrmUser
from crm.rights import rights_summary
from crm.services.access import (
    crm_user_authenticate,
    crm_user_change_own_password,
    crm_user_record_login,
    linked_user_password_refusal,
)
from crm.services.connection import connection_code_issue, connection_code_ttl
from crm.services.invitations import (
    crm_invitation_accept,
    crm_invitation_accept_as_account,
    crm_invitation_get,
)
from crm.services.password_reset import (
    PasswordResetLinkInvalid,
    crm_password_reset_get,
    crm_password_reset_redeem,
    crm_password_reset_request,
    password_reset_ttl_minutes,
)
from crm.services.sso import SsoRefused, sso_token_redeem_at
from crm.services.users import crm_user_set_language
from crm.sessions import (
    crm_session_login,
    crm_session_logout,
    crm_session_refresh,
    crm_session_user,
)
from crm.tenancy import (
    crm_language_activate,
    crm_language_from_view,
    crm_unavailable_response,
    crm_view,
    safe_next,
)
from crm.views.two_factor import second_factor_pending_start


def _client_ip(request: HttpRequest) -> str:
    """The client's address as allauth's rate limits see it (behind as many proxies
    as ALLAUTH_TRUSTED_PROXY_COUNT says)."""
    return get_adapter(request).get_client_ip(request)


# Wrong current passwords on My profile, per CRM user and client address, as
# ACCOUNT_RATE_LIMITS["crm_password_check"] says: a session left open is not a
# way to guess the password at leisure.
PROFILE_CHECK_ACTION = "crm_password_check"


def _password_check_key(request: HttpRequest) -> str:
    return f"{request.crm.pk}:{request.crm_user.pk}:{_client_ip(request)}"


def _password_checks_left(request: HttpRequest) -> bool:
    return bool(
        ratelimit.consume(
            request,
            action=PROFILE_CHECK_ACTION,
            key=_password_check_key(request),
            dry_run=True,
        )
    )


def _password_check_failed(request: HttpRequest, form) -> None:
    if form.has_error("current_password") and request.POST.get("current_password"):
        ratelimit.consume(
            request, action=PROFILE_CHECK_ACTION, key=_password_check_key(request)
        )


def _password_checks_exhausted(request: HttpRequest) -> HttpResponse:
    # Said above the page, not on the form: validating the form would check the
    # password once more.
    messages.error(
        request, _("Too many failed attempts. Please wait a few minutes and try again.")
    )
    return _render_profile(request, status=429)


def _email_key(request: HttpRequest, email: str) -> str:
    """A rate limit's key for one email at this CRM."""
    return f"{request.crm.pk}:{email.strip().lower()}"


def _login_failed_key(request: HttpRequest, email: str) -> str:
    """crm_login_failed's key: one email at this CRM from one client address. On
    the email alone, anyone could keep a named user locked out by failing on
    purpose; the action's per-IP rate still bounds guessing across emails."""
    return f"{_email_key(request, email)}:{_client_ip(request)}"


def _authenticate_throttled(
    request: HttpRequest, form: CrmLoginForm
) -> tuple[CrmUser | None, int]:
    """Check the credentials unless this email has failed too often lately.

    Returns the CRM user (or None, with the reason added to the form) and the HTTP
    status the page should answer with."""
    email = form.cleaned_data["email"].lower()
    throttle_key = _login_failed_key(request, email)
    if not ratelimit.consume(
        request, action="crm_login_failed", key=throttle_key, dry_run=True
    ):
        form.add_error(
            None,
            _("Too many failed attempts. Please wait a few minutes and try again."),
        )
        return None, 429
    crm_user = crm_user_authenticate(
        crm=request.crm, email=email, password=form.cleaned_data["password"]
    )
    if crm_user is None:
        ratelimit.consume(request, action="crm_login_failed", key=throttle_key)
        form.add_error(None, _("The email or the password is not right for this CRM."))
        return None, 400
    ratelimit.clear(request, action="crm_login_failed", key=throttle_key)
    return crm_user, 200


@crm_view(allow_anonymous=True)
def crm_login(request: HttpRequest) -> HttpResponse:
    home = reverse("crm:home", kwargs={"slug": request.crm.slug})
    if request.crm_user is not None:
        return redirect(safe_next(request, home))
    form = CrmLoginForm(request.POST or None)
    status = 200
    refused = False
    if request.method == "POST":
        if not ratelimit.consume(request, action="crm_login"):
            return ratelimit.respond_429(request)
        if not form.is_valid():
            status = 400
        else:
            crm_user, status = _authenticate_throttled(request, form)
            if crm_user is not None:
                if crm_user.totp_secret or request.crm.require_two_factor:
                    return second_factor_pending_start(
                        request, crm_user, safe_next(request, home)
                    )
                crm_session_login(request, crm_user)
                crm_user_record_login(crm_user=crm_user)
                return redirect(safe_next(request, home))
            refused = status == 400
    return render(
        request,
        "crm/login.html",
        {
            "form": form,
            "crm": request.crm,
            "next": request.GET.get("next", ""),
            # After every refused sign-in alike, so it tells no one's email apart:
            # people with a portal account have no password here.
            "portal_hint": refused,
        },
        status=status,
    )


@require_POST
@crm_view(allow_without_second_factor=True)
def crm_logout(request: HttpRequest) -> HttpResponse:
    crm_session_logout(request, request.crm)
    messages.info(
        request, _("You have signed out of %(crm)s.") % {"crm": request.crm.name}
    )
    return redirect("crm:login", slug=request.crm.slug)


def _render_profile(
    request: HttpRequest, *, issued_code=None, password_form=None, status: int = 200
) -> HttpResponse:
    response = render(
        request,
        "crm/profile.html",
        {
            "issued_code": issued_code,
            "password_form": password_form
            or OwnPasswordChangeForm(crm_user=request.crm_user),
            "rights_line": rights_summary(request.crm_user),
            "code_ttl_minutes": int(connection_code_ttl().total_seconds() // 60),
        },
        status=status,
    )
    # The page may carry a connection code: never keep it in a cache.
    response["Cache-Control"] = "no-store"
    return response


@crm_view
def crm_profile(request: HttpRequest) -> HttpResponse:
    issued = None
    if request.method == "POST":
        # Shown once, in this response only: the database keeps just its hash.
        issued = connection_code_issue(crm_user=request.crm_user)
    return _render_profile(request, issued_code=issued)


@crm_language_from_view
def crm_sso_redeem(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """Enter's landing. Not behind ``crm_view``: ``sso_token_redeem_at`` finds the
    CRM itself, and the browser's CRM session is read only to show who is signed
    in when the token is refused."""
    try:
        crm, crm_user = sso_token_redeem_at(slug=slug, token=token)
    except SsoRefused as refusal:
        request.crm = refusal.crm
        # The page shows whoever is signed in to this CRM in this browser, if anyone.
        request.crm_user = crm_session_user(request, refusal.crm)
        crm_language_activate(request, request.crm_user)
        return render(
            request,
            "crm/sso_refused.html",
            {"crm": refusal.crm, "reason": refusal.message},
            status=403,
        )
    if crm_user is None:
        request.crm = crm
        return crm_unavailable_response(request, crm)
    if not (request.user.is_authenticated and request.user.pk == crm_user.account_id):
        # The CRM session lives only as long as the Account's portal session in
        # this browser: a token carried to a browser without it opens nothing.
        request.crm = crm
        request.crm_user = crm_session_user(request, crm)
        crm_language_activate(request, request.crm_user)
        return render(
            request,
            "crm/sso_refused.html",
            {
                "crm": crm,
                "reason": _(
                    "Sign in to the portal in this browser, then press Enter again."
                ),
            },
            status=403,
        )
    # Redeeming stamped last_login; the audit log has "Entered from the portal"
    # since the token was issued: no second line for the same sign-in.
    crm_session_login(request, crm_user, account_id=crm_user.account_id)
    # Off the token's URL at once, so it is not kept in history or sent as Referer.
    return redirect("crm:home", slug=crm.slug)


@require_POST
@crm_view
def crm_profile_password(request: HttpRequest) -> HttpResponse:
    if request.crm_user.account_id is not None:
        # No CRM password to change: the page offers the portal's instead.
        messages.error(request, linked_user_password_refusal())
        return redirect("crm:profile", slug=request.crm.slug)
    if not _password_checks_left(request):
        return _password_checks_exhausted(request)
    form = OwnPasswordChangeForm(request.POST, crm_user=request.crm_user)
    if not form.is_valid():
        _password_check_failed(request, form)
        return _render_profile(request, password_form=form, status=400)
    crm_user_change_own_password(
        crm_user=request.crm_user, password=form.cleaned_data["new_password1"]
    )
    # Other sessions of this user end; this one goes on.
    crm_session_refresh(request, request.crm_user)
    messages.success(request, _("Your password has been changed."))
    return redirect("crm:profile", slug=request.crm.slug)


@crm_view(allow_anonymous=True)
def crm_invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = crm_invitation_get(crm=request.crm, token=token)
    except ValidationError as error:
        return render(
            request,
            "crm/sso_refused.html",
            {"crm": request.crm, "reason": " ".join(error.messages)},
            status=403,
        )
    account = request.user if request.user.is_authenticated else None
    if request.method == "POST" and request.POST.get("join") and account:
        return _invitation_join(request, token, account)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            crm_user = crm_invitation_accept(
                crm=request.crm, token=token, password=form.cleaned_data["password1"]
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            crm_session_login(request, crm_user)
            crm_user_record_login(crm_user=crm_user)
            messages.success(request, _("Welcome! Your password is set."))
            return redirect("crm:home", slug=request.crm.slug)
    return render(
        request,
        "crm/invitation.html",
        {
            "crm": request.crm,
            "form": form,
            "invited": invitation.crm_user,
            "account": account,
        },
        status=400 if form.errors else 200,
    )


def _invitation_join(request: HttpRequest, token: str, account) -> HttpResponse:
    """Accept as the Account signed in here: in, and in its list of CRMs."""
    try:
        crm_user = crm_invitation_accept_as_account(
            crm=request.crm, token=token, account=account
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("portal:crm_list")
    crm_session_login(request, crm_user, account_id=account.pk)
    crm_user_record_login(crm_user=crm_user)
    messages.success(
        request,
        _("Welcome! %(crm)s is in your list of CRMs now.") % {"crm": request.crm.name},
    )
    return redirect("crm:home", slug=request.crm.slug)


@require_POST
@crm_view(allow_anonymous=True, allow_without_second_factor=True)
def crm_set_language(request: HttpRequest) -> HttpResponse:
    """The CRM header's language switcher: Django's ``set_language`` (the cookie,
    then back to ``next``), and the choice is remembered for the CRM user signed in
    here, for this CRM's pages and their emails (not for the portal's Account)."""
    response = i18n.set_language(request)
    if response.status_code == 302:
        # Back to the page of this CRM it was sent from, never out of the CRM.
        response["Location"] = safe_next(
            request, fallback=reverse("crm:home", kwargs={"slug": request.crm.slug})
        )
    if request.crm_user is not None:
        crm_user_set_language(
            crm_user=request.crm_user,
            language=request.POST.get(i18n.LANGUAGE_QUERY_PARAMETER),
        )
    return response


# "Forgot password?" sends email to whatever address is typed: limited per address
# at this CRM (a mailbox is not flooded) and per IP (addresses are not tried in
# bulk), as ACCOUNT_RATE_LIMITS["crm_password_reset"] says.
RESET_LINK_ACTION = "crm_password_reset"
# Where the reset page keeps the link's token, per CRM, once the browser has left
# the link's URL.
RESET_LINK_SESSION_KEY = "crm_password_reset"


def _password_reset_allowed(request: HttpRequest, email: str) -> bool:
    return bool(
        ratelimit.consume(
            request, action=RESET_LINK_ACTION, key=_email_key(request, email)
        )
    )


@require_http_methods(["GET", "POST"])
@crm_view(allow_anonymous=True)
def crm_password_forgot(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. Every well-formed request gets the same answer, so the
    page does not tell whether the email works in this CRM."""
    form = PasswordForgotForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        elif not _password_reset_allowed(request, form.cleaned_data["email"]):
            form.add_error(
                None,
                _(
                    "Too many reset links were asked for lately. Please wait a while "
                    "and try again, or ask your administrator."
                ),
            )
            status = 429
        else:
            crm_password_reset_request(
                crm=request.crm, email=form.cleaned_data["email"]
            )
            return redirect("crm:password_forgot_sent", slug=request.crm.slug)
    return render(request, "crm/password_forgot.html", {"form": form}, status=status)


@require_http_methods(["GET"])
@crm_view(allow_anonymous=True)
def crm_password_forgot_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "crm/password_forgot_sent.html",
        {"minutes": password_reset_ttl_minutes()},
    )


def _reset_link_refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request, "crm/password_reset_invalid.html", {"reason": reason}, status=403
    )


def _reset_tokens(request: HttpRequest) -> dict[str, str]:
    return request.session.get(RESET_LINK_SESSION_KEY, {})


@require_http_methods(["GET"])
@crm_view(allow_anonymous=True)
def crm_password_reset(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link. The token moves into this browser's session and the
    browser moves off its URL at once, so it is neither kept in history nor sent
    on as a Referer. Opening the link uses nothing up (mail scanners open links)."""
    try:
        crm_password_reset_get(crm=request.crm, token=token)
    except PasswordResetLinkInvalid as refusal:
        return _reset_link_refused(request, refusal.message)
    tokens = dict(_reset_tokens(request))
    tokens[str(request.crm.pk)] = token
    request.session[RESET_LINK_SESSION_KEY] = tokens
    return redirect("crm:password_reset_set", slug=request.crm.slug)


@require_http_methods(["GET", "POST"])
@crm_view(allow_anonymous=True)
def crm_password_reset_set(request: HttpRequest) -> HttpResponse:
    """The new password, twice. Done, every session of the user ends (this
    browser's too) and they sign in with the new password."""
    token = _reset_tokens(request).get(str(request.crm.pk), "")
    try:
        reset = crm_password_reset_get(crm=request.crm, token=token)
    except PasswordResetLinkInvalid as refusal:
        return _reset_link_refused(request, refusal.message)
    form = NewPasswordForm(request.POST or None, crm_user=reset.crm_user)
    if request.method == "POST" and form.is_valid():
        try:
            crm_user = crm_password_reset_redeem(
                crm=request.crm, token=token, password=form.cleaned_data["password1"]
            )
        except PasswordResetLinkInvalid as refusal:
            return _reset_link_refused(request, refusal.message)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            tokens = dict(_reset_tokens(request))
            tokens.pop(str(request.crm.pk), None)
            request.session[RESET_LINK_SESSION_KEY] = tokens
            # Failed sign-ins before the reset must not lock out the new password.
            ratelimit.clear(
                request,
                action="crm_login_failed",
                key=_login_failed_key(request, crm_user.email),
            )
            messages.success(
                request,
                _("Your password has been changed. Sign in with the new one."),
            )
            return redirect("crm:login", slug=request.crm.slug)
    response = render(
        request,
        "crm/password_reset.html",
        {"form": form, "reset_user": reset.crm_user},
        status=400 if form.errors else 200,
    )
    response["Cache-Control"] = "no-store"
    return response
