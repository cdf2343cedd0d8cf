"""Deleting records: one, a few, or a hundred thousand.

Every deletion is set-based and chunked: link rows and notes first, then the
records, each chunk in its own short transaction, so a big delete never holds
locks long enough to slow anyone else. Up to ``BULK_INLINE_LIMIT`` records go at
once; more become a Celery job with a progress bar.

The job sizes its chunks by time, not by a fixed count: most of a chunk's cost is
the foreign-key checks PostgreSQL runs at COMMIT for every deleted record, which
vary with the machine's load and the record's links, so a fixed count is either
too small (a commit per few milliseconds of work) or, on a busy machine, too big
for ``CHUNK_TARGET_SECONDS``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from config.celery import enqueue_after_commit
from crm.entities import RECORD_KINDS, record_kind
from crm.models import (
    AuditEvent,
    BulkDeleteJob,
    Crm,
    CrmUser,
)
from crm.rights import scope_of, scope_queryset
from crm.services.audit import audit_record

BULK_INLINE_LIMIT = 2000
# The inline path's chunk, and the job's first one before it knows the pace.
CHUNK_SIZE = 1000
# A job's chunk aims at this long (commit included), well inside the 250 ms that
# any single transaction may take; the bounds keep one odd chunk (a stall of the
# machine, a record with thousands of notes) from swinging the size too far.
CHUNK_TARGET_SECONDS = 0.05
CHUNK_MIN_SIZE = 100
CHUNK_MAX_SIZE = 10_000
CHECK_SLICE = 5000
MAX_RECORD_ID = 2**63 - 1
API_BULK_MAX_IDS = 1000


@dataclass(frozen=True)
class DeleteResult:
    deleted: list[int]
    not_found: list[int]
    job: BulkDeleteJob | None = None


def _where_in(column: str, ids: list[int]) -> tuple[str, list]:
    """``column IN ids`` as one array parameter on PostgreSQL (one plan whatever
    the count), placeholders elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _chunk_statements(
    crm: Crm, entity: str, ids: list[int]
) -> list[tuple[str, str, list]]:
    """What deleting ``ids`` of ``entity`` takes, as (verb, table and condition,
    parameters): links and notes, a company's deals unlinked, then the records."""
    quote = connection.ops.quote_name
    steps = []
    for dependent, column in record_kind(entity).dependents:
        condition, params = _where_in(column, ids)
        steps.append(
            (
                "DELETE FROM",
                f"{quote(dependent._meta.db_table)} WHERE crm_id = %s AND {condition}",
                [crm.pk, *params],
            )
        )
    for pointing, column in record_kind(entity).unlinked:
        condition, params = _where_in(column, ids)
        steps.append(
            (
                "UPDATE",
                f"{quote(pointing._meta.db_table)} SET {quote(column)} = NULL "
                f"WHERE crm_id = %s AND {condition}",
                [crm.pk, *params],
            )
        )
    condition, params = _where_in("id", ids)
    table = quote(record_kind(entity).model._meta.db_table)
    steps.append(
        ("DELETE FROM", f"{table} WHERE crm_id = %s AND {condition}", [crm.pk, *params])
    )
    return steps


