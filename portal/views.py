import functools
import hashlib
import threading
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path
from typing import Any

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.models import CrmUser
from crm.services import (
    ConnectRefused,
    SsoRefused,
    connection_code_preview,
    crm_create,
    crm_user_connect_account,
)
from portal.forms import ConnectionCodeForm, CrmCreateForm, FindMyCrmsForm
from portal.selectors import crm_list_fingerprint, crm_list_row, crm_list_rows
from portal.services import crm_enter, find_my_crms_request


def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:crm_list")
    return redirect("account_signup")


# An Account's rendered CRM list is kept in the shared cache (and the most recent
# ones in each process too) with the fingerprint of the memberships it was rendered
# from; a change to any row changes the fingerprint, so a list is never shown
# stale, and a stale entry is simply replaced.
CRM_LIST_CACHE_SECONDS = 60 * 60 * 24
CRM_LIST_LOCAL_ENTRIES = 64
CRM_LIST_TEMPLATES = (
    "portal/_crm_list.html",
    "portal/_crm_list_head.html",
    "portal/_crm_rows.html",
)


class _LocalLru:
    """A small per-process LRU map: no network round trip, no unpickling."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def set(self, key: str, value: Any) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_local_lists = _LocalLru(CRM_LIST_LOCAL_ENTRIES)


@functools.cache
def _crm_list_version() -> str:
    """Changes when the code or a template that renders the list does, so a new
    release never shows a list that an older one cached."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for name in CRM_LIST_TEMPLATES:
        digest.update(get_template(name).template.source.encode())
    return digest.hexdigest()[:12]


def _url_pattern(name: str, arg: str, sentinel: str) -> str:
    """``reverse()`` once, with ``{}`` where the argument goes: rows fill it in.
    ``sentinel``: a value the argument's converter accepts, found nowhere else."""
    return reverse(name, kwargs={arg: sentinel}).replace(sentinel, "{}")


def _crm_rows_prepare(request: HttpRequest, rows: list[dict[str, Any]]) -> None:
    """What each row shows beyond its columns, with labels translated and URLs
    reversed once for all the rows, not once per row."""
    roles = {value: str(label) for value, label in CrmUser.Role.choices}
    enter_label = _("Enter %(name)s")
    row_url = _url_pattern("portal:crm_row", "crm_id", "9081726354")
    enter_url = _url_pattern("portal:crm_enter", "crm_id", "9081726354")
    home_url = _url_pattern("crm:home", "slug", "0slug-sentinel0")
    login_url = _url_pattern("crm:login", "slug", "0slug-sentinel0")
    delete_url = _url_pattern("portal:crm_delete", "crm_id", "9081726354")
    cancel_url = _url_pattern("portal:crm_cancel_deletion", "crm_id", "9081726354")
    export_url = _url_pattern("portal:crm_export", "crm_id", "9081726354")
    billing_url = _url_pattern("billing:crm_billing", "crm_id", "9081726354")
    host = request.get_host()
    for row in rows:
        if row["owner_id"] == request.user.pk:
            # Only an owner sees a CRM's money.
            row["balance_label"] = (
                f"{number_format(row['balance'] or Decimal('0.00'), 2)} "
                f"{row['currency'] or settings.BILLING_DEFAULT_CURRENCY}"
            )
            row["billing_url"] = billing_url.format(row["crm_id"])
        if row["role"] == CrmUser.Role.OWNER:
            row["delete_url"] = delete_url.format(row["crm_id"])
            row["cancel_url"] = cancel_url.format(row["crm_id"])
            row["export_url"] = export_url.format(row["crm_id"])
        row["role_label"] = roles.get(row["role"], row["role"])
        row["enter_label"] = enter_label % {"name": row["name"]}
        row["row_url"] = row_url.format(row["crm_id"])
        row["enter_url"] = enter_url.format(row["crm_id"])
        row["login_url"] = login_url.format(row["slug"])
        row["address"] = host + home_url.format(row["slug"])


