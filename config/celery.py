"""The Celery application shared by the web process, the worker and beat."""

import logging
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

from config.observability import celery_task_context, celery_task_context_clear

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# A task's log lines carry its name and id (structlog's context, as for requests).
task_prerun.connect(celery_task_context, weak=False)
task_postrun.connect(celery_task_context_clear, weak=False)

logger = logging.getLogger(__name__)


def enqueue_after_commit(task, *args) -> None:
    """Have ``task(*args)`` run once the current transaction commits, and never
    fail the caller because the broker is away.

    The work is written to the outbox in the caller's transaction (none: at once),
    so it exists exactly when the change that asked for it does, and is sent when
    the broker can take it; ``outbox.services`` says how a rerun stays a no-op."""
    from outbox.services import outbox_enqueue

    outbox_enqueue(task=task, args=args)
