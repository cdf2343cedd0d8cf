"""A Celery worker killed (SIGKILL) in the middle of sending an e-mail: the task
runs again, on the pool's next process or on another worker, and the e-mail goes
out once."""

import os
import signal

import pytest
import requests

from tests.faults.conftest import form_submit
from tests.faults.services import sent_emails, sql
from tests.servers import wait_for

pytestmark = pytest.mark.faults


@pytest.fixture
def hold(fault_folder):
    """While this file exists, a worker started with it sends no e-mail: it waits,
    having written its pid to ``hold.held`` (tests.faults.mail)."""
    path = fault_folder / "hold"
    path.touch()
    yield path
    path.unlink(missing_ok=True)
    path.with_suffix(".held").unlink(missing_ok=True)


def holding_worker(worker_for, hold, **env):
    return worker_for(
        DJANGO_SETTINGS_MODULE="tests.faults.worker_settings",
        FAULTS_MAIL_HOLD=str(hold),
        **env,
    )


def held_by(hold, other_than: int | None = None) -> int:
    """The pid of the process caught sending (another than ``other_than``)."""
    held = hold.with_suffix(".held")

    def pid():
        text = held.read_text() if held.exists() else ""
        return int(text) if text and int(text) != other_than else None

    return wait_for(pid, 30, "a worker process holding the e-mail")


def ask_for_memberships(web, email: str) -> None:
    """Find my CRMs: one e-mail to ``email``, sent by a worker."""
    found = form_submit(requests.Session(), web.url + "/find/", "email", email=email)
    assert found.status_code == 200, found.text[:2000]
    # Whatever a worker is doing with it meanwhile.
    assert found.elapsed.total_seconds() < 5


def memberships_message(postgres_server) -> tuple[int, str | None]:
    ((message_id, done_at),) = sql(
        postgres_server.url(),
        "select id, done_at from outbox_outboxmessage"
        " where task = 'crm.tasks.send_memberships_email' order by id desc limit 1",
    )
    return message_id, done_at


def test_a_pool_process_killed_mid_task_runs_it_again_and_mails_once(
    web, seeded, worker_for, hold, outbox_folder, postgres_server
):
    patient = seeded["patient"]
    before = len(sent_emails(outbox_folder, to=patient))
    worker = holding_worker(worker_for, hold)
    ask_for_memberships(web, patient)

    first = held_by(hold)
    assert first in worker.children()
    message_id, _ = memberships_message(postgres_server)
    os.kill(first, signal.SIGKILL)

    # acks_late with reject_on_worker_lost: the broker gives the task back, and the
    # pool's new process takes it up.
    again = held_by(hold, other_than=first)
    assert again in worker.children()
    assert len(sent_emails(outbox_folder, to=patient)) == before
    hold.unlink()

    wait_for(lambda: memberships_message(postgres_server)[1] is not None, 30, "done")
    assert memberships_message(postgres_server)[0] == message_id
    assert len(sent_emails(outbox_folder, to=patient)) == before + 1
    assert "WorkerLostError" in worker.output()


def test_a_worker_killed_whole_mid_task_is_replaced_and_mails_once(
    web, seeded, worker_for, hold, outbox_folder, postgres_server
):
    patient = seeded["patient"]
    before = len(sent_emails(outbox_folder, to=patient))
    lost = holding_worker(worker_for, hold)
    ask_for_memberships(web, patient)
    held_by(hold)

    # The machine is gone: the worker, its pool and its beat, all at once. Its
    # message stays unacknowledged in Redis until the visibility timeout (an
    # hour); the outbox offers it again once it is older than
    # OUTBOX_REPUBLISH_AFTER_SECONDS (five minutes, two seconds here).
    os.killpg(lost.process.pid, signal.SIGKILL)
    lost.process.wait()
    hold.unlink()
    message_id, done_at = memberships_message(postgres_server)
    assert done_at is None
    worker_for(OUTBOX_REPUBLISH_AFTER_SECONDS="2")

    wait_for(
        lambda: memberships_message(postgres_server)[1] is not None,
        60,
        "the message done by the other worker",
    )
    assert memberships_message(postgres_server)[0] == message_id
    assert len(sent_emails(outbox_folder, to=patient)) == before + 1
