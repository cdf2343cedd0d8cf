"""A second factor for CRM users: an authenticator app (TOTP), turned on by the
user in My profile and required of everyone by the CRM's owner if they choose.

The codes are allauth's (``allauth.mfa``), the same as the portal's, applied to a
CRM user. A CRM user linked to an Account has no factor of their own: the
Account's, set up in the portal, is theirs."""

from __future__ import annotations

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import get_adapter as mfa_adapter
from allauth.mfa.totp.internal.auth import generate_totp_secret, validate_totp_code
from allauth.mfa.utils import is_mfa_enabled
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.models import AuditEvent, Crm, CrmUser
from crm.services.audit import audit_record


def totp_secret_new() -> str:
    return generate_totp_secret()


def totp_setup_picture(*, crm_user: CrmUser, secret: str) -> str:
    """The QR code an authenticator app scans (SVG), naming the CRM user's email."""
    adapter = mfa_adapter()
    return adapter.build_totp_svg(adapter.build_totp_url(crm_user, secret))


def crm_user_has_second_factor(crm_user: CrmUser) -> bool:
    if crm_user.account_id is not None:
        return is_mfa_enabled(crm_user.account)
    return bool(crm_user.totp_secret)


def totp_code_accepted(*, crm_user: CrmUser, secret: str, code: str) -> bool:
    """The code is right for ``secret`` now and has not been used by this user
    within its time step: a code seen over a shoulder or in a log opens nothing."""
    code = "".join((code or "").split())
    if not code.isdigit() or not validate_totp_code(secret, code):
        return False
    used_key = f"crm.totp.used:{crm_user.pk}:{code}"
    return cache.add(used_key, True, timeout=mfa_settings.TOTP_PERIOD * 3)


def _wrong_code() -> ValidationError:
    return ValidationError(
        {"code": _("This code is not right. Enter the code your app shows now.")}
    )


@transaction.atomic
def crm_user_totp_enable(*, crm_user: CrmUser, secret: str, code: str) -> CrmUser:
    """Turn the authenticator app on once it has shown it works. Every other
    session of the user ends (the session hash covers the secret)."""
    if crm_user.account_id is not None:
        raise ValidationError(
            _(
                "You sign in through your portal account: turn on two-factor "
                "authentication there."
            )
        )
    if not totp_code_accepted(crm_user=crm_user, secret=secret, code=code):
        raise _wrong_code()
    crm_user.totp_secret = secret
    crm_user.save(update_fields=["totp_secret", "updated_at"])
    audit_record(
        crm=crm_user.crm,
        action=AuditEvent.Action.CRM_USER_TWO_FACTOR_ON,
        actor_crm_user=crm_user,
    )
    return crm_user


@transaction.atomic
def crm_user_totp_disable(
    *, crm_user: CrmUser, actor: CrmUser, code: str = ""
) -> CrmUser:
    """The user themselves with a current code, or an administrator for a user
    who lost their phone (they set it up again at their next sign-in if the CRM
    requires it)."""
    if actor.pk == crm_user.pk:
        if crm_user.crm.require_two_factor:
            raise ValidationError(
                _("This CRM requires two-factor authentication: it stays on.")
            )
        if not totp_code_accepted(
            crm_user=crm_user, secret=crm_user.totp_secret, code=code
        ):
            raise _wrong_code()
    elif (
        not actor.is_admin
        or actor.crm_id != crm_user.crm_id
        or (crm_user.role == CrmUser.Role.OWNER and actor.role != CrmUser.Role.OWNER)
    ):
        raise PermissionDenied
    crm_user.totp_secret = ""
    crm_user.save(update_fields=["totp_secret", "updated_at"])
    audit_record(
        crm=crm_user.crm,
        action=AuditEvent.Action.CRM_USER_TWO_FACTOR_OFF,
        actor_crm_user=actor,
        details={"user_id": crm_user.pk, "email": crm_user.email},
    )
    return crm_user


@transaction.atomic
def crm_two_factor_require(*, crm: Crm, actor: CrmUser, required: bool) -> Crm:
    """The owner's choice. Turning it on needs the owner's own second factor
    first, so the owner cannot lock themselves out; everyone else is asked to set
    one up at their next page."""
    if actor.role != CrmUser.Role.OWNER or actor.crm_id != crm.pk:
        raise PermissionDenied
    if required and not crm_user_has_second_factor(actor):
        raise ValidationError(
            _(
                "Turn on two-factor authentication for yourself first, then "
                "require it of everyone."
            )
        )
    crm.require_two_factor = required
    crm.save(update_fields=["require_two_factor", "updated_at"])
    audit_record(
        crm=crm,
        action=AuditEvent.Action.CRM_TWO_FACTOR_REQUIRED,
        actor_crm_user=actor,
        details={"required": required},
    )
    return crm
