"""CRM sessions, kept apart from the portal's Account session.

The browser's one Django session holds, per CRM, the id of the CRM user logged in
there and that user's ``session_auth_hash()``. A password change or deactivation
changes the hash and so ends the session; a CRM that is not active refuses it.
Nothing here touches Django's own auth keys, so the portal login is unaffected.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from crm.models import Crm, CrmUser

SESSION_KEY = "crm_sessions"


def _crm_sessions(request: HttpRequest) -> dict[str, dict[str, object]]:
    return request.session.get(SESSION_KEY, {})


def crm_session_login(request: HttpRequest, crm_user: CrmUser) -> None:
    sessions = dict(_crm_sessions(request))
    sessions[str(crm_user.crm_id)] = {
        "user_id": crm_user.pk,
        "hash": crm_user.session_auth_hash(),
    }
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
    crm_user = (
        CrmUser.objects.for_crm(crm)
        .filter(pk=entry.get("user_id"), is_active=True)
        .first()
    )
    if crm_user is None or not constant_time_compare(
        str(entry.get("hash", "")), crm_user.session_auth_hash()
    ):
        crm_session_logout(request, crm)
        return None
    crm_user.crm = crm
    return crm_user


def crm_session_refresh(request: HttpRequest, crm_user: CrmUser) -> None:
    """Keep the user's own session alive after they change their own password."""
    sessions = dict(_crm_sessions(request))
    if str(crm_user.crm_id) in sessions:
        sessions[str(crm_user.crm_id)] = {
            "user_id": crm_user.pk,
            "hash": crm_user.session_auth_hash(),
        }
        request.session[SESSION_KEY] = sessions
