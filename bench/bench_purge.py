"""Purge a CRM of 200,000 contacts, 50,000 companies, 200,000 deals, 400,000 notes
and 200,000 contact-company links on PostgreSQL, while a second, smaller CRM must
survive untouched. Every variant runs on its own fresh copy of the seeded database
(``CREATE DATABASE … TEMPLATE``), in its own process:

- purge time ÷ the same rows deleted with raw SQL in one transaction ≤ 1.25;
- no single transaction of the purge longer than 250 ms;
- peak memory (RSS) of the purging worker grows by less than 20 MB;
- purge time ÷ Django's ``crm.delete()`` cascade on the same data ≤ 0.33;
- while the purge runs, requests/s of the other CRM's contact list ≥ 0.7 of its
  rate with no purge running.

Raw SQL and the purge run ``BENCH_ROUNDS`` (1) times each, interleaved; the ratio
takes the fastest of each, the longest transaction is the worst of all rounds. The
load is measured with no purge, then for as long as a purge runs, then with no purge
again; the rate with no purge is the mean of before and after.

Run: .venv/bin/python bench/bench_purge.py  (7 to 11 minutes on 2 shared cores)
(BENCH_SCALE=0.1 seeds a tenth of the rows; the purge's chunk policy comes from
the CRM_PURGE_CHUNK_* settings, which the environment overrides;
BENCH_CASCADE_TIMEOUT (300 s) bounds the Django
cascade, which then counts as at least that long; BENCH_WORKERS, BENCH_CLIENTS,
BENCH_LOAD_DURATION and BENCH_LOAD_LIMIT change the load.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from _common import (
    PG_ADMIN_DSN,
    PG_URL_BASE,
    Bench,
    account_create,
    header,
    median,
)

TARGET_RAW_RATIO = 1.25
TARGET_TRANSACTION_MS = 250.0
TARGET_RSS_GROWTH_MB = 20.0
TARGET_CASCADE_RATIO = 0.33
TARGET_LOAD_RATIO = 0.7

SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
BIG = {
    "contacts": 200_000,
    "companies": 50_000,
    "deals": 200_000,
    "notes": 400_000,
    "links": 200_000,
}
SMALL = {
    "contacts": 5_000,
    "companies": 1_250,
    "deals": 5_000,
    "notes": 10_000,
    "links": 5_000,
}
CASCADE_TIMEOUT = float(os.environ.get("BENCH_CASCADE_TIMEOUT", "300"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
LOAD_DURATION = float(os.environ.get("BENCH_LOAD_DURATION", "15"))
LOAD_LIMIT = float(os.environ.get("BENCH_LOAD_LIMIT", "240"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1"))
MARK = "BENCH-PURGE "


def scaled(counts: dict[str, int]) -> dict[str, int]:
    return {name: max(1, round(n * SCALE)) for name, n in counts.items()}


# --- seeding (in the Bench process, on the database that becomes the template) -------


def seed(crm, user, counts: dict[str, int]) -> None:
    """Bulk rows straight in SQL: deals in the CRM's own pipeline and statuses, half
    of them at a company; notes on contacts, companies and deals in turn (exactly
    one each, as the check constraint wants); links between existing rows."""
    from django.db import connection

    from crm.models import Pipeline

    pipeline = Pipeline.objects.for_crm(crm).order_by("position", "pk").first()
    p = {"crm": crm.pk, "user": user.pk, "pipeline": pipeline.pk, **counts}
    ids = (
        "c AS (SELECT array_agg(id ORDER BY id) a FROM crm_contact"
        " WHERE crm_id = %(crm)s),"
        " co AS (SELECT array_agg(id ORDER BY id) a FROM crm_company"
        " WHERE crm_id = %(crm)s),"
        " d AS (SELECT array_agg(id ORDER BY id) a FROM crm_deal"
        " WHERE crm_id = %(crm)s)"
    )
    statements = [
        "INSERT INTO crm_contact (crm_id, responsible_id, name, email, phone,"
        " is_archived, custom, created_at, updated_at)"
        " SELECT %(crm)s, %(user)s, 'Contact ' || n, 'c' || n || '@bench.example',"
        " '+1 555 ' || n, false, '{}', now(), now()"
        " FROM generate_series(1, %(contacts)s) n",
        "INSERT INTO crm_company (crm_id, responsible_id, name, website, address,"
        " is_archived, custom, created_at, updated_at)"
        " SELECT %(crm)s, %(user)s, 'Company ' || n, '', '', false, '{}', now(), now()"
        " FROM generate_series(1, %(companies)s) n",
        f"WITH {ids}, st AS (SELECT array_agg(id ORDER BY position, id) a"
        " FROM crm_pipelinestatus WHERE pipeline_id = %(pipeline)s)"
        " INSERT INTO crm_deal (crm_id, responsible_id, name, amount, pipeline_id,"
        " status_id, company_id, is_archived, custom, created_at, updated_at)"
        " SELECT %(crm)s, %(user)s, 'Deal ' || n, n, %(pipeline)s,"
        " st.a[1 + mod(n, cardinality(st.a))],"
        " CASE WHEN mod(n, 2) = 0 THEN co.a[1 + mod(n, cardinality(co.a))] END,"
        " false, '{}', now(), now()"
        " FROM generate_series(1, %(deals)s) n, st, co",
        "WITH c AS (SELECT array_agg(id ORDER BY id) a FROM crm_contact"
        " WHERE crm_id = %(crm)s),"
        " co AS (SELECT array_agg(id ORDER BY id) a FROM crm_company"
        " WHERE crm_id = %(crm)s)"
        " INSERT INTO crm_contactcompany (crm_id, contact_id, company_id)"
        " SELECT %(crm)s, c.a[1 + mod(n, cardinality(c.a))],"
        " co.a[1 + mod(mod(n, cardinality(c.a)) + n / cardinality(c.a),"
        " cardinality(co.a))]"
        " FROM generate_series(0, %(links)s - 1) n, c, co"
        " ON CONFLICT DO NOTHING",
        f"WITH {ids}"
        " INSERT INTO crm_note (crm_id, author_id, text, contact_id, company_id,"
        " deal_id, created_at)"
        " SELECT %(crm)s, %(user)s, 'Note ' || n,"
        " CASE WHEN mod(n, 3) = 0 THEN c.a[1 + mod(n, cardinality(c.a))] END,"
        " CASE WHEN mod(n, 3) = 1 THEN co.a[1 + mod(n, cardinality(co.a))] END,"
        " CASE WHEN mod(n, 3) = 2 THEN d.a[1 + mod(n, cardinality(d.a))] END,"
        " now() FROM generate_series(1, %(notes)s) n, c, co, d",
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, p)


def purge_tables() -> list[str]:
    from crm.purge import PURGE_ORDER

    return [model._meta.db_table for model in PURGE_ORDER]


def crm_rows(crm_id: int) -> dict[str, int]:
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for table in purge_tables():
            cursor.execute(f"SELECT count(*) FROM {table} WHERE crm_id = %s", [crm_id])
            counts[table] = cursor.fetchone()[0]
    return counts


def fingerprint(crm_id: int) -> dict[str, list]:
    """Count and sum of ids of every CRM-owned table for one CRM, and its row."""
    from django.db import connection

    parts: dict[str, list] = {}
    with connection.cursor() as cursor:
        for table in purge_tables():
            cursor.execute(
                f"SELECT count(*), coalesce(sum(id), 0) FROM {table} WHERE crm_id = %s",
                [crm_id],
            )
            parts[table] = [int(v) for v in cursor.fetchone()]
        cursor.execute(
            "SELECT id, slug, status, owner_id FROM crm_crm WHERE id = %s", [crm_id]
        )
        parts["crm_crm"] = [str(v) for v in cursor.fetchone() or ()]
    return parts


def crm_session_cookie(crm_user) -> str:
    """A Django session (in Redis, as the server keeps them) logged in to the CRM
    of ``crm_user``, the way ``crm.sessions.crm_session_login`` writes it. A
    user linked to an Account (a CRM's owner) entered through Enter, so the
    session is also the Account's, as Enter leaves it."""
    from django.test import Client

    from crm.sessions import SESSION_KEY

    client = Client()
    entry = {"user_id": crm_user.pk, "hash": crm_user.session_auth_hash()}
    if crm_user.account_id is not None:
        client.force_login(crm_user.account)
        entry["account_id"] = crm_user.account_id
    session = client.session
    session[SESSION_KEY] = {str(crm_user.crm_id): entry}
    session.save()
    return session.session_key


# --- database copies ------------------------------------------------------------------


class Copies:
    """Fresh copies of the seeded database, each dropped after use and all of them
    at the end, also on failure."""

    def __init__(self, template: str) -> None:
        self.template = template
        self.names: list[str] = []

    def create(self, label: str) -> str:
        import psycopg
        from django.db import connections
        from psycopg import sql

        connections.close_all()  # a template must have no other connection
        name = f"{self.template}_{label}"
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )
            self.names.append(name)
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                    sql.Identifier(name), sql.Identifier(self.template)
                )
            )
        os.sync()  # the copy's files written out now, not while something is timed
        return name

    def drop(self, name: str) -> None:
        import psycopg
        from psycopg import sql

        try:
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(name)
                    )
                )
            if name in self.names:
                self.names.remove(name)
        except Exception as error:
            print(f"! could not drop database {name}: {error}", file=sys.stderr)

    def drop_all(self) -> None:
        for name in list(self.names):
            self.drop(name)


