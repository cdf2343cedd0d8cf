"""The production shape, end to end, from the runtime requirements alone.

Two gunicorn web processes and two Celery workers, each in a working directory and
MEDIA_ROOT of its own (as on separate machines), one beat, PostgreSQL, a Redis of
the test's own and an S3 API (moto's server), DJANGO_DEBUG off behind a TLS-ending
load balancer (the client sends X-Forwarded-Proto). A person signs up, confirms the
address from the e-mail, enters the CRM, makes an API key and calls the API with
it, asks for a whole-CRM export through one web process and downloads it, after
signing in again, through the other. Any 5xx on the way fails the test."""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import environ
import psycopg
import pytest
import requests

from tests.e2e.make_run import free_port
from tests.production.stack import ROOT, Browser, Stack, secret_key, wait_until
from tests.s3server import S3Server, moto_server
from tests.servers import PostgresServer, RedisServer

pytestmark = pytest.mark.production

PASSWORD = "Production-shape-" + uuid.uuid4().hex[:8]
# allauth asks for the password again before a download when the last sign-in is
# older than this; short here so the test meets that page for certain.
REAUTHENTICATION_SECONDS = 6


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A database of its own: on the PostgreSQL that DATABASE_URL names, else on a
    PostgreSQL server of the test's own (SQLite is no production shape)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        folder = Path(tempfile.mkdtemp(prefix="prodshape-postgres-"))
        os.chmod(folder, 0o755)  # noqa: S103 - the postgres user goes through it
        server = PostgresServer(folder / "cluster")
        try:
            server.init()
            server.start()
            server.createdb()
            yield server.url()
        finally:
            with suppress(RuntimeError):  # not started: nothing to stop
                server.stop(mode="fast")
            shutil.rmtree(folder, ignore_errors=True)
        return
    config = environ.Env.db_url_config(url)
    name = f"{config['NAME']}_prodshape_{os.getpid()}"
    admin = {
        "host": config["HOST"] or "127.0.0.1",
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "password": config["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**admin) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    yield url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(**admin) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def s3(tmp_path_factory) -> Iterator[S3Server]:
    with moto_server(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A redis-server of its own, append-only as docker-compose.yml runs it: no
    message of another test run reaches these workers, nor theirs another's."""
    server = RedisServer(tmp_path_factory.mktemp("redis"), append_only=True)
    server.start()
    try:
        yield server.url()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def stack(runtime_venv, database, redis_url, s3, tmp_path_factory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("production-shape")
    bucket = s3.create_bucket(f"prodshape-{uuid.uuid4().hex[:12]}")
    env = {
        # Nothing of the development virtualenv: only the runtime one and the code.
        "PATH": f"{runtime_venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "off",
        "DJANGO_SECRET_KEY": secret_key(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # TLS ends at the load balancer, which says so in this header; the HTTPS
        # redirect, secure cookies and HSTS stay on as in production.
        "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "prodshape",
        "EMAIL_URL": f"filemail://{folder / 'mail'}",
        "DJANGO_STATIC_ROOT": str(folder / "static"),
        "LOG_FORMAT": "json",
        # Beat sends the relay every two seconds: a few rounds during the test.
        "OUTBOX_RELAY_SECONDS": "2",
        "ACCOUNT_REAUTHENTICATION_TIMEOUT": str(REAUTHENTICATION_SECONDS),
        **s3.environment(bucket),
    }
    env["AWS_S3_BUCKET_FOR_TEST"] = bucket
    stack = Stack(runtime=runtime_venv, folder=folder, env=env)
    # The runtime virtualenv really lacks the development tools.
    probe = stack.python(
        "-c", "import importlib.util as u; print(u.find_spec('pytest'))"
    )
    assert probe.strip() == "None"
    stack.python(str(ROOT / "manage.py"), "migrate", "--noinput")
    stack.python(str(ROOT / "manage.py"), "collectstatic", "--noinput")
    webs = []
    for name in ("web-a", "web-b"):
        port = free_port()
        stack.start(
            name,
            "gunicorn",
            "config.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--timeout=60",
        )
        webs.append(f"http://127.0.0.1:{port}")
    for name in ("worker-a", "worker-b"):
        stack.start(
            name,
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=info",
            "--concurrency=1",
            f"--hostname={name}@%h",
        )
    stack.start(
        "beat",
        "celery",
        "-A",
        "config",
        "beat",
        "--loglevel=info",
        f"--schedule={folder / 'beat' / 'celerybeat-schedule'}",
    )
    stack.webs = webs
    try:
        for web in webs:
            wait_until(f"{web}/readyz", lambda w=web: _ready(w), 90, stack)
        yield stack
    finally:
        stack.stop()


def _ready(web: str) -> bool:
    try:
        return requests.get(f"{web}/readyz", timeout=10).status_code == 200
    except (requests.ConnectionError, requests.Timeout):
        # Not listening yet, or still importing the project on a busy machine.
        return False


def _confirmation_path(stack: Stack, email: str) -> str | None:
    mail = stack.folder / "mail"
    for message in sorted(mail.glob("*")) if mail.exists() else []:
        text = message.read_text(errors="replace")
        if email in text:
            found = re.search(
                r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", text
            )
            if found:
                return found.group(1)
    return None


def test_sign_up_to_export_download_across_processes(stack):
    web_a, web_b = stack.webs
    started = time.monotonic()
    browser = Browser(stack)
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"

    # Sign up: an Account and its first CRM; production asks to confirm the address.
    page = browser.get(f"{web_a}/accounts/signup/")
    assert page.status_code == 200
    page = browser.submit(
        page,
        having="email",
        email=email,
        crm_name="Production shape",
        password1=PASSWORD,
        password2=PASSWORD,
    )
    assert "/accounts/confirm-email/" in browser.url, page.text[:1000]
    path = wait_until(
        "the confirmation e-mail", lambda: _confirmation_path(stack, email), 30, stack
    )
    page = browser.get(web_a + path)
    # The page's form posts to a key signed anew (it may differ from the link's).
    action = re.search(r'action="(/accounts/confirm-email/[^"]+)"', page.text)
    assert action, page.text[:2000]
    page = browser.submit(page, having="csrfmiddlewaretoken", action=action.group(1))
    signed_in_at = time.monotonic()
    if "/accounts/login/" in browser.url:
        page = browser.submit(page, having="password", login=email, password=PASSWORD)

    # The CRM is provisioned by a worker; then the portal offers to enter it.
    def enter_action():
        listed = browser.get(f"{web_a}/portal/")
        found = re.search(r'action="(/portal/crms/(\d+)/enter/)"', listed.text)
        return (listed, found.group(1), int(found.group(2))) if found else None

    listed, enter, crm_id = wait_until("the CRM to be ready", enter_action, 60, stack)
    page = browser.submit(listed, having="csrfmiddlewaretoken", action=enter)
    slug = re.search(r"/c/([^/]+)/$", browser.url).group(1)
    assert page.status_code == 200

    # An API key (Settings → API): the linked owner signs in again in the portal.
    time.sleep(max(0, REAUTHENTICATION_SECONDS + 1 - (time.monotonic() - signed_in_at)))
    keys_url = f"{web_a}/c/{slug}/settings/api/"
    page = browser.submit(browser.get(keys_url), having="name", name="Production")
    asked_again = "/accounts/reauthenticate/" in browser.url
    if asked_again:
        page = browser.submit(page, having="password", password=PASSWORD)
    signed_in_at = time.monotonic()
    if 'data-testid="raw-key"' not in page.text:
        page = browser.submit(browser.get(keys_url), having="name", name="Production")
    raw_key = re.search(r'data-testid="raw-key"[^>]*>\s*([^<\s]+)', page.text).group(1)
    assert asked_again, "making a key asks the Account to sign in again"

    # The API, with the key, through the other web process.
    api = requests.Session()
    api.headers.update(
        {"Authorization": f"Bearer {raw_key}", "X-Forwarded-Proto": "https"}
    )
    made = api.post(f"{web_b}/api/v1/contacts/", json={"name": "Made through the API"})
    assert made.status_code == 201, made.text
    listed = api.get(f"{web_b}/api/v1/contacts/")
    assert listed.status_code == 200
    assert "Made through the API" in listed.text

    # A whole-CRM export, asked for through web A and built by either worker.
    export_url = f"{web_a}/portal/crms/{crm_id}/export/"
    browser.submit(browser.get(export_url), having="csrfmiddlewaretoken", action="")

    def download_link():
        found = re.search(
            r'href="(/portal/crms/\d+/export/\d+/download/)"',
            browser.get(export_url).text,
        )
        return found.group(1) if found else None

    link = wait_until("the export to be built", download_link, 90, stack)

    # Downloaded through web B, after signing in again.
    time.sleep(max(0, REAUTHENTICATION_SECONDS + 1 - (time.monotonic() - signed_in_at)))
    page = browser.get(web_b + link)
    assert "/accounts/reauthenticate/" in browser.url, "the download asks again"
    download = browser.submit(page, having="password", password=PASSWORD)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert "Made through the API" in archive.read("contacts.json").decode()
        assert "Production shape" not in archive.namelist()

    # The file is in the bucket and on no process's own disk.
    bucket = stack.env["AWS_S3_BUCKET_FOR_TEST"]
    keys = S3Server(stack.env["AWS_S3_ENDPOINT_URL"], Path()).keys(bucket)
    assert [k for k in keys if k.startswith("exports/")], keys
    on_disk = [p for p in stack.folder.glob("*/media/**/*") if p.is_file()]
    assert on_disk == []

    _assert_clean_logs(stack)
    # The CI log's figure (pytest -s shows it).
    print(f"production shape: journey in {time.monotonic() - started:.1f}s")


def test_one_beat_schedules_however_many_workers_run(stack):
    """Beat is a process of its own and the workers run none (no ``-B``): every
    periodic task the one beat sends runs once, on one of the two workers."""
    wait_until(
        "beat to send the relay a few times",
        lambda: len(_beat_sent(stack)["outbox.tasks.relay"]) >= 3,
        30,
        stack,
    )
    beat = next(p for p in stack.processes if p.name == "beat")
    stack.stop_process(beat)
    sent = _beat_sent(stack)

    def received_all():
        received = _received(stack)
        return (
            received
            if all(
                len(received.get(task, [])) == len(times)
                for task, times in sent.items()
            )
            else None
        )

    received = wait_until(
        "the workers to receive what beat sent", received_all, 10, stack
    )
    for task, times in sent.items():
        ids = received[task]
        assert len(set(ids)) == len(ids) == len(times), (task, ids, times)
    by_worker = {
        name
        for name, line in stack.json_lines("worker-")
        if line.get("task") == "outbox.tasks.relay"
    }
    assert by_worker, "the workers ran the relay"
    for worker in ("worker-a", "worker-b"):
        log = next(p for p in stack.processes if p.name == worker).log.read_text()
        assert "beat: Starting" not in log, f"{worker} runs a scheduler of its own"


def _beat_sent(stack: Stack) -> dict[str, list[str]]:
    """Each periodic task beat sent: its name, with the times beat sent it."""
    sent: dict[str, list[str]] = {}
    for _name, line in stack.json_lines("beat"):
        found = re.match(r"Scheduler: Sending due task \S+ \((\S+)\)", line["event"])
        if found:
            sent.setdefault(found.group(1), []).append(line["timestamp"])
    return sent


def _received(stack: Stack) -> dict[str, list[str]]:
    """The task ids the workers received, by task name (periodic tasks only)."""
    received: dict[str, list[str]] = {}
    for _name, line in stack.json_lines("worker-"):
        found = re.match(r"Task (\S+)\[([0-9a-f-]+)\] received", line["event"])
        if found and found.group(1) != "outbox.tasks.deliver":
            received.setdefault(found.group(1), []).append(found.group(2))
    return received


def _assert_clean_logs(stack: Stack) -> None:
    """No process logged a 5xx or an error, and every request line is JSON with
    its request id."""
    lines = stack.json_lines()
    requests_logged = [line for _name, line in lines if line.get("event") == "request"]
    assert requests_logged, stack.report()
    assert all(line.get("request_id") for line in requests_logged)
    assert any(line.get("crm") for line in requests_logged)
    errors = [
        (name, line)
        for name, line in lines
        if line.get("level") in ("error", "critical")
        or int(line.get("status", 0)) >= 500
    ]
    assert errors == [], errors
