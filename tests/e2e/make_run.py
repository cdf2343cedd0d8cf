"""The project as a newcomer runs it: ``make run`` in a fresh clone.

A copy of the working tree's files that a clone would have (tracked files and new
ones git does not ignore: no ``var/``, no ``staticfiles/``, no compiled catalogues,
no ``.env``) gets its own ``var/`` and is started with the Makefile's own ``run``
target, so the browser tests see exactly what ``make run`` serves: SQLite, Celery's
filesystem broker, runserver, a real worker and beat, all from the Procfile through
honcho. Only the virtualenv is shared (a symlink to the one running the tests), and
none of the project's variables reach it (CI's DATABASE_URL, REDIS_URL, ...), since a
fresh clone has none.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# migrate and demo_data on SQLite, then three processes starting side by side: tens
# of seconds on a busy two-core machine.
START_TIMEOUT_S = 180
STOP_TIMEOUT_S = 30
# Besides the project's own variables (.env.example), what would make the copy
# behave unlike a newcomer's shell: the test run's settings module and the make
# that may be running the tests.
FOREIGN_VARIABLES = {
    "DJANGO_SETTINGS_MODULE",
    "MAKEFLAGS",
    "MAKELEVEL",
    "MFLAGS",
    "MAKEOVERRIDES",
}
STARTED = re.compile(r"^\S+ system\s+\| (\w+)\.\d+ started \(pid=(\d+)\)$", re.M)
PROCESSES = ("web", "worker", "beat")


@dataclass
class RunningProject:
    """``make run`` at ``url``; its output goes to ``log``."""

    url: str
    clone: Path
    log: Path
    make: subprocess.Popen
    # Each Procfile process's pid, which honcho also makes its process group.
    pids: dict[str, int] = field(default_factory=dict)

    def output(self, last_lines: int = 80) -> str:
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join(lines[-last_lines:])

    @contextmanager
    def worker_paused(self) -> Iterator[None]:
        """Hold the Celery worker (and its pool) still, as a busy worker would be:
        messages wait in the broker's folder until the block ends."""
        group = self.pids["worker"]
        os.killpg(group, signal.SIGSTOP)
        try:
            yield
        finally:
            os.killpg(group, signal.SIGCONT)


def project_variables() -> set[str]:
    """Every variable the settings read, as listed in .env.example."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.M))


def newcomer_environment(port: int) -> dict[str, str]:
    removed = project_variables() | FOREIGN_VARIABLES
    env = {name: value for name, value in os.environ.items() if name not in removed}
    env["WEB_PORT"] = str(port)
    # Every line of every process in the log as it happens, for a failing test.
    env["PYTHONUNBUFFERED"] = "1"
    return env


def clone_working_tree(target: Path) -> None:
    """The files a fresh clone would have, as they are in the working tree now."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        raise RuntimeError(
            "The browser tests copy the tree as a clone would have it, which takes "
            f"git and a checkout: {listed.stderr.decode().strip()}"
        )
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if not source.is_file():  # deleted in the working tree, not yet committed
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    # The virtualenv `make setup` would have made, already installed.
    (target / ".venv").symlink_to(virtualenv())


def virtualenv() -> Path:
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix)
    return ROOT / ".venv"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start(folder: Path) -> RunningProject:
    clone = folder / "clone"
    clone.mkdir()
    clone_working_tree(clone)
    port = free_port()
    log = folder / "make-run.log"
    with log.open("wb") as output:
        make = subprocess.Popen(
            # The virtualenv is there already: its install rule is not run.
            ["make", "-o", ".venv/.installed", "run"],
            cwd=clone,
            env=newcomer_environment(port),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    project = RunningProject(
        url=f"http://127.0.0.1:{port}", clone=clone, log=log, make=make
    )
    try:
        wait_until_ready(project)
    except BaseException:
        stop(project)
        raise
    return project


def wait_until_ready(project: RunningProject) -> None:
    """Until the web answers and the worker says it is ready."""
    deadline = time.monotonic() + START_TIMEOUT_S
    web_up = worker_up = False
    while time.monotonic() < deadline:
        if project.make.poll() is not None:
            raise RuntimeError(
                f"`make run` exited with {project.make.returncode}:\n"
                + project.output()
            )
        text = project.log.read_text(errors="replace")
        project.pids.update({name: int(pid) for name, pid in STARTED.findall(text)})
        worker_up = worker_up or bool(re.search(r"worker\.1 .*celery@\S+ ready", text))
        web_up = web_up or answers(project.url + "/accounts/login/")
        if web_up and worker_up and set(PROCESSES) <= set(project.pids):
            return
        time.sleep(0.5)
    raise RuntimeError(
        f"`make run` was not ready within {START_TIMEOUT_S} s:\n" + project.output()
    )


def stop(project: RunningProject) -> None:
    """Ctrl+C, as in the terminal: make and honcho get it, and honcho stops the
    processes it started; whatever is left after that is killed, so no process
    outlives the test run."""
    for group in project.pids.values():
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGCONT)  # a paused worker cannot stop
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(project.make.pid, signal.SIGINT)
    try:
        project.make.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(project.make.pid, signal.SIGKILL)
        project.make.wait()
    for group in [project.make.pid, *project.pids.values()]:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
