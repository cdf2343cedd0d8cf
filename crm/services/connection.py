"""Add existing CRM: a CRM user makes a connection code in *My profile*, the owner of
a portal Account pastes it, and the CRM user becomes linked to that Account. A
linked user enters the CRM through the portal only: their CRM password goes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import (
    AuditEvent,
    ConnectionCode,
    Crm,
    CrmUser,
    PasswordResetToken,
)
from crm.services.audit import audit_record
from crm.services.secrets import (
    readable_code_new,
    readable_code_normalise,
    secret_hash,
)


class ConnectRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: datetime


def connection_code_ttl() -> timedelta:
    return timedelta(minutes=settings.CONNECTION_CODE_TTL_MINUTES)


@transaction.atomic
def connection_code_issue(*, crm_user: CrmUser) -> IssuedCode:
    """A new code for ``crm_user``; any earlier code of theirs stops working."""
    ConnectionCode.objects.for_crm(crm_user.crm_id).filter(crm_user=crm_user).delete()
    code = readable_code_new()
    expires_at = timezone.now() + connection_code_ttl()
    ConnectionCode.objects.create(
        crm_id=crm_user.crm_id,
        crm_user=crm_user,
        code_hash=secret_hash(purpose="connect", value=readable_code_normalise(code)),
        expires_at=expires_at,
    )
    audit_record(
        crm=crm_user.crm,
        action=AuditEvent.Action.CONNECTION_CODE_CREATED,
        actor_crm_user=crm_user,
    )
    return IssuedCode(code=code, expires_at=expires_at)


def _invalid_code() -> ConnectRefused:
    # Wrong, expired and used codes read the same: no oracle for guessers.
    return ConnectRefused(
        _(
            "This code is not valid. Codes work once and only for a short time: "
            "make a new one in the CRM under My profile → Basic info."
        )
    )


def _usable_code(code: str, *, for_update: bool) -> ConnectionCode:
    normalised = readable_code_normalise(code)
    if len(normalised.replace("-", "")) != 10:
        raise _invalid_code()
    rows = ConnectionCode.objects.select_related("crm", "crm_user")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    row = rows.filter(
        code_hash=secret_hash(purpose="connect", value=normalised)
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= timezone.now():
        raise _invalid_code()
    return row


def _refuse_unless_linkable(row: ConnectionCode, account: Any) -> None:
    crm, crm_user = row.crm, row.crm_user
    if crm.status == Crm.Status.PENDING_DELETION:
        raise ConnectRefused(
            _("%(crm)s is scheduled for deletion and cannot be added.")
            % {"crm": crm.name}
        )
    if crm.status != Crm.Status.ACTIVE:
        raise ConnectRefused(
            _("%(crm)s cannot be added right now.") % {"crm": crm.name}
        )
    if not crm_user.is_active:
        raise _invalid_code()
    if crm_user.account_id == account.pk:
        raise ConnectRefused(_("%(crm)s is already in your list.") % {"crm": crm.name})
    if crm_user.account_id is not None:
        raise ConnectRefused(
            _(
                "This user of %(crm)s is already linked to another account. "
                "Sign in to that account to use it."
            )
            % {"crm": crm.name}
        )
    if CrmUser.objects.for_crm(crm).filter(account=account).exists():
        raise ConnectRefused(
            _("%(crm)s is already in your list, through another of its users.")
            % {"crm": crm.name}
        )


def connection_code_preview(*, code: str, account: Any) -> CrmUser:
    """What confirming this code would link: the CRM user, with their CRM."""
    row = _usable_code(code, for_update=False)
    _refuse_unless_linkable(row, account)
    return row.crm_user


@transaction.atomic
def crm_user_connect_account(*, code: str, account: Any) -> CrmUser:
    """Link the code's CRM user to ``account`` and use the code up."""
    row = _usable_code(code, for_update=True)
    _refuse_unless_linkable(row, account)
    now = timezone.now()
    row.used_at = now
    row.save(update_fields=["used_at"])
    try:
        with transaction.atomic():
            # Compare-and-set: of two confirmations racing, one links, one is told.
            linked = CrmUser.objects.filter(
                pk=row.crm_user_id, account__isnull=True
            ).update(
                account=account,
                # From now on the user enters through the Account only: the CRM
                # password stops working and the sessions it opened end.
                password=make_password(None),
                updated_at=now,
            )
    except IntegrityError:  # another user of this CRM was linked to it meanwhile
        linked = 0
    if linked != 1:
        raise ConnectRefused(
            _("%(crm)s or this user of it was just linked elsewhere. Please reload.")
            % {"crm": row.crm.name}
        )
    # A reset link asked for against the old password would give a password back.
    PasswordResetToken.objects.for_crm(row.crm_id).filter(
        crm_user_id=row.crm_user_id
    ).delete()
    crm_user = row.crm_user
    crm_user.refresh_from_db(fields=["account", "password", "updated_at"])
    audit_record(
        crm=row.crm,
        action=AuditEvent.Action.CRM_CONNECTED,
        actor_account=account,
        actor_crm_user=crm_user,
    )
    return crm_user
