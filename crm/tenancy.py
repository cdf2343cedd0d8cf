"""The one door into every tenant view: resolve the CRM from the URL once, refuse a
CRM that is not active, and find the CRM user logged in to it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from allauth.account.decorators import reauthentication_required
from django.contrib.auth.hashers import is_password_usable
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from crm.models import Crm, CrmUser
from crm.services.two_factor import crm_user_has_second_factor
from crm.sessions import crm_session_resolve, crm_signed_in_recently


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` the request names, if it is a page of this CRM; else
    ``fallback``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    prefix = reverse("crm:home", kwargs={"slug": request.crm.slug})
    if candidate.startswith(prefix) and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def crm_unavailable_response(request: HttpRequest, crm: Crm) -> HttpResponse:
    """A page that says why a CRM that exists cannot be used right now."""
    if crm.status == Crm.Status.PROVISIONING:
        response = render(request, "crm/unavailable.html", {"crm": crm}, status=503)
        response["Retry-After"] = "3"
        return response
    return render(request, "crm/unavailable.html", {"crm": crm}, status=403)


def crm_language_activate(request: HttpRequest, crm_user: CrmUser | None) -> None:
    """A CRM speaks its signed-in user's language, not the Account's: the same
    browser may show the portal in one language and a CRM in another. With no
    choice made, the cookie or the browser's Accept-Language stays in force."""
    if crm_user is not None and crm_user.language:
        translation.activate(crm_user.language)
        request.LANGUAGE_CODE = crm_user.language


def crm_language_from_view(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Marks a view under ``/c/<slug>/`` as choosing its own language, so that
    ``accounts.middleware`` neither applies the Account's nor loads the Account."""
    view.language_from_view = True
    return view


def _second_factor_missing(request: HttpRequest) -> HttpResponse | None:
    """Where the CRM requires a second factor, a user without one gets no page but
    the one that sets it up (or, entering from the portal, a page saying to turn
    it on for their Account)."""
    crm_user = request.crm_user
    if not request.crm.require_two_factor or crm_user_has_second_factor(crm_user):
        return None
    if crm_user.account_id is not None:
        return render(
            request, "crm/two_factor_required.html", {"crm": request.crm}, status=403
        )
    return redirect("crm:two_factor", slug=request.crm.slug)


def crm_view(
    view: Callable[..., HttpResponse] | None = None,
    *,
    allow_anonymous: bool = False,
    allow_without_second_factor: bool = False,
):
    """Sets ``request.crm`` and ``request.crm_user`` for a view under ``/c/<slug>/``,
    and speaks the CRM user's language (``CrmUser.language``) when they chose one.

    Anonymous visitors are sent to the CRM's own login page unless the view allows
    them (the login page itself). In a CRM that requires a second factor, users
    without one are sent to set it up, unless the view is part of doing so."""

    def decorator(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(func)
        def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
            crm, crm_user = crm_session_resolve(request, slug)
            if not crm.is_active:
                return crm_unavailable_response(request, crm)
            request.crm = crm
            request.crm_user = crm_user
            crm_language_activate(request, crm_user)
            if request.crm_user is None and not allow_anonymous:
                login_url = reverse("crm:login", kwargs={"slug": crm.slug})
                return redirect(
                    f"{login_url}?{urlencode({'next': request.get_full_path()})}"
                )
            if crm_user is not None and not allow_without_second_factor:
                refusal = _second_factor_missing(request)
                if refusal is not None:
                    return refusal
            return func(request, *args, **kwargs)

        return crm_language_from_view(wrapper)

    if view is not None:
        return decorator(view)
    return decorator


def crm_admin_required(
    func: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Under ``@crm_view``: the owner and administrators only. Others get 403: the
    page exists, they just may not use it."""

    @wraps(func)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.crm_user.is_admin:
            return render(request, "403.html", {"crm": request.crm}, status=403)
        return func(request, *args, **kwargs)

    return wrapper


def crm_recent_sign_in_required(
    func: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Under ``@crm_view``: a sensitive step, for which the user signs in again
    unless they did in the last few minutes. A linked user does so in the portal
    (allauth, which resumes an interrupted POST), having no password here; a user
    with a password of the CRM on its own page, and comes back to the page they
    were on."""

    @wraps(func)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_password_usable(request.crm_user.password):
            return reauthentication_required(func)(request, *args, **kwargs)
        if crm_signed_in_recently(request, request.crm):
            return func(request, *args, **kwargs)
        again = reverse("crm:sign_in_again", kwargs={"slug": request.crm.slug})
        return redirect(f"{again}?{urlencode({'next': request.path})}")

    return wrapper