# --- the worker: one variant in its own process on one copy ---------------------------


def wal_stats() -> list[int]:
    """The server's WAL records, full-page images, bytes and syncs so far (of the
    whole cluster: anything else running on it counts too)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT wal_records, wal_fpi, wal_bytes, wal_sync FROM pg_stat_wal"
        )
        return [int(v) for v in cursor.fetchone()]


def load_note(result: dict) -> str:
    return " ".join(f"{value:.2f}" for value in result["load"])


def wal_note(result: dict) -> str:
    records, fpi, size, syncs = result["wal"]
    return (
        f"WAL {size / 2**20:,.0f} MB, {records:,} records, {fpi:,} full-page "
        f"images, {syncs:,} syncs"
    )


def _rss_kb(key: str = "VmRSS") -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak_rss() -> bool:
    """Linux ≥ 4.0: writing 5 to clear_refs resets VmHWM (the peak RSS)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


class RssSampler(threading.Thread):
    """The RSS every few milliseconds, in case VmHWM cannot be reset."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = _rss_kb()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.005):
            self.peak_kb = max(self.peak_kb, _rss_kb())


def worker_main(mode: str, crm_id: int, other_id: int) -> int:
    """``raw``, ``purge`` or ``cascade`` on the database in DATABASE_URL; prints a
    line when it starts and one JSON line with what it measured and found."""
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    import crm.purge as purge_module
    from crm.models import Crm, CrmTombstone
    from crm.purge import PURGE_ORDER, ChunkPolicy, crm_purge

    policy = ChunkPolicy()
    connection.ensure_connection()
    if mode == "purge":
        # The claim, as crm_claim_due_purges makes it (not timed).
        Crm.objects.filter(pk=crm_id).update(
            status=Crm.Status.PURGING, purge_heartbeat_at=timezone.now()
        )
    chunks: list[tuple[str, int, float]] = []
    bury: list[float] = []

    def on_chunk(model, rows: int, seconds: float) -> None:
        chunks.append((model._meta.db_table, rows, seconds))

    original_bury = purge_module._crm_bury

    def timed_bury(bury_crm_id: int):
        started = time.perf_counter()
        try:
            return original_bury(bury_crm_id)
        finally:
            bury.append(time.perf_counter() - started)

    purge_module._crm_bury = timed_bury
    result_extra: dict = {}
    if mode == "cascade":
        result_extra["protected"] = cascade_protected_error(other_id)
        unprotected = cascade_unprotect(PURGE_ORDER)

    wal_before = wal_stats()
    rss_before = _rss_kb()
    hwm_reset = _reset_peak_rss()
    sampler = RssSampler()
    sampler.start()
    print(MARK + "started", flush=True)
    wall_started = time.time()
    started = time.perf_counter()
    if mode == "raw":
        with transaction.atomic(), connection.cursor() as cursor:
            for model in PURGE_ORDER:
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"DELETE FROM {table} WHERE crm_id = %s", [crm_id])
            cursor.execute("DELETE FROM crm_crm WHERE id = %s", [crm_id])
    elif mode == "purge":
        tombstone = crm_purge(crm_id=crm_id, policy=policy, on_chunk=on_chunk)
        assert tombstone is not None, "crm_purge returned no tombstone"
    elif mode == "cascade":
        Crm.objects.get(pk=crm_id).delete()
        result_extra["unprotected"] = unprotected
    else:
        raise ValueError(mode)
    seconds = time.perf_counter() - started
    wall_ended = time.time()
    sampler.done.set()
    sampler.join()
    peak_kb = _rss_kb("VmHWM") if hwm_reset else sampler.peak_kb
    peak_kb = max(peak_kb, sampler.peak_kb)
    wal = [
        after - before for before, after in zip(wal_before, wal_stats(), strict=True)
    ]

    result = {
        "mode": mode,
        "seconds": seconds,
        # The machine is shared: its load (1, 5, 15 min) when this variant ended.
        "load": [round(value, 2) for value in os.getloadavg()],
        "wall_started": wall_started,
        "wall_ended": wall_ended,
        "rss_before_kb": rss_before,
        "rss_peak_kb": peak_kb,
        "hwm_reset": hwm_reset,
        "policy": policy_note(policy),
        "chunks": chunks,
        "bury_seconds": bury[0] if bury else None,
        "wal": wal,
        "left": {t: n for t, n in crm_rows(crm_id).items() if n},
        "crm_row_left": Crm.objects.filter(pk=crm_id).exists(),
        "tombstone": CrmTombstone.objects.filter(crm_id=crm_id).exists(),
        "other": fingerprint(other_id),
        **result_extra,
    }
    print(MARK + json.dumps(result), flush=True)
    return 0


def cascade_protected_error(crm_id: int) -> str:
    """What ``crm.delete()`` does as the models stand, tried on the small CRM (the
    collector raises before it deletes anything; rolled back all the same)."""
    from django.db import transaction
    from django.db.models import ProtectedError

    from crm.models import Crm

    try:
        with transaction.atomic():
            Crm.objects.get(pk=crm_id).delete()
            transaction.set_rollback(True)
    except ProtectedError as error:
        return f"ProtectedError: {error.args[0]}"
    return "deleted (rolled back)"


def cascade_unprotect(models) -> list[str]:
    """PROTECT between CRM-owned models to DO_NOTHING, in this process only: the
    cheapest cascade Django can run over these rows (no protected-object checks,
    no second collection through those keys; all rows go with the CRM anyway)."""
    from django.db.models import DO_NOTHING, PROTECT

    owned = set(models)
    changed = []
    for model in models:
        for key in model._meta.concrete_fields:
            if (
                key.is_relation
                and key.remote_field.on_delete is PROTECT
                and key.related_model in owned
            ):
                key.remote_field.on_delete = DO_NOTHING
                changed.append(f"{model.__name__}.{key.name}")
    return changed


@dataclass
class Worker:
    mode: str
    popen: subprocess.Popen
    lines: list[str] = field(default_factory=list)

    def wait_started(self) -> None:
        for line in self.popen.stdout:
            self.lines.append(line)
            if line.startswith(MARK + "started"):
                return
        tail = "".join(line[:300] for line in self.lines[-40:])
        raise RuntimeError(f"{self.mode} worker ended early:\n{tail}")

    def result(self, timeout: float | None = None) -> dict:
        """Its JSON line; None if it did not finish within ``timeout``."""
        reader = threading.Thread(
            target=lambda: self.lines.extend(self.popen.stdout), daemon=True
        )
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            return None
        self.popen.wait()
        for line in reversed(self.lines):
            if line.startswith(MARK + "{"):
                return json.loads(line[len(MARK) :])
        raise RuntimeError(
            f"{self.mode} worker failed (exit {self.popen.returncode}):\n"
            + "".join(line[:300] for line in self.lines[-40:])
        )

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


class Workers:
    def __init__(self, crm_id: int, other_id: int) -> None:
        self.crm_id = crm_id
        self.other_id = other_id
        self.started: list[Worker] = []

    def start(self, mode: str, db_name: str) -> Worker:
        env = {**os.environ, "DATABASE_URL": f"{PG_URL_BASE}/{db_name}"}
        argv = [sys.executable, os.path.abspath(__file__), "--worker", mode]
        popen = subprocess.Popen(
            [*argv, str(self.crm_id), str(self.other_id)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        worker = Worker(mode, popen)
        self.started.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()


# --- the load on the other CRM ------------------------------------------------------


def contact_list_setup(path: str, cookies: list[str]):
    from _http import OpFailed

    def setup(index, http):
        http.cookies["sessionid"] = cookies[index % len(cookies)]

        def operation() -> None:
            response = http.get(path)
            if response.status != 200 or b"Contact " not in response.body:
                raise OpFailed(f"GET {path}: {response.status}")

        return operation

    return setup


def load_line(label: str, result) -> str:
    line = (
        f"  {label:<22} {result.rate:7.1f} req/s  ok={result.ok} "
        f"failed={result.failed}  p50={result.p50_ms:.0f} ms "
        f"p95={result.p95_ms:.0f} ms"
    )
    for error in result.errors[:3]:
        line += f"\n    error: {error}"
    return line


# --- reporting ------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def mb(kb: float) -> float:
    return kb / 1024


def verify(result: dict, other_before: dict, tombstone: bool) -> list[str]:
    problems = []
    if result["left"]:
        problems.append(f"rows of the purged CRM left: {result['left']}")
    if result["crm_row_left"]:
        problems.append("the CRM row is still there")
    if tombstone and not result["tombstone"]:
        problems.append("no tombstone")
    if result["other"] != other_before:
        changed = {
            t: (other_before.get(t), v)
            for t, v in result["other"].items()
            if other_before.get(t) != v
        }
        problems.append(f"the other CRM changed: {changed}")
    return problems


def policy_note(policy) -> str:
    return (
        f"chunks aim at {policy.seconds * 1000:.0f} ms, {policy.smallest:,}.."
        f"{policy.largest:,} rows, a table's first {policy.first:,} rows / (1 + "
        "foreign keys pointing at it); after a chunk that saw other sessions "
        f"running queries, a pause of {policy.yield_share:g} x its time"
    )


def chunk_report(chunks: list) -> list[str]:
    """Per table: chunks, rows, time, the smallest and largest chunk in rows, and
    the longest chunk's time."""
    per_table: dict[str, list] = {}
    for table, rows, seconds in chunks:
        entry = per_table.setdefault(table, [0, 0, 0.0, 0.0, rows, rows])
        entry[0] += 1
        entry[1] += rows
        entry[2] += seconds
        entry[3] = max(entry[3], seconds)
        entry[4] = min(entry[4], rows)
        entry[5] = max(entry[5], rows)
    lines = [
        f"  {'table':<24} {'chunks':>6} {'rows':>9} {'total s':>8} "
        f"{'mean ms':>8} {'max ms':>7} {'rows/chunk':>13}"
    ]
    for table, (count, rows, total, longest, fewest, most) in per_table.items():
        lines.append(
            f"  {table:<24} {count:>6} {rows:>9,} {total:>8.2f} "
            f"{total / count * 1000:>8.1f} {longest * 1000:>7.1f} "
            f"{f'{fewest:,}..{most:,}':>13}"
        )
    return lines


