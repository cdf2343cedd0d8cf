"""Load on the production shape, and PostgreSQL and Redis restarted under it.

    make loadtest        # or: .venv/bin/python bench/loadtest.py

Starts its own PostgreSQL and Redis (append-only, as in docker-compose.yml) on free
ports in a temporary folder, so restarting them touches nothing else on the
machine; then gunicorn, a Celery worker and beat from the runtime virtualenv
(requirements.txt alone, tests/production/runtime.py) with DJANGO_DEBUG off, and
seeds owners with CRMs, contacts and API keys through the project's services.
bench/locustfile.py plays owners (the portal, Enter, pages and forms) and
integrations (the API):

1. **steady**: LOADTEST_USERS users for LOADTEST_STEADY_SECONDS; the requests per
   second held and latency after the first 15 s (users arriving and signing in),
   and errors over the whole phase (target 0).
2. **restarts**: the same load for LOADTEST_FAULT_SECONDS; at a third of it
   PostgreSQL is restarted (``pg_ctl restart -m fast``: every connection cut), at
   two thirds Redis (``SHUTDOWN``, then started again on its append-only file).
   An outage window runs from the restart command to the service answering again;
   errors outside the windows (target 0) and during them are counted apart.
   Afterwards every contact the site acknowledged in either phase (201 from the
   API, a form that landed on the new card) must exist in its CRM: acknowledged
   writes lost (target 0).

Exits 1 when a target is missed. Environment: LOADTEST_USERS (30),
LOADTEST_STEADY_SECONDS (60), LOADTEST_FAULT_SECONDS (90), LOADTEST_WEB_WORKERS (3).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.production.runtime import runtime_venv  # noqa: E402
from tests.servers import PostgresServer, RedisServer, free_port, wait_for  # noqa: E402

USERS = int(os.environ.get("LOADTEST_USERS", "30"))
STEADY_SECONDS = int(os.environ.get("LOADTEST_STEADY_SECONDS", "60"))
FAULT_SECONDS = int(os.environ.get("LOADTEST_FAULT_SECONDS", "90"))
WEB_WORKERS = int(os.environ.get("LOADTEST_WEB_WORKERS", "3"))
OWNERS, CRMS_PER_OWNER, CONTACTS_PER_CRM = 6, 2, 60
WARM_UP_SECONDS = 15
PASSWORD = "Load-test-" + secrets.token_hex(6)


class Processes:
    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env, self.running = folder, env, []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("a")
        popen = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.running.append((name, popen))
        return popen

    def check(self) -> None:
        for name, popen in self.running:
            if popen.poll() is not None:
                tail = (self.folder / f"{name}.log").read_text()[-3000:]
                raise RuntimeError(f"{name} exited:\n{tail}")

    def stop(self) -> None:
        for _name, popen in self.running:
            if popen.poll() is None:
                os.killpg(popen.pid, signal.SIGTERM)
        for _name, popen in self.running:
            try:
                popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(popen.pid, signal.SIGKILL)


def seed(folder: Path) -> Path:
    """Owners with CRMs, contacts and an API key per CRM, by the services."""
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.core.management import call_command
    from django.db import connections

    from accounts.models import Account
    from crm.models import CrmUser
    from crm.services.apikeys import api_key_create
    from crm.services.crms import crm_create
    from crm.services.records import contact_save

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    owners, keys = [], []
    for number in range(OWNERS):
        email = f"owner{number}@load.example"
        account = Account.objects.create_user(email=email, password=PASSWORD)
        EmailAddress.objects.create(
            user=account, email=email, verified=True, primary=True
        )
        crms = []
        for crm_number in range(CRMS_PER_OWNER):
            crm = crm_create(
                owner=account, name=f"Load {number}-{crm_number}", provision_now=True
            )
            actor = CrmUser.objects.get(crm=crm, account=account)
            contacts = [
                contact_save(crm=crm, actor=actor, data={"name": f"Seeded {i}"}).pk
                for i in range(CONTACTS_PER_CRM)
            ]
            _key, raw = api_key_create(crm=crm, name="Load", created_by=actor)
            crms.append({"id": crm.pk, "slug": crm.slug, "contacts": contacts})
            keys.append({"crm_id": crm.pk, "key": raw, "contacts": contacts})
        owners.append({"email": email, "password": PASSWORD, "crms": crms})
    connections.close_all()
    path = folder / "seed.json"
    path.write_text(json.dumps({"owners": owners, "keys": keys}))
    return path


def locust(host: str, seed_path: Path, out: Path, seconds: int) -> subprocess.Popen:
    out.mkdir(parents=True)
    env = {**os.environ, "LOADTEST_SEED": str(seed_path), "LOADTEST_OUT": str(out)}
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("locust")), "-f",
            str(ROOT / "bench" / "locustfile.py"), "--headless", "--host", host,
            "--users", str(USERS), "--spawn-rate", str(max(1, USERS // 5)),
            "--run-time", f"{seconds}s", "--stop-timeout", "10", "--only-summary",
            "--loglevel", "WARNING",
        ],
        env=env,
        stdout=(out / "locust.log").open("w"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip


def read_lines(out: Path, prefix: str) -> list[dict]:
    lines = []
    for path in sorted(out.glob(f"{prefix}-*.jsonl")):
        lines += [json.loads(line) for line in path.read_text().splitlines() if line]
    return lines


def summary(requests: list[dict], warm_up: float = 0) -> dict:
    """Requests per second, latency and errors, after the first ``warm_up``
    seconds (users arriving and signing in: each sign-in hashes a password)."""
    if requests:
        start = min(r["t"] for r in requests) + warm_up
        requests = [r for r in requests if r["t"] >= start]
    if not requests:
        return {"requests": 0, "rps": 0.0, "errors": 0, "p50_ms": 0, "p95_ms": 0}
    times = sorted(r["d"] for r in requests)
    first = min(r["t"] for r in requests)
    last = max(r["t"] + r["d"] for r in requests)
    return {
        "requests": len(requests),
        "rps": len(requests) / (last - first),
        "p50_ms": 1000 * times[len(times) // 2],
        "p95_ms": 1000 * times[int(len(times) * 0.95)],
        "errors": sum(1 for r in requests if r["error"]),
    }


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="loadtest-"))
    os.chmod(folder, 0o755)  # noqa: S103 - the postgres user goes through it
    postgres = PostgresServer(folder / "postgres")
    redis = RedisServer(folder / "redis", append_only=True)
    venv = runtime_venv()
    port = free_port()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        # Production settings over plain HTTP on loopback (bench/settings.py).
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "off",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "off",
        # As behind one load balancer: each simulated person has an address.
        "ALLAUTH_TRUSTED_PROXY_COUNT": "1",
        "DATABASE_URL": postgres.url(),
        "REDIS_URL": redis.url(),
        "CACHE_KEY_PREFIX": "loadtest",
        "EMAIL_URL": "dummymail://",
        "BENCH_STATIC_ROOT": str(folder / "static"),
        "MEDIA_ROOT": str(folder / "media"),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
    }
    processes = Processes(folder, env)
    host = f"http://127.0.0.1:{port}"
    try:
        postgres.init()
        postgres.start()
        postgres.createdb()
        redis.start()
        saved = dict(os.environ)
        os.environ.update(env)
        seed_path = seed(folder)
        os.environ.clear()
        os.environ.update(saved)
        processes.start(
            "web",
            [
                str(venv / "bin" / "gunicorn"), "config.wsgi:application",
                f"--bind=127.0.0.1:{port}", f"--workers={WEB_WORKERS}",
                "--timeout=30",
            ],
        )  # fmt: skip
        celery = str(venv / "bin" / "celery")
        processes.start("worker", [celery, "-A", "config", "worker", "--concurrency=1"])
        processes.start(
            "beat",
            [celery, "-A", "config", "beat", f"--schedule={folder / 'beat-schedule'}"],
        )

        def ready() -> bool:
            processes.check()
            try:
                with urllib.request.urlopen(f"{host}/readyz", timeout=5) as answer:  # noqa: S310
                    return answer.status == 200
            except OSError:
                return False

        wait_for(ready, 120, "the site's /readyz")

        print(f"steady: {USERS} users for {STEADY_SECONDS} s against {host}")
        steady_out = folder / "steady"
        locust(host, seed_path, steady_out, STEADY_SECONDS).wait()
        processes.check()

        print(f"restarts: {USERS} users for {FAULT_SECONDS} s")
        fault_out = folder / "restarts"
        load = locust(host, seed_path, fault_out, FAULT_SECONDS)
        windows: list[tuple[str, float, float]] = []

        def restarts() -> None:
            started = time.time()
            for at, name, service in (
                (FAULT_SECONDS / 3, "PostgreSQL", postgres),
                (2 * FAULT_SECONDS / 3, "Redis", redis),
            ):
                time.sleep(max(0.0, started + at - time.time()))
                begin = time.time()
                service.restart()
                wait_for(service.answers, 60, name)
                end = time.time()
                windows.append((name, begin, end))

        thread = threading.Thread(target=restarts)
        thread.start()
        load.wait()
        thread.join()
        processes.check()
        # The outbox relay (every 10 s) sends what the outage held back.
        time.sleep(12)

        steady_requests = read_lines(steady_out, "requests")
        steady = summary(steady_requests, warm_up=WARM_UP_SECONDS)
        steady_errors = sum(1 for r in steady_requests if r["error"])
        faulted = read_lines(fault_out, "requests")
        during = summary(faulted)

        def in_window(r: dict) -> bool:
            return any(
                r["t"] <= end and r["t"] + r["d"] >= begin
                for _name, begin, end in windows
            )

        outside = [r for r in faulted if r["error"] and not in_window(r)]
        inside = [r for r in faulted if r["error"] and in_window(r)]
        acknowledged = read_lines(steady_out, "acknowledged") + read_lines(
            fault_out, "acknowledged"
        )
        lost = missing(acknowledged)

        print()
        print(
            f"steady: {steady['rps']:.1f} requests/s over {steady['requests']} "
            f"requests after a {WARM_UP_SECONDS} s warm-up, p50 "
            f"{steady['p50_ms']:.0f} ms, p95 {steady['p95_ms']:.0f} ms; errors "
            f"{steady_errors} of {len(steady_requests)} (whole phase)"
        )
        for name, begin, end in windows:
            print(f"{name} restart: out for {end - begin:.1f} s")
        print(
            f"restarts: {during['rps']:.1f} requests/s over {during['requests']} "
            f"requests; errors outside the outage windows {len(outside)}, during "
            f"them {len(inside)}"
        )
        print(
            f"acknowledged writes: {len(acknowledged)} "
            f"({sum(1 for a in acknowledged if a['via'] == 'api')} over the API), "
            f"lost {len(lost)}"
        )
        kinds: dict[str, int] = {}
        for r in outside:
            kind = f"{r['name']}: {r['error'][:60]}"
            kinds[kind] = kinds.get(kind, 0) + 1
        for kind, count in sorted(kinds.items(), key=lambda item: -item[1]):
            print(f"  outside x{count} {kind}")
        for r in (outside + inside)[:15]:
            where = "outside" if r in outside else "inside "
            print(f"  {where} {r['name']}: {r['error']}")
        for r in [r for r in read_lines(steady_out, "requests") if r["error"]][:10]:
            print(f"  steady {r['name']}: {r['error']}")
        for a in lost[:10]:
            print(f"  lost: {a}")
        return 1 if steady_errors or outside or lost else 0
    finally:
        processes.stop()
        redis.stop()
        with suppress(RuntimeError):  # not started: nothing to stop
            postgres.stop(mode="fast")
        if os.environ.get("LOADTEST_KEEP"):
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def missing(acknowledged: list[dict]) -> list[dict]:
    """The acknowledged contacts that are not in their CRM (this process's Django
    reads the run's own database)."""
    from django.db import connections

    from crm.models import Contact

    connections.close_all()  # opened before the restart
    found = set(
        Contact.objects.filter(pk__in=[a["id"] for a in acknowledged]).values_list(
            "crm_id", "pk"
        )
    )
    return [a for a in acknowledged if (a["crm"], a["id"]) not in found]


if __name__ == "__main__":
    sys.exit(main())
