"""CRM sessions, kept apart from the portal's Account session.

The browser's one Django session holds, per CRM, the id of the CRM user logged in
there and that user's ``session_auth_hash()``. A password change or deactivation
changes the hash and so ends the session; a CRM that is not active refuses it.
Nothing here touches Django's own auth keys, so the portal login is unaffected.
"""

from __future__ import annotations

import functools

from django.contrib.sessions.backends.base import SessionBase
from django.db import connections
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from crm.models import Crm, CrmUser
from crm.rows import model_columns, model_from_row, prepared_cursor
from crm.selectors import crm_get_by_slug

SESSION_KEY = "crm_sessions"


def _crm_sessions(request: HttpRequest) -> dict[str, dict[str, object]]:
    return request.session.get(SESSION_KEY, {})


def crm_session_login(request: HttpRequest, crm_user: CrmUser) -> None:
    sessions = dict(_crm_sessions(request))
    entry = {"user_id": crm_user.pk, "hash": crm_user.session_auth_hash()}
    if sessions.get(str(crm_user.crm_id)) == entry:
        # Already signed in here as this very user (Enter pressed again): nothing
        # changes, so nothing to store. The key was made new at that first login.
        return
    sessions[str(crm_user.crm_id)] = entry
    # A new key on every login: a session id planted before login is worthless.
    _session_cycle_key(request.session)
    request.session[SESSION_KEY] = sessions


def _session_cycle_key(session: SessionBase) -> None:
    """What ``session.cycle_key()`` does (the data kept under a new key, the old
    key deleted at once), with fewer round trips to the session store.

    ``cycle_key()`` stores the data under the new key straight away and the
    response then stores it again (a read and a write on the cache backend). Here
    the old session is deleted now and the data is stored once, under a new key
    made when the response saves the session."""
    data = dict(session.items())
    session.flush()
    session.update(data)


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
    return _crm_session_checked(request, crm, entry, crm_user)


def crm_session_resolve(request: HttpRequest, slug: str) -> tuple[Crm, CrmUser | None]:
    """The CRM at ``slug`` (404 if none) and, if it is active, the CRM user logged
    in to it in this browser (or None), as ``crm_session_user`` finds them.

    When this browser is logged in to the CRM, one query finds both: the CRM users
    of the session's entries, joined to their CRM and filtered by the slug."""
    sessions = _crm_sessions(request)
    user_ids = [
        entry["user_id"]
        for entry in sessions.values()
        if entry and isinstance(entry.get("user_id"), int)
    ]
    crm_user = None
    if user_ids:
        # At most one row: a user belongs to one CRM.
        crm_user = crm_user_with_crm(crm_slug=slug, user_ids=user_ids)
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
    ):
        crm_session_logout(request, crm)
        return None
    crm_user.crm = crm
    return crm_user


def crm_user_with_crm(
    *,
    crm_slug: str | None = None,
    crm_id: int | None = None,
    user_ids: list[int] | None = None,
    account_id: int | None = None,
) -> CrmUser | None:
    """The CRM user matching every condition given, with ``crm_user.crm`` loaded
    (None if there is none; at most one row may match).

    The read behind every CRM page and every Enter, so it is one query of plain SQL
    built once per process: the ORM would spend several times longer building the
    query and the objects than the database spends answering it."""
    connection = connections[CrmUser.objects.db]
    select, user_loaders, crm_loaders = _crm_user_with_crm_select(connection.alias)
    conditions, params = [], []
    if crm_slug is not None:
        conditions.append("c.slug = %s")
        params.append(crm_slug)
    if crm_id is not None:
        conditions.append("u.crm_id = %s")
        params.append(crm_id)
    if user_ids is not None:
        if not user_ids:
            return None
        conditions.append(f"u.id IN ({', '.join(['%s'] * len(user_ids))})")
        params += [int(user_id) for user_id in user_ids]
    if account_id is not None:
        conditions.append("u.account_id = %s")
        params.append(account_id)
    if not conditions:
        raise ValueError("crm_user_with_crm() needs a condition.")
    with prepared_cursor(connection) as cursor:
        cursor.execute(f"{select} WHERE {' AND '.join(conditions)}", params)
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(user_loaders)
    crm_user = model_from_row(CrmUser, connection, user_loaders, row[:split])
    crm_user.crm = model_from_row(Crm, connection, crm_loaders, row[split:])
    return crm_user


@functools.cache
def _crm_user_with_crm_select(alias: str) -> tuple[str, list, list]:
    """The SELECT ... FROM ... JOIN of ``crm_user_with_crm``, and how to turn each
    column into a model attribute as the ORM does."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    user_sql, user_loaders = model_columns(connection, CrmUser, "u")
    crm_sql, crm_loaders = model_columns(connection, Crm, "c")
    select = (
        f"SELECT {', '.join(user_sql + crm_sql)} "  # noqa: S608 - model names only
        f"FROM {quote(CrmUser._meta.db_table)} u "
        f"JOIN {quote(Crm._meta.db_table)} c ON c.id = u.crm_id"
    )
    return select, user_loaders, crm_loaders


def crm_session_refresh(request: HttpRequest, crm_user: CrmUser) -> None:
    """Keep the user's own session alive after they change their own password."""
    sessions = dict(_crm_sessions(request))
    if str(crm_user.crm_id) in sessions:
        sessions[str(crm_user.crm_id)] = {
            "user_id": crm_user.pk,
            "hash": crm_user.session_auth_hash(),
        }
        request.session[SESSION_KEY] = sessions
