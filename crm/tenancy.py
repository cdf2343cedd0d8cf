"""The one door into every tenant view: resolve the CRM from the URL once, refuse a
CRM that is not active, and find the CRM user logged in to it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation

from crm.models import Crm, CrmUser
from crm.sessions import crm_session_resolve


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


def crm_view(
    view: Callable[..., HttpResponse] | None = None, *, allow_anonymous: bool = False
):
    """Sets ``request.crm`` and ``request.crm_user`` for a view under ``/c/<slug>/``,
    and speaks the CRM user's language (``CrmUser.language``) when they chose one.

    Anonymous visitors are sent to the CRM's own login page unless the view allows
    them (the login page itself)."""

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