def command_line() -> str:
    settings = " ".join(
        f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("BENCH_")
    )
    command = ".venv/bin/python bench/bench_purge.py"
    return f"{settings} {command}" if settings else command


def main() -> int:
    run_started = time.perf_counter()
    big, small = scaled(BIG), scaled(SMALL)
    header(
        f"Purge a CRM of {sum(big.values()):,} rows while another CRM is served",
        command_line(),
    )
    if SCALE != 1.0:
        print(f"BENCH_SCALE={SCALE:g}: {SCALE:g} of the issue's row counts")
    failures: list[str] = []
    with Bench("purge") as bench:
        from django.db import connection

        from crm.models import CrmUser
        from crm.services.crms import crm_create

        owner = account_create("purge-owner@bench.example")
        doomed = crm_create(owner=owner, name="Purged Bench CRM", provision_now=True)
        other_owner = account_create("survivor-owner@bench.example")
        survivor = crm_create(
            owner=other_owner, name="Surviving Bench CRM", provision_now=True
        )
        doomed_user = CrmUser.objects.get(crm=doomed, role="owner")
        survivor_user = CrmUser.objects.get(crm=survivor, role="owner")
        started = time.perf_counter()
        seed(doomed, doomed_user, big)
        seed(survivor, survivor_user, small)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (FREEZE, ANALYZE)")
            cursor.execute("SELECT pg_database_size(current_database())")
            db_bytes = cursor.fetchone()[0]
        seed_seconds = time.perf_counter() - started
        doomed_rows = crm_rows(doomed.pk)
        survivor_rows = crm_rows(survivor.pk)
        other_before = fingerprint(survivor.pk)
        cookies = [crm_session_cookie(survivor_user) for _ in range(CLIENTS)]
        contacts_path = f"/c/{survivor.slug}/contacts/"
        print(
            f"seeded in {seed_seconds:.1f} s (SQL generate_series, then VACUUM FREEZE "
            f"ANALYZE), database {db_bytes / 2**20:,.0f} MB"
        )
        for label, rows in (("purged", doomed_rows), ("surviving", survivor_rows)):
            listed = ", ".join(f"{t[4:]} {n:,}" for t, n in rows.items() if n)
            print(f"  {label} CRM: {sum(rows.values()):,} rows: {listed}")

        copies = Copies(bench.db_name)
        workers = Workers(doomed.pk, survivor.pk)
        try:
            failures += run_variants(
                bench, copies, workers, other_before, cookies, contacts_path
            )
        finally:
            workers.stop_all()
            copies.drop_all()
    print(f"total runtime: {time.perf_counter() - run_started:.0f} s")
    for failure in failures:
        print(f"FAIL: {failure}")
    print("RESULT:", "PASS" if not failures else "FAIL")
    return 0 if not failures else 1


