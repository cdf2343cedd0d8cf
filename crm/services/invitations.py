"""Inviting a user by email: they set their own password through a one-time link."""

from __future__ import annotations

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.celery import enqueue_after_commit
from crm.models import AuditEvent, Crm, CrmUser, CrmUserInvitation
from crm.services.audit import audit_record
from crm.services.secrets import secret_hash, url_token_new

INVITATION_TTL = timedelta(days=7)


def crm_invitation_refusal(*, crm: Crm) -> str | None:
    """Why this CRM may not email invitations, or None. An invitation carries the
    CRM's name, which anyone who signs up can choose ("Account suspended - verify
    at ..."): only a CRM whose owner has confirmed their own address sends them, so
    mail of ours is not phishing from a throwaway Account."""
    confirmed = EmailAddress.objects.filter(
        user_id=crm.owner_id, primary=True, verified=True
    ).exists()
    if confirmed:
        return None
    return _(
        "Confirm your email address first: this CRM sends invitations once its "
        "owner has confirmed their email address in the portal. Until then, give "
        "the new user a password instead."
    )


def crm_user_invite(*, crm_user: CrmUser, invited_by: CrmUser | None) -> str:
    """A fresh invitation link for ``crm_user`` (earlier ones stop working); the
    email goes out after commit. How many go out is limited by the door (per CRM
    and per address), as only it knows the request."""
    from crm.tasks import send_invitation_email  # tasks import services

    refusal = crm_invitation_refusal(crm=crm_user.crm)
    if refusal:
        raise ValidationError(refusal)

    CrmUserInvitation.objects.for_crm(crm_user.crm_id).filter(
        crm_user=crm_user
    ).delete()
    token = url_token_new()
    CrmUserInvitation.objects.create(
        crm_id=crm_user.crm_id,
        crm_user=crm_user,
        token_hash=secret_hash(purpose="invite", value=token),
        expires_at=timezone.now() + INVITATION_TTL,
    )
    link = settings.SITE_URL + reverse(
        "crm:invitation", kwargs={"slug": crm_user.crm.slug, "token": token}
    )
    inviter = invited_by.name if invited_by else crm_user.crm.name
    enqueue_after_commit(send_invitation_email, crm_user.pk, link, inviter)
    return link


def crm_send_invitation_email(*, crm_user: CrmUser, link: str, inviter: str) -> None:
    context = {
        "crm_user": crm_user,
        "crm": crm_user.crm,
        "link": link,
        "inviter": inviter,
    }
    with translation.override(crm_user.email_language):
        subject = render_to_string("emails/invitation_subject.txt", context).strip()
        body = render_to_string("emails/invitation_body.txt", context)
    send_mail(subject, body, None, [crm_user.email])


def crm_invitation_get(*, crm: Crm, token: str) -> CrmUserInvitation:
    invitation = (
        CrmUserInvitation.objects.for_crm(crm)
        .select_related("crm_user")
        .filter(token_hash=secret_hash(purpose="invite", value=token))
        .first()
    )
    if (
        invitation is None
        or invitation.used_at is not None
        or invitation.expires_at <= timezone.now()
        or not invitation.crm_user.is_active
    ):
        raise ValidationError(
            _(
                "This invitation link is not valid any more. Ask your administrator "
                "to send a new one."
            )
        )
    return invitation


def _invitation_claim(*, crm: Crm, token: str) -> CrmUserInvitation:
    """The invitation, used up now: of two acceptances racing, one wins."""
    invitation = crm_invitation_get(crm=crm, token=token)
    claimed = CrmUserInvitation.objects.filter(
        pk=invitation.pk, used_at__isnull=True
    ).update(used_at=timezone.now())
    if not claimed:
        raise ValidationError(_("This invitation link has already been used."))
    return invitation


@transaction.atomic
def crm_invitation_accept_as_account(*, crm: Crm, token: str, account) -> CrmUser:
    """A person signed in to their Account accepts: the invited user becomes
    theirs, with their name, enters through the portal (no password of the CRM)
    and is in their list of CRMs at once."""
    if CrmUser.objects.for_crm(crm).filter(account=account).exists():
        raise ValidationError(
            _(
                "Your account already has a user in %(crm)s: enter it from your "
                "list of CRMs."
            )
            % {"crm": crm.name}
        )
    invitation = _invitation_claim(crm=crm, token=token)
    crm_user = invitation.crm_user
    crm_user.account = account
    crm_user.set_password(None)
    if account.name:
        crm_user.name = account.name
    crm_user.save(update_fields=["account", "password", "name", "updated_at"])
    audit_record(
        crm=crm,
        action=AuditEvent.Action.CRM_CONNECTED,
        actor_account=account,
        actor_crm_user=crm_user,
        details={"via": "invitation"},
    )
    return crm_user


@transaction.atomic
def crm_invitation_accept(*, crm: Crm, token: str, password: str) -> CrmUser:
    invitation = _invitation_claim(crm=crm, token=token)
    crm_user = invitation.crm_user
    try:
        validate_password(password, user=crm_user)
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from error
    crm_user.set_password(password)
    crm_user.save(update_fields=["password", "updated_at"])
    audit_record(
        crm=crm,
        action=AuditEvent.Action.CRM_USER_PASSWORD_CHANGED,
        actor_crm_user=crm_user,
        details={"via": "invitation"},
    )
    return crm_user
