"""Deleting records: one, a few, or a hundred thousand.

Every deletion is set-based and chunked: link rows and notes first, then the
records, each chunk in its own short transaction, so a big delete never holds
locks long enough to slow anyone else. Up to ``BULK_INLINE_LIMIT`` records go at
once; more become a Celery job with a progress bar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from config.celery import enqueue_after_commit
from crm.models import (
    AuditEvent,
    BulkDeleteJob,
    ContactCompany,
    Crm,
    CrmUser,
    Deal,
    DealContact,
    Note,
)
from crm.rights import scope_queryset
from crm.services.audit import audit_record
from crm.services.records import ENTITY_MODELS

BULK_INLINE_LIMIT = 2000
CHUNK_SIZE = 1000
API_BULK_MAX_IDS = 1000


@dataclass(frozen=True)
class DeleteResult:
    deleted: list[int]
    not_found: list[int]
    job: BulkDeleteJob | None = None


def _delete_chunk(crm: Crm, entity: str, ids: list[int]) -> int:
    """Delete ``ids`` of ``entity`` with their links and notes, in one short
    transaction; returns how many records went."""
    model = ENTITY_MODELS[entity]
    with transaction.atomic():
        if entity == "contact":
            ContactCompany.objects.for_crm(crm).filter(contact_id__in=ids).delete()
            DealContact.objects.for_crm(crm).filter(contact_id__in=ids).delete()
            Note.objects.for_crm(crm).filter(contact_id__in=ids).delete()
        elif entity == "company":
            ContactCompany.objects.for_crm(crm).filter(company_id__in=ids).delete()
            Deal.objects.for_crm(crm).filter(company_id__in=ids).update(company=None)
            Note.objects.for_crm(crm).filter(company_id__in=ids).delete()
        else:
            DealContact.objects.for_crm(crm).filter(deal_id__in=ids).delete()
            Note.objects.for_crm(crm).filter(deal_id__in=ids).delete()
        _total, by_model = model.objects.for_crm(crm).filter(pk__in=ids).delete()
    return by_model.get(model._meta.label, 0)


def _deletable_ids(crm: Crm, actor: CrmUser, entity: str, ids: list[int]) -> list[int]:
    """Of ``ids``, those the actor can see; refuse outright if any of those they may
    not delete (all or nothing, never a partial delete)."""
    model = ENTITY_MODELS[entity]
    visible = scope_queryset(actor, entity, "view", model.objects.for_crm(crm))
    found = list(visible.filter(pk__in=ids).values_list("pk", flat=True))
    deletable = scope_queryset(actor, entity, "delete", model.objects.for_crm(crm))
    allowed = set(deletable.filter(pk__in=found).values_list("pk", flat=True))
    if len(allowed) != len(found):
        raise PermissionDenied(
            _("Your rights do not allow deleting %(count)d of these records.")
            % {"count": len(found) - len(allowed)}
        )
    return sorted(found)


def records_delete(
    *,
    crm: Crm,
    actor: CrmUser,
    entity: str,
    ids: list[Any],
    description: str = "",
) -> DeleteResult:
    """Delete the records ``ids`` (of this CRM, visible to the actor). Ids that do
    not exist here are reported back as not found. Past ``BULK_INLINE_LIMIT`` the
    work goes to a job, returned in the result."""
    if entity not in ENTITY_MODELS:
        raise ValidationError(_("Unknown kind of record."))
    try:
        wanted = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        raise ValidationError(_("Ids must be whole numbers.")) from None
    found = _deletable_ids(crm, actor, entity, wanted)
    not_found = sorted(set(wanted) - set(found))
    details = {"entity": entity, "count": len(found), "filter": description[:500]}
    if len(found) > BULK_INLINE_LIMIT:
        job = BulkDeleteJob.objects.create(
            crm=crm,
            entity=entity,
            requested_by=actor,
            description=description[:500],
            ids=found,
            total=len(found),
        )
        audit_record(
            crm=crm,
            action=AuditEvent.Action.RECORDS_DELETED,
            actor_crm_user=actor,
            details={**details, "job_id": job.pk},
        )
        from crm.tasks import run_bulk_delete  # tasks import services

        enqueue_after_commit(run_bulk_delete, job.pk)
        return DeleteResult(deleted=[], not_found=not_found, job=job)
    for start in range(0, len(found), CHUNK_SIZE):
        _delete_chunk(crm, entity, found[start : start + CHUNK_SIZE])
    if found:
        audit_record(
            crm=crm,
            action=AuditEvent.Action.RECORDS_DELETED,
            actor_crm_user=actor,
            details=details,
        )
    return DeleteResult(deleted=found, not_found=not_found)


def bulk_delete_job_run(*, job_id: int) -> BulkDeleteJob | None:
    """The worker's side: chunk after chunk, progress saved after each, safe to run
    again after a crash (already deleted ids simply match nothing)."""
    job = BulkDeleteJob.objects.select_related("crm").filter(pk=job_id).first()
    if job is None or job.status == BulkDeleteJob.Status.DONE:
        return job
    BulkDeleteJob.objects.filter(pk=job.pk).update(status=BulkDeleteJob.Status.RUNNING)
    ids = job.ids
    # Resume where a previous run stopped: ``deleted`` counts finished chunks.
    start = (job.deleted // CHUNK_SIZE) * CHUNK_SIZE
    for offset in range(start, len(ids), CHUNK_SIZE):
        _delete_chunk(job.crm, job.entity, ids[offset : offset + CHUNK_SIZE])
        done = min(offset + CHUNK_SIZE, len(ids))
        BulkDeleteJob.objects.filter(pk=job.pk).update(deleted=done)
    BulkDeleteJob.objects.filter(pk=job.pk).update(
        status=BulkDeleteJob.Status.DONE, deleted=len(ids), finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def record_delete(*, crm: Crm, actor: CrmUser, entity: str, record_id: Any) -> None:
    """One record from its card; 404 if it is not there (or not visible)."""
    result = records_delete(crm=crm, actor=actor, entity=entity, ids=[record_id])
    if not result.deleted:
        raise Http404