def run_one(copies: Copies, workers: Workers, mode: str, timeout=None):
    name = copies.create(mode)
    try:
        worker = workers.start(mode, name)
        result = worker.result(timeout)
        if result is None:
            worker.stop()
        return result
    finally:
        copies.drop(name)


def purge_transactions(result: dict) -> list[float]:
    """Seconds of every transaction of one purge: its chunks and the tombstone's."""
    return [c[2] for c in result["chunks"]] + [result["bury_seconds"]]


def run_variants(bench, copies, workers, other_before, cookies, path) -> list[str]:
    failures: list[str] = []
    problems: list[str] = []

    # 1. Raw SQL and the purge, interleaved, each on a fresh copy.
    raws, purges = [], []
    for round_no in range(1, ROUNDS + 1):
        raw = run_one(copies, workers, "raw")
        problems += [f"raw SQL: {p}" for p in verify(raw, other_before, False)]
        purge = run_one(copies, workers, "purge")
        problems += [f"purge: {p}" for p in verify(purge, other_before, True)]
        raws.append(raw)
        purges.append(purge)
        times = purge_transactions(purge)
        print(
            f"round {round_no}: raw SQL {raw['seconds']:.2f} s, crm_purge "
            f"{purge['seconds']:.2f} s ({len(purge['chunks'])} chunks, longest "
            f"transaction {max(times) * 1000:.0f} ms, "
            f"{sum(t > TARGET_TRANSACTION_MS / 1000 for t in times)} over "
            f"{TARGET_TRANSACTION_MS:.0f} ms)",
            flush=True,
        )
        print(
            f"  raw SQL: {wal_note(raw)}; load {load_note(raw)}\n"
            f"  purge: {wal_note(purge)}; load {load_note(purge)}"
        )
    raw_s = min(r["seconds"] for r in raws)
    best = min(purges, key=lambda r: r["seconds"])
    purge_s = best["seconds"]
    print(
        f"crm_purge ({best['policy']}), fastest of {ROUNDS} "
        f"({len(best['chunks'])} chunk transactions, then the tombstone's "
        f"{best['bury_seconds'] * 1000:.0f} ms):"
    )
    print("\n".join(chunk_report(best["chunks"])))

    raw_ratio = purge_s / raw_s
    ok = raw_ratio <= TARGET_RAW_RATIO
    print(
        f"purge / raw SQL in one transaction = {purge_s:.2f} / {raw_s:.2f} = "
        f"{raw_ratio:.3f} (fastest of {ROUNDS} each; target <= "
        f"{TARGET_RAW_RATIO}): {verdict(ok)}"
    )
    if not ok:
        failures.append(f"purge / raw SQL {raw_ratio:.2f} > {TARGET_RAW_RATIO}")

    worst_ms, where = 0.0, ""
    for round_no, purge in enumerate(purges, 1):
        for table, rows, seconds in purge["chunks"]:
            if seconds * 1000 > worst_ms:
                worst_ms = seconds * 1000
                where = f"a {rows}-row chunk of {table}, round {round_no}"
        if purge["bury_seconds"] * 1000 > worst_ms:
            worst_ms = purge["bury_seconds"] * 1000
            where = f"the tombstone's, round {round_no}"
    ok = worst_ms <= TARGET_TRANSACTION_MS
    print(
        f"longest purge transaction: {worst_ms:.0f} ms ({where}; of all "
        f"{ROUNDS} rounds; target <= {TARGET_TRANSACTION_MS:.0f} ms): {verdict(ok)}"
    )
    if not ok:
        failures.append(f"a purge transaction took {worst_ms:.0f} ms")

    growth = max(mb(p["rss_peak_kb"] - p["rss_before_kb"]) for p in purges)
    ok = growth < TARGET_RSS_GROWTH_MB
    print(
        f"purging worker peak RSS growth: {growth:.1f} MB (RSS "
        f"{mb(best['rss_before_kb']):.0f} MB before crm_purge, after Django set-up; "
        f"peak VmHWM after; largest of {ROUNDS}; target < "
        f"{TARGET_RSS_GROWTH_MB:.0f} MB): {verdict(ok)}"
    )
    if not ok:
        failures.append(f"purging worker RSS grew {growth:.1f} MB")

    # 2. Django's cascade.
    cascade = run_one(copies, workers, "cascade", timeout=CASCADE_TIMEOUT)
    if cascade is None:
        cascade_seconds = CASCADE_TIMEOUT
        print(f"Django crm.delete(): did not finish in {CASCADE_TIMEOUT:.0f} s")
        bound = "<="
    else:
        cascade_seconds = cascade["seconds"]
        problems += [f"cascade: {p}" for p in verify(cascade, other_before, False)]
        print(f"Django crm.delete() as the models stand: {cascade['protected']}"[:300])
        print(
            "  so measured with PROTECT switched to DO_NOTHING in the cascade's "
            f"process only: {', '.join(cascade['unprotected'])}"
        )
        print(
            f"Django crm.delete() (Collector cascade, one transaction): "
            f"{cascade_seconds:.2f} s, its process's RSS grew "
            f"{mb(cascade['rss_peak_kb'] - cascade['rss_before_kb']):,.0f} MB"
        )
        bound = "="
    # The cascade runs once, so it is set against the purge's median round, not
    # the purge's best one: picking the best of several against a single run
    # would flatter the purge.
    purge_median = median([p["seconds"] for p in purges])
    cascade_ratio = purge_median / cascade_seconds
    ok = cascade_ratio <= TARGET_CASCADE_RATIO
    print(
        f"purge / crm.delete() {bound} {purge_median:.2f} / {cascade_seconds:.2f}"
        f" = {cascade_ratio:.3f} (the purge's median of {ROUNDS}, the cascade's "
        f"only run, load {load_note(cascade) if cascade else '?'}; target <= "
        f"{TARGET_CASCADE_RATIO}): {verdict(ok)}"
    )
    if not ok:
        failures.append(f"purge / crm.delete() {cascade_ratio:.3f}")

    # 3. The other CRM's contact list, without, during and again without a purge.
    failures += run_under_load(bench, copies, workers, other_before, cookies, path)

    print(
        "checked after every run: no row of the purged CRM in any PURGE_ORDER "
        "table, its crm_crm row gone, a tombstone (purge), the other CRM's counts "
        f"and id sums in every table and its crm_crm row unchanged: "
        f"{verdict(not problems)}"
    )
    for problem in problems:
        print(f"  {problem}")
    if problems:
        failures.append("verification")
    return failures


