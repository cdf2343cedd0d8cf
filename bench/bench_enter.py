"""Enter: complete enter -> redeem -> CRM home chains per second ÷ requests/s of a
minimal session-authenticated Django view served by the same server ≥ 0.25.

A chain is what a browser does after pressing Enter on the portal list:
POST /portal/crms/<id>/enter/ (302) -> GET /c/<slug>/sso/<token>/ (302, new session
id) -> GET /c/<slug>/ (200, "You are signed in as"). Every client has its own
Account, owning its own CRM, and its own session.

Run: .venv/bin/python bench/bench_enter.py
(BENCH_WORKERS, BENCH_CLIENTS, BENCH_DURATION, BENCH_ROUNDS change the load.)
"""

from __future__ import annotations

import os
import re
import sys

from _common import Bench, account_create, crms_create, header
from _http import Http, OpFailed, Scenario, compare

TARGET_RATIO = 0.25
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
DURATION = float(os.environ.get("BENCH_DURATION", "6"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SIGNED_IN = b"You are signed in as"


def baseline_scenario(bench: Bench, accounts: list) -> Scenario:
    def prepare():
        cookies = [bench.session_cookie(account) for account in accounts]

        def setup(index: int, http: Http):
            http.cookies["sessionid"] = cookies[index]

            def operation() -> None:
                response = http.get("/bench/baseline/")
                if response.status != 200 or response.body != b"ok":
                    raise OpFailed(f"baseline: {response.status}")

            return operation

        return setup

    return Scenario("baseline", prepare)


def enter_scenario(bench: Bench, accounts: list, crms: list) -> Scenario:
    def prepare():
        # Fresh sessions each time: every redeem gives the browser a new session id,
        # so the ones of an earlier measurement are gone.
        cookies = [bench.session_cookie(account) for account in accounts]

        def setup(index: int, http: Http):
            http.cookies["sessionid"] = cookies[index]
            crm = crms[index]
            enter_path = f"/portal/crms/{crm.pk}/enter/"
            home_path = f"/c/{crm.slug}/"
            redeem = re.compile(
                rf"^(?:http://[^/]+)?/c/{re.escape(crm.slug)}/sso/[^/]+/$"
            )
            # Where the Enter button is: the portal list, which sets the CSRF cookie.
            listing = http.get("/portal/")
            if listing.status != 200 or "csrftoken" not in http.cookies:
                raise OpFailed(f"portal list: {listing.status}, no CSRF cookie")

            def operation() -> None:
                response = http.request(
                    "POST",
                    enter_path,
                    body=b"",
                    headers={
                        "X-CSRFToken": http.cookies["csrftoken"],
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                )
                if response.status != 302 or not redeem.match(response.location):
                    raise OpFailed(f"enter: {response.status} -> {response.location}")
                response = http.get(response.location)
                if response.status != 302 or not response.location.endswith(home_path):
                    raise OpFailed(f"redeem: {response.status} -> {response.location}")
                response = http.get(home_path)
                if response.status != 200 or SIGNED_IN not in response.body:
                    raise OpFailed(f"CRM home: {response.status}")

            return operation

        return setup

    return Scenario("enter", prepare)


def main() -> int:
    header(
        "Enter: enter -> redeem -> CRM home chains",
        ".venv/bin/python bench/bench_enter.py",
    )
    with Bench("enter") as bench:
        accounts, crms = [], []
        for i in range(CLIENTS):
            account = account_create(f"enter-{i:02d}@bench.example")
            accounts.append(account)
            crms += crms_create(
                owner=account, count=1, name_prefix=f"Enter Bench {i:02d}"
            )
        server = bench.start_gunicorn(workers=WORKERS)
        print(
            f"gunicorn config.wsgi:application, {server.workers} sync workers; "
            f"{CLIENTS} concurrent clients (one Account and CRM each), "
            f"{ROUNDS} rounds x {DURATION:g} s each, interleaved"
        )
        result = compare(
            baseline_scenario(bench, accounts),
            enter_scenario(bench, accounts, crms),
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
        f"enter chains (3 requests each): {target.rate:.1f} chains/s "
        f"(p50 {target.p50_ms:.1f} ms, p95 {target.p95_ms:.1f} ms per chain)"
    )
    ratio_ok = result.ratio >= TARGET_RATIO
    print(
        f"ratio chains/baseline = {result.ratio:.3f} (target >= {TARGET_RATIO}): "
        f"{'PASS' if ratio_ok else 'FAIL'}"
    )
    if failures:
        print(f"FAIL: {failures} operations did not answer as expected")
    passed = ratio_ok and not failures
    print("RESULT:", "PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
