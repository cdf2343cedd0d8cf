"""Who may use Django's admin: active staff, signed in through allauth's login (rate
limited per address and per failed email), with a second factor where
ADMIN_REQUIRES_SECOND_FACTOR says so. The admin can read and change every CRM, so a
stolen staff password alone must not open it."""

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _


def _second_factor_missing(request: HttpRequest) -> bool:
    return settings.ADMIN_REQUIRES_SECOND_FACTOR and not is_mfa_enabled(request.user)


def admin_site_secure(site: admin.AdminSite) -> None:
    """Put ``site`` behind allauth's login and, where required, a second factor."""
    staff_permission = site.has_permission
    allauth_login = secure_admin_login(site.login)

    def has_permission(request: HttpRequest) -> bool:
        return staff_permission(request) and not _second_factor_missing(request)

    def login(request: HttpRequest, extra_context=None) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and user.is_active
            and user.is_staff
            and _second_factor_missing(request)
        ):
            # Not the admin's own login form: it would take another password here,
            # past allauth's rate limits.
            messages.info(
                request,
                _("Turn on two-factor authentication to use the administration pages."),
            )
            return redirect("mfa_index")
        return allauth_login(request, extra_context)

    site.has_permission = has_permission
    site.login = login