def _until_client(index, host, port, setup, barrier, stop, limit, results) -> None:
    """One client of ``LoadUntil``: like _http's, but it stops when told."""
    import http.client

    from _http import Http, OpFailed

    ok = failed = 0
    latencies: list[float] = []
    errors: list[str] = []
    started = time.monotonic()
    try:
        client = Http(host, port)
        operation = setup(index, client)
        barrier.wait(timeout=120)
        started = time.monotonic()
        while not stop.is_set() and time.monotonic() < started + limit:
            begin = time.perf_counter()
            try:
                operation()
            except (OpFailed, OSError, http.client.HTTPException) as error:
                failed += 1
                if len(errors) < 3:
                    errors.append(f"{type(error).__name__}: {error}")
                client.close()
                continue
            latencies.append(time.perf_counter() - begin)
            ok += 1
        client.close()
    except Exception as error:
        errors.append(f"client {index} setup: {type(error).__name__}: {error}")
        barrier.abort()
    results.put((ok, failed, time.monotonic() - started, latencies, errors))


class LoadUntil:
    """_http.run_load's closed loop, started with ``go()`` and stopped with
    ``finish()`` (when the purge ends), at most ``limit`` seconds."""

    def __init__(self, host, port, setup, *, clients: int, limit: float) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.barrier = context.Barrier(clients + 1)
        self.stop = context.Event()
        self.results = context.Queue()
        self.limit = limit
        self.processes = [
            context.Process(
                target=_until_client,
                args=(i, host, port, setup, self.barrier, self.stop, limit),
                kwargs={"results": self.results},
                daemon=True,
            )
            for i in range(clients)
        ]
        for process in self.processes:
            process.start()

    def go(self) -> None:
        self.barrier.wait(timeout=120)

    def finish(self):
        import queue

        from _http import LoadResult

        self.stop.set()
        result = LoadResult("during purge")
        try:
            for _ in self.processes:
                ok, failed, elapsed, latencies, errors = self.results.get(
                    timeout=self.limit + 180
                )
                result.ok += ok
                result.failed += failed
                result.latencies += latencies
                result.errors += errors
                result.rate += ok / elapsed if elapsed > 0 else 0.0
        except queue.Empty:
            result.errors.append("a client did not report back")
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
        return result


