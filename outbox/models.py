"""Work asked for in a transaction, kept with it until a worker has done it."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    """One Celery task to run, written in the transaction that asked for it.

    The relay hands it to the broker (``published_at``); ``outbox.tasks.deliver``
    runs it and sets ``done_at``, the marker that makes a second delivery a no-op.
    Holds ids and links, never a CRM's records: it is not CRM data (a purged CRM's
    ids simply match nothing), and its arguments are wiped once it is done."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Last handed to the broker, and how many times.
    published_at = models.DateTimeField(null=True, blank=True)
    publish_count = models.PositiveIntegerField(default=0)
    # A job that commits its own progress: a worker has begun it (see deliver).
    started_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The relay's question, kept small: only what is not done yet.
            models.Index(
                fields=["published_at"],
                condition=Q(done_at__isnull=True),
                name="outbox_pending",
            ),
            models.Index(fields=["done_at"], name="outbox_done"),
        ]

    def __str__(self) -> str:
        return f"{self.task}#{self.pk}"
