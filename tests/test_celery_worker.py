"""A real Celery worker, started as its own process against the configured broker
(Redis in CI, the filesystem broker without services), doing real work: the welcome
email after sign-up, which the web request only enqueues."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from config.celery import app as celery_app

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _database_url_for_worker() -> str:
    """The test database as a URL, so the worker sees what the test writes."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] or ""
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    host = f"{auth}@" if auth else ""
    address = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{host}{address}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path, monkeypatch):
    celery_app.conf.task_always_eager = False
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url_for_worker(),
        "EMAIL_URL": f"filemail://{outbox}",
    }
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool=solo", "--concurrency=1", "--loglevel=warning", "--without-mingle",
            "--without-gossip", f"--hostname=test-{os.getpid()}@%h",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield outbox, process
    finally:
        celery_app.conf.task_always_eager = True
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_files(folder: Path, count: int, timeout: float = 45.0) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = list(folder.iterdir())
        if len(files) >= count:
            return files
        time.sleep(0.2)
    return list(folder.iterdir())


def test_signup_welcome_email_is_sent_by_a_real_worker(client, worker):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "queued@example.com",
            "crm_name": "Queued Shop",
            "password1": "a-long-secret-phrase",
            "password2": "a-long-secret-phrase",
        },
    )
    assert response.status_code == 302

    outbox, process = worker
    files = _wait_for_files(outbox, count=2)
    if len(files) < 2:
        process.terminate()
        log = process.communicate(timeout=20)[0].decode(errors="replace")
        pytest.fail(f"the worker did not send both emails; its log:\n{log}")
    messages = "\n".join(f.read_text() for f in files)
    assert messages.count("To: queued@example.com") == 2
    assert "Welcome to your CRM portal" in messages
    assert "/c/queued-shop/login/" in messages
    assert "a-long-secret-phrase" not in messages
