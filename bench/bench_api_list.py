"""API list of contacts (a page of 50, one filter) under gunicorn on PostgreSQL:
requests/s ÷ a minimal Django view doing one indexed query of 50 rows, same server,
same run, ≥ 0.5.

Run: .venv/bin/python bench/bench_api_list.py
(BENCH_WORKERS, BENCH_CLIENTS, BENCH_DURATION, BENCH_ROUNDS change the load;
BENCH_VACUUM=0 leaves the seeded table as a server without autovacuum would.)
"""

from __future__ import annotations

import json
import os
import sys

from _common import Bench, account_create, crms_create, header
from _http import Http, OpFailed, Scenario, compare

TARGET_RATIO = 0.5
CONTACTS = int(os.environ.get("BENCH_CONTACTS", "20000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
DURATION = float(os.environ.get("BENCH_DURATION", "6"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
# The key's rate limit stays on (every request is counted, as in production), but
# far above what the load can reach: at the default 600/m the API would answer 429
# as soon as it served more than 10 requests/s over a minute, and the benchmark
# would measure the limit rather than the endpoint. Gunicorn inherits it.
RATE_LIMIT = os.environ.setdefault("API_RATE_LIMIT", "1000000/m")
VACUUM = os.environ.get("BENCH_VACUUM", "1") != "0"


def seed(crm, users) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO crm_contact (crm_id, responsible_id, name, email, phone,"
            " is_archived, custom, created_at, updated_at)"
            " SELECT %s, (ARRAY[%s, %s])[1 + n %% 2], 'Contact ' || n,"
            " 'c' || n || '@example.com', '+1555' || n, false, '{}', now(), now()"
            " FROM generate_series(1, %s) n",
            [crm.pk, users[0].pk, users[1].pk, CONTACTS],
        )
        # What autovacuum does after a bulk load in production (it is off on the
        # shared benchmark server): statistics, and the visibility map, without
        # which the page's COUNT(*) reads every matching row from the table
        # rather than from the (crm, responsible) index alone.
        cursor.execute("VACUUM ANALYZE" if VACUUM else "ANALYZE")


def scenario(label: str, path: str, headers: dict[str, str]) -> Scenario:
    def prepare():
        def setup(index: int, http: Http):
            def operation() -> None:
                response = http.get(path, headers=headers)
                if response.status != 200:
                    raise OpFailed(f"GET {path}: {response.status}")
                if len(json.loads(response.body)["results"]) != 50:
                    raise OpFailed(f"GET {path}: not 50 rows")

            return operation

        return setup

    return Scenario(label, prepare)


def main() -> int:
    header(
        "API list of contacts: a page of 50 with one filter",
        ".venv/bin/python bench/bench_api_list.py",
    )
    with Bench("api_list") as bench:
        from crm.models import CrmUser
        from crm.services.apikeys import api_key_create
        from crm.services.users import crm_user_create

        owner = account_create("owner@bench.example")
        (crm,) = crms_create(owner=owner, count=1, name_prefix="Api")
        owner_user = CrmUser.objects.get(crm=crm, role="owner")
        staff = crm_user_create(
            crm=crm, name="Staff", email="staff@bench.example", password="x"
        )
        seed(crm, [owner_user, staff])
        _key, raw_key = api_key_create(crm=crm, name="bench", created_by=owner_user)

        server = bench.start_gunicorn(workers=WORKERS)
        api_path = f"/api/v1/contacts/?responsible_id={staff.pk}&page_size=50"
        auth = {"Authorization": f"Bearer {raw_key}"}
        print(
            f"gunicorn, {server.workers} sync workers; {CLIENTS} clients, "
            f"{ROUNDS} rounds x {DURATION:g} s, interleaved; {CONTACTS:,} contacts;"
            f" API rate limit {RATE_LIMIT};"
            f" seeded table {'vacuumed' if VACUUM else 'not vacuumed'} and analyzed"
        )
        result = compare(
            scenario("baseline", f"/bench/baseline-query/?crm={crm.pk}", {}),
            scenario("api", api_path, auth),
            host=server.host,
            port=server.port,
            clients=CLIENTS,
            duration=DURATION,
            rounds=ROUNDS,
        )
    base, target = result.baseline, result.target
    print(f"baseline (one indexed query of 50 rows): {base.rate:.1f} req/s")
    print(f"API GET {api_path}: {target.rate:.1f} req/s")
    failures = base.failed + target.failed
    passed = result.ratio >= TARGET_RATIO and not failures
    print(f"ratio api/baseline = {result.ratio:.3f} (target >= {TARGET_RATIO})")
    if failures:
        print(f"FAIL: {failures} requests did not answer as expected")
    print("RESULT:", "PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
