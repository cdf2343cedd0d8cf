"""API keys: issuing, revoking and recognising the keys integrations send as
``Authorization: Bearer <key>``.

The raw key is shown once, when it is made. The database keeps a keyed hash (a
stolen copy of the table cannot be used to call the API) and the first characters,
which let people tell their keys apart in Settings → API.

The API asks for a key's row at most every ``KEY_CACHE_SECONDS`` per process
(``api_key_authenticate(..., recent=True)``): looking it up was a database round
trip on every request, a quarter of a list request's time on a busy machine. A
revocation still refuses the key at once everywhere: the revoking process drops
its copy, and the others learn it from a marker in Redis that the rate limit's
script, run on every request anyway, checks (``crm.api.throttling``). A change
of the CRM's status or of its owner reaches a process within the same few
seconds."""

from __future__ import annotations

import functools
import secrets
import time
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, router, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import ApiKey, AuditEvent, Crm, CrmUser
from crm.rows import prepared_cursor
from crm.services.audit import audit_record
from crm.services.secrets import secret_hash

API_KEY_PREFIX = "crm_"
API_KEY_SHOWN_CHARS = 12
API_KEY_NAME_MAX_LENGTH = 100
# Longer than any key we issue (4 + 43 characters), short enough that hashing what a
# client sends costs nothing.
API_KEY_MAX_LENGTH = 200
# ``last_used_at`` is for people ("used 3 minutes ago"), so a minute is precise
# enough and spares the database a write per request.
LAST_USED_PRECISION = timedelta(minutes=1)
# How long a process may answer from a key row it read (see the module's
# docstring), and how many rows it keeps at most.
KEY_CACHE_SECONDS = 5.0
KEY_CACHE_MAX_KEYS = 1000

# key hash -> (time.monotonic() when read, the row of _key_lookup_sql)
_recent_rows: dict[str, tuple[float, tuple]] = {}
# key hash -> when this process last wrote the key's "last used"
_last_used_written: dict[str, Any] = {}


def revoked_marker(api_key_id: int) -> str:
    """The cache key (before the cache's own prefix) that says a key was revoked,
    kept as long as any process may still hold the key's row."""
    return f"api_key_revoked_{api_key_id}"


def _key_hash(raw_key: str) -> str:
    return secret_hash(purpose="api", value=raw_key)


def api_key_create(
    *, crm: Crm, name: str, created_by: CrmUser | None
) -> tuple[ApiKey, str]:
    """A new key for ``crm``. Returns the key and its raw value, which exists
    nowhere else: the caller shows it once and forgets it."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the key a name.")})
    if len(name) > API_KEY_NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": _("At most %(n)d characters.") % {"n": API_KEY_NAME_MAX_LENGTH}}
        )
    if created_by is not None and created_by.crm_id != crm.pk:
        raise Http404
    raw_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        crm=crm,
        name=name,
        prefix=raw_key[:API_KEY_SHOWN_CHARS],
        key_hash=_key_hash(raw_key),
        created_by=created_by,
    )
    audit_record(
        crm=crm,
        action=AuditEvent.Action.API_KEY_CREATED,
        actor_crm_user=created_by,
        details={"name": api_key.name, "prefix": api_key.prefix},
    )
    return api_key, raw_key


def api_key_revoke(*, crm: Crm, api_key_id: int, actor: CrmUser) -> ApiKey:
    """Revoke one of ``crm``'s keys; the next request with it gets 401. Revoking a
    revoked key changes nothing. Another CRM's key id is a 404."""
    if actor.crm_id != crm.pk:
        raise Http404
    if not actor.is_admin:
        # The view checks this too; a service does not rely on its caller for it.
        raise PermissionDenied(_("Only the owner and administrators manage API keys."))
    api_key = ApiKey.objects.for_crm(crm).filter(pk=api_key_id).first()
    if api_key is None:
        raise Http404
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        # This process forgets the key now; the others once the revocation is
        # committed (a revocation rolled back must not refuse a live key).
        _recent_rows.pop(api_key.key_hash, None)
        marker = revoked_marker(api_key.pk)
        transaction.on_commit(
            lambda: cache.set(marker, 1, timeout=int(KEY_CACHE_SECONDS) * 2 + 1)
        )
        audit_record(
            crm=crm,
            action=AuditEvent.Action.API_KEY_REVOKED,
            actor_crm_user=actor,
            details={"name": api_key.name, "prefix": api_key.prefix},
        )
    return api_key


