from functools import lru_cache

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html_join
from django.utils.text import capfirst
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext as _
from django_htmx.jinja import htmx_script

from crm.links import crm_url


@lru_cache(maxsize=8)
def _layout(script_prefix: str) -> dict[str, object]:
    """What every page's layout (base.html) links to, resolved once per process
    (and script prefix): a static file's URL takes a manifest lookup and a URL a
    reversal, on every page otherwise."""
    return {
        "stylesheet": static("css/app.css"),
        "htmx_script": htmx_script(),
        "crm_list": reverse("portal:crm_list"),
        "change_password": reverse("account_change_password"),
        "logout": reverse("account_logout"),
        "login": reverse("account_login"),
        "signup": reverse("account_signup"),
        "set_language": reverse("set_language"),
        # The switcher's <option>s, each language named in itself, with the one
        # in use selected: built once per language, not looped over on every page.
        "language_options": {
            selected: _language_options(selected)
            for selected, _name in settings.LANGUAGES
        },
    }


def _language_options(selected: str) -> str:
    return format_html_join(
        "",
        '<option value="{}" lang="{}"{}>{}</option>',
        (
            (
                code,
                code,
                " selected" if code == selected else "",
                capfirst(get_language_info(code)["name_local"]),
            )
            for code, _name in settings.LANGUAGES
        ),
    )


class CrmUrls:
    """``{{ crm_urls.profile }}``: the URL of one of this CRM's pages that take no
    argument but the CRM's address, as ``{% url 'crm:profile' slug=crm.slug %}``
    gives it, without reversing it again on every page of every CRM."""

    def __init__(self, slug: str) -> None:
        self.slug = slug

    def __getitem__(self, name: str) -> str:
        return crm_url(name, slug=self.slug)


@lru_cache(maxsize=1024)
def _crm_nav(
    language: str,
    script_prefix: str,
    slug: str,
    profile_name: str,
    is_admin: bool,
    portal_signed_in: bool,
) -> str:
    """The links of a CRM's top bar for a signed-in user, in ``language`` (the one
    active now): the same for every page and every request of that user, so built
    once per process instead of a dozen template tags on every page."""
    links = [
        (crm_url("contact_list", slug=slug), _("Contacts")),
        (crm_url("company_list", slug=slug), _("Companies")),
        (crm_url("deals_board", slug=slug), _("Deals")),
    ]
    if is_admin:
        links.append((crm_url("users", slug=slug), _("Settings")))
    links.append((crm_url("profile", slug=slug), profile_name))
    if portal_signed_in:
        links.append((_layout(script_prefix)["crm_list"], _("All my CRMs")))
    return format_html_join("\n", '<a href="{}">{}</a>', links)


def tenant(request: HttpRequest) -> dict:
    """The CRM and CRM user that ``crm_view`` resolved, for every CRM template, its
    URLs, and whether this browser is signed in to the portal too (read from the
    session, without loading the Account: CRM pages show no more of it than a
    link). For every page, CRM or not, ``layout``: see ``_layout``."""
    layout = _layout(get_script_prefix())
    options = layout["language_options"]
    language_options = options.get(get_language()) or options[settings.LANGUAGE_CODE]
    if not hasattr(request, "crm"):
        return {"layout": layout, "language_options": language_options}
    crm_user = getattr(request, "crm_user", None)
    context = {
        "layout": layout,
        "language_options": language_options,
        "crm": request.crm,
        "crm_user": crm_user,
        "crm_urls": CrmUrls(request.crm.slug),
    }
    if crm_user is not None:
        context["crm_nav"] = _crm_nav(
            get_language(),
            get_script_prefix(),
            request.crm.slug,
            crm_user.name,
            crm_user.is_admin,
            SESSION_KEY in request.session,
        )
    return context
