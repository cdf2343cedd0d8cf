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
from crm.selectors.crms import crm_get_by_slug
from crm.services.audit import audit_record
from crm.services.secrets import secret_hash, url_token_new


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
    # A token is never stored without its audit record.
    with transaction.atomic():
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


def sso_token_issue_for(*, account: Any, crm_id: int) -> tuple[Crm | None, str | None]:
    """Enter from the portal: the CRM ``crm_id`` (None when the Account has no
    user there) and a fresh token to enter it as the Account's CRM user; no token
    (None) when the CRM is not active or the user is deactivated, for the caller
    to say which."""
    crm_user = (
        CrmUser.objects.select_related("crm")
        .filter(crm_id=crm_id, account=account)
        .first()
    )
    if crm_user is None:
        return None, None
    if not crm_user.crm.is_active or not crm_user.is_active:
        return crm_user.crm, None
    return crm_user.crm, sso_token_issue(crm_user=crm_user, account=account)


def sso_token_redeem_at(*, slug: str, token: str) -> tuple[Crm, CrmUser | None]:
    """Enter's landing at ``/c/<slug>/sso/<token>/``: the CRM at ``slug`` (404 if
    there is none) and the CRM user to sign in there, as ``sso_token_redeem``
    finds them; or ``SsoRefused`` saying why not (its ``crm`` set). A CRM that is
    not active comes back with no user and the token left alone: the caller shows
    why the CRM cannot be used."""
    crm = crm_get_by_slug(slug=slug)
    if not crm.is_active:
        return crm, None
    try:
        return crm, sso_token_redeem(crm=crm, token=token)
    except SsoRefused as refusal:
        refusal.crm = crm
        raise


def sso_token_redeem(*, crm: Crm, token: str) -> CrmUser:
    """Take the token, stamp the CRM user's ``last_login`` and return the CRM user
    to sign in, or raise ``SsoRefused`` saying why not.

    Taking it is one conditional UPDATE (``used_at`` from NULL to now): of two
    concurrent redeems only one changes the row. It commits on its own, so a
    refused token is used up all the same (one shown to the wrong CRM may have
    leaked)."""
    token_hash = secret_hash(purpose="sso", value=token)
    now = timezone.now()
    try_again = _("Go back to the portal and press Enter again.")
    claimed = SsoToken.objects.filter(
        token_hash=token_hash, used_at__isnull=True
    ).update(used_at=now)
    handoff = (
        SsoToken.objects.select_related("crm_user")
        .filter(token_hash=token_hash)
        .first()
    )
    if handoff is None:
        raise SsoRefused(_("This sign-in link is not valid.") + " " + try_again)
    if not claimed:
        raise SsoRefused(
            _("This sign-in link has already been used.") + " " + try_again
        )
    if handoff.crm_id != crm.pk:
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
    crm_user.last_login = now
    crm_user.save(update_fields=["last_login"])
    crm_user.crm = crm
    return crm_user


def sso_tokens_delete_stale(*, older_than: timedelta = timedelta(hours=1)) -> int:
    """Housekeeping: expired hand-off tokens and connection codes are of no further
    use (kept an hour past expiry so a late click still gets an exact message)."""
    cutoff = timezone.now() - older_than
    tokens, _counts = SsoToken.objects.filter(expires_at__lt=cutoff).delete()
    codes, _counts = ConnectionCode.objects.filter(expires_at__lt=cutoff).delete()
    return tokens + codes
