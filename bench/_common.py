"""What every benchmark needs: its own PostgreSQL database and Redis namespace, the
environment set before Django's settings load, gunicorn and a Celery worker as real
subprocesses, and everything removed again at the end, also on failure.

Usage::

    with Bench("portal_list") as bench:  # database created and migrated
        server = bench.start_gunicorn(workers=4)
        cookie = bench.session_cookie(account)
"""

from __future__ import annotations

import http.client
import math
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

VENV_BIN = REPO_ROOT / ".venv" / "bin"
PG_ADMIN_DSN = os.environ.get(
    "BENCH_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PG_URL_BASE = os.environ.get("BENCH_PG_URL_BASE", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
HOST = "127.0.0.1"


def _bin(name: str) -> str:
    candidate = VENV_BIN / name
    return str(candidate if candidate.exists() else Path(sys.executable).parent / name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def machine_note() -> str:
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 50 values is the 48th smallest)."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(len(ordered) * fraction)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


@dataclass
class Process:
    """A subprocess we started, with its combined output in a log file."""

    name: str
    popen: subprocess.Popen
    log_path: Path
    log_file: IO[str]

    def log_tail(self, lines: int = 40) -> str:
        self.log_file.flush()
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=timeout)
        self.log_file.close()


@dataclass
class Server:
    process: Process
    host: str
    port: int
    workers: int


