"""Where the time of the benchmarked requests goes, in-process (no server, no load):
CPU time of one request through the whole middleware stack (best of several
tries, so other processes on the machine matter less), its SQL queries, and its
Redis commands. Not a benchmark with a target: ``make bench`` does not run it.

Run: .venv/bin/python bench/profile_requests.py
(with ``--cprofile`` it also prints the top functions of GET /portal/ and of the
Enter chain, by own time or, adding ``cumulative``, by cumulative time; ``--sql``
prints every request's statements.)
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time
from collections.abc import Callable

from _common import Bench, account_create, crms_create, header


def cpu_ms(fn: Callable[[], object], *, tries: int = 7, repeat: int = 5) -> float:
    fn()
    best = float("inf")
    for _ in range(tries):
        started = time.process_time()
        for _ in range(repeat):
            fn()
        best = min(best, (time.process_time() - started) / repeat)
    return best * 1000


class RedisCounter:
    """Counts commands sent by redis-py (each cache or session operation)."""

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self) -> RedisCounter:
        from redis.client import Redis

        self._original = Redis.execute_command
        counter = self

        def counting(client, *args, **kwargs):
            counter.count += 1
            return counter._original(client, *args, **kwargs)

        Redis.execute_command = counting
        return self

    def __exit__(self, *exc_info) -> None:
        from redis.client import Redis

        Redis.execute_command = self._original


def measure(label: str, fn: Callable[[], object], *, cpu: bool = True) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries, RedisCounter() as redis:
        fn()
    sql = [q["sql"] for q in queries.captured_queries]
    statements = [s for s in sql if s not in ("BEGIN", "COMMIT")]
    cpu_text = f"{cpu_ms(fn):7.2f} ms CPU" if cpu else " " * 14
    print(
        f"{label:<44} {cpu_text}  {len(statements):2d} SQL"
        f" (+{len(sql) - len(statements)} BEGIN/COMMIT)  {redis.count} Redis"
    )
    if "--sql" in sys.argv:
        for statement in sql:
            print(f"    {statement[:160]}")


def main() -> int:
    header("In-process profile of the benchmarked requests", " ".join(sys.argv))
    with Bench("profile") as bench:
        accounts = {}
        for count in (0, 1, 10, 200):
            accounts[count] = account_create(f"owner-{count}@bench.example")
            crms_create(
                owner=accounts[count], count=count, name_prefix=f"Profile {count}"
            )
        clients = {count: bench.test_client(a) for count, a in accounts.items()}
        measure("GET /bench/baseline/", lambda: clients[0].get("/bench/baseline/"))
        for count, client in clients.items():
            label = f"GET /portal/ with {count} CRMs"
            measure(label, lambda c=client: c.get("/portal/"))

        from crm.models import Crm

        crm = Crm.objects.filter(owner=accounts[1]).get()
        client = clients[1]
        client.get("/portal/")
        state = {}

        def enter():
            response = client.post(f"/portal/crms/{crm.pk}/enter/")
            assert response.status_code == 302, response.status_code
            state["redeem"] = response["Location"]

        def redeem():
            enter()
            response = client.get(state["redeem"])
            assert response.status_code == 302, response.status_code

        def home():
            response = client.get(f"/c/{crm.slug}/")
            assert b"You are signed in as" in response.content

        def chain():
            redeem()
            home()

        chain()
        measure("Enter 1/3: POST /portal/crms/<id>/enter/", enter)
        enter()
        measure(
            "Enter 2/3: GET /c/<slug>/sso/<token>/",
            lambda: client.get(state["redeem"]),
            cpu=False,
        )
        print(
            f"{'  (CPU: POST enter + GET redeem, less POST enter)':<44} "
            f"{cpu_ms(redeem) - cpu_ms(enter):7.2f} ms CPU"
        )
        measure("Enter 3/3: GET /c/<slug>/", home)
        measure("Enter chain, all three", chain)

        if "--cprofile" in sys.argv:
            for label, fn in (("GET /portal/ with 200 CRMs", None), ("chain", chain)):
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(20):
                    if fn is None:
                        clients[200].get("/portal/")
                    else:
                        fn()
                profile.disable()
                print(f"\n--- cProfile, 20 x {label}")
                order = "cumulative" if "cumulative" in sys.argv else "tottime"
                lines = int(os.environ.get("PROFILE_LINES", "20"))
                pstats.Stats(profile).sort_stats(order).print_stats(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
