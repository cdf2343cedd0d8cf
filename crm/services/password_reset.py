"""Recovering a CRM user's password: a single-use, expiring link emailed on request
from the CRM's login page or sent by an administrator, and an administrator setting
a new password directly.

A reset link belongs to one CRM: it is looked up, and works, in that CRM only."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.celery import enqueue_after_commit
from crm.models import AuditEvent, Crm, CrmUser, PasswordResetToken
from crm.selectors.users import crm_user_find_by_email
from crm.services.access import crm_user_set_password, linked_user_password_refusal
from crm.services.audit import audit_record
from crm.services.secrets import secret_hash, url_token_new

PASSWORD_RESET_TTL = timedelta(hours=1)
_PURPOSE = "password_reset"


class PasswordResetLinkInvalid(Exception):
    """The link cannot be used (unknown, used, expired, or its user deactivated);
    ``message`` tells the person why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def password_reset_ttl_minutes() -> int:
    return int(PASSWORD_RESET_TTL.total_seconds() // 60)


def crm_password_reset_request(*, crm: Crm, email: str) -> None:
    """ "Forgot password?" on ``crm``'s login page. A link goes to the active user
    of THIS CRM with that email, if there is one; otherwise nothing happens. It
    returns the same either way, so the page cannot tell who works here."""
    crm_user = crm_user_find_by_email(crm=crm, email=email or "")
    # A user linked to an Account has no CRM password to reset: the portal resets
    # the Account's (the login page says so to everyone, revealing no one).
    if crm_user is None or not crm_user.is_active or crm_user.account_id is not None:
        return
    crm_user.crm = crm
    crm_password_reset_issue(crm_user=crm_user, sent_by=None)


@transaction.atomic
def crm_password_reset_issue(*, crm_user: CrmUser, sent_by: CrmUser | None) -> str:
    """A fresh reset link for ``crm_user``; the links sent before stop working.
    The email goes out after commit. ``sent_by``: the administrator who sent it,
    None when the user asked for it on the login page."""
    from crm.tasks import send_password_reset_email  # tasks import services

    # At most one row per user: the earlier link, used or not, has no further use.
    PasswordResetToken.objects.for_crm(crm_user.crm_id).filter(
        crm_user=crm_user
    ).delete()
    token = url_token_new()
    PasswordResetToken.objects.create(
        crm_id=crm_user.crm_id,
        crm_user=crm_user,
        token_hash=secret_hash(purpose=_PURPOSE, value=token),
        expires_at=timezone.now() + PASSWORD_RESET_TTL,
    )
    audit_record(
        crm=crm_user.crm,
        action=AuditEvent.Action.CRM_USER_PASSWORD_RESET_SENT,
        actor_crm_user=sent_by,
        details={
            "crm_user_id": crm_user.pk,
            "name": crm_user.name,
            "via": "administrator" if sent_by else "login page",
        },
    )
    link = settings.SITE_URL + reverse(
        "crm:password_reset", kwargs={"slug": crm_user.crm.slug, "token": token}
    )
    enqueue_after_commit(
        send_password_reset_email, crm_user.pk, link, sent_by.name if sent_by else ""
    )
    return link


def crm_send_password_reset_email(
    *, crm_user: CrmUser, link: str, sent_by: str = ""
) -> None:
    """The link, in the language of the CRM user's emails."""
    context = {
        "crm_user": crm_user,
        "crm": crm_user.crm,
        "link": link,
        "sent_by": sent_by,
        "minutes": password_reset_ttl_minutes(),
    }
    with translation.override(crm_user.email_language):
        subject = render_to_string(
            "emails/crm_password_reset_subject.txt", context
        ).strip()
        body = render_to_string("emails/crm_password_reset_body.txt", context)
    send_mail(subject, body, None, [crm_user.email])


def crm_password_reset_get(*, crm: Crm, token: str) -> PasswordResetToken:
    """The reset of ``crm`` that ``token`` opens, with its CRM user; or
    ``PasswordResetLinkInvalid`` saying why it cannot be used."""
    reset = (
        PasswordResetToken.objects.for_crm(crm)
        .select_related("crm_user")
        .filter(token_hash=secret_hash(purpose=_PURPOSE, value=token or ""))
        .first()
    )
    ask_again = _("Ask for a new link on the sign-in page.")
    if reset is None:
        raise PasswordResetLinkInvalid(
            _("This password reset link is not valid.") + " " + ask_again
        )
    if reset.used_at is not None:
        raise PasswordResetLinkInvalid(
            _("This password reset link has already been used.") + " " + ask_again
        )
    if reset.expires_at <= timezone.now():
        raise PasswordResetLinkInvalid(
            _("This password reset link has expired.") + " " + ask_again
        )
    if not reset.crm_user.is_active:
        raise PasswordResetLinkInvalid(
            _("Your user in this CRM has been deactivated. Ask its administrator.")
        )
    if reset.crm_user.account_id is not None:
        raise PasswordResetLinkInvalid(linked_user_password_refusal())
    reset.crm_user.crm = crm
    return reset


@transaction.atomic
def crm_password_reset_redeem(*, crm: Crm, token: str, password: str) -> CrmUser:
    """Set the new password through the link, once.

    Taking the link is one conditional UPDATE (``used_at`` from NULL to now, while
    unexpired): of two concurrent redeems only one changes the row, the other
    waits for it and then finds it used. A password the validators refuse raises
    ``ValidationError`` and rolls the taking back, so the link still works."""
    reset = crm_password_reset_get(crm=crm, token=token)
    crm_user = reset.crm_user
    try:
        validate_password(password, user=crm_user)
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from error
    now = timezone.now()
    claimed = PasswordResetToken.objects.filter(
        pk=reset.pk, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not claimed:
        # Taken (or expired) since it was read: say which, as a fresh read would.
        crm_password_reset_get(crm=crm, token=token)
        raise PasswordResetLinkInvalid(
            _("This password reset link has already been used.")
            + " "
            + _("Ask for a new link on the sign-in page.")
        )
    crm_user_set_password(crm_user=crm_user, password=password)
    audit_record(
        crm=crm,
        action=AuditEvent.Action.CRM_USER_PASSWORD_RESET,
        actor_crm_user=crm_user,
        details={"crm_user_id": crm_user.pk, "name": crm_user.name},
    )
    return crm_user


def crm_user_password_refusal(*, actor: CrmUser, target: CrmUser) -> str | None:
    """Why ``actor`` may not send ``target`` a reset link or set their password
    (None when they may): the owner and administrators may, for anyone but the
    owner, whose password only the owner manages; and no one for a user linked to
    an Account, who has no CRM password (the Account's is theirs)."""
    if not actor.is_admin or actor.crm_id != target.crm_id:
        return _("Only the owner and administrators can manage passwords.")
    if target.role == CrmUser.Role.OWNER and actor.pk != target.pk:
        return _("Only the owner can reset the owner's password.")
    if target.account_id is not None:
        return _(
            "%(name)s signs in through their portal account, so they have no "
            "password in this CRM: they change or reset their account's password "
            "in the portal."
        ) % {"name": target.name}
    return None


def _target_for(*, crm: Crm, crm_user_id: int, actor: CrmUser) -> CrmUser:
    target = (
        CrmUser.objects.for_crm(crm).select_for_update().filter(pk=crm_user_id).first()
    )
    if target is None:
        raise Http404("No such user in this CRM.")
    refusal = crm_user_password_refusal(actor=actor, target=target)
    if refusal:
        raise PermissionDenied(refusal)
    target.crm = crm
    return target


@transaction.atomic
def crm_password_reset_send(*, crm: Crm, crm_user_id: int, actor: CrmUser) -> CrmUser:
    """An administrator emails a user of ``crm`` a reset link. Their password keeps
    working until the link is used."""
    target = _target_for(crm=crm, crm_user_id=crm_user_id, actor=actor)
    if not target.is_active:
        raise ValidationError(
            _("%(name)s is deactivated: reactivate them first.") % {"name": target.name}
        )
    crm_password_reset_issue(crm_user=target, sent_by=actor)
    return target


@transaction.atomic
def crm_user_password_set_by_admin(
    *, crm: Crm, crm_user_id: int, actor: CrmUser, password: str
) -> CrmUser:
    """An administrator sets a user's new password, to pass on to them. Every CRM
    session of the user ends. One's own password is changed in My profile, which
    asks for the current one."""
    target = _target_for(crm=crm, crm_user_id=crm_user_id, actor=actor)
    if target.pk == actor.pk:
        raise ValidationError(
            _("Change your own password in My profile: it asks for the current one.")
        )
    try:
        validate_password(password, user=target)
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from error
    crm_user_set_password(crm_user=target, password=password)
    audit_record(
        crm=crm,
        action=AuditEvent.Action.CRM_USER_PASSWORD_SET,
        actor_crm_user=actor,
        details={"crm_user_id": target.pk, "name": target.name},
    )
    return target
