"""Purging a CRM: every row of every CRM-owned table, children first, in short
chunked transactions, then a tombstone.

``PURGE_ORDER`` is the registry of CRM-owned models. A model that references
another CRM-owned model comes before it, so no chunk ever breaks a foreign key and
no ORM cascade or signal is needed. ``tests/crm/test_tenancy_meta.py`` fails if a
CRM-owned model is missing here or out of order."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from config.celery import enqueue_after_commit
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
    IdempotencyKey,
    ListLayout,
    Note,
    PasswordResetToken,
    Pipeline,
    PipelineStatus,
    RecordChange,
    RecordEmail,
    RecordImport,
    RecordImportRow,
    RecordPhone,
    SsoToken,
    Task,
    TaskType,
)

PURGE_ORDER: tuple[type[Model], ...] = (
    SsoToken,
    ConnectionCode,
    CrmUserInvitation,
    PasswordResetToken,
    IdempotencyKey,
    ApiKey,
    BulkDeleteJob,
    CrmExport,
    RecordImportRow,
    RecordImport,
    ListLayout,
    AuditEvent,
    RecordChange,
    Task,
    TaskType,
    Note,
    DealContact,
    ContactCompany,
    RecordPhone,
    RecordEmail,
    Deal,
    Contact,
    Company,
    CustomField,
    PipelineStatus,
    Pipeline,
    CrmUser,
    CrmGroup,
)
# Models (as "app_label.ModelName": crm imports no other app) that name a CRM by
# its id as a plain value and outlive its purge on purpose: bookkeeping keeps money
# records. The meta-test fails if any other model keeps a CRM id that way.
PURGE_KEEPS: frozenset[str] = frozenset({"billing.Wallet", "billing.LedgerEntry"})

OnChunk = Callable[[type[Model], int, float], None]


class PurgeStopped(Exception):
    """The CRM left the ``purging`` state (or is gone): stop touching it."""


def referencing_tables(model: type[Model]) -> int:
    """How many foreign keys point at ``model``. PostgreSQL checks every one of them
    for every deleted row at commit, which is what makes a parent row several
    times dearer to delete than a leaf row."""
    return sum(
        1
        for relation in model._meta.get_fields(include_hidden=True)
        if relation.auto_created
        and not relation.concrete
        and (relation.one_to_many or relation.one_to_one)
    )


@dataclass(frozen=True)
class ChunkPolicy:
    """How many rows the next chunk deletes. A fixed row count cannot suit every
    table (a note costs a few microseconds, a contact with three tables pointing at
    it several times more) nor every moment (the same chunk takes twice as long
    while the machine is busy), so each table's chunks are sized by how long the
    previous one took, aiming at ``seconds``: long enough that commits are a small
    share of the work, short enough that no transaction holds its locks for long."""

    first: int = field(default_factory=lambda: settings.CRM_PURGE_CHUNK_SIZE)
    smallest: int = field(default_factory=lambda: settings.CRM_PURGE_CHUNK_MIN_SIZE)
    largest: int = field(default_factory=lambda: settings.CRM_PURGE_CHUNK_MAX_SIZE)
    seconds: float = field(default_factory=lambda: settings.CRM_PURGE_CHUNK_SECONDS)
    # While other sessions of the database are at work, pause this many times a
    # chunk's time after it: the purge has no deadline, their requests do.
    yield_share: float = field(default_factory=lambda: settings.CRM_PURGE_YIELD_SHARE)

    def _bounded(self, rows: float) -> int:
        smallest = min(self.smallest, self.largest)
        return max(smallest, min(self.largest, round(rows)))

    def first_size(self, model: type[Model]) -> int:
        """Nothing is known about a table before its first chunk: start smaller the
        more foreign keys each of its rows has to be checked against."""
        return self._bounded(self.first / (1 + referencing_tables(model)))

    def next_size(self, size: int, seconds: float) -> int:
        """Scale by how far the last chunk was from the aim. Growth is at most
        doubling, so one quick chunk cannot make the next one run long; shrinking
        is not limited, so after a slow one the next is back near the aim at once."""
        if seconds <= 0:
            return self._bounded(size * 2)
        return self._bounded(min(size * 2, size * self.seconds / seconds))


# While a purge runs, its connection (PostgreSQL only):
# - Does not wait for a chunk's WAL to reach the disk. A chunk lost in a crash is
#   redone by the rerun that the watchdog sends; the tombstone's transaction, the
#   one that counts, still waits (and so flushes everything before it).
# - Finds rows by walking the tables' crm_id indexes. The statistics lag a mass
#   delete (nothing analyses a table while it empties), so the planner would go on
#   scanning the heap from its start, through every row deleted so far, or read
#   the CRM's whole index into a bitmap for a few thousand rows. The walk also
#   marks the entries of rows deleted by earlier chunks as dead, so the next walk,
#   and the foreign key checks when the CRM's row goes, skip them.
PURGE_SESSION_SETTINGS = ("synchronous_commit", "enable_seqscan", "enable_bitmapscan")


@contextmanager
def _purge_session() -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            " ".join(f"SET {name} = off;" for name in PURGE_SESSION_SETTINGS)
        )
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    " ".join(f"RESET {name};" for name in PURGE_SESSION_SETTINGS)
                )
        except DatabaseError:
            # A broken connection is not reused; a new one starts with defaults.
            connection.close()


# One chunk on PostgreSQL is this one statement, a transaction of its own in a
# single round trip (a busy machine is slow to wake each side of every round trip):
# - The last column says whether other sessions of the database are at work:
#   running a query, or done with one less than a second ago (a web request runs
#   a few short queries between stretches of Python, so the instant alone would
#   mostly miss it; a pooled connection left idle does not count). The purge
#   then makes way for them. pg_stat_activity shows the states of sessions of
#   the same role, or of any role with pg_read_all_stats.
# - ``live`` re-checks that the CRM is still being purged, beats the heart and
#   holds the CRM's row lock until the chunk commits; the DELETE only touches rows
#   of a CRM that ``live`` found.
# - Rows are chosen by their physical address (ctid) on the crm_id index walk, in
#   ``= ANY(ARRAY(…))`` so the choice is an InitPlan run once: the DELETE goes
#   straight to each row, with no second index descent per row as a delete by
#   primary key needs, and never as ``IN (SELECT … LIMIT)``, which is planned as a
#   semi join that scans the whole table in every chunk. ``crm_id`` is checked
#   again on the row itself, so only this CRM's rows can ever go; a row updated
#   meanwhile has a new address and is left for the next chunk.
CHUNK_STATEMENT = """
WITH live AS (
    UPDATE {crm_table} SET purge_heartbeat_at = %s
    WHERE id = %s AND status = %s RETURNING id
), gone AS (
    DELETE FROM {table} WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM {table} WHERE crm_id = %s LIMIT %s
    )) AND crm_id = (SELECT id FROM live)
    RETURNING 1
)
SELECT (SELECT count(*) FROM live), (SELECT count(*) FROM gone), EXISTS (
    SELECT FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
    AND backend_type = 'client backend'
    AND (state = 'active' OR state_change > clock_timestamp() - interval '1 second')
)
"""


def _delete_chunk(model: type[Model], crm_id: int, chunk_size: int) -> tuple[int, bool]:
    """One short transaction: make sure the CRM is still being purged, delete up to
    ``chunk_size`` of its rows of ``model``, and beat the heart. Returns the rows
    deleted and whether other sessions were busy."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    if connection.vendor == "postgresql":
        statement = CHUNK_STATEMENT.format(
            crm_table=quote(Crm._meta.db_table), table=table
        )
        with connection.cursor() as cursor:
            cursor.execute(
                statement,
                [timezone.now(), crm_id, Crm.Status.PURGING, crm_id, chunk_size],
            )
            still_purging, deleted, others_busy = cursor.fetchone()
    else:
        others_busy = False
        with transaction.atomic(), connection.cursor() as cursor:
            still_purging = Crm.objects.filter(
                pk=crm_id, status=Crm.Status.PURGING
            ).update(purge_heartbeat_at=timezone.now())
            deleted = 0
            if still_purging:
                cursor.execute(
                    f"DELETE FROM {table} WHERE id IN ("  # noqa: S608 - names from _meta
                    f"SELECT id FROM {table} WHERE crm_id = %s LIMIT %s)",
                    [crm_id, chunk_size],
                )
                deleted = cursor.rowcount
    if not still_purging:
        raise PurgeStopped
    return deleted, others_busy