def _crm_list_cached(request: HttpRequest) -> tuple[int, SafeString]:
    """How many CRMs the Account has, and the list of them (heading and table).

    The list comes from the cache while the fingerprint of the Account's
    memberships is the one it was rendered with: one aggregate query instead of
    loading and rendering every row. Nothing specific to one request is in it (no
    CSRF token)."""
    account = request.user
    count, fingerprint = crm_list_fingerprint(account=account)
    if not count:
        return 0, mark_safe("")
    key = (
        f"portal:crm-list:{_crm_list_version()}:{account.pk}:{get_language()}:"
        f"{request.get_host()}"
    )
    cached = _local_lists.get(key)
    if cached is None or cached[0] != fingerprint:
        cached = cache.get(key)
        if cached is not None and cached[0] == fingerprint:
            _local_lists.set(key, cached)
    if cached is not None and cached[0] == fingerprint:
        return count, mark_safe(cached[1])  # noqa: S308 - rendered by us, escaped
    # Read after the fingerprint: a change in between makes the next request
    # render again, never keeps an older list under a newer fingerprint.
    rows = crm_list_rows(account=account)
    _crm_rows_prepare(request, rows)
    scheduled = [row for row in rows if row["status"] == "pending_deletion"]
    html = render_to_string(
        "portal/_crm_list.html",
        {
            "rows": [row for row in rows if row["status"] != "pending_deletion"],
            "scheduled": scheduled,
        },
    )
    entry = (fingerprint, str(html))
    cache.set(key, entry, CRM_LIST_CACHE_SECONDS)
    _local_lists.set(key, entry)
    return count, html


@login_required
@require_GET
def crm_list(request: HttpRequest) -> HttpResponse:
    count, list_html = _crm_list_cached(request)
    return render(
        request, "portal/crm_list.html", {"crm_count": count, "list_html": list_html}
    )


@login_required
@require_GET
def crm_row(request: HttpRequest, crm_id: int) -> HttpResponse:
    """One row of the list, polled by htmx while its CRM is being created."""
    rows = [crm_list_row(account=request.user, crm_id=crm_id)]
    _crm_rows_prepare(request, rows)
    return HttpResponse(
        render_to_string("portal/_crm_rows.html", {"rows": rows, "polled": True})
    )


@login_required
@require_http_methods(["GET", "POST"])
def crm_new(request: HttpRequest) -> HttpResponse:
    form = CrmCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not ratelimit.consume(request, action="crm_create", user=request.user):
            return ratelimit.respond_429(request)
        try:
            crm = crm_create(owner=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(crm)s is being created. It will be ready in a few seconds.")
                % {"crm": crm.name},
            )
            return redirect("portal:crm_list")
    status = 400 if form.errors else 200
    return render(request, "portal/crm_new.html", {"form": form}, status=status)


@login_required
@require_POST
def crm_enter_view(request: HttpRequest, crm_id: int) -> HttpResponse:
    try:
        # A URL, not a view name: straight into the redirect (redirect() would
        # first try to reverse it as a name).
        return HttpResponseRedirect(crm_enter(account=request.user, crm_id=crm_id))
    except SsoRefused as refusal:
        return render(
            request, "portal/refused.html", {"reason": refusal.message}, status=403
        )


@login_required
@require_http_methods(["GET", "POST"])
def crm_connect(request: HttpRequest) -> HttpResponse:
    """Add existing CRM: enter a code, see what it links, confirm."""
    form = ConnectionCodeForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        status = 400 if form.errors else 200
        return render(request, "portal/crm_connect.html", {"form": form}, status=status)
    if not ratelimit.consume(request, action="crm_connect", user=request.user):
        form.add_error(
            None, _("Too many attempts. Please wait a few minutes and try again.")
        )
        return render(request, "portal/crm_connect.html", {"form": form}, status=429)
    code = form.cleaned_data["code"]
    try:
        if "confirm" not in request.POST:
            crm_user = connection_code_preview(code=code, account=request.user)
            return render(
                request,
                "portal/crm_connect_confirm.html",
                {"crm_user": crm_user, "crm": crm_user.crm, "code": code},
            )
        crm_user = crm_user_connect_account(code=code, account=request.user)
    except ConnectRefused as refusal:
        form.add_error("code", refusal.message)
        return render(request, "portal/crm_connect.html", {"form": form}, status=400)
    messages.success(
        request,
        _("%(crm)s is now in your list. Press Enter to go in.")
        % {"crm": crm_user.crm.name},
    )
    return redirect("portal:crm_list")


@require_http_methods(["GET", "POST"])
def find_my_crms(request: HttpRequest) -> HttpResponse:
    form = FindMyCrmsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        if not ratelimit.consume(request, action="find_my_crms", key=email):
            return ratelimit.respond_429(request)
        find_my_crms_request(email=email)
        return render(request, "portal/find_sent.html", {"email": email})
    status = 400 if form.errors else 200
    return render(request, "portal/find.html", {"form": form}, status=status)
