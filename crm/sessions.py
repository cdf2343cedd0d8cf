"""CRM sessions, kept apart from the portal's Account session.

The browser's one Django session holds, per CRM, the id of the CRM user logged in
there and that user's ``session_auth_hash()``. A password change or deactivation
changes the hash and so ends the session; a CRM that is not active refuses it.

A CRM user linked to an Account has no password of its own (it enters through
Enter only), so its hash never changes with the Account's password. A session
opened through Enter therefore also names the Account, and lasts only while that
Account is signed in to the portal in this same browser session: an Account
password change or reset ends the Account's other sessions (Django's session hash
check), and with them every CRM session that came through them.
Nothing here touches Django's own auth keys, so the portal login is unaffected.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.hashers import is_password_usable
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from crm.models import Crm, CrmUser
from crm.selectors.crms import crm_get_by_slug

SESSION_KEY = "crm_sessions"


def _crm_sessions(request: HttpRequest) -> dict[str, dict[str, object]]:
    return request.session.get(SESSION_KEY, {})


def _entry(crm_user: CrmUser, account_id: int | None) -> dict[str, object]:
    entry: dict[str, object] = {
        "user_id": crm_user.pk,
        "hash": crm_user.session_auth_hash(),
    }
    if account_id is not None:
        entry["account_id"] = account_id
    return entry


def _account_still_signed_in(
    request: HttpRequest, entry: dict, crm_user: CrmUser
) -> bool:
    """For a session opened through Enter: the same Account is still signed in to
    the portal here (reading ``request.user`` checks the Account's session hash,
    which its password change or reset alters) and still linked to this user."""
    account_id = entry.get("account_id")
    if account_id is None:
        # Opened with the CRM user's own password, which a linked user lacks.
        return crm_user.account_id is None or is_password_usable(crm_user.password)
    user = getattr(request, "user", None)
    return (
        crm_user.account_id == account_id
        and user is not None
        and user.is_authenticated
        and user.pk == account_id
    )


def crm_session_login(
    request: HttpRequest, crm_user: CrmUser, *, account_id: int | None = None
) -> None:
    """Sign ``crm_user`` in to their CRM in this browser. ``account_id``: the
    Account that entered through Enter, whose portal sign-in the session then
    depends on."""
    sessions = dict(_crm_sessions(request))
    entry = _entry(crm_user, account_id)
    if sessions.get(str(crm_user.crm_id)) == entry:
        # Already signed in here as this very user (Enter pressed again): nothing
        # changes, so nothing to store. The key was made new at that first login.
        return
    sessions[str(crm_user.crm_id)] = entry
    # A new key on every login: a session id planted before login is worthless.
    request.session.cycle_key()
    request.session[SESSION_KEY] = sessions


def crm_session_logout(request: HttpRequest, crm: Crm) -> None:
    sessions = dict(_crm_sessions(request))
    if sessions.pop(str(crm.pk), None) is not None:
        request.session[SESSION_KEY] = sessions
        request.session.cycle_key()


def crm_session_user(request: HttpRequest, crm: Crm) -> CrmUser | None:
    """The CRM user logged in to ``crm`` in this browser, or None.

    A stale entry (user gone, deactivated, password changed) is dropped."""
    entry = _crm_sessions(request).get(str(crm.pk))
    if not entry:
        return None
    crm_user = CrmUser.objects.for_crm(crm).filter(pk=entry.get("user_id")).first()
    return _crm_session_checked(request, crm, entry, crm_user)


def crm_session_resolve(request: HttpRequest, slug: str) -> tuple[Crm, CrmUser | None]:
    """The CRM at ``slug`` (404 if none) and, if it is active, the CRM user logged
    in to it in this browser (or None), as ``crm_session_user`` finds them.

    Every CRM page starts here, so a browser logged in to the CRM finds both in
    one query: its CRM users at ``slug``, with their CRM."""
    sessions = _crm_sessions(request)
    user_ids = [
        entry["user_id"]
        for entry in sessions.values()
        if entry and isinstance(entry.get("user_id"), int)
    ]
    crm_user = None
    if user_ids:
        # At most one: a user belongs to one CRM.
        crm_user = (
            CrmUser.objects.select_related("crm")
            .filter(crm__slug=slug, pk__in=user_ids)
            .first()
        )
    if crm_user is None:
        crm = crm_get_by_slug(slug=slug)
        if not crm.is_active:
            return crm, None
        return crm, crm_session_user(request, crm)
    crm = crm_user.crm
    if not crm.is_active:
        return crm, None
    entry = sessions.get(str(crm.pk))
    if not entry or entry.get("user_id") != crm_user.pk:
        return crm, crm_session_user(request, crm)
    return crm, _crm_session_checked(request, crm, entry, crm_user)


def _crm_session_checked(
    request: HttpRequest, crm: Crm, entry: dict, crm_user: CrmUser | None
) -> CrmUser | None:
    if (
        crm_user is None
        or not crm_user.is_active
        or not constant_time_compare(
            str(entry.get("hash", "")), crm_user.session_auth_hash()
        )
        or not _account_still_signed_in(request, entry, crm_user)
    ):
        crm_session_logout(request, crm)
        return None
    crm_user.crm = crm
    return crm_user


def crm_session_refresh(request: HttpRequest, crm_user: CrmUser) -> None:
    """Keep the user's own session alive after they change their own password."""
    sessions = dict(_crm_sessions(request))
    entry = sessions.get(str(crm_user.crm_id))
    if entry:
        sessions[str(crm_user.crm_id)] = _entry(crm_user, entry.get("account_id"))
        request.session[SESSION_KEY] = sessions


RECENT_SIGN_IN_KEY = "crm_recent_sign_in"


def crm_recent_sign_in_stamp(request: HttpRequest, crm: Crm) -> None:
    """The CRM user here has just given their password (and code) again."""
    stamps = dict(request.session.get(RECENT_SIGN_IN_KEY, {}))
    stamps[str(crm.pk)] = time.time()
    request.session[RECENT_SIGN_IN_KEY] = stamps


def crm_signed_in_recently(request: HttpRequest, crm: Crm) -> bool:
    """Within allauth's ACCOUNT_REAUTHENTICATION_TIMEOUT, as the portal counts."""
    stamp = request.session.get(RECENT_SIGN_IN_KEY, {}).get(str(crm.pk))
    return isinstance(stamp, int | float) and (
        time.time() - stamp < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
    )
