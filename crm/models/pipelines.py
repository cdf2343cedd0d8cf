"""Sales pipelines and their statuses: where a CRM's deals move."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.tenancy import CrmScopedModel


class Pipeline(CrmScopedModel):
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["crm", "position"])]

    def __str__(self) -> str:
        return self.name


class PipelineStatus(CrmScopedModel):
    """A column of a pipeline. Every pipeline ends in one "won" and one "lost"
    status, which cannot be deleted."""

    class Kind(models.TextChoices):
        OPEN = "open", _("In progress")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="statuses"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.OPEN
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    color = models.CharField(_("colour"), max_length=7, default="#8c959f")

    class Meta:
        verbose_name = _("pipeline status")
        verbose_name_plural = _("pipeline statuses")
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["crm", "pipeline", "position"])]
        constraints = [
            models.UniqueConstraint(
                fields=["crm", "pipeline", "kind"],
                condition=~Q(kind="open"),
                name="pipeline_status_one_won_one_lost",
            ),
        ]

    def __str__(self) -> str:
        return self.name
