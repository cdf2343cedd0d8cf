"""What a create sent with an ``Idempotency-Key`` answered (``crm.amo.idempotency``),
kept for a day so that a retried request makes no second record."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.apikeys import ApiKey
from crm.models.tenancy import CrmScopedModel


class IdempotencyKey(CrmScopedModel):
    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=255)
    # The method, path and body it was first sent with: the same key with another
    # body is refused rather than answered with the first one's result.
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(
                fields=["crm", "api_key", "key"], name="idempotency_key_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["crm", "api_key", "created_at"], name="idempotency_crm_time"
            ),
        ]

    def __str__(self) -> str:
        return self.key
