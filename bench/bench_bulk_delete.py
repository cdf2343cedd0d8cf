"""Bulk delete of 100,000 contacts, each with a company link and a note, through the
Celery job (a real worker): time ÷ raw SQL deletes of equivalent rows in one
transaction, same run, ≤ 1.5; no chunk transaction longer than 250 ms; the other
CRM untouched.

Run: .venv/bin/python bench/bench_bulk_delete.py
(BENCH_CONTACTS changes the size.)
"""

from __future__ import annotations

import os
import sys
import time

from _common import Bench, account_create, crms_create, header

TARGET_RATIO = 1.5
TARGET_CHUNK_MS = 250
CONTACTS = int(os.environ.get("BENCH_CONTACTS", "100000"))
TABLES = ("crm_note", "crm_contactcompany", "crm_contact")


def seed(crm, owner_user, *, contacts: int, tag: str) -> None:
    """``contacts`` contacts named ``tag``, each linked to one of 1,000 companies
    and carrying one note."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO crm_company (crm_id, responsible_id, name, is_archived,"
            " custom, created_at, updated_at) SELECT %s, %s, %s || ' co ' || n,"
            " false, '{}', now(), now() FROM generate_series(1, 1000) n",
            [crm.pk, owner_user.pk, tag],
        )
        cursor.execute(
            "INSERT INTO crm_contact (crm_id, responsible_id, name, email, phone,"
            " is_archived, custom, created_at, updated_at) SELECT %s, %s,"
            " %s || ' ' || n, '', '', false, '{}', now(), now()"
            " FROM generate_series(1, %s) n",
            [crm.pk, owner_user.pk, tag, contacts],
        )
        cursor.execute(
            "INSERT INTO crm_contactcompany (crm_id, contact_id, company_id)"
            " SELECT c.crm_id, c.id, co.id FROM crm_contact c"
            " JOIN crm_company co ON co.crm_id = c.crm_id"
            " AND co.name = %s || ' co ' || (1 + c.id %% 1000)"
            " WHERE c.crm_id = %s AND c.name LIKE %s",
            [tag, crm.pk, f"{tag} %"],
        )
        cursor.execute(
            "INSERT INTO crm_note (crm_id, author_id, text, contact_id, created_at)"
            " SELECT crm_id, %s, 'note', id, now() FROM crm_contact"
            " WHERE crm_id = %s AND name LIKE %s",
            [owner_user.pk, crm.pk, f"{tag} %"],
        )
        cursor.execute("VACUUM ANALYZE")


def contact_ids(crm, tag: str) -> list[int]:
    from crm.models import Contact

    return list(
        Contact.objects.for_crm(crm)
        .filter(name__startswith=f"{tag} ")
        .values_list("pk", flat=True)
    )


def fingerprint(crm) -> tuple:
    from django.db import connection

    parts = []
    with connection.cursor() as cursor:
        for table in (*TABLES, "crm_company"):
            cursor.execute(
                f"SELECT count(*), coalesce(sum(id), 0) FROM {table} WHERE crm_id = %s",
                [crm.pk],
            )
            parts.append(cursor.fetchone())
    return tuple(parts)


def raw_delete(crm, ids: list[int]) -> float:
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM crm_note WHERE crm_id = %s AND contact_id = ANY(%s)",
            [crm.pk, ids],
        )
        cursor.execute(
            "DELETE FROM crm_contactcompany WHERE crm_id = %s AND contact_id = ANY(%s)",
            [crm.pk, ids],
        )
        cursor.execute(
            "DELETE FROM crm_contact WHERE crm_id = %s AND id = ANY(%s)", [crm.pk, ids]
        )
    return time.perf_counter() - started


def job_delete(crm, actor, ids: list[int]):
    from crm.models import BulkDeleteJob
    from crm.services.record_deletion import records_delete

    started = time.perf_counter()
    result = records_delete(
        crm=crm, actor=actor, entity="contact", ids=ids, description="bench"
    )
    assert result.job is not None, "expected a job for this many records"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        job = BulkDeleteJob.objects.get(pk=result.job.pk)
        if job.status == BulkDeleteJob.Status.DONE:
            return time.perf_counter() - started, job
        time.sleep(0.05)
    raise RuntimeError("the bulk delete job did not finish")


def main() -> int:
    header(
        f"Bulk delete of {CONTACTS:,} contacts with links and notes (Celery job)",
        ".venv/bin/python bench/bench_bulk_delete.py",
    )
    with Bench("bulk_delete") as bench:
        from django.db import connection

        from crm.models import Contact, CrmUser

        owner = account_create("owner@bench.example")
        crm, other = crms_create(owner=owner, count=2, name_prefix="Bulk")
        actor = CrmUser.objects.get(crm=crm, role="owner")
        other_actor = CrmUser.objects.get(crm=other, role="owner")
        seed(crm, actor, contacts=CONTACTS, tag="raw")
        seed(crm, actor, contacts=CONTACTS, tag="job")
        seed(other, other_actor, contacts=5000, tag="other")
        other_before = fingerprint(other)

        baseline = raw_delete(crm, contact_ids(crm, "raw"))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        bench.start_celery_worker(concurrency=1)
        job_seconds, job = job_delete(crm, actor, contact_ids(crm, "job"))

        left = Contact.objects.for_crm(crm).count()
        other_untouched = fingerprint(other) == other_before
        ratio = job_seconds / baseline
        print(f"rows per run: {CONTACTS:,} contacts, each with a link and a note")
        print(f"raw SQL, one transaction: {baseline * 1000:.0f} ms")
        print(
            f"Celery job (enqueue to done, {job.total:,} ids in chunks): "
            f"{job_seconds * 1000:.0f} ms"
        )
        print(f"ratio job / raw SQL: {ratio:.2f} (target <= {TARGET_RATIO})")
        print(
            f"slowest chunk transaction: {job.slowest_chunk_ms} ms "
            f"(target <= {TARGET_CHUNK_MS})"
        )
        print(
            f"contacts left in the CRM: {left}; other CRM untouched: {other_untouched}"
        )
        passed = (
            ratio <= TARGET_RATIO
            and job.slowest_chunk_ms <= TARGET_CHUNK_MS
            and other_untouched
            and left == 0
        )
        print("PASS" if passed else "FAIL")
        return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
