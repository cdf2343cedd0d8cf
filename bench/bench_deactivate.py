"""Deactivate a user who owns 100,000 contacts, 100,000 deals and 20,000 companies,
handing everything to a colleague, on PostgreSQL: the service's time ÷ raw SQL
``UPDATE … SET responsible_id = …`` over the same rows, same run, ≤ 1.5. The other
CRM's rows are checked untouched.

Run: .venv/bin/python bench/bench_deactivate.py
(BENCH_CONTACTS, BENCH_DEALS, BENCH_COMPANIES, BENCH_ROUNDS change the size.)
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from _common import Bench, account_create, crms_create, header

TARGET_RATIO = 1.5
CONTACTS = int(os.environ.get("BENCH_CONTACTS", "100000"))
DEALS = int(os.environ.get("BENCH_DEALS", "100000"))
COMPANIES = int(os.environ.get("BENCH_COMPANIES", "20000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TABLES = ("crm_contact", "crm_deal", "crm_company", "crm_task")


def seed(crm, user, *, contacts: int, deals: int, companies: int) -> None:
    """Bulk rows straight in SQL: the subject is the hand-over, not the seeding."""
    from django.db import connection

    from crm.models import Pipeline, PipelineStatus

    pipeline = Pipeline.objects.for_crm(crm).first()
    status = PipelineStatus.objects.for_crm(crm).filter(pipeline=pipeline).first()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO crm_contact (crm_id, responsible_id, name, email, phone,"
            " is_archived, custom, created_at, updated_at) SELECT %s, %s,"
            " 'Contact ' || n, '', '', false, '{}', now(), now()"
            " FROM generate_series(1, %s) n",
            [crm.pk, user.pk, contacts],
        )
        cursor.execute(
            "INSERT INTO crm_company (crm_id, responsible_id, name, is_archived,"
            " custom, created_at, updated_at) SELECT %s, %s, 'Company ' || n,"
            " false, '{}', now(), now() FROM generate_series(1, %s) n",
            [crm.pk, user.pk, companies],
        )
        cursor.execute(
            "INSERT INTO crm_deal (crm_id, responsible_id, name, amount, pipeline_id,"
            " status_id, is_archived, custom, created_at, updated_at) SELECT %s, %s,"
            " 'Deal ' || n, n, %s, %s, false, '{}', now(), now()"
            " FROM generate_series(1, %s) n",
            [crm.pk, user.pk, pipeline.pk, status.pk, deals],
        )
        cursor.execute("ANALYZE")


def fingerprint(crm) -> tuple:
    """Count and checksum of who is responsible for what in ``crm``."""
    from django.db import connection

    parts = []
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                f"SELECT count(*), coalesce(sum(responsible_id * 7 + id), 0)"
                f" FROM {table} WHERE crm_id = %s",
                [crm.pk],
            )
            parts.append(cursor.fetchone())
    return tuple(parts)


def raw_update(crm, from_id: int, to_id: int) -> float:
    """The baseline: one UPDATE per table, in one transaction."""
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                f"UPDATE {table} SET responsible_id = %s"
                " WHERE crm_id = %s AND responsible_id = %s",
                [to_id, crm.pk, from_id],
            )
    return time.perf_counter() - started


def service_deactivate(crm, user, recipient, actor) -> float:
    from crm.services.users import crm_user_deactivate

    started = time.perf_counter()
    moved = crm_user_deactivate(
        crm=crm, crm_user_id=user.pk, recipient_id=recipient.pk, actor=actor
    )
    elapsed = time.perf_counter() - started
    assert (moved.contacts, moved.deals, moved.companies) == (
        CONTACTS,
        DEALS,
        COMPANIES,
    ), moved
    return elapsed


def main() -> int:
    header(
        "Deactivate a user with 100,000 contacts, 100,000 deals, 20,000 companies",
        ".venv/bin/python bench/bench_deactivate.py",
    )
    with Bench("deactivate"):
        from crm.models import CrmUser
        from crm.services.users import crm_user_create

        owner = account_create("owner@bench.example")
        crm, other_crm = crms_create(owner=owner, count=2, name_prefix="Deactivate")
        actor = CrmUser.objects.get(crm=crm, role="owner")
        leaver = crm_user_create(
            crm=crm, name="Leaving User", email="leaver@bench.example", password="x"
        )
        heir = crm_user_create(
            crm=crm, name="Heir User", email="heir@bench.example", password="x"
        )
        other_user = crm_user_create(
            crm=other_crm, name="Other", email="leaver@bench.example", password="x"
        )
        seed(crm, leaver, contacts=CONTACTS, deals=DEALS, companies=COMPANIES)
        seed(other_crm, other_user, contacts=5000, deals=5000, companies=1000)
        other_before = fingerprint(other_crm)

        baseline_times, service_times = [], []
        for _round in range(ROUNDS):
            baseline_times.append(raw_update(crm, leaver.pk, heir.pk))
            raw_update(crm, heir.pk, leaver.pk)  # put back, untimed
            service_times.append(service_deactivate(crm, leaver, heir, actor))
            raw_update(crm, heir.pk, leaver.pk)
            CrmUser.objects.filter(pk=leaver.pk).update(is_active=True)

        other_untouched = fingerprint(other_crm) == other_before
        baseline = statistics.median(baseline_times)
        service = statistics.median(service_times)
        ratio = service / baseline
        print(f"rows handed over per run: {CONTACTS + DEALS + COMPANIES:,}")
        print(
            "raw SQL UPDATE (median of "
            f"{ROUNDS}): {baseline * 1000:.0f} ms  runs: "
            + ", ".join(f"{t * 1000:.0f}" for t in baseline_times)
        )
        print(
            f"crm_user_deactivate (median of {ROUNDS}): {service * 1000:.0f} ms  runs: "
            + ", ".join(f"{t * 1000:.0f}" for t in service_times)
        )
        print(f"ratio service / raw SQL: {ratio:.2f} (target <= {TARGET_RATIO})")
        print(f"other CRM untouched: {other_untouched}")
        passed = ratio <= TARGET_RATIO and other_untouched
        print("PASS" if passed else "FAIL")
        return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
