"""Portal list with 200 CRMs: queries stay constant (asserted), and requests/s of
GET /portal/ ÷ requests/s of a minimal session-authenticated Django view served by
the same server ≥ 0.5.

Run: .venv/bin/python bench/bench_portal_list.py
(BENCH_WORKERS, BENCH_CLIENTS, BENCH_DURATION, BENCH_ROUNDS change the load;
BENCH_CRMS the size of the large list, 200 by default.)
"""

from __future__ import annotations

import os
import sys

from _common import Bench, account_create, crms_create, header
from _http import Http, OpFailed, Scenario, compare

TARGET_RATIO = 0.5
SMALL = 10
LARGE = int(os.environ.get("BENCH_CRMS", "200"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
DURATION = float(os.environ.get("BENCH_DURATION", "6"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def count_queries(bench: Bench, account) -> tuple[int, list[str]]:
    """Queries of one GET /portal/ (after a first, warming request)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = bench.test_client(account)
    response = client.get("/portal/")
    assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/portal/")
    assert response.status_code == 200, response.status_code
    return len(captured), [q["sql"] for q in captured.captured_queries]


def get_scenario(label: str, path: str, cookies: list[str], marker: bytes) -> Scenario:
    def prepare():
        def setup(index: int, http: Http):
            http.cookies["sessionid"] = cookies[index % len(cookies)]

            def operation() -> None:
                response = http.get(path)
                if response.status != 200 or marker not in response.body:
                    raise OpFailed(f"GET {path}: {response.status}")

            return operation

        return setup

    return Scenario(label, prepare)


def main() -> int:
    header(
        f"Portal list with {LARGE} CRMs",
        ".venv/bin/python bench/bench_portal_list.py",
    )
    with Bench("portal_list") as bench:
        small = account_create("small-owner@bench.example")
        crms_create(owner=small, count=SMALL, name_prefix="Small Bench CRM")
        large = account_create("large-owner@bench.example")
        crms_create(owner=large, count=LARGE, name_prefix="Large Bench CRM")

        small_count, _ = count_queries(bench, small)
        large_count, large_sql = count_queries(bench, large)
        print(
            f"queries for GET /portal/: {SMALL} CRMs -> {small_count}, "
            f"{LARGE} CRMs -> {large_count}"
        )
        for sql in large_sql:
            print(f"  {sql[:150]}")
        queries_ok = small_count == large_count
        print(f"constant queries: {'PASS' if queries_ok else 'FAIL'}")

        server = bench.start_gunicorn(workers=WORKERS)
        print(
            f"gunicorn config.wsgi:application, {server.workers} sync workers; "
            f"{CLIENTS} concurrent clients, {ROUNDS} rounds x {DURATION:g} s each, "
            "interleaved"
        )
        # The page really lists the CRMs, each with its Enter button.
        probe = Http(
            server.host, server.port, {"sessionid": bench.session_cookie(large)}
        )
        page = probe.get("/portal/")
        rows = page.body.count(b'data-status="active"')
        probe.close()
        print(f"GET /portal/ over HTTP: {page.status}, {len(page.body)} B, {rows} rows")
        if page.status != 200 or rows != LARGE:
            print(f"FAIL: the portal page does not list the {LARGE} CRMs")
            return 1

        cookies = [bench.session_cookie(large) for _ in range(CLIENTS)]
        result = compare(
            get_scenario("baseline", "/bench/baseline/", cookies, b"ok"),
            get_scenario("portal", "/portal/", cookies, b"</html>"),
            host=server.host,
            port=server.port,
            clients=CLIENTS,
            duration=DURATION,
            rounds=ROUNDS,
        )
    base, target = result.baseline, result.target
    failures = base.failed + target.failed
    print(
        f"baseline /bench/baseline/: {base.rate:.1f} req/s "
        f"(p50 {base.p50_ms:.1f} ms, p95 {base.p95_ms:.1f} ms)"
    )
    print(
        f"portal /portal/ ({LARGE} CRMs): {target.rate:.1f} req/s "
        f"(p50 {target.p50_ms:.1f} ms, p95 {target.p95_ms:.1f} ms)"
    )
    ratio_ok = result.ratio >= TARGET_RATIO
    print(
        f"ratio portal/baseline = {result.ratio:.3f} (target >= {TARGET_RATIO}): "
        f"{'PASS' if ratio_ok else 'FAIL'}"
    )
    if failures:
        print(f"FAIL: {failures} requests did not answer as expected")
    passed = queries_ok and ratio_ok and not failures
    print("RESULT:", "PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
