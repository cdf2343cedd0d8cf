"""PostgreSQL and Redis servers of a run's own, on free ports in a folder of its
own: stopping or restarting them touches nothing else on the machine. Used by the
production shape (tests/production) and the load test (bench/loadtest.py)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from contextlib import suppress
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, check, timeout: float = 60) -> float:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"not within {timeout} s: {what}")
        time.sleep(0.05)
    return time.time()


class Postgres:
    """A PostgreSQL cluster of our own in ``folder``, on a free port."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        versions = sorted(
            Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
        )
        if not versions:
            raise RuntimeError("PostgreSQL's initdb and pg_ctl are not installed")
        self.bin = versions[-1]
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/portal"

    def _run(self, *command: str) -> None:
        if os.geteuid() == 0:  # initdb and pg_ctl refuse to run as root
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, capture_output=True, cwd="/")

    def _pg_ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        data, log = str(self.folder / "data"), str(self.folder / "log")
        self._run(str(self.bin / "pg_ctl"), "-D", data, "-o", options, "-l", log, *args)

    def start(self) -> None:
        self.folder.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run(
            str(self.bin / "initdb"), "-D", str(self.folder / "data"), "-U",
            "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        self._pg_ctl("-w", "start")
        self._run(
            str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
            "-U", "postgres", "portal",
        )  # fmt: skip

    def answers(self) -> bool:
        done = subprocess.run(
            [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
            capture_output=True,
            check=False,
        )
        return done.returncode == 0

    def restart(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "restart")

    def stop(self) -> None:
        with suppress(subprocess.CalledProcessError):
            self._pg_ctl("-m", "fast", "-w", "stop")


class Redis:
    """A redis-server of our own, append-only as docker-compose.yml runs it."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server", "--port",
                str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
                "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
                "--maxmemory-policy", "noeviction",
            ],
            stdout=(self.folder / "log").open("a"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for("Redis", self.answers, 20)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def restart(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"SHUTDOWN\r\n")  # writes the append-only file, then exits
            with suppress(OSError):
                s.recv(16)
        self.process.wait(timeout=30)
        self.start()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