def run_under_load(bench, copies, workers, other_before, cookies, path) -> list[str]:
    from _http import Http, run_load

    failures = []
    name = copies.create("load")
    load = None
    try:
        bench.env["DATABASE_URL"] = f"{PG_URL_BASE}/{name}"
        server = bench.start_gunicorn(workers=WORKERS)
        probe = Http(server.host, server.port, {"sessionid": cookies[0]})
        page = probe.get(path)
        probe.close()
        if page.status != 200 or b"Contact " not in page.body:
            return [f"GET {path} answers {page.status} before the purge"]
        print(
            f"load: GET {path} (the other CRM's first page of 50 contacts), "
            f"gunicorn {server.workers} sync workers, {CLIENTS} clients; "
            f"{LOAD_DURATION:g} s with no purge, then for as long as a purge runs "
            f"(at most {LOAD_LIMIT:g} s), then {LOAD_DURATION:g} s with no purge"
        )
        setup = contact_list_setup(path, cookies)
        run_load("warm-up", server.host, server.port, setup, clients=CLIENTS,
                 duration=5.0)  # fmt: skip
        before = run_load(
            "no purge", server.host, server.port, setup, clients=CLIENTS,
            duration=LOAD_DURATION,
        )  # fmt: skip
        print(load_line("no purge (before)", before), flush=True)
        load = LoadUntil(
            server.host, server.port, setup, clients=CLIENTS, limit=LOAD_LIMIT
        )
        worker = workers.start("purge", name)
        worker.wait_started()
        load.go()
        result = worker.result()
        during = load.finish()
        load = None
        print(load_line("while the purge runs", during))
        times = purge_transactions(result)
        print(
            f"  that purge took {result['seconds']:.2f} s under load; its longest "
            f"transaction {max(times) * 1000:.0f} ms, "
            f"{sum(t > TARGET_TRANSACTION_MS / 1000 for t in times)} of "
            f"{len(times)} over {TARGET_TRANSACTION_MS:.0f} ms (for information: "
            f"2 cores shared with the server and the load; load {load_note(result)})"
        )
        after = run_load(
            "no purge", server.host, server.port, setup, clients=CLIENTS,
            duration=LOAD_DURATION,
        )  # fmt: skip
        print(load_line("no purge (after)", after))
        server.process.stop()
        problems = verify(result, other_before, tombstone=True)
        if problems:
            failures.append(f"purge under load: {problems}")
        without = (before.rate + after.rate) / 2
        ratio = during.rate / without if without else 0.0
        ok = ratio >= TARGET_LOAD_RATIO and not during.failed
        print(
            f"contact list during / without a purge = {during.rate:.1f} / "
            f"{without:.1f} (mean of before and after) = {ratio:.3f} (during / "
            f"before alone {during.rate / before.rate if before.rate else 0:.2f}, "
            f"during / after alone {during.rate / after.rate if after.rate else 0:.2f}"
            f"; target >= {TARGET_LOAD_RATIO}): {verdict(ok)}"
        )
        if not ok:
            failures.append(f"contact list during the purge {ratio:.2f} of its rate")
    finally:
        if load is not None:
            load.finish()
        copies.drop(name)
    return failures


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        sys.exit(worker_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    sys.exit(main())
