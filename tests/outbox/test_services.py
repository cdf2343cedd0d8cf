"""The outbox's publishing: a broker that refuses leaves the work in the database,
and requests stop waiting on it for a while; the relay keeps trying."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction
from kombu.exceptions import OperationalError

from crm.tasks import send_memberships_email
from outbox import services
from outbox.models import OutboxMessage
from outbox.services import outbox_enqueue, outbox_publish, outbox_relay
from outbox.tasks import deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker(monkeypatch):
    """A broker the test turns off and on; it records each message offered to it
    (and taken or refused) and runs nothing."""

    class Broker:
        up = True
        offered: list[tuple[int, bool]] = []

    def apply_async(args=None, kwargs=None, **options):
        Broker.offered.append((args[0], Broker.up))
        if not Broker.up:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(deliver, "apply_async", apply_async)
    monkeypatch.setattr(services, "_broker_down_until", [0.0])
    monkeypatch.setattr(services, "BROKER_RETRY_AFTER_SECONDS", 0.3)
    Broker.offered = []
    return Broker


def _ask(django_capture_on_commit_callbacks) -> OutboxMessage:
    with django_capture_on_commit_callbacks(execute=True):
        return outbox_enqueue(task=send_memberships_email, args=["a@example.com"])


def test_after_a_refusal_requests_leave_their_work_to_the_relay_for_a_while(
    broker, django_capture_on_commit_callbacks
):
    broker.up = False
    first = _ask(django_capture_on_commit_callbacks)
    second = _ask(django_capture_on_commit_callbacks)

    # The first request waited on the broker; the second did not try it at all.
    assert broker.offered == [(first.pk, False)]
    assert OutboxMessage.objects.filter(published_at__isnull=True).count() == 2

    # The relay is the retry: it tries the broker whatever the back-off says.
    broker.up = True
    assert outbox_relay() == 2
    assert broker.offered[1:] == [(first.pk, True), (second.pk, True)]
    assert not OutboxMessage.objects.filter(published_at__isnull=True).exists()


def test_requests_try_the_broker_again_once_the_back_off_is_over(
    broker, django_capture_on_commit_callbacks
):
    broker.up = False
    _ask(django_capture_on_commit_callbacks)
    broker.up = True
    skipped = _ask(django_capture_on_commit_callbacks)
    assert len(broker.offered) == 1

    time.sleep(services.BROKER_RETRY_AFTER_SECONDS + 0.05)
    third = _ask(django_capture_on_commit_callbacks)

    assert broker.offered[1:] == [(third.pk, True)]
    third.refresh_from_db()
    assert third.published_at is not None and third.publish_count == 1
    skipped.refresh_from_db()
    assert skipped.published_at is None  # still the relay's


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not connection.features.has_select_for_update_skip_locked,
    reason="one writer at a time: nothing to wait on",
)
def test_a_request_does_not_wait_on_a_worker_running_its_message(broker):
    """The worker took the message (it holds the row) before the request marked it
    published: the request goes on, the worker's run is not waited for."""
    message = OutboxMessage.objects.create(task=send_memberships_email.name)
    taken, finished = threading.Event(), threading.Event()

    def worker():
        with transaction.atomic():
            OutboxMessage.objects.select_for_update().get(pk=message.pk)
            taken.set()
            finished.wait(10)
        connections.close_all()

    running = threading.Thread(target=worker)
    running.start()
    try:
        assert taken.wait(10)
        started = time.monotonic()
        assert outbox_publish(message_ids=[message.pk]) == 0
        assert time.monotonic() - started < 2
    finally:
        finished.set()
        running.join()
    assert broker.offered == []
