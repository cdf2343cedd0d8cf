"""Celery doors into crm services: take ids, load, call one service, safe to rerun."""

from celery import shared_task

from crm.models import Crm, CrmUser
from crm.purge import crm_purge
from crm.selectors.crms import crm_ids_stuck_provisioning
from crm.selectors.users import account_language, crm_user_memberships_by_email
from crm.services.crm_deletion import (
    crm_claim_due_purges,
    crm_requeue_stalled_purges,
    crm_send_deletion_email,
    crm_send_deletion_reminders,
    crm_send_purged_email,
)
from crm.services.crms import (
    crm_provision,
    crm_send_memberships_email,
    crm_send_ready_email,
)
from crm.services.export import crm_export_build
from crm.services.imports import record_import_run, record_import_undo_run
from crm.services.invitations import crm_send_invitation_email
from crm.services.password_reset import crm_send_password_reset_email
from crm.services.record_deletion import bulk_delete_job_run
from crm.services.sso import sso_tokens_delete_stale


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5
)
def provision_crm(crm_id: int) -> None:
    crm_provision(crm_id=crm_id)


@shared_task
def requeue_stuck_provisioning() -> int:
    crm_ids = crm_ids_stuck_provisioning()
    for crm_id in crm_ids:
        provision_crm.delay(crm_id)
    return len(crm_ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_crm_ready_email(crm_id: int) -> None:
    crm = Crm.objects.select_related("owner").filter(pk=crm_id).first()
    if crm is not None and crm.is_active:
        crm_send_ready_email(crm=crm)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_memberships_email(email: str, language: str = "") -> None:
    memberships = list(crm_user_memberships_by_email(email=email))
    if memberships:
        crm_send_memberships_email(
            email=email, memberships=memberships, language=language
        )


@shared_task
def delete_stale_sso_tokens() -> int:
    return sso_tokens_delete_stale()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation_email(crm_user_id: int, link: str, inviter: str) -> None:
    crm_user = CrmUser.objects.select_related("crm").filter(pk=crm_user_id).first()
    if crm_user is not None and crm_user.is_active:
        crm_send_invitation_email(crm_user=crm_user, link=link, inviter=inviter)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_password_reset_email(crm_user_id: int, link: str, sent_by: str = "") -> None:
    crm_user = CrmUser.objects.select_related("crm").filter(pk=crm_user_id).first()
    # A user deactivated since cannot use the link: no email to mislead them.
    if crm_user is not None and crm_user.is_active and crm_user.crm.is_active:
        crm_send_password_reset_email(crm_user=crm_user, link=link, sent_by=sent_by)


# outbox_own_transactions: commits its progress chunk by chunk, so the outbox runs
# it outside its row lock; a rerun resumes after the last committed chunk.
@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    outbox_own_transactions=True,
)
def run_bulk_delete(job_id: int) -> None:
    bulk_delete_job_run(job_id=job_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_deletion_email(crm_id: int, kind: str) -> None:
    crm = Crm.objects.select_related("owner").filter(pk=crm_id).first()
    if crm is not None and crm.status == Crm.Status.PENDING_DELETION:
        crm_send_deletion_email(crm=crm, kind=kind)


# The owner's e-mail is asked for with the tombstone, in its transaction: a rerun
# of a finished purge finds the tombstone and sends nothing more.
@shared_task(acks_late=True, outbox_own_transactions=True)
def purge_crm(crm_id: int) -> None:
    crm_purge(crm_id=crm_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_purged_email(name: str, email: str, owner_id: int | None = None) -> None:
    language = account_language(account_id=owner_id) if owner_id else ""
    crm_send_purged_email(name=name, email=email, language=language)


@shared_task
def claim_due_purges() -> int:
    return len(crm_claim_due_purges())


@shared_task
def requeue_stalled_purges() -> int:
    return len(crm_requeue_stalled_purges())


@shared_task
def send_deletion_reminders() -> int:
    return len(crm_send_deletion_reminders())


@shared_task(acks_late=True, outbox_own_transactions=True)
def build_export(export_id: int) -> None:
    crm_export_build(export_id=export_id)


@shared_task(acks_late=True)
def run_import(import_id: int) -> None:
    record_import_run(import_id=import_id)


@shared_task(acks_late=True)
def undo_import(import_id: int) -> None:
    record_import_undo_run(import_id=import_id)
