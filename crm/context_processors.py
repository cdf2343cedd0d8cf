from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest


def tenant(request: HttpRequest) -> dict:
    """On a CRM's pages (``crm_view`` sets ``request.crm``): the CRM, its signed-in
    user if any, ``in_crm`` for the language switcher, and whether this browser is
    signed in to the portal too, read from the session without loading the Account
    (the top bar shows no more of it than a link)."""
    if not hasattr(request, "crm"):
        return {}
    return {
        "crm": request.crm,
        "crm_user": getattr(request, "crm_user", None),
        "in_crm": True,
        "portal_signed_in": SESSION_KEY in request.session,
    }
