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
    """Send ``task`` once the current transaction commits, and never fail the caller.

    A broker that is down must not break the request that asked for the work. Work
    that must not be lost (provisioning a CRM) keeps its state in the database, where
    a beat job finds it and sends it again."""
    from django.db import transaction
    from kombu.exceptions import OperationalError

    def send() -> None:
        try:
            task.delay(*args)
        except (OperationalError, OSError):
            logger.warning("Broker unavailable: %s%r not sent now.", task.name, args)

    transaction.on_commit(send)