@functools.cache
def _key_lookup_sql(alias: str) -> tuple[str, list[list]]:
    """One statement for a request's key, its CRM and the CRM's owner (a LEFT
    JOIN: a CRM without an owner still yields its key), and, for each of the three
    models, how to turn each column into an attribute as the ORM does
    (``from_db_value``, SQLite's text dates and integer booleans)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    columns: list[str] = []
    loaders: list[list] = []
    for model, table_alias in ((ApiKey, "k"), (Crm, "c"), (CrmUser, "u")):
        model_loaders = []
        for field in model._meta.concrete_fields:
            columns.append(f"{table_alias}.{quote(field.column)}")
            col = field.get_col(model._meta.db_table)
            converters = connection.ops.get_db_converters(col) + col.get_db_converters(
                connection
            )
            model_loaders.append((col, converters))
        loaders.append(model_loaders)
    sql = (
        f"SELECT {', '.join(columns)} "  # noqa: S608 - model names only
        f"FROM {quote(ApiKey._meta.db_table)} k "
        f"JOIN {quote(Crm._meta.db_table)} c ON c.id = k.crm_id "
        f"LEFT JOIN {quote(CrmUser._meta.db_table)} u "
        "ON u.crm_id = k.crm_id AND u.role = %s "
        "WHERE k.key_hash = %s AND k.revoked_at IS NULL"
    )
    return sql, loaders


def _instance(model: type, connection: Any, loaders: list, values: list) -> Any:
    converted = []
    for (col, converters), value in zip(loaders, values, strict=True):
        for converter in converters:
            value = converter(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, None, converted)


def _key_row(key_hash: str) -> tuple | None:
    """The row of the live key with this hash, its CRM and the CRM's owner."""
    connection = connections[router.db_for_read(ApiKey)]
    sql, _loaders = _key_lookup_sql(connection.alias)
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, [CrmUser.Role.OWNER.value, key_hash])
        row = cursor.fetchone()
    return None if row is None else tuple(row)


def _key_from_row(row: tuple) -> tuple[ApiKey, CrmUser | None]:
    """The key, its CRM set, and the CRM's owner (with the same CRM object), as
    fresh instances: a row read for an earlier request shares nothing with it."""
    connection = connections[router.db_for_read(ApiKey)]
    _sql, (key_loaders, crm_loaders, user_loaders) = _key_lookup_sql(connection.alias)
    crm_start = len(key_loaders)
    user_start = crm_start + len(crm_loaders)
    api_key = _instance(ApiKey, connection, key_loaders, row[:crm_start])
    api_key.crm = _instance(Crm, connection, crm_loaders, row[crm_start:user_start])
    owner = None
    if row[user_start] is not None:  # the owner's id; NULL when there is no owner
        owner = _instance(CrmUser, connection, user_loaders, row[user_start:])
        owner.crm = api_key.crm
    return api_key, owner


def _recent_row(key_hash: str) -> tuple | None:
    """The row this process read for the key less than KEY_CACHE_SECONDS ago,
    else a fresh one (None: no live key has this hash)."""
    now = time.monotonic()
    seen = _recent_rows.get(key_hash)
    if seen is not None and now - seen[0] < KEY_CACHE_SECONDS:
        return seen[1]
    row = _key_row(key_hash)
    if row is None:
        _recent_rows.pop(key_hash, None)
        return None
    if len(_recent_rows) >= KEY_CACHE_MAX_KEYS:
        _recent_rows.clear()
    _recent_rows[key_hash] = (now, row)
    return row


def api_key_authenticate(*, raw_key: str, recent: bool = False) -> ApiKey | None:
    """The live key whose raw value this is, with its CRM, or None. The CRM's
    owner, who acts for the key, comes with it as ``api_key.owner`` (None if the
    CRM has none), all in one query.

    With ``recent`` the row may be one this process read up to
    KEY_CACHE_SECONDS ago; the caller must then refuse a key whose
    ``revoked_marker`` is set (the API's rate limit does).

    The lookup is by the keyed hash on a unique index, so nothing compares the
    secret itself character by character and timing says nothing about it."""
    if not raw_key or len(raw_key) > API_KEY_MAX_LENGTH:
        return None
    key_hash = _key_hash(raw_key)
    row = _recent_row(key_hash) if recent else _key_row(key_hash)
    if row is None:
        return None
    api_key, owner = _key_from_row(row)
    api_key.owner = owner
    now = timezone.now()
    stale = now - LAST_USED_PRECISION
    # A row read before may not know this process's own last write.
    written = _last_used_written.get(key_hash) if recent else None
    if written is not None and (
        api_key.last_used_at is None or written > api_key.last_used_at
    ):
        api_key.last_used_at = written
    if api_key.last_used_at is None or api_key.last_used_at <= stale:
        # Conditional, so that concurrent requests of the same minute (in any
        # process) write once.
        ApiKey.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=api_key.pk
        ).update(last_used_at=now)
        api_key.last_used_at = now
        if recent:
            if len(_last_used_written) >= KEY_CACHE_MAX_KEYS:
                _last_used_written.clear()
            _last_used_written[key_hash] = now
    return api_key
