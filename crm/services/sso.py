"""Enter: the one-time hand-off that lands a portal Account inside a CRM, signed in
as its own CRM user there."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
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


def sso_token_redeem(*, crm: Crm, token: str) -> CrmUser:
    """Take the token (it can never be taken twice) and return the CRM user to sign
    in, or raise ``SsoRefused`` saying why not."""
    token_hash = secret_hash(purpose="sso", value=token)
    now = timezone.now()
    with transaction.atomic():
        claimed = SsoToken.objects.filter(
            token_hash=token_hash, used_at__isnull=True
        ).update(used_at=now)
        handoff = (
            SsoToken.objects.select_related("crm_user")
            .filter(token_hash=token_hash)
            .first()
        )
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
    crm_user = handoff.crm_user
    if not crm_user.is_active:
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