def _delete_chunk(
    crm: Crm,
    entity: str,
    ids: list[int],
    *,
    job_id: int | None = None,
    progress: dict[str, int] | None = None,
) -> int:
    """Delete ``ids`` of ``entity`` with their links and notes, in one short
    transaction of plain set-based statements (no ORM collector, which would load
    every row first); returns how many records went. For a job's chunk the job's
    ``progress`` is saved in the same transaction, so it always matches what is
    gone.

    On PostgreSQL the chunk is one statement (data-modifying CTEs), so outside a
    transaction it is its own: one round trip, commit and foreign-key checks
    included. A job has many chunks, and one round trip and one commit each is
    most of what keeps it close to the time of one big delete."""
    steps = _chunk_statements(crm, entity, ids)
    if job_id is not None:
        sets = ", ".join(f"{connection.ops.quote_name(f)} = %s" for f in progress or {})
        steps.insert(
            0,
            (
                "UPDATE",
                f"{connection.ops.quote_name(BulkDeleteJob._meta.db_table)} "
                f"SET {sets} WHERE id = %s",
                [*(progress or {}).values(), job_id],
            ),
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            *before, (verb, target, params) = steps
            ctes = ", ".join(
                f"step_{n} AS ({step_verb} {step_target})"
                for n, (step_verb, step_target, _params) in enumerate(before)
            )
            cursor.execute(
                f"WITH {ctes} {verb} {target}",
                [*(p for _v, _t, step_params in before for p in step_params), *params],
            )
            return cursor.rowcount
        with transaction.atomic():
            for verb, target, params in steps:
                cursor.execute(f"{verb} {target}", params)
            return cursor.rowcount


def _next_chunk_size(size: int, took: float) -> int:
    """The next chunk's size after ``size`` records took ``took`` seconds: scaled
    to ``CHUNK_TARGET_SECONDS``, growing at most twofold a step (one quick chunk
    proves little) but shrinking at once (a slow one is a warning)."""
    wanted = size * 2 if took <= 0 else int(size * CHUNK_TARGET_SECONDS / took)
    return max(CHUNK_MIN_SIZE, min(CHUNK_MAX_SIZE, size * 2, wanted))


def _existing_ids(crm: Crm, entity: str, ids: list[int]) -> list[int]:
    """Which of ``ids`` (sorted, distinct) are records of this CRM (an actor with
    every right needs nothing more).

    On PostgreSQL one statement answers with the ids that are *not* there, as one
    array: usually none, so a hundred thousand ids cost a hundred thousand index
    probes and no rows to send back. Elsewhere, one query per slice."""
    table = connection.ops.quote_name(record_kind(entity).model._meta.db_table)
    # No record has an id outside the 64-bit range; the array cannot hold one.
    ids = [i for i in ids if 0 < i <= MAX_RECORD_ID]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT coalesce(array_agg(wanted.id), '{}') "  # noqa: S608
                "FROM unnest(%s::bigint[]) AS wanted(id) WHERE NOT EXISTS "
                f"(SELECT 1 FROM {table} r WHERE r.id = wanted.id AND r.crm_id = %s)",
                [ids, crm.pk],
            )
            missing = set(cursor.fetchone()[0])
            return [i for i in ids if i not in missing] if missing else list(ids)
        found: list[int] = []
        for start in range(0, len(ids), CHECK_SLICE):
            condition, params = _where_in("id", ids[start : start + CHECK_SLICE])
            cursor.execute(
                f"SELECT id FROM {table} WHERE crm_id = %s AND {condition}",  # noqa: S608
                [crm.pk, *params],
            )
            found.extend(row[0] for row in cursor.fetchall())
    return sorted(found)


def _deletable_ids(crm: Crm, actor: CrmUser, entity: str, ids: list[int]) -> list[int]:
    """Of ``ids``, those the actor can see; refuse outright if any of those they may
    not delete (all or nothing, never a partial delete). Checked in slices, so a
    hundred thousand ids never make one giant query."""
    if scope_of(actor, entity, "view") == scope_of(actor, entity, "delete") == "all":
        return _existing_ids(crm, entity, ids) if actor.is_active else []
    model = record_kind(entity).model
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
    if entity not in RECORD_KINDS:
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
    """The worker's side: chunk after chunk (sized by ``_next_chunk_size``), each
    saving the job's progress in its own transaction; safe to run again after a
    crash (it resumes after the last committed chunk, and ids already deleted
    simply match nothing)."""
    job = BulkDeleteJob.objects.select_related("crm").filter(pk=job_id).first()
    if job is None or job.status == BulkDeleteJob.Status.DONE:
        return job
    BulkDeleteJob.objects.filter(pk=job.pk).update(status=BulkDeleteJob.Status.RUNNING)
    ids = job.ids
    # ``deleted`` counts the ids of committed chunks, in order.
    offset = min(job.deleted, len(ids))
    slowest = job.slowest_chunk_ms
    size = CHUNK_SIZE
    with _commits_not_waiting_for_the_disk():
        while offset < len(ids):
            done = min(offset + size, len(ids))
            started = time.perf_counter()
            _delete_chunk(
                job.crm,
                job.entity,
                ids[offset:done],
                # This chunk's own time is known only after its commit: it is
                # saved with the next chunk, or by the final update.
                job_id=job.pk,
                progress={"deleted": done, "slowest_chunk_ms": slowest},
            )
            took = time.perf_counter() - started
            slowest = max(slowest, int(took * 1000))
            offset = done
            size = _next_chunk_size(size, took)
    # Committed synchronously, which makes every chunk before it durable too.
    BulkDeleteJob.objects.filter(pk=job.pk).update(
        status=BulkDeleteJob.Status.DONE,
        deleted=len(ids),
        slowest_chunk_ms=slowest,
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


@contextmanager
def _commits_not_waiting_for_the_disk() -> Iterator[None]:
    """PostgreSQL's ``synchronous_commit = off`` for this connection meanwhile.

    A job's hundred commits would each wait for the disk, which on a shared
    machine is most of a chunk's time. Without the wait a crash can lose only the
    last few chunks' commits, their progress with them (it is in the same
    transaction), so the rerun simply deletes those again. The setting is
    restored before the job is marked done."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def record_delete(*, crm: Crm, actor: CrmUser, entity: str, record_id: Any) -> None:
    """One record from its card; 404 if it is not there (or not visible)."""
    result = records_delete(crm=crm, actor=actor, entity=entity, ids=[record_id])
    if not result.deleted:
        raise Http404
