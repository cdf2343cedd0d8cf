"""Purging a CRM: every row of every CRM-owned table, children first, in short
chunked transactions, then a tombstone.

``PURGE_ORDER`` is the registry of CRM-owned models. A model that references
another CRM-owned model comes before it, so no chunk ever breaks a foreign key and
no ORM cascade or signal is needed. ``tests/crm/test_tenancy_meta.py`` fails if a
CRM-owned model is missing here or out of order."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from crm.models import (
    ApiKey,
    AuditEvent,
    BulkDeleteJob,
    Company,
    ConnectionCode,
    Contact,
    ContactCompany,
    Crm,
    CrmExport,
    CrmGroup,
    CrmTombstone,
    CrmUser,
    CrmUserInvitation,
    CustomField,
    Deal,
    DealContact,
    Note,
    Pipeline,
    PipelineStatus,
    SsoToken,
    Task,
)

PURGE_ORDER: tuple[type[Model], ...] = (
    SsoToken,
    ConnectionCode,
    CrmUserInvitation,
    ApiKey,
    BulkDeleteJob,
    CrmExport,
    AuditEvent,
    Note,
    DealContact,
    ContactCompany,
    Deal,
    Task,
    Contact,
    Company,
    CustomField,
    PipelineStatus,
    Pipeline,
    CrmUser,
    CrmGroup,
)
PURGE_CHUNK_SIZE = settings.CRM_PURGE_CHUNK_SIZE
# Models (as "app_label.ModelName": crm imports no other app) that name a CRM by
# its id as a plain value and outlive its purge on purpose: bookkeeping keeps money
# records. The meta-test fails if any other model keeps a CRM id that way.
PURGE_KEEPS: frozenset[str] = frozenset({"billing.Wallet", "billing.LedgerEntry"})


class PurgeStopped(Exception):
    """The CRM left the ``purging`` state (or is gone): stop touching it."""


def _delete_chunk(model: type[Model], crm_id: int, chunk_size: int) -> int:
    """One short transaction: make sure the CRM is still being purged, delete up to
    ``chunk_size`` of its rows of ``model``, and beat the heart."""
    table = connection.ops.quote_name(model._meta.db_table)
    with transaction.atomic():
        still_purging = Crm.objects.filter(pk=crm_id, status=Crm.Status.PURGING).update(
            purge_heartbeat_at=timezone.now()
        )
        if not still_purging:
            raise PurgeStopped
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN "  # noqa: S608 - names from _meta
                f"(SELECT id FROM {table} WHERE crm_id = %s LIMIT %s)",
                [crm_id, chunk_size],
            )
            return cursor.rowcount


def crm_purge(
    *, crm_id: int, chunk_size: int = PURGE_CHUNK_SIZE, on_chunk=None
) -> CrmTombstone | None:
    """Delete everything of a CRM that a claim has put in ``purging``. Safe to run
    again at any point (a rerun deletes whatever still matches) and safe against a
    concurrent twin (both delete disjoint leftovers; one writes the tombstone).

    ``on_chunk(model, rows, seconds)`` is told about every chunk (benchmarks)."""
    _export_files_delete(crm_id)
    try:
        for model in PURGE_ORDER:
            while True:
                started = time.perf_counter()
                deleted = _delete_chunk(model, crm_id, chunk_size)
                if on_chunk is not None:
                    on_chunk(model, deleted, time.perf_counter() - started)
                if deleted < chunk_size:
                    break
    except PurgeStopped:
        # Cancelled before the claim (nothing was touched), or already buried.
        return CrmTombstone.objects.filter(crm_id=crm_id).first()
    return _crm_bury(crm_id)


def _export_files_delete(crm_id: int) -> None:
    """Exports are data too: their files go before their rows do."""
    from django.core.files.storage import default_storage

    for name in (
        CrmExport.objects.filter(crm_id=crm_id)
        .exclude(file_name="")
        .values_list("file_name", flat=True)
    ):
        default_storage.delete(name)


@transaction.atomic
def _crm_bury(crm_id: int) -> CrmTombstone | None:
    crm = (
        Crm.objects.select_for_update()
        .select_related("owner")
        .filter(pk=crm_id, status=Crm.Status.PURGING)
        .first()
    )
    if crm is None:
        return CrmTombstone.objects.filter(crm_id=crm_id).first()
    for model in PURGE_ORDER:
        # Rows written while the purge ran (there should be none: everything that
        # writes refuses a CRM that is not active) are found here, not orphaned.
        if model.objects.filter(crm_id=crm_id).exists():
            raise RuntimeError(f"{model.__name__} rows appeared during the purge")
    tombstone = CrmTombstone.objects.create(
        crm_id=crm.pk,
        name=crm.name,
        slug=crm.slug,
        owner_id=crm.owner_id,
        owner_email=crm.owner.email,
        requested_by_id=crm.deletion_requested_by_id,
        created_at=crm.created_at,
    )
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Crm._meta.db_table)
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [crm.pk])  # noqa: S608
    return tombstone
