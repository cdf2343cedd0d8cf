"""A CRM's end: scheduled by its owner, a grace period that can be cancelled, then a
purge claimed by beat. Every state change is a compare-and-set on ``status``, so a
cancel and a claim racing each other never both win."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.celery import enqueue_after_commit
from crm.models import AuditEvent, Crm
from crm.services.audit import audit_record

PURGE_STALL_AFTER = timedelta(minutes=5)


def _owned(crm: Crm, account: Any) -> None:
    if crm.owner_id != account.pk:
        raise PermissionDenied(_("Only the owner of a CRM can delete it."))


@transaction.atomic
def crm_schedule_deletion(*, crm: Crm, account: Any, typed_name: str) -> Crm:
    """Owner only, with the CRM's name typed (the door has just asked the owner to
    sign in again, with their second factor if they have one): the CRM
    locks now (logins, Enter, the API and open sessions are refused) and is purged
    after the grace period unless the owner cancels."""
    _owned(crm, account)
    if " ".join((typed_name or "").split()).casefold() != crm.name.casefold():
        raise ValidationError(
            {"typed_name": _("Type the CRM's name exactly as shown to confirm.")}
        )
    now = timezone.now()
    due = now + timedelta(days=settings.CRM_DELETION_GRACE_DAYS)
    scheduled = Crm.objects.filter(pk=crm.pk, status=Crm.Status.ACTIVE).update(
        status=Crm.Status.PENDING_DELETION,
        deletion_due_at=due,
        deletion_requested_by=account,
        deletion_reminder_sent_at=None,
        updated_at=now,
    )
    if not scheduled:
        raise ValidationError(_("Only an active CRM can be scheduled for deletion."))
    crm.refresh_from_db()
    audit_record(
        crm=crm,
        action=AuditEvent.Action.CRM_DELETION_SCHEDULED,
        actor_account=account,
        details={"due_at": due.isoformat()},
    )
    from crm.tasks import send_deletion_email  # tasks import services

    enqueue_after_commit(send_deletion_email, crm.pk, "scheduled")
    return crm


@transaction.atomic
def crm_cancel_deletion(*, crm: Crm, account: Any) -> Crm:
    """Back to ``active`` exactly as it was, unless a purge has already claimed it."""
    _owned(crm, account)
    restored = Crm.objects.filter(pk=crm.pk, status=Crm.Status.PENDING_DELETION).update(
        status=Crm.Status.ACTIVE,
        deletion_due_at=None,
        deletion_requested_by=None,
        deletion_reminder_sent_at=None,
        updated_at=timezone.now(),
    )
    if not restored:
        current = Crm.objects.filter(pk=crm.pk).values_list("status", flat=True).first()
        if current == Crm.Status.PURGING or current is None:
            raise ValidationError(
                _("The deletion of %(crm)s has already started and cannot be stopped.")
                % {"crm": crm.name}
            )
        raise ValidationError(
            _("%(crm)s is not scheduled for deletion.") % {"crm": crm.name}
        )
    crm.refresh_from_db()
    audit_record(
        crm=crm, action=AuditEvent.Action.CRM_DELETION_CANCELLED, actor_account=account
    )
    return crm


def crm_claim_due_purges(*, limit: int = 50) -> list[int]:
    """Beat: move due CRMs to ``purging`` one compare-and-set each, then send their
    purges. A CRM cancelled a moment before is ``active`` again and is simply not
    claimed."""
    now = timezone.now()
    due = list(
        Crm.objects.filter(status=Crm.Status.PENDING_DELETION, deletion_due_at__lte=now)
        .order_by("deletion_due_at")
        .values_list("pk", flat=True)[:limit]
    )
    claimed = []
    from crm.tasks import purge_crm

    for crm_id in due:
        with transaction.atomic():
            won = Crm.objects.filter(
                pk=crm_id,
                status=Crm.Status.PENDING_DELETION,
                deletion_due_at__lte=now,
            ).update(status=Crm.Status.PURGING, purge_heartbeat_at=now, updated_at=now)
            if won:
                claimed.append(crm_id)
                enqueue_after_commit(purge_crm, crm_id)
    return claimed


def crm_requeue_stalled_purges() -> list[int]:
    """Watchdog: a purge whose heartbeat stopped (its worker was killed) goes again."""
    from crm.tasks import purge_crm

    cutoff = timezone.now() - PURGE_STALL_AFTER
    stalled = list(
        Crm.objects.filter(
            status=Crm.Status.PURGING, purge_heartbeat_at__lt=cutoff
        ).values_list("pk", flat=True)[:50]
    )
    for crm_id in stalled:
        Crm.objects.filter(pk=crm_id).update(purge_heartbeat_at=timezone.now())
        purge_crm.delay(crm_id)
    return stalled


def crm_send_deletion_reminders() -> list[int]:
    """A day before the purge, remind the owner once."""
    from crm.tasks import send_deletion_email

    now = timezone.now()
    soon = list(
        Crm.objects.filter(
            status=Crm.Status.PENDING_DELETION,
            deletion_due_at__lte=now + timedelta(hours=24),
            deletion_reminder_sent_at__isnull=True,
        ).values_list("pk", flat=True)[:500]
    )
    for crm_id in soon:
        # The mark and the e-mail's outbox row together: neither without the other.
        with transaction.atomic():
            marked = Crm.objects.filter(
                pk=crm_id, deletion_reminder_sent_at__isnull=True
            ).update(deletion_reminder_sent_at=now)
            if marked:
                enqueue_after_commit(send_deletion_email, crm_id, "reminder")
    return soon


def crm_send_deletion_email(*, crm: Crm, kind: str) -> None:
    """``scheduled`` (with the date and the way to cancel) or ``reminder``."""
    context = {
        "crm": crm,
        "portal_link": settings.SITE_URL + reverse("portal:crm_list"),
        "grace_days": settings.CRM_DELETION_GRACE_DAYS,
    }
    # To the owner's Account, in the language it chose for the portal.
    with translation.override(crm.owner.email_language):
        subject = render_to_string(
            f"emails/deletion_{kind}_subject.txt", context
        ).strip()
        body = render_to_string(f"emails/deletion_{kind}_body.txt", context)
    send_mail(subject, body, None, [crm.owner.email])


def crm_send_purged_email(*, name: str, email: str, language: str = "") -> None:
    """``language``: the owner's Account's, read before its CRM was gone."""
    context = {"name": name}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string("emails/deletion_done_subject.txt", context).strip()
        body = render_to_string("emails/deletion_done_body.txt", context)
    send_mail(subject, body, None, [email])
