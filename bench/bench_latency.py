"""What one person waits for, one request at a time: the portal list of an Account
with 200 CRMs, the Enter chain (enter -> redeem -> CRM home) and an API page of 50
contacts out of 20,000, each the median of 40 after a warm-up, under gunicorn on
PostgreSQL with Redis, as in production.

Run: .venv/bin/python bench/bench_latency.py
     .venv/bin/python bench/bench_latency.py --against ../other-checkout
The second form measures another checkout of the project too (this script is
copied into its bench/ and run there with the same Python), alternating the two
trees twice, and passes when every figure here is within 2x of the other's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
CRMS = int(os.environ.get("BENCH_CRMS", "200"))
CONTACTS = int(os.environ.get("BENCH_CONTACTS", "20000"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "40"))
WARMUP = 10
LIMIT = 2.0
os.environ.setdefault("API_RATE_LIMIT", "1000000/m")


def _timed(operation) -> float:
    started = time.perf_counter()
    operation()
    return (time.perf_counter() - started) * 1000


def _median_ms(operation) -> float:
    for _ in range(WARMUP):
        operation()
    return statistics.median(_timed(operation) for _ in range(SAMPLES))


def measure() -> dict[str, float]:
    """Seed this tree's database through its own services and time the three."""
    sys.path.insert(0, str(HERE.parent))
    from _common import Bench, account_create, crms_create
    from _http import Http, OpFailed

    with Bench("latency") as bench:
        from django.db import connection

        from crm.models import Contact, CrmUser
        from crm.services.apikeys import api_key_create

        owner = account_create("many@bench.example")
        crms_create(owner=owner, count=CRMS, name_prefix="Many")
        walker = account_create("walker@bench.example")
        (crm,) = crms_create(owner=walker, count=1, name_prefix="Walk")
        crm_owner = CrmUser.objects.get(crm=crm, role="owner")
        Contact.objects.bulk_create(
            (
                Contact(
                    crm=crm,
                    responsible=crm_owner,
                    name=f"Contact {n}",
                    email=f"c{n}@example.com",
                    phone=f"+1555{n}",
                )
                for n in range(1, CONTACTS + 1)
            ),
            batch_size=2000,
        )
        # What autovacuum does after a bulk load in production: fresh statistics
        # and a visibility map, so the page's count reads the index alone. The
        # ORM has no name for this maintenance statement.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE crm_contact")
        _key, raw_key = api_key_create(crm=crm, name="bench", created_by=crm_owner)
        server = bench.start_gunicorn(workers=2)
        host, port = server.host, server.port

        lister = Http(host, port, {"sessionid": bench.session_cookie(owner)})

        def portal_list() -> None:
            response = lister.get("/portal/")
            if response.status != 200 or response.body.count(b"Many ") < CRMS:
                raise OpFailed(f"portal list: {response.status}")

        walker_http = Http(host, port, {"sessionid": bench.session_cookie(walker)})
        walker_http.get("/portal/")
        redeem = re.compile(rf"/c/{re.escape(crm.slug)}/sso/[^/]+/$")
        home = f"/c/{crm.slug}/"

        def enter_chain() -> None:
            response = walker_http.request(
                "POST",
                f"/portal/crms/{crm.pk}/enter/",
                body=b"",
                headers={
                    "X-CSRFToken": walker_http.cookies["csrftoken"],
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            if response.status != 302 or not redeem.search(response.location):
                raise OpFailed(f"enter: {response.status} {response.location}")
            response = walker_http.get(response.location)
            if response.status != 302:
                raise OpFailed(f"redeem: {response.status}")
            response = walker_http.get(home)
            if response.status != 200:
                raise OpFailed(f"CRM home: {response.status}")

        api = Http(host, port)
        auth = {"Authorization": f"Bearer {raw_key}"}
        api_path = "/api/v1/contacts/?page_size=50&page=3"

        def api_page() -> None:
            response = api.get(api_path, headers=auth)
            if (
                response.status != 200
                or len(json.loads(response.body)["results"]) != 50
            ):
                raise OpFailed(f"API page: {response.status}")

        return {
            f"portal list, {CRMS} CRMs": _median_ms(portal_list),
            "Enter chain (3 requests)": _median_ms(enter_chain),
            "API contacts, page of 50": _median_ms(api_page),
        }


def run_tree(tree: Path) -> dict[str, float]:
    """This script run inside ``tree`` (a checkout of the project) as a child."""
    target = tree / "bench" / HERE.name
    if target.resolve() != HERE:
        shutil.copyfile(HERE, target)
    output = subprocess.run(
        [sys.executable, str(target), "--json"],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in output.stdout.splitlines():
        if line.startswith("LATENCY "):
            return json.loads(line.removeprefix("LATENCY "))
    raise SystemExit(
        f"{tree}: no figures\n{output.stdout[-3000:]}{output.stderr[-3000:]}"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--against", type=Path)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    if options.json:
        print("LATENCY " + json.dumps(measure()))
        return 0
    print(
        f"== single-request latency, median of {SAMPLES} (ms); {os.cpu_count()} cores"
    )
    if options.against is None:
        for name, value in measure().items():
            print(f"{name:28} {value:8.1f}")
        return 0
    here, there = HERE.parent.parent, options.against.resolve()
    runs: dict[str, list[dict[str, float]]] = {"here": [], "there": []}
    for _round in range(2):
        runs["here"].append(run_tree(here))
        runs["there"].append(run_tree(there))
    passed = True
    print(f"{'':28} {'this tree':>10} {'other tree':>10} {'ratio':>7}")
    for name in runs["here"][0]:
        ours = statistics.median(run[name] for run in runs["here"])
        theirs = statistics.median(run[name] for run in runs["there"])
        ratio = ours / theirs
        passed &= ratio <= LIMIT
        print(f"{name:28} {ours:10.1f} {theirs:10.1f} {ratio:7.2f}")
    print(f"target: every ratio <= {LIMIT:g}")
    print("RESULT:", "PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
