"""The production shape's static files (docker-compose.yml): collected as the
Dockerfile collects them, with DJANGO_DEBUG off, and served by gunicorn through
WhiteNoise. Every stylesheet and script the main pages link answers 200.

SQLite stands in for PostgreSQL and nothing for Redis: neither has a part in
serving a static file."""

import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest

from tests.e2e import make_run

HASHED = re.compile(r"\.[0-9a-f]{12}\.(css|js)$")
PAGES = (
    "/accounts/login/",
    "/accounts/signup/",
    "/find/",
    "/api/v1/docs/",
    "/admin/login/",
)


class LinkedAssets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        found = dict(attrs)
        if tag == "link" and "stylesheet" in (found.get("rel") or "").split():
            self.urls.append(found["href"])
        if tag == "script" and found.get("src"):
            self.urls.append(found["src"])


def fetch(url: str) -> tuple[int, str, str]:
    request = urllib.request.Request(url)  # noqa: S310 - our own server on loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            body = response.read().decode(errors="replace")
            return response.status, response.headers.get("Content-Type", ""), body
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), ""


@pytest.fixture(scope="module")
def production_server(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("production")
    make_run.clone_working_tree(folder)
    port = make_run.free_port()
    env = make_run.newcomer_environment(port)
    env.update(
        {
            # As docker-compose.yml sets them, the host aside.
            "DJANGO_DEBUG": "off",
            "DJANGO_SECRET_KEY": "production-static-test-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "off",
        }
    )
    python = str(Path(make_run.virtualenv(), "bin", "python"))
    for command in (["collectstatic", "--noinput"], ["migrate", "--noinput"]):
        subprocess.run(
            [python, "manage.py", *command],
            cwd=folder,
            env=env,
            check=True,
            capture_output=True,
        )
    log = (folder / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [
            python, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "1",
            # Its default socket is one per home folder, shared by every test run.
            "--no-control-socket",
        ],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not make_run.answers(url + "/accounts/login/"):
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(
                    "gunicorn did not start:\n" + (folder / "gunicorn.log").read_text()
                )
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def test_every_stylesheet_and_script_is_served_with_debug_off(production_server):
    problems: list[str] = []
    checked: set[str] = set()
    for path in PAGES:
        status, _type, html = fetch(production_server + path)
        assert status == 200, (path, status)
        parser = LinkedAssets()
        parser.feed(html)
        assert parser.urls, f"{path} links no stylesheet or script"
        for url in parser.urls:
            absolute = urljoin(production_server + path, url)
            if absolute in checked:
                continue
            checked.add(absolute)
            status, content_type, _body = fetch(absolute)
            if status != 200:
                problems.append(f"{path}: {url} answers {status}")
            elif not ("css" in content_type or "javascript" in content_type):
                problems.append(f"{path}: {url} is {content_type}")
            # The collected copies, under hashed names a browser may keep for ever.
            if "/static/" in url and not HASHED.search(url):
                problems.append(f"{path}: {url} is not the collected, hashed copy")
    assert not problems, "\n".join(problems)
