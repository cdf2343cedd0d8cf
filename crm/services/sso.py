"""Enter: the one-time hand-off that lands a portal Account inside a CRM, signed in
as its own CRM user there."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import AuditEvent, ConnectionCode, Crm, CrmUser, SsoToken
from crm.services.audit import audit_record
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
    with transaction.atomic(savepoint=False):  # one commit for both rows
        SsoToken.objects.create(
            crm_id=crm_user.crm_id,
            crm_user=crm_user,
            account=account,
            token_hash=secret_hash(purpose="sso", value=token),
            expires_at=timezone.now() + timedelta(seconds=ttl),
        )
        audit_record(
            crm=crm_user.crm,
            action=AuditEvent.Action.CRM_ENTERED,
            actor_account=account,
            actor_crm_user=crm_user,
        )
    return token


def _sso_token_claim(token_hash: str, now: datetime) -> tuple[bool, SsoToken | None]:
    """Mark the token used, if nobody has yet: (claimed now?, the token or None).

    A compare-and-set, so a token is only ever claimed once. Where the database can
    return rows from an UPDATE (PostgreSQL, SQLite 3.35+), one statement claims it
    and reads it back; a token that was not claimed costs a second look, to say
    why."""
    connection = connections[SsoToken.objects.db]
    if connection.features.can_return_rows_from_bulk_insert:
        return _sso_token_claim_returning(connection, token_hash, now)
    with transaction.atomic():
        claimed = SsoToken.objects.filter(
            token_hash=token_hash, used_at__isnull=True
        ).update(used_at=now)
        handoff = SsoToken.objects.filter(token_hash=token_hash).first()
    return bool(claimed), handoff


def _sso_token_claim_returning(
    connection, token_hash: str, now: datetime
) -> tuple[bool, SsoToken | None]:
    meta = SsoToken._meta
    # In the model's own order, as Model.from_db() expects them.
    fields = [field for field in meta.concrete_fields if field.name in _CLAIM_RETURNS]
    quote = connection.ops.quote_name
    used_at = quote(meta.get_field("used_at").column)
    token_hash_column = quote(meta.get_field("token_hash").column)
    returning = ", ".join(quote(field.column) for field in fields)
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {used_at} = %s "  # noqa: S608 - names
        f"WHERE {token_hash_column} = %s AND {used_at} IS NULL RETURNING {returning}"
    )
    params = [connection.ops.adapt_datetimefield_value(now), token_hash]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False, SsoToken.objects.filter(token_hash=token_hash).first()
    values = [
        _from_db(connection, field, value)
        for field, value in zip(fields, row, strict=True)
    ]
    handoff = SsoToken.from_db(
        connection.alias, [field.attname for field in fields], values
    )
    handoff.used_at = now
    return True, handoff


# What a claim reads back: all that redeeming needs.
_CLAIM_RETURNS = ("id", "crm", "crm_user", "account", "expires_at")


def _from_db(connection, field, value):
    """A column's value as the ORM would have given it (dates on SQLite are text)."""
    expression = field.get_col(field.model._meta.db_table)
    converters = connection.ops.get_db_converters(
        expression
    ) + expression.get_db_converters(connection)
    for converter in converters:
        value = converter(value, expression, connection)
    return value


def sso_token_redeem(*, crm: Crm, token: str, loaded: CrmUser | None = None) -> CrmUser:
    """Take the token (it can never be taken twice) and return the CRM user to sign
    in, or raise ``SsoRefused`` saying why not.

    ``loaded``: a CRM user of ``crm`` this request has just read from the database
    (the one already signed in here), used instead of reading it again when the
    token is for them. The token is used up even when it is refused (a token shown
    to the wrong CRM may have leaked), so a caller's transaction must commit after
    a refusal too."""
    token_hash = secret_hash(purpose="sso", value=token)
    now = timezone.now()
    claimed, handoff = _sso_token_claim(token_hash, now)
    try_again = _("Go back to the portal and press Enter again.")
    if handoff is None:
        raise SsoRefused(_("This sign-in link is not valid.") + " " + try_again)
    if not claimed:
        raise SsoRefused(
            _("This sign-in link has already been used.") + " " + try_again
        )
    if handoff.crm_id != crm.pk:
        # Burnt above all the same: a token shown to the wrong CRM may have leaked.
        raise SsoRefused(_("This sign-in link is for another CRM.") + " " + try_again)
    if handoff.expires_at <= now:
        raise SsoRefused(_("This sign-in link has expired.") + " " + try_again)
    if loaded is not None and loaded.pk == handoff.crm_user_id:
        crm_user = loaded
    else:
        found = CrmUser.objects.for_crm(crm).filter(pk=handoff.crm_user_id)
        crm_user = next(iter(found), None)
    if crm_user is None or not crm_user.is_active:
        raise SsoRefused(
            _("Your user in this CRM has been deactivated. Ask its administrator.")
        )
    if crm_user.account_id != handoff.account_id:
        raise SsoRefused(_("Your account is no longer linked to this user of the CRM."))
    crm_user.crm = crm
    return crm_user


def sso_tokens_delete_stale(*, older_than: timedelta = timedelta(hours=1)) -> int:
    """Housekeeping: expired hand-off tokens and connection codes are of no further
    use (kept an hour past expiry so a late click still gets an exact message)."""
    cutoff = timezone.now() - older_than
    tokens, _counts = SsoToken.objects.filter(expires_at__lt=cutoff).delete()
    codes, _counts = ConnectionCode.objects.filter(expires_at__lt=cutoff).delete()
    return tokens + codes
