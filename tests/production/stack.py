"""The production shape, started from the runtime virtualenv alone: gunicorn web
processes, Celery workers and one beat, on PostgreSQL, Redis and an S3 API, each
process in a working directory (and MEDIA_ROOT) of its own, as on its own machine.

A person's browser is played by :class:`Browser`: plain HTTP with a cookie jar,
reading each form (and its CSRF token) from the page. Any 5xx fails at once."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from tests.browser_forms import form_data

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    folder: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@dataclass
class Stack:
    runtime: Path
    folder: Path
    env: dict[str, str]
    processes: list[Process] = field(default_factory=list)
    stopped: list[Process] = field(default_factory=list)

    def python(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(
            [str(self.runtime / "bin" / "python"), *args],
            cwd=cwd or self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self, name: str, *argv: str) -> Process:
        folder = self.folder / name
        (folder / "media").mkdir(parents=True, exist_ok=True)
        log = folder / "output.log"
        env = {**self.env, "MEDIA_ROOT": str(folder / "media")}
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [str(self.runtime / "bin" / argv[0]), *argv[1:]],
                cwd=folder,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name=name, popen=popen, log=log, folder=folder)
        self.processes.append(process)
        return process

    def report(self) -> str:
        return "\n".join(
            f"===== {p.name} (exit {p.popen.poll()}) =====\n{p.tail()}"
            for p in self.processes
        )

    def assert_running(self) -> None:
        dead = [p.name for p in self.processes if p.popen.poll() is not None]
        assert not dead, f"exited: {dead}\n{self.report()}"

    def stop_process(self, process: Process) -> None:
        os.killpg(process.popen.pid, signal.SIGTERM)
        process.popen.wait(timeout=20)
        self.processes.remove(process)
        self.stopped.append(process)

    def stop(self) -> None:
        for process in self.processes:
            if process.popen.poll() is None:
                os.killpg(process.popen.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait()

    def json_lines(self, name_prefix: str = "") -> list[tuple[str, dict]]:
        """Every JSON log line of the processes whose name starts so."""
        found = []
        for process in self.processes + self.stopped:
            if not process.name.startswith(name_prefix):
                continue
            for line in process.log.read_text(errors="replace").splitlines():
                if line.startswith("{"):
                    try:
                        found.append((process.name, json.loads(line)))
                    except ValueError:
                        continue
        return found


class ServerError(AssertionError):
    pass


class Browser:
    """A person's browser on the site, through whichever web process ``base``
    names. Follows redirects itself so that every hop is checked for a 5xx."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.session = requests.Session()
        self.url = ""  # the last page's address

    def request(self, method: str, url: str, data=None) -> requests.Response:
        for _hop in range(10):
            parts = urlsplit(url)
            origin = f"https://{parts.netloc}"
            headers = {"X-Forwarded-Proto": "https"}
            if method == "POST":
                headers |= {"Origin": origin, "Referer": origin + parts.path}
            response = self.session.request(
                method,
                url,
                data=data,
                headers=headers,
                allow_redirects=False,
                timeout=30,
            )
            # The load balancer in front ends TLS: the processes see
            # X-Forwarded-Proto https and mark their cookies Secure. This client
            # stands where the load balancer stands, on plain HTTP, and sends them.
            for cookie in self.session.cookies:
                cookie.secure = False
            if response.status_code >= 500:
                raise ServerError(
                    f"{method} {url} answered {response.status_code}:\n"
                    f"{response.text[:2000]}\n{self.stack.report()}"
                )
            if response.status_code not in (301, 302, 303, 307, 308):
                self.url = url
                return response
            location = urljoin(url, response.headers["Location"])
            # Absolute addresses say https (as the load balancer would serve
            # them); this client reaches the same process over plain HTTP.
            url = location.replace("https://", "http://", 1)
            if response.status_code in (301, 302, 303):
                method, data = "GET", None
        raise AssertionError(f"too many redirects from {url}")

    def get(self, url: str) -> requests.Response:
        return self.request("GET", url)

    def post(self, url: str, data) -> requests.Response:
        return self.request("POST", url, data)

    def submit(
        self, page: requests.Response, having: str, action: str | None = None, **changes
    ) -> requests.Response:
        """Post the page's form that has the field ``having`` (and, given
        ``action``, that action; "" for a form posting to its own page), as a
        browser would."""
        form, target = _form(page.text, having, action)
        url = urljoin(page.url, target) if target else page.url
        return self.post(url, form_data(form, having, **changes))


def _form(html: str, having: str, action: str | None) -> tuple[str, str]:
    for match in re.finditer(r"<form\b([^>]*)>(.*?)</form>", html, re.S | re.I):
        found = re.search(r'action="([^"]*)"', match.group(1))
        target = found.group(1).replace("&amp;", "&") if found else ""
        if f'name="{having}"' in match.group(2) and action in (None, target):
            return match.group(0), target
    raise AssertionError(f"no form with {having!r} and action {action!r}:\n{html}")


def secret_key() -> str:
    return secrets.token_urlsafe(50)


def wait_until(what: str, check, timeout: float, stack: Stack, every: float = 0.3):
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        stack.assert_running()
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{stack.report()}")
        time.sleep(every)
