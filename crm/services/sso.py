"""Enter: the one-time hand-off that lands a portal Account inside a CRM, signed in
as its own CRM user there."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import AuditEvent, ConnectionCode, Crm, CrmUser, SsoToken
from crm.rows import model_columns, model_from_row, prepared_cursor
from crm.selectors import crm_get_by_slug
from crm.services.audit import audit_event_new
from crm.services.secrets import secret_hash, url_token_new
from crm.sessions import crm_user_with_crm


class SsoRefused(Exception):
    """The hand-off cannot go ahead; ``message`` tells the person why."""

    def __init__(self, message: str, crm: Crm | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.crm = crm


def sso_token_issue(*, crm_user: CrmUser, account: Any) -> str:
    """A fresh token for ``account`` to enter ``crm_user``'s CRM as that user."""
    if crm_user.account_id != account.pk:
        raise SsoRefused(_("You are not linked to this CRM."))
    if not crm_user.is_active:
        raise SsoRefused(
            _("Your user in this CRM has been deactivated. Ask its administrator.")
        )
    token = url_token_new()
    ttl = min(settings.SSO_TOKEN_TTL_SECONDS, 60)
    handoff = SsoToken(
        crm_id=crm_user.crm_id,
        crm_user=crm_user,
        account=account,
        token_hash=secret_hash(purpose="sso", value=token),
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    entered = audit_event_new(
        crm=crm_user.crm,
        action=AuditEvent.Action.CRM_ENTERED,
        actor_account=account,
        actor_crm_user=crm_user,
    )
    # A token is never stored without its audit record.
    with transaction.atomic():
        handoff.save(force_insert=True)
        entered.save(force_insert=True)
    return token


def sso_token_issue_for(*, account: Any, crm_id: int) -> tuple[Crm | None, str | None]:
    """Enter from the portal: the CRM ``crm_id`` as the Account's CRM user there
    sees it (None when the Account has no user there) and a fresh token to enter
    as that user, stored with its audit record; no token (None) when the CRM is
    not active or the user is deactivated, for the caller to say which.

    On PostgreSQL the read, the token and the audit record are one statement (one
    round trip, one commit), and the CRM comes back with just what Enter shows
    (``_ENTER_CRM_FIELDS``); elsewhere the read, then ``sso_token_issue``."""
    connection = connections[SsoToken.objects.db]
    if connection.vendor != "postgresql":
        crm_user = crm_user_with_crm(account_id=account.pk, crm_id=crm_id)
        if crm_user is None:
            return None, None
        if not crm_user.crm.is_active or not crm_user.is_active:
            return crm_user.crm, None
        return crm_user.crm, sso_token_issue(crm_user=crm_user, account=account)
    token = url_token_new()
    now = timezone.now()
    sql, crm_loaders = _sso_issue_sql(connection.alias)
    params = {
        "crm": crm_id,
        "account": account.pk,
        "active": Crm.Status.ACTIVE,
        "hash": secret_hash(purpose="sso", value=token),
        "now": now,
        "expires": now + timedelta(seconds=min(settings.SSO_TOKEN_TTL_SECONDS, 60)),
        "action": AuditEvent.Action.CRM_ENTERED,
    }
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None, None
    crm = model_from_row(Crm, connection, crm_loaders, row[:-1])
    return crm, token if row[-1] else None


# What Enter needs of the CRM: where to go, or why it cannot be entered.
_ENTER_CRM_FIELDS = ("id", "name", "slug", "status", "deletion_due_at")

# The values of Enter's two new rows, by attribute name: parameters of
# ``sso_token_issue_for`` (``%(...)s``), constants, or columns of the CRM user
# read in the same statement (``m``).
_ISSUE_VALUES = {
    SsoToken: {
        "crm_id": "%(crm)s",
        "crm_user_id": "m.user_id",
        "account_id": "%(account)s",
        "token_hash": "%(hash)s",
        "expires_at": "%(expires)s",
        "used_at": "NULL",
        "created_at": "%(now)s",
    },
    AuditEvent: {
        "crm_id": "%(crm)s",
        "action": "%(action)s",
        "actor_account_id": "%(account)s",
        "actor_crm_user_id": "m.user_id",
        "actor_name": "m.name || ' <' || m.email || '>'",
        "details": "'{}'::jsonb",
        "created_at": "%(now)s",
    },
}


@functools.cache
def _sso_issue_sql(alias: str) -> tuple[str, list]:
    """The statement of ``sso_token_issue_for`` and the loaders of the CRM fields
    it reads back. Every column of the two new rows must have its value in
    ``_ISSUE_VALUES``: a field added to either model fails here, not silently."""
    connection = connections[alias]
    quote = connection.ops.quote_name

    def insert_select(model, where):
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        values = _ISSUE_VALUES[model]
        mismatched = {f.attname for f in fields} ^ set(values)
        if mismatched:
            raise ImproperlyConfigured(
                f"_ISSUE_VALUES[{model.__name__}] does not match its columns: "
                f"{sorted(mismatched)}"
            )
        columns = ", ".join(quote(f.column) for f in fields)
        selected = ", ".join(values[f.attname] for f in fields)
        return (
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT {selected} FROM m WHERE {where}"
        )

    users, crms = quote(CrmUser._meta.db_table), quote(Crm._meta.db_table)
    crm_fields = [Crm._meta.get_field(name) for name in _ENTER_CRM_FIELDS]
    crm_sql, crm_loaders = model_columns(connection, Crm, "c", crm_fields)
    member = (
        f"FROM {users} u JOIN {crms} c ON c.id = u.crm_id "
        "WHERE u.crm_id = %(crm)s AND u.account_id = %(account)s"
    )
    # A token only for an active user of an active CRM; the audit record only with
    # a token.
    token = insert_select(SsoToken, "m.is_active AND m.status = %(active)s")
    audit = insert_select(AuditEvent, "EXISTS (SELECT 1 FROM t)")
    sql = (
        "WITH m AS (SELECT u.id AS user_id, u.name, u.email, u.is_active, "  # noqa: S608
        f"c.status {member}), "
        f"t AS ({token} RETURNING 1), a AS ({audit}) "
        f"SELECT {', '.join(crm_sql)}, EXISTS (SELECT 1 FROM t) {member}"
    )
    return sql, crm_loaders


def sso_token_redeem_at(*, slug: str, token: str) -> tuple[Crm, CrmUser | None]:
    """Enter's landing at ``/c/<slug>/sso/<token>/``: the CRM at ``slug`` (404 if
    there is none) and the CRM user to sign in there, the token taken and the
    user's ``last_login`` stamped; or ``SsoRefused`` saying why not (its ``crm``
    set). A CRM that is not active comes back with no user and the token left
    alone: the caller shows why the CRM cannot be used.

    On PostgreSQL this is one statement (the CRM, the claim, the stamp and the
    user read back), so one round trip and one commit."""
    connection = connections[SsoToken.objects.db]
    if connection.vendor != "postgresql":
        crm = crm_get_by_slug(slug=slug)
        if not crm.is_active:
            return crm, None
        try:
            return crm, sso_token_redeem(crm=crm, token=token)
        except SsoRefused as refusal:
            refusal.crm = crm
            raise
    token_hash = secret_hash(purpose="sso", value=token)
    now = timezone.now()
    crm, handoff, stamped = _sso_claim_and_sign_in(
        connection, token_hash, now, slug=slug
    )
    if crm is None:
        raise Http404
    if not crm.is_active:
        return crm, None
    try:
        return crm, _sso_outcome(crm, token_hash, now, handoff, stamped)
    except SsoRefused as refusal:
        refusal.crm = crm
        raise


def sso_token_redeem(*, crm: Crm, token: str, loaded: CrmUser | None = None) -> CrmUser:
    """Take the token (it can never be taken twice), stamp the CRM user's
    ``last_login`` and return the CRM user to sign in, or raise ``SsoRefused``
    saying why not.

    ``loaded``: a CRM user of ``crm`` this request has just read from the database
    (the one already signed in here), used instead of reading it again when the
    token is for them. The token is used up even when it is refused (a token shown
    to the wrong CRM may have leaked): claiming it commits at once."""
    token_hash = secret_hash(purpose="sso", value=token)
    now = timezone.now()
    connection = connections[SsoToken.objects.db]
    if connection.vendor == "postgresql":
        _crm, handoff, stamped = _sso_claim_and_sign_in(
            connection, token_hash, now, crm_id=crm.pk
        )
        return _sso_outcome(crm, token_hash, now, handoff, stamped)
    handoff = _sso_claim(connection, token_hash, now)
    stamped = None
    if handoff is not None and _sso_sign_in(handoff, crm, now):
        if loaded is not None and loaded.pk == handoff.crm_user_id:
            stamped = loaded
        else:
            stamped = (
                CrmUser.objects.for_crm(crm).filter(pk=handoff.crm_user_id).first()
            )
        if stamped is not None:
            stamped.last_login = now
    return _sso_outcome(crm, token_hash, now, handoff, stamped)


def _sso_outcome(
    crm: Crm,
    token_hash: str,
    now: datetime,
    handoff: SsoToken | None,
    stamped: CrmUser | None,
) -> CrmUser:
    """The CRM user a claim signed in (``stamped``), or ``SsoRefused`` saying why
    the claim could not sign anyone in: the checks below read the database only
    on these rare paths."""
    try_again = _("Go back to the portal and press Enter again.")
    if handoff is None:
        if SsoToken.objects.filter(token_hash=token_hash).exists():
            raise SsoRefused(
                _("This sign-in link has already been used.") + " " + try_again
            )
        raise SsoRefused(_("This sign-in link is not valid.") + " " + try_again)
    if handoff.crm_id != crm.pk:
        # Burnt above all the same: a token shown to the wrong CRM may have leaked.
        raise SsoRefused(_("This sign-in link is for another CRM.") + " " + try_again)
    if handoff.expires_at <= now:
        raise SsoRefused(_("This sign-in link has expired.") + " " + try_again)
    if stamped is not None and stamped.is_active:
        stamped.crm = crm
        return stamped
    crm_user = CrmUser.objects.for_crm(crm).filter(pk=handoff.crm_user_id).first()
    if crm_user is None or not crm_user.is_active:
        raise SsoRefused(
            _("Your user in this CRM has been deactivated. Ask its administrator.")
        )
    if crm_user.account_id != handoff.account_id:
        raise SsoRefused(_("Your account is no longer linked to this user of the CRM."))
    raise SsoRefused(try_again)  # changed between the claim and the read: rare


def _sso_claim_and_sign_in(
    connection,
    token_hash: str,
    now: datetime,
    *,
    slug: str | None = None,
    crm_id: int | None = None,
) -> tuple[Crm | None, SsoToken | None, CrmUser | None]:
    """PostgreSQL: one statement finds the CRM (by ``slug`` or ``crm_id``) and,
    when it is active, claims the token (compare-and-set on ``used_at``) and, when
    the token is good for that CRM and its user may sign in, stamps that user's
    ``last_login`` and reads the user back.

    Returns the CRM (None if there is no such CRM), the claimed token (None if it
    was not claimed now) and the stamped user (None if not stamped);
    ``_sso_outcome`` says why when not."""
    sql, crm_loaders, token_loaders, user_loaders = _sso_claim_sql(
        connection.alias, "slug" if slug is not None else "id"
    )
    params = {
        "now": now,
        "hash": token_hash,
        "crm": slug if slug is not None else crm_id,
        "active": Crm.Status.ACTIVE,
    }
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None, None, None
    ends = len(crm_loaders), len(crm_loaders) + len(token_loaders)
    crm = model_from_row(Crm, connection, crm_loaders, row[: ends[0]])
    handoff = stamped = None
    if row[ends[0]] is not None:  # the token's id
        handoff = model_from_row(
            SsoToken, connection, token_loaders, row[ends[0] : ends[1]]
        )
    if row[ends[1]] is not None:  # the user's id
        stamped = model_from_row(CrmUser, connection, user_loaders, row[ends[1] :])
    return crm, handoff, stamped


@functools.cache
def _sso_claim_sql(alias: str, crm_by: str) -> tuple[str, list, list, list]:
    """The statement of ``_sso_claim_and_sign_in``, finding the CRM by ``crm_by``
    ("slug" or "id"), and the loaders of its three parts (CRM, token, user)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    token, user, crm = SsoToken._meta, CrmUser._meta, Crm._meta

    def col(meta, name, table=""):
        column = quote(meta.get_field(name).column)
        return f"{table}.{column}" if table else column

    token_fields = [f for f in token.concrete_fields if f.name in _CLAIM_RETURNS]
    crm_select, crm_loaders = model_columns(connection, Crm, "c")
    token_select, token_loaders = model_columns(connection, SsoToken, "t", token_fields)
    user_returning, user_loaders = model_columns(connection, CrmUser, "u")
    returning = ", ".join(quote(field.column) for field in token_fields)
    sql = (
        # Only our own models' table and column names go into the text.
        f"WITH c AS ("  # noqa: S608
        f" SELECT * FROM {quote(crm.db_table)} WHERE {col(crm, crm_by)} = %(crm)s"
        f"), claimed AS ("
        f" UPDATE {quote(token.db_table)} SET {col(token, 'used_at')} = %(now)s"
        f" WHERE {col(token, 'token_hash')} = %(hash)s"
        f" AND {col(token, 'used_at')} IS NULL"
        # A CRM that is not active refuses Enter before the token is looked at.
        f" AND EXISTS (SELECT 1 FROM c WHERE {col(crm, 'status', 'c')} = %(active)s)"
        f" RETURNING {returning}"
        f"), signed_in AS ("
        f" UPDATE {quote(user.db_table)} AS u SET {col(user, 'last_login')} = %(now)s"
        f" FROM claimed, c"
        f" WHERE {col(user, 'id', 'u')} = claimed.{col(token, 'crm_user')}"
        f" AND {col(user, 'crm', 'u')} = {col(crm, 'id', 'c')}"
        f" AND claimed.{col(token, 'crm')} = {col(crm, 'id', 'c')}"
        f" AND claimed.{col(token, 'expires_at')} > %(now)s"
        f" AND {col(user, 'is_active', 'u')}"
        f" AND {col(user, 'account', 'u')} = claimed.{col(token, 'account')}"
        f" RETURNING {', '.join(user_returning)}"
        f") SELECT {', '.join(crm_select + token_select + user_returning)}"
        f" FROM c LEFT JOIN claimed t ON TRUE LEFT JOIN signed_in u ON TRUE"
    )
    return sql, crm_loaders, token_loaders, user_loaders


def _sso_sign_in(handoff: SsoToken, crm: Crm, now: datetime) -> bool:
    """Other databases: what the second half of ``_sso_claim_and_sign_in`` does."""
    if handoff.crm_id != crm.pk or handoff.expires_at <= now:
        return False
    return bool(
        CrmUser.objects.filter(
            pk=handoff.crm_user_id,
            crm=crm,
            is_active=True,
            account_id=handoff.account_id,
        ).update(last_login=now)
    )


def _sso_claim(connection, token_hash: str, now: datetime) -> SsoToken | None:
    """Other databases: the claim alone, committed at once."""
    if not connection.features.can_return_rows_from_bulk_insert:
        with transaction.atomic():
            claimed = SsoToken.objects.filter(
                token_hash=token_hash, used_at__isnull=True
            ).update(used_at=now)
            handoff = SsoToken.objects.filter(token_hash=token_hash).first()
        return handoff if claimed else None
    token = SsoToken._meta
    quote = connection.ops.quote_name
    fields = [field for field in token.concrete_fields if field.name in _CLAIM_RETURNS]
    used_at = quote(token.get_field("used_at").column)
    token_hash_column = quote(token.get_field("token_hash").column)
    returning = ", ".join(quote(field.column) for field in fields)
    sql = (
        f"UPDATE {quote(token.db_table)} SET {used_at} = %s "  # noqa: S608 - names
        f"WHERE {token_hash_column} = %s AND {used_at} IS NULL RETURNING {returning}"
    )
    params = [connection.ops.adapt_datetimefield_value(now), token_hash]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else _sso_token_from_row(connection, fields, row)


# What a claim reads back: all that redeeming needs.
_CLAIM_RETURNS = ("id", "crm", "crm_user", "account", "expires_at")


def _sso_token_from_row(connection, fields, row) -> SsoToken:
    """A claimed token from its columns (dates on SQLite are text)."""
    _columns, loaders = model_columns(connection, SsoToken, "t", fields)
    return model_from_row(SsoToken, connection, loaders, row)


def sso_tokens_delete_stale(*, older_than: timedelta = timedelta(hours=1)) -> int:
    """Housekeeping: expired hand-off tokens and connection codes are of no further
    use (kept an hour past expiry so a late click still gets an exact message)."""
    cutoff = timezone.now() - older_than
    tokens, _counts = SsoToken.objects.filter(expires_at__lt=cutoff).delete()
    codes, _counts = ConnectionCode.objects.filter(expires_at__lt=cutoff).delete()
    return tokens + codes
