"""Enter: the one-time hand-off that lands a portal Account inside a CRM, signed in
as its own CRM user there."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import AuditEvent, ConnectionCode, Crm, CrmUser, SsoToken
from crm.services.audit import audit_event_new
from crm.services.secrets import secret_hash, url_token_new


class SsoRefused(Exception):
    """The hand-off cannot go ahead; ``message`` tells the person why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
    _insert_together(handoff, entered)
    return token


def _insert_together(*rows: Model) -> None:
    """``save()`` of new rows, all or none, in one round trip and one commit where
    the database allows it, and without reading the new ids back.

    Every Enter stores a token and its audit record: on PostgreSQL the INSERTs
    are chained as data-modifying CTEs of one statement (one WAL flush instead of
    two), elsewhere they run in one transaction. Only for models with no signals
    and no ``save()`` of their own; the ORM's INSERT costs more to build than to
    run."""
    connection = connections[type(rows[0]).objects.db]
    inserts = [_insert_sql(connection, row) for row in rows]
    if connection.vendor == "postgresql":
        *first, last = inserts
        ctes = ", ".join(f"i{n} AS ({sql})" for n, (sql, _params) in enumerate(first))
        sql = f"WITH {ctes} {last[0]}" if first else last[0]
        params = [value for _sql, values in inserts for value in values]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for sql, params in inserts:
            cursor.execute(sql, params)


def _insert_sql(connection, row: Model) -> tuple[str, list]:
    quote = connection.ops.quote_name
    fields = [field for field in row._meta.concrete_fields if not field.primary_key]
    values = [
        field.get_db_prep_save(field.pre_save(row, add=True), connection)
        for field in fields
    ]
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    return (
        f"INSERT INTO {quote(row._meta.db_table)} ({columns}) "  # noqa: S608 - names
        f"VALUES ({placeholders})",
        values,
    )


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
        handoff, signed_in = _sso_claim_and_sign_in(connection, token_hash, now, crm)
    else:
        handoff = _sso_claim(connection, token_hash, now)
        signed_in = handoff is not None and _sso_sign_in(handoff, crm, now)
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
    if signed_in and loaded is not None and loaded.pk == handoff.crm_user_id:
        crm_user = loaded
    else:  # not read yet, or changed since (the stamp found it could not sign in)
        found = CrmUser.objects.for_crm(crm).filter(pk=handoff.crm_user_id)
        crm_user = next(iter(found), None)
    if crm_user is None or not crm_user.is_active:
        raise SsoRefused(
            _("Your user in this CRM has been deactivated. Ask its administrator.")
        )
    if crm_user.account_id != handoff.account_id:
        raise SsoRefused(_("Your account is no longer linked to this user of the CRM."))
    if not signed_in:  # changed between the stamp and the read above: rare
        raise SsoRefused(try_again)
    crm_user.last_login = now
    crm_user.crm = crm
    return crm_user


def _sso_claim_and_sign_in(
    connection, token_hash: str, now: datetime, crm: Crm
) -> tuple[SsoToken | None, bool]:
    """PostgreSQL: one statement, so one round trip and one commit, claims the
    token (compare-and-set on ``used_at``) and, when the token is good for
    ``crm`` and its user may sign in, stamps that user's ``last_login``.

    Returns the claimed token (None if it was not claimed now) and whether the
    user was stamped; ``sso_token_redeem`` says why when not."""
    token, user = SsoToken._meta, CrmUser._meta
    quote = connection.ops.quote_name

    def col(meta, name, table=""):
        column = quote(meta.get_field(name).column)
        return f"{table}.{column}" if table else column

    fields = [field for field in token.concrete_fields if field.name in _CLAIM_RETURNS]
    returning = ", ".join(quote(field.column) for field in fields)
    sql = (
        # Only our own models' table and column names go into the text.
        f"WITH claimed AS ("  # noqa: S608
        f" UPDATE {quote(token.db_table)} SET {col(token, 'used_at')} = %(now)s"
        f" WHERE {col(token, 'token_hash')} = %(hash)s"
        f" AND {col(token, 'used_at')} IS NULL RETURNING {returning}"
        f"), signed_in AS ("
        f" UPDATE {quote(user.db_table)} AS u SET {col(user, 'last_login')} = %(now)s"
        f" FROM claimed WHERE {col(user, 'id', 'u')} = claimed.{col(token, 'crm_user')}"
        f" AND {col(user, 'crm', 'u')} = %(crm)s"
        f" AND claimed.{col(token, 'crm')} = %(crm)s"
        f" AND claimed.{col(token, 'expires_at')} > %(now)s"
        f" AND {col(user, 'is_active', 'u')}"
        f" AND {col(user, 'account', 'u')} = claimed.{col(token, 'account')}"
        f" RETURNING 1"
        f") SELECT {returning}, EXISTS (SELECT 1 FROM signed_in) FROM claimed"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": now, "hash": token_hash, "crm": crm.pk})
        row = cursor.fetchone()
    if row is None:
        return None, False
    return _sso_token_from_row(connection, fields, row[:-1]), row[-1]


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
    """A claimed token from its columns, converted as the ORM converts them (dates
    on SQLite are text), in the model's field order as ``from_db()`` wants."""
    values = []
    for field, value in zip(fields, row, strict=True):
        expression = field.get_col(field.model._meta.db_table)
        for converter in connection.ops.get_db_converters(
            expression
        ) + expression.get_db_converters(connection):
            value = converter(value, expression, connection)
        values.append(value)
    return SsoToken.from_db(
        connection.alias, [field.attname for field in fields], values
    )


def sso_tokens_delete_stale(*, older_than: timedelta = timedelta(hours=1)) -> int:
    """Housekeeping: expired hand-off tokens and connection codes are of no further
    use (kept an hour past expiry so a late click still gets an exact message)."""
    cutoff = timezone.now() - older_than
    tokens, _counts = SsoToken.objects.filter(expires_at__lt=cutoff).delete()
    codes, _counts = ConnectionCode.objects.filter(expires_at__lt=cutoff).delete()
    return tokens + codes