def crm_purge(
    *,
    crm_id: int,
    policy: ChunkPolicy | None = None,
    on_chunk: OnChunk | None = None,
) -> CrmTombstone | None:
    """Delete everything of a CRM that a claim has put in ``purging``. Safe to run
    again at any point (a rerun deletes whatever still matches) and safe against a
    concurrent twin (both delete disjoint leftovers; one writes the tombstone).

    ``on_chunk(model, rows, seconds)`` is told about every chunk (benchmarks)."""
    policy = policy or ChunkPolicy()
    _export_files_delete(crm_id)
    _import_files_delete(crm_id)
    with _purge_session():
        try:
            for model in PURGE_ORDER:
                _table_purge(model, crm_id, policy, on_chunk)
        except PurgeStopped:
            # Cancelled before the claim (nothing was touched), or already buried.
            return CrmTombstone.objects.filter(crm_id=crm_id).first()
        return _crm_bury(crm_id)


def _table_purge(
    model: type[Model], crm_id: int, policy: ChunkPolicy, on_chunk: OnChunk | None
) -> None:
    size = policy.first_size(model)
    while True:
        started = time.perf_counter()
        deleted, others_busy = _delete_chunk(model, crm_id, size)
        took = time.perf_counter() - started
        if on_chunk is not None:
            on_chunk(model, deleted, took)
        # Only an empty chunk ends the table: a short one may have passed over a
        # row that another transaction was updating (it had a new address), which
        # the next chunk finds.
        if deleted == 0:
            return
        if others_busy and policy.yield_share > 0:
            time.sleep(took * policy.yield_share)
        size = policy.next_size(size, took)