class Bench:
    """One benchmark run: a fresh database, a private Redis namespace, Django set up."""

    def __init__(self, name: str) -> None:
        pid = os.getpid()
        self.name = name
        self.db_name = f"bench_{name}_{pid}"
        # Cache keys, sessions, rate limits and the Celery queue all start with it.
        self.prefix = f"bench-{name}-{pid}-{secrets.token_hex(3)}"
        self.tmp = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        self.env = {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_DEBUG": "off",
            "DJANGO_SECRET_KEY": "bench-" + secrets.token_urlsafe(48),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "off",
            "DATABASE_URL": f"{PG_URL_BASE}/{self.db_name}",
            "REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": self.prefix,
            "BENCH_CELERY_QUEUE": self.prefix,
            "BENCH_STATIC_ROOT": str(self.tmp / "static"),
            "EMAIL_URL": "dummymail://",
            "LOG_LEVEL": "WARNING",
            "CELERY_TASK_ALWAYS_EAGER": "off",
            "PYTHONPATH": str(REPO_ROOT),
        }
        self.processes: list[Process] = []
        self._db_created = False
        self._previous_sigterm = None

    # --- set-up and tear-down ---------------------------------------------------------

    def __enter__(self) -> Bench:
        self._previous_sigterm = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            os.environ.update(self.env)
            self._create_database()
            import django
            from django.core.management import call_command

            django.setup()
            call_command("migrate", interactive=False, verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        for process in reversed(self.processes):
            try:
                process.stop()
            except Exception as error:
                print(f"! could not stop {process.name}: {error}", file=sys.stderr)
        self.processes.clear()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet
            pass
        if self._db_created:
            self._drop_database()
        self._clean_redis()
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)

    def _create_database(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.db_name))
            )
        self._db_created = True

    def _drop_database(self) -> None:
        import psycopg
        from psycopg import sql

        try:
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(self.db_name)
                    )
                )
            self._db_created = False
        except Exception as error:
            print(f"! could not drop database {self.db_name}: {error}", file=sys.stderr)

    def _clean_redis(self) -> None:
        """Our cache keys, sessions and Celery queue, and kombu's bindings of it."""
        try:
            import redis

            client = redis.Redis.from_url(REDIS_URL)
            ours = self.prefix.encode()
            keys = list(client.scan_iter(match=f"{self.prefix}*", count=1000))
            for key in client.scan_iter(match="_kombu.binding*", count=1000):
                if key.endswith(ours):
                    keys.append(key)
                elif client.type(key) == b"set":
                    members = [m for m in client.smembers(key) if ours in m]
                    if members:
                        client.srem(key, *members)
                elif client.type(key) == b"zset":
                    members = [m for m in client.zrange(key, 0, -1) if ours in m]
                    if members:
                        client.zrem(key, *members)
            # Messages a stopping worker had fetched but not acknowledged.
            for tag, message in client.hscan_iter("unacked"):
                if ours in message:
                    client.hdel("unacked", tag)
                    client.zrem("unacked_index", tag)
            if keys:
                client.delete(*keys)
            client.close()
        except Exception as error:
            print(
                f"! could not clean Redis keys {self.prefix}*: {error}", file=sys.stderr
            )

    # --- subprocesses -----------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str]) -> Process:
        log_path = self.tmp / f"{name}.log"
        log_file = log_path.open("w")
        popen = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            env={**os.environ, **self.env},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        process = Process(name, popen, log_path, log_file)
        self.processes.append(process)
        return process

    def start_gunicorn(self, *, workers: int = 4) -> Server:
        """The production server, ``config.wsgi:application``, on a free port."""
        port = free_port()
        process = self._spawn(
            "gunicorn",
            [
                _bin("gunicorn"), "config.wsgi:application",
                "--bind", f"{HOST}:{port}", "--workers", str(workers),
                "--log-level", "warning",
            ],
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not process.alive():
                raise RuntimeError(f"gunicorn exited:\n{process.log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=5)
                conn.request("GET", "/bench/baseline/")
                status = conn.getresponse().status
                conn.close()
            except OSError:
                time.sleep(0.1)
                continue
            if status != 302:  # anonymous: sent to the login page
                raise RuntimeError(
                    f"gunicorn answers {status} to an anonymous baseline request:\n"
                    f"{process.log_tail()}"
                )
            return Server(process, HOST, port, workers)
        raise RuntimeError(f"gunicorn did not start in time:\n{process.log_tail()}")

    def start_celery_worker(self, *, concurrency: int = 2) -> Process:
        """A real worker on this run's own queue; returns once it says it is ready."""
        process = self._spawn(
            "celery-worker",
            [
                _bin("celery"), "-A", "config", "worker",
                "--pool=prefork", f"--concurrency={concurrency}", "--loglevel=info",
                "--without-mingle", "--without-gossip",
                f"--hostname={self.prefix}@%h",
            ],
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not process.alive():
                raise RuntimeError(f"the Celery worker exited:\n{process.log_tail()}")
            process.log_file.flush()
            if " ready." in process.log_path.read_text(errors="replace"):
                return process
            time.sleep(0.1)
        raise RuntimeError(f"the Celery worker was not ready:\n{process.log_tail()}")

    # --- Django helpers (in this process) ---------------------------------------------

    @staticmethod
    def session_cookie(account) -> str:
        """A fresh portal session for ``account`` (in Redis, as the server keeps
        them), as the value of the ``sessionid`` cookie."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(account)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    @staticmethod
    def test_client(account):
        """Django's test client, logged in, addressing an allowed host."""
        from django.test import Client

        client = Client(HTTP_HOST=HOST)
        client.force_login(account)
        return client


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)


def account_create(email: str):
    """An Account with no usable password: sessions are made directly, and hashing
    a password takes a noticeable time per Account."""
    from accounts.models import Account

    return Account.objects.create_user(email=email, password=None)


def crms_create(*, owner, count: int, name_prefix: str) -> list:
    """``count`` active CRMs owned by ``owner``, made by the project's own service
    (the owner's CRM user included, as at sign-up)."""
    from crm.services.crms import crm_create

    return [
        crm_create(owner=owner, name=f"{name_prefix} {i:03d}", provision_now=True)
        for i in range(1, count + 1)
    ]


def header(title: str, command: str) -> None:
    print(f"# {title}")
    print(f"command: {command}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M:%S')}  machine: {machine_note()}")
