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


def _start_worker(outbox: Path, **extra_env: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url_for_worker(),
        "EMAIL_URL": f"filemail://{outbox}",
        **extra_env,
    }
    return subprocess.Popen(
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


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def eager_off():
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture
def worker(tmp_path, eager_off):
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    process = _start_worker(outbox)
    try:
        yield outbox, process
    finally:
        _stop(process)


# Django's file backend writes this line after every message.
_MESSAGE_END = "-" * 79 + "\n"


def _outbox_messages(folder: Path) -> list[str]:
    """Every complete email in the outbox. The file backend names its file after
    the second and the connection object's address, so two emails sent in the same
    second can share a file: messages are counted, not files."""
    messages = []
    for file in sorted(folder.iterdir()):
        # The part after the last end line is a message still being written.
        messages += file.read_text(errors="replace").split(_MESSAGE_END)[:-1]
    return messages


def test_outbox_counts_messages_not_files(tmp_path):
    shared = "To: a@example.com\n\nfirst\n" + _MESSAGE_END
    shared += "To: b@example.com\n\nsecond\n" + _MESSAGE_END
    (tmp_path / "20261201-120000-1.log").write_text(shared + "To: c@exa")
    alone = "To: d@example.com\n" + _MESSAGE_END
    (tmp_path / "20261201-120001-2.log").write_text(alone)

    messages = _outbox_messages(tmp_path)

    assert [m.splitlines()[0] for m in messages] == [
        "To: a@example.com",
        "To: b@example.com",
        "To: d@example.com",
    ]


def _wait_for_messages(folder: Path, count: int, timeout: float = 45.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = _outbox_messages(folder)
        if len(messages) >= count:
            return messages
        time.sleep(0.2)
    return _outbox_messages(folder)


def worker_emails(worker, count: int) -> list[str]:
    """The texts of the emails the real worker sent once there are ``count`` of
    them; otherwise the test fails with the worker's log."""
    outbox, process = worker
    messages = _wait_for_messages(outbox, count=count)
    if len(messages) < count:
        process.terminate()
        log = process.communicate(timeout=20)[0].decode(errors="replace")
        pytest.fail(
            f"the worker sent {len(messages)} of {count} emails; its log:\n{log}"
        )
    return messages


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

    messages = "\n".join(worker_emails(worker, 2))
    assert messages.count("To: queued@example.com") == 2
    assert "Welcome to your CRM portal" in messages
    assert "/c/queued-shop/login/" in messages
    assert "a-long-secret-phrase" not in messages


def _rows_of(crm_id: int) -> dict[str, int]:
    from crm.purge import PURGE_ORDER

    return {m.__name__: m.objects.filter(crm_id=crm_id).count() for m in PURGE_ORDER}


def _fingerprint(crm_id: int) -> tuple:
    from django.db.models import Count, Sum

    from crm.purge import PURGE_ORDER

    return tuple(
        tuple(
            m.objects.filter(crm_id=crm_id)
            .aggregate(n=Count("pk"), s=Sum("pk"))
            .values()
        )
        for m in PURGE_ORDER
    )


def test_purge_killed_mid_way_is_finished_by_the_watchdog(
    tmp_path, eager_off, crm_a, crm_b, staff_a, staff_b
):
    from django.utils import timezone

    from crm.models import Contact, Crm, CrmTombstone
    from crm.services.crm_deletion import crm_requeue_stalled_purges
    from crm.tasks import purge_crm
    from tests.factories import CompanyFactory, ContactFactory

    Contact.objects.bulk_create(
        Contact(crm=crm_a, responsible=staff_a, name=f"Doomed {n}") for n in range(6000)
    )
    ContactFactory.create_batch(30, responsible=staff_b)
    CompanyFactory.create_batch(5, responsible=staff_b)
    survivor = _fingerprint(crm_b.pk)
    Crm.objects.filter(pk=crm_a.pk).update(
        status=Crm.Status.PURGING, purge_heartbeat_at=timezone.now()
    )
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    # Fixed 50-row chunks: slow enough to be caught mid-way.
    slow = {"CRM_PURGE_CHUNK_SIZE": "50", "CRM_PURGE_CHUNK_MAX_SIZE": "50"}

    first = _start_worker(outbox, **slow)
    try:
        purge_crm.delay(crm_a.pk)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            left = Contact.objects.filter(crm_id=crm_a.pk).count()
            if left < 5000:
                break
            time.sleep(0.05)
        first.kill()  # SIGKILL: no cleanup, no acknowledgement
        first.wait()
    finally:
        if first.poll() is None:
            first.kill()
    left = Contact.objects.filter(crm_id=crm_a.pk).count()
    assert 0 < left < 6000, left
    assert Crm.objects.get(pk=crm_a.pk).status == Crm.Status.PURGING

    Crm.objects.filter(pk=crm_a.pk).update(
        purge_heartbeat_at=timezone.now() - timezone.timedelta(minutes=10)
    )
    assert crm_requeue_stalled_purges() == [crm_a.pk]
    second = _start_worker(outbox)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if CrmTombstone.objects.filter(crm_id=crm_a.pk).exists():
                break
            time.sleep(0.2)
    finally:
        _stop(second)

    assert CrmTombstone.objects.filter(crm_id=crm_a.pk).exists()
    assert set(_rows_of(crm_a.pk).values()) == {0}
    assert not Crm.objects.filter(pk=crm_a.pk).exists()
    assert _fingerprint(crm_b.pk) == survivor
