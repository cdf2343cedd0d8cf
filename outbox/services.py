"""The transactional outbox: work is written with the change that asks for it.

``outbox_enqueue`` writes a row in the caller's transaction, so the work exists
exactly when the change does, whether or not the broker answers. Once the
transaction commits, the row is offered to the broker at once; if the broker is
away, the relay (``outbox.tasks.relay``, every ``OUTBOX_RELAY_SECONDS`` from beat)
offers it again when it is back. A message is delivered at least once;
``outbox_deliver`` makes the second time a no-op:

- most tasks (e-mails) run inside a transaction holding the row's lock and set
  ``done_at`` in it: a twin delivery waits for the lock, then finds it done. A
  worker killed mid-way rolls back, so the rerun runs it again. Only a worker killed
  between the e-mail leaving and the commit sends it twice.
- a task that commits its own progress (``outbox_own_transactions = True``: a
  purge, a bulk deletion) runs outside any transaction, after ``started_at`` is
  set; it must itself be safe to run again, and resumes where it stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from outbox.models import OutboxMessage

logger = logging.getLogger(__name__)

# After the broker refused a message, requests leave theirs to the relay this long
# instead of each waiting on the broker again (per process). Measured: with Redis
# away, kombu takes about 2 s to give up on each message even with retry=False,
# so without this every page that sends an e-mail would hang 2 s per message for
# the whole outage; with it, one request in five seconds does. What is delivered
# is the same either way (tests/faults/test_broker.py: each e-mail once).
BROKER_RETRY_AFTER_SECONDS = 5
_broker_down_until = [0.0]


def outbox_enqueue(*, task, args: Sequence = ()) -> OutboxMessage:
    """Write ``task(*args)`` in the current transaction; offer it once it commits."""
    message = OutboxMessage.objects.create(task=task.name, args=list(args))
    transaction.on_commit(partial(outbox_publish, message_ids=[message.pk]))
    return message


def outbox_publish(*, message_ids: Iterable[int], relay: bool = False) -> int:
    """Hand messages to the broker. A broker that is away leaves them for the
    relay, and never fails the caller. Returns how many were handed over."""
    from kombu.exceptions import OperationalError

    from outbox.tasks import deliver

    published = []
    with transaction.atomic():
        # Held until they are marked: a worker that takes one at once waits for
        # that, a moment. A row someone else holds is theirs (the relay offering
        # it, a worker running it): waiting for it would hold the request for as
        # long as the task runs.
        ids = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk__in=list(message_ids), done_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for message_id in ids:
            if not relay and time.monotonic() < _broker_down_until[0]:
                # Failed a moment ago: no request waits on it again until then.
                break
            try:
                # No retries: the relay is the retry, and a request must not wait.
                deliver.apply_async((message_id,), retry=False)
            except (OperationalError, OSError) as error:
                _broker_down_until[0] = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
                logger.warning(
                    "Broker unavailable (%s): outbox message %s left for the relay.",
                    error,
                    message_id,
                )
                break
            published.append(message_id)
        if published:
            OutboxMessage.objects.filter(pk__in=published).update(
                published_at=timezone.now(), publish_count=F("publish_count") + 1
            )
    return len(published)


def outbox_relay(*, batch: int = 200) -> int:
    """Offer what is not done: never offered, or offered long enough ago that the
    message may be lost (a broker restarted without its data). Rows a worker holds
    are skipped; a job a worker has begun is left to the broker's redelivery and
    its own watchdog. Also forgets rows done long ago."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_REPUBLISH_AFTER_SECONDS)
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(done_at__isnull=True, started_at__isnull=True)
            .filter(Q(published_at__isnull=True) | Q(published_at__lt=stale))
            .filter(publish_count__lt=settings.OUTBOX_MAX_PUBLISHES)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        published = outbox_publish(message_ids=ids, relay=True) if ids else 0
    forgotten = now - timedelta(days=settings.OUTBOX_KEEP_DONE_DAYS)
    old = OutboxMessage.objects.filter(done_at__lt=forgotten).values_list(
        "pk", flat=True
    )[:1000]
    OutboxMessage.objects.filter(pk__in=list(old)).delete()
    return published


def outbox_deliver(*, message_id: int) -> bool:
    """Run a message's task unless it is done. True when it ran now."""
    from config.celery import app

    row = (
        OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True)
        .values("task", "args")
        .first()
    )
    if row is None:
        return False
    task = app.tasks.get(row["task"])
    if task is None:
        # A task renamed or removed by a deploy: kept, and said, not dropped.
        logger.error("Outbox message %s names no task: %s", message_id, row["task"])
        return False
    if getattr(task, "outbox_own_transactions", False):
        OutboxMessage.objects.filter(pk=message_id).update(started_at=timezone.now())
        task(*row["args"])
        _mark_done(message_id)
        return True
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update()
            .filter(pk=message_id, done_at__isnull=True)
            .first()
        )
        if message is None:
            return False
        task(*message.args)
        _mark_done(message_id)
    return True


def _mark_done(message_id: int) -> None:
    # Links in the arguments may be secrets (an invitation's): not kept once used.
    OutboxMessage.objects.filter(pk=message_id).update(done_at=timezone.now(), args=[])
