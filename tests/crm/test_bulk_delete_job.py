"""The bulk delete job: chunks sized by time, progress committed with each chunk,
a chunk as one statement on PostgreSQL, and commits that do not wait for the disk
only while the job runs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import BulkDeleteJob, Company, Contact, ContactCompany, Note
from crm.services import record_deletion
from crm.services.records import note_add
from tests.factories import CompanyFactory, ContactFactory
from tests.outbox_helpers import hold_tasks

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's statements and settings"
)


@pytest.fixture
def job_of_ten(crm_a, owner_a, monkeypatch):
    """A queued job for ten contacts, each with a company link and a note."""
    monkeypatch.setattr(record_deletion, "BULK_INLINE_LIMIT", 5)
    hold_tasks(monkeypatch, "crm.tasks.run_bulk_delete")
    company = CompanyFactory(responsible=owner_a)
    for contact in ContactFactory.create_batch(10, responsible=owner_a):
        ContactCompany.objects.create(crm=crm_a, contact=contact, company=company)
        note_add(
            crm=crm_a, actor=owner_a, entity="contact", record_id=contact.pk, text="n"
        )
    ids = list(Contact.objects.values_list("pk", flat=True))
    result = record_deletion.records_delete(
        crm=crm_a, actor=owner_a, entity="contact", ids=ids
    )
    assert result.job is not None
    return result.job


@pytest.mark.parametrize(
    ("size", "took", "expected"),
    [
        (1000, 0.025, 2000),  # quick: grows, but at most twofold
        (1000, 0.001, 2000),
        (1000, 0.0, 2000),
        (1000, 0.05, 1000),  # on target
        (1000, 0.2, 250),  # slow: shrinks at once to the target's pace
        (1000, 10.0, record_deletion.CHUNK_MIN_SIZE),
        (record_deletion.CHUNK_MAX_SIZE, 0.001, record_deletion.CHUNK_MAX_SIZE),
    ],
)
def test_chunks_are_sized_by_time(monkeypatch, size, took, expected):
    monkeypatch.setattr(record_deletion, "CHUNK_TARGET_SECONDS", 0.05)
    assert record_deletion._next_chunk_size(size, took) == expected


def test_progress_is_committed_with_its_chunk_and_a_rerun_resumes(
    crm_a, owner_a, job_of_ten, monkeypatch
):
    monkeypatch.setattr(record_deletion, "CHUNK_SIZE", 3)
    real_chunk = record_deletion._delete_chunk
    calls = []

    def second_chunk_fails(*args, **kwargs):
        calls.append(args[2])
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_chunk(*args, **kwargs)

    monkeypatch.setattr(record_deletion, "_delete_chunk", second_chunk_fails)
    with pytest.raises(RuntimeError):
        record_deletion.bulk_delete_job_run(job_id=job_of_ten.pk)

    job = BulkDeleteJob.objects.get(pk=job_of_ten.pk)
    first = calls[0]
    assert len(first) == 3
    assert job.deleted == 3 and job.status == "running"
    assert not Contact.objects.filter(pk__in=first).exists()
    assert Contact.objects.count() == 7
    assert Note.objects.count() == 7 and ContactCompany.objects.count() == 7

    monkeypatch.setattr(record_deletion, "_delete_chunk", real_chunk)
    finished = record_deletion.bulk_delete_job_run(job_id=job_of_ten.pk)
    assert finished.status == "done" and finished.deleted == 10
    assert not Contact.objects.exists() and not Note.objects.exists()
    assert not ContactCompany.objects.exists()
    assert Company.objects.count() == 1


@on_postgresql
def test_a_chunk_is_one_statement_and_only_the_job_skips_the_disk_wait(
    crm_a, owner_a, job_of_ten, monkeypatch
):
    monkeypatch.setattr(record_deletion, "CHUNK_SIZE", 4)
    monkeypatch.setattr(record_deletion, "CHUNK_MIN_SIZE", 4)
    monkeypatch.setattr(record_deletion, "CHUNK_MAX_SIZE", 4)
    with CaptureQueriesContext(connection) as queries:
        record_deletion.bulk_delete_job_run(job_id=job_of_ten.pk)
    sql = [q["sql"] for q in queries.captured_queries]
    chunks = [s for s in sql if s.startswith("WITH ")]
    assert len(chunks) == 3  # 4 + 4 + 2, each deleting and saving progress at once
    assert all('"crm_bulkdeletejob"' in s and "crm_note" in s for s in chunks)
    first, last = sql.index(chunks[0]), sql.index(chunks[-1])
    off = sql.index("SET synchronous_commit = off")
    reset = sql.index("RESET synchronous_commit")
    assert off < first and last < reset
    # The final update, which makes the chunks before it durable, waits again.
    done = next(
        i for i, s in enumerate(sql) if s.startswith("UPDATE") and "finished_at" in s
    )
    assert done > reset
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    assert not Contact.objects.exists()


def test_ids_that_no_record_can_have_are_not_found(crm_a, owner_a):
    contact = ContactFactory(responsible=owner_a)
    result = record_deletion.records_delete(
        crm=crm_a,
        actor=owner_a,
        entity="contact",
        ids=[contact.pk, 0, -5, 2**63, 10**30],
    )
    assert result.deleted == [contact.pk]
    assert result.not_found == sorted([0, -5, 2**63, 10**30])
