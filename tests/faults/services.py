"""Throwaway services for the fault tests, each its own process on a free port.

Redis and PostgreSQL here are this test run's own (a temporary folder, a port no one
else uses), so stopping them touches nothing that other test runs share. The
project runs against them as production runs it: gunicorn for the web, a Celery
worker with beat for the jobs, each a subprocess with the URLs in its environment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests

from tests.servers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60
# Django's file e-mail backend writes this line after every message.
MESSAGE_END = "-" * 79 + "\n"


def _stop_process(process: subprocess.Popen, timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def project_env(**values: str) -> dict[str, str]:
    """The environment of a project process: this run's own services only."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "CELERY_TASK_ALWAYS_EAGER"}
        # Files on this run's disk, not in an object store the run did not start.
        and key != "AWS_STORAGE_BUCKET_NAME"
        and not key.startswith("PYTEST")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONUNBUFFERED": "1",
            "LOG_FORMAT": "console",
            # A Redis that went away is tried again after a second, not five.
            "REDIS_RETRY_AFTER": "1",
            "OUTBOX_RELAY_SECONDS": "1",
        }
    )
    env.update(values)
    return env


def run_python(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass
class WebApp:
    """The project under gunicorn, as production serves it."""

    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "gunicorn", "config.wsgi:application",
                    "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
                    "--threads", "8", "--timeout", "60",
                ],
                cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_for(self._answers, START_TIMEOUT_S, f"gunicorn at {self.url}")

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + self.output())
        try:
            return requests.get(self.url + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        if self.process is not None:
            _stop_process(self.process)


@dataclass
class Worker:
    """A Celery worker with beat inside it (the relay runs every second), with a
    prefork pool of one child: the child runs the tasks, the parent sees it die."""

    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        schedule = self.log.with_suffix(".beat")
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "config", "worker", "-B",
                    "-s", str(schedule), "--pool=prefork", "--concurrency=1",
                    "--loglevel=info", "--without-mingle", "--without-gossip",
                    f"--hostname=faults-{os.getpid()}-{time.monotonic_ns()}@%h",
                ],
                cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        wait_for(
            lambda: "ready." in self.output() or self._exited(),
            START_TIMEOUT_S,
            "the Celery worker ready",
        )
        if self._exited():
            raise RuntimeError("the worker exited:\n" + self.output())

    def _exited(self) -> bool:
        return self.process.poll() is not None

    def children(self) -> list[int]:
        """The pool's processes: the parent's children that are not beat's."""
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            fields = dict(
                line.split(":\t", 1) for line in text.splitlines() if ":\t" in line
            )
            if fields.get("PPid", "").strip() == str(self.process.pid):
                found.append(int(status.parent.name))
        return found

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass
        # Whatever of its group is left (beat, a pool child).
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def sql(url: str, query: str, *params) -> list[tuple]:
    """Rows of a read in a throwaway database, as the test sees them."""
    with psycopg.connect(url, autocommit=True) as connection:
        return connection.execute(query, params).fetchall()


def sent_emails(folder: Path, to: str | None = None) -> list[str]:
    """Every complete e-mail in a file-backend folder (several may share a file);
    with ``to``, those to that address only."""
    messages = []
    for file in sorted(folder.iterdir()):
        messages += file.read_text(errors="replace").split(MESSAGE_END)[:-1]
    if to is not None:
        messages = [m for m in messages if f"\nTo: {to}\n" in m]
    return messages
