"""Celery doors into the outbox: take ids, call one service, safe to rerun."""

from celery import shared_task

from outbox.services import outbox_deliver, outbox_relay


# acks_late with reject_on_worker_lost: a worker killed mid-task leaves the message
# in the broker, and it runs again; outbox_deliver makes that rerun safe.
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def deliver(message_id: int) -> bool:
    return outbox_deliver(message_id=message_id)


@shared_task
def relay() -> int:
    return outbox_relay()
