"""A CRM's long-running jobs: bulk deletion and the data export."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.tenancy import CrmScopedModel
from crm.models.users import CrmUser


class BulkDeleteJob(CrmScopedModel):
    """Deleting many records at once: done in chunks by a worker, with progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Deleting")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    entity = models.CharField(_("entity"), max_length=10)
    requested_by = models.ForeignKey(
        CrmUser, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    description = models.CharField(_("what"), max_length=500, blank=True)
    ids = models.JSONField(_("ids"), default=list)
    total = models.PositiveIntegerField(_("total"), default=0)
    deleted = models.PositiveIntegerField(_("deleted"), default=0)
    # The longest single chunk transaction, for operators: deleting must never
    # hold locks long enough to slow the CRM's other users.
    slowest_chunk_ms = models.PositiveIntegerField(default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["crm", "status"])]

    def __str__(self) -> str:
        return f"Delete {self.total} {self.entity}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.deleted * 100 / self.total)


class CrmExport(CrmScopedModel):
    """A ZIP of the CRM's data, built by a worker, downloadable by the owner."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Building")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by_id = models.BigIntegerField(_("requested by (account id)"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    file_name = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(_("size"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["crm", "-created_at"])]

    def __str__(self) -> str:
        return f"Export {self.pk} of CRM {self.crm_id} ({self.status})"
