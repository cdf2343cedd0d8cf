from functools import lru_cache

from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django_htmx.jinja import htmx_script

_SLUG = "0crm-slug0"


@lru_cache(maxsize=1)
def _layout() -> dict[str, str]:
    """What every page's layout (base.html) links to, resolved once per process:
    a static file's URL takes a manifest lookup, and every page has two."""
    return {"stylesheet": static("css/app.css"), "htmx_script": htmx_script()}


@lru_cache(maxsize=256)
def _crm_url_pattern(name: str, script_prefix: str) -> str:
    return reverse(f"crm:{name}", kwargs={"slug": _SLUG})


class CrmUrls:
    """``{{ crm_urls.profile }}``: the URL of one of this CRM's pages that take no
    argument but the CRM's address, as ``{% url 'crm:profile' slug=crm.slug %}``
    gives it, without reversing it again on every page of every CRM."""

    def __init__(self, slug: str) -> None:
        self.slug = slug

    def __getitem__(self, name: str) -> str:
        return _crm_url_pattern(name, get_script_prefix()).replace(_SLUG, self.slug)


def tenant(request: HttpRequest) -> dict:
    """The CRM and CRM user that ``crm_view`` resolved, for every CRM template, its
    URLs, and whether this browser is signed in to the portal too (read from the
    session, without loading the Account: CRM pages show no more of it than a
    link). For every page, CRM or not, ``layout``: see ``_layout``."""
    if not hasattr(request, "crm"):
        return {"layout": _layout()}
    return {
        "layout": _layout(),
        "crm": request.crm,
        "crm_user": getattr(request, "crm_user", None),
        "crm_urls": CrmUrls(request.crm.slug),
        "portal_signed_in": SESSION_KEY in request.session,
    }