def _export_files_delete(crm_id: int) -> None:
    """Exports are data too: their files go before their rows do."""
    from django.core.files.storage import default_storage

    for name in (
        CrmExport.objects.filter(crm_id=crm_id)
        .exclude(file_name="")
        .values_list("file_name", flat=True)
    ):
        default_storage.delete(name)


def _import_files_delete(crm_id: int) -> None:
    """So are the files uploaded for imports that have not run (yet)."""
    from django.core.files.storage import default_storage

    for name in (
        RecordImport.objects.filter(crm_id=crm_id)
        .exclude(file_name="")
        .values_list("file_name", flat=True)
    ):
        default_storage.delete(name)


class PurgeIncomplete(RuntimeError):
    """Rows of the CRM were still there when its row was to go (written while the
    purge ran, although everything that writes refuses a CRM that is not active).
    Nothing is buried; the CRM stays ``purging`` and the watchdog's rerun deletes
    them."""


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
    tombstone = CrmTombstone.objects.create(
        crm_id=crm.pk,
        name=crm.name,
        slug=crm.slug,
        owner_id=crm.owner_id,
        owner_email=crm.owner.email,
        requested_by_id=crm.deletion_requested_by_id,
        created_at=crm.created_at,
    )
    from crm.tasks import send_purged_email  # tasks import this module

    enqueue_after_commit(
        send_purged_email, tombstone.name, tombstone.owner_email, tombstone.owner_id
    )
    table = connection.ops.quote_name(Crm._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            _rows_left_check(crm_id)
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [crm.pk])  # noqa: S608
            return tombstone
        # Every CRM-owned table's crm_id foreign key is the check that nothing is
        # left: deleting the CRM's row fails while any of its rows remain, and no
        # row can be added under our row lock. It is made at once rather than at
        # commit so that the failure can say what it is. The statistics still say
        # this CRM owns most of each table it just emptied (nothing has analysed
        # them yet), so left alone the planner would check with a scan of the whole
        # table; the crm_id index answers at once.
        cursor.execute("SET LOCAL enable_seqscan = off")
        # The tombstone is what the owner is told about: it waits for the disk.
        cursor.execute("SET LOCAL synchronous_commit = on")
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [crm.pk])  # noqa: S608
        try:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        except IntegrityError as error:
            raise PurgeIncomplete(f"rows appeared during the purge: {error}") from error
    return tombstone


def _rows_left_check(crm_id: int) -> None:
    """Where foreign keys are checked only at the outermost commit (SQLite), ask
    every table in turn."""
    for model in PURGE_ORDER:
        if model.objects.filter(crm_id=crm_id).exists():
            raise PurgeIncomplete(
                f"rows appeared during the purge: {model._meta.db_table}"
            )
