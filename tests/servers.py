"""PostgreSQL and Redis servers of a run's own, on free ports in a folder of its
own: stopping, killing or restarting them touches nothing else on the machine.
Used by the fault tests (tests/faults), the production shape (tests/production)
and the load test (bench/loadtest.py)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    """``condition()``'s first true answer, asked every ``interval`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"not within {timeout} s: {what}")


@dataclass
class RedisServer:
    """A redis-server in ``folder``. ``append_only``: it keeps what it holds over
    a restart, as docker-compose.yml runs it; otherwise a restart comes back
    empty, as the worst case does."""

    folder: Path
    append_only: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.append_only:
            keeping = ["--appendonly", "yes", "--appendfsync", "everysec",
                       "--maxmemory-policy", "noeviction"]  # fmt: skip
        else:
            keeping = ["--appendonly", "no"]
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.folder), "--save", "", *keeping,
            ],
            stdout=(self.folder / "log").open("a"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for(self.answers, 20, "redis-server answering")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def restart(self) -> None:
        """Shut down as an operator does (the append-only file written), start."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"SHUTDOWN\r\n")
            with suppress(OSError):
                s.recv(16)
        self.process.wait(timeout=30)
        self.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()  # as a crash would: nothing saved, no goodbye
            self.process.wait()
            self.process = None


def _postgres_bin() -> Path:
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
    )
    if not versions:
        raise RuntimeError("PostgreSQL's initdb and pg_ctl are not installed")
    return versions[-1]


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in ``folder`` (``init``, ``start``, ``createdb``)."""

    folder: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, name: str = "portal") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *command: str) -> None:
        # initdb and pg_ctl refuse to run as root: then as the postgres user.
        if os.geteuid() == 0:
            command = ("runuser", "-u", "postgres", "--", *command)
        done = subprocess.run(command, capture_output=True, text=True, cwd="/")
        if done.returncode:
            raise RuntimeError(f"{command} failed:\n{done.stdout}\n{done.stderr}")

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(_postgres_bin() / "pg_ctl"), "-D", str(self.data), *args)

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run(
            str(_postgres_bin() / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip

    def start(self) -> None:
        # No fsync: a stop here is the server's crash, not the machine's.
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._pg_ctl(
            "-o", options, "-l", str(self.folder / "log"), "-w", "-t", "30", "start"
        )

    def stop(self, mode: str = "immediate") -> None:
        """``immediate``: every connection cut at once, recovery at the next start,
        as after a crash of the server process; ``fast``: as an operator stops it."""
        self._pg_ctl("-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop(mode="fast")
        self.start()

    def answers(self) -> bool:
        done = subprocess.run(
            [str(_postgres_bin() / "pg_isready"), "-h", "127.0.0.1", "-p",
             str(self.port)],
            capture_output=True, check=False,
        )  # fmt: skip
        return done.returncode == 0

    def createdb(self, name: str = "portal") -> None:
        subprocess.run(
            [str(_postgres_bin() / "createdb"), "-h", "127.0.0.1", "-p",
             str(self.port), "-U", "postgres", name],
            check=True, capture_output=True,
        )  # fmt: skip
