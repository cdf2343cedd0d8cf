"""Signing in to a CRM and a CRM user's password."""

from __future__ import annotations

from django.contrib.auth.hashers import is_password_usable, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import AuditEvent, Crm, CrmUser, PasswordResetToken
from crm.services.audit import audit_record


def linked_user_password_refusal() -> str:
    """What a CRM user linked to an Account is told when a password of the CRM
    is asked for: they have none, the Account's is the one."""
    return _(
        "This user signs in through their portal account, with that account's "
        "password: change or reset it in the portal."
    )


def crm_user_set_password(*, crm_user: CrmUser, password: str) -> CrmUser:
    """Every way a CRM user's password changes ends here. Every CRM session of the
    user ends (the session hash covers the password hash, whose salt is new each
    time, even for the same password), and a reset link still unused stops
    working: it was asked for against the password that is gone.

    A user linked to an Account gets no password: they enter through the portal,
    so the Account's password (and its reset) is the only one that opens the CRM."""
    if crm_user.account_id is not None:
        raise ValidationError(linked_user_password_refusal(), code="crm_user_linked")
    crm_user.set_password(password)
    with transaction.atomic(savepoint=False):
        crm_user.save(update_fields=["password", "updated_at"])
        PasswordResetToken.objects.for_crm(crm_user.crm_id).filter(
            crm_user=crm_user, used_at__isnull=True
        ).delete()
    return crm_user


# Checked against when the email is unknown, so that a wrong email and a wrong
# password take the same time (no timing oracle for who works in a CRM).
_DUMMY_PASSWORD_HASH = None


def crm_user_authenticate(*, crm: Crm, email: str, password: str) -> CrmUser | None:
    global _DUMMY_PASSWORD_HASH
    crm_user = (
        CrmUser.objects.for_crm(crm).filter(email__iexact=(email or "").strip()).first()
    )
    # A user linked to an Account has an unusable password, which Django refuses
    # without hashing: it costs the same dummy check, so the time does not tell
    # who enters through the portal.
    if (
        crm_user is None
        or not crm_user.is_active
        or not is_password_usable(crm_user.password)
    ):
        if _DUMMY_PASSWORD_HASH is None:
            _DUMMY_PASSWORD_HASH = make_password("timing-equaliser")
        CrmUser(password=_DUMMY_PASSWORD_HASH).check_password(password or "")
        return None
    if not crm_user.check_password(password or ""):
        return None
    return crm_user


def crm_user_record_login(*, crm_user: CrmUser) -> None:
    crm_user.last_login = timezone.now()
    with transaction.atomic(savepoint=False):  # one commit for both writes
        CrmUser.objects.filter(pk=crm_user.pk).update(last_login=crm_user.last_login)
        audit_record(
            crm=crm_user.crm,
            action=AuditEvent.Action.CRM_USER_LOGGED_IN,
            actor_crm_user=crm_user,
        )


@transaction.atomic
def crm_user_change_own_password(*, crm_user: CrmUser, password: str) -> CrmUser:
    """The user's own change (the form checked the current password). Every other
    session of theirs ends, as the session hash covers the password."""
    crm_user_set_password(crm_user=crm_user, password=password)
    audit_record(
        crm=crm_user.crm,
        action=AuditEvent.Action.CRM_USER_PASSWORD_CHANGED,
        actor_crm_user=crm_user,
    )
    return crm_user
