"""Deleting records: one, a few, or a hundred thousand.

Every deletion is set-based and chunked: link rows and notes first, then the
records, each chunk in its own short transaction, so a big delete never holds
locks long enough to slow anyone else. Up to ``BULK_INLINE_LIMIT`` records go at
once; more become a Celery job with a progress bar."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
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
from crm.rights import scope_of, scope_queryset
from crm.services.audit import audit_record
from crm.services.records import ENTITY_MODELS

BULK_INLINE_LIMIT = 2000
CHUNK_SIZE = 1000
CHECK_SLICE = 5000
API_BULK_MAX_IDS = 1000


@dataclass(frozen=True)
class DeleteResult:
    deleted: list[int]
    not_found: list[int]
    job: BulkDeleteJob | None = None


# What goes with a record, per kind: (table model, column naming the record).
_DEPENDENTS = {
    "contact": ((ContactCompany, "contact_id"), (DealContact, "contact_id"),
                (Note, "contact_id")),
    "company": ((ContactCompany, "company_id"), (Note, "company_id")),
    "deal": ((DealContact, "deal_id"), (Note, "deal_id")),
}  # fmt: skip


def _where_in(column: str, ids: list[int]) -> tuple[str, list]:
    """``column IN ids`` as one array parameter on PostgreSQL (one plan whatever
    the count), placeholders elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _delete_chunk(crm: Crm, entity: str, ids: list[int]) -> int:
    """Delete ``ids`` of ``entity`` with their links and notes, in one short
    transaction of plain set-based statements (no ORM collector, which would load
    every row first); returns how many records went."""
    model = ENTITY_MODELS[entity]
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for dependent, column in _DEPENDENTS[entity]:
            condition, params = _where_in(column, ids)
            cursor.execute(
                f"DELETE FROM {quote(dependent._meta.db_table)} "  # noqa: S608
                f"WHERE crm_id = %s AND {condition}",
                [crm.pk, *params],
            )
        if entity == "company":
            condition, params = _where_in("company_id", ids)
            cursor.execute(
                f"UPDATE {quote(Deal._meta.db_table)} SET company_id = NULL "  # noqa: S608
                f"WHERE crm_id = %s AND {condition}",
                [crm.pk, *params],
            )
        condition, params = _where_in("id", ids)
        cursor.execute(
            f"DELETE FROM {quote(model._meta.db_table)} "  # noqa: S608
            f"WHERE crm_id = %s AND {condition}",
            [crm.pk, *params],
        )
        return cursor.rowcount


def _existing_ids(crm: Crm, entity: str, ids: list[int]) -> list[int]:
    """Which of ``ids`` are records of this CRM: one array-parameter query per slice
    (an actor with every right needs nothing more)."""
    table = connection.ops.quote_name(ENTITY_MODELS[entity]._meta.db_table)
    found: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(ids), CHECK_SLICE):
            condition, params = _where_in("id", ids[start : start + CHECK_SLICE])
            cursor.execute(
                f"SELECT id FROM {table} WHERE crm_id = %s AND {condition}",  # noqa: S608
                [crm.pk, *params],
            )
            found.extend(row[0] for row in cursor.fetchall())
    return found


def _deletable_ids(crm: Crm, actor: CrmUser, entity: str, ids: list[int]) -> list[int]:
    """Of ``ids``, those the actor can see; refuse outright if any of those they may
    not delete (all or nothing, never a partial delete). Checked in slices, so a
    hundred thousand ids never make one giant query."""
    if scope_of(actor, entity, "view") == scope_of(actor, entity, "delete") == "all":
        return sorted(_existing_ids(crm, entity, ids) if actor.is_active else [])
    model = ENTITY_MODELS[entity]
    records = model.objects.for_crm(crm)
    visible = scope_queryset(actor, entity, "view", records)
    deletable = scope_queryset(actor, entity, "delete", records)
    found: list[int] = []
    refused = 0
    for start in range(0, len(ids), CHECK_SLICE):
        seen = list(
            visible.filter(pk__in=ids[start : start + CHECK_SLICE]).values_list(
                "pk", flat=True
            )
        )
        found.extend(seen)
        if seen:
            refused += len(seen) - deletable.filter(pk__in=seen).count()
    if refused:
        raise PermissionDenied(
            _("Your rights do not allow deleting %(count)d of these records.")
            % {"count": refused}
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
    slowest = job.slowest_chunk_ms
    for offset in range(start, len(ids), CHUNK_SIZE):
        started = time.perf_counter()
        _delete_chunk(job.crm, job.entity, ids[offset : offset + CHUNK_SIZE])
        slowest = max(slowest, int((time.perf_counter() - started) * 1000))
        done = min(offset + CHUNK_SIZE, len(ids))
        BulkDeleteJob.objects.filter(pk=job.pk).update(
            deleted=done, slowest_chunk_ms=slowest
        )
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
