"""API keys of a CRM's integrations."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.tenancy import CrmScopedModel
from crm.models.users import CrmUser


class ApiKey(CrmScopedModel):
    """A key for integrations. Shown once; the database keeps a keyed hash and the
    first characters, which let people tell their keys apart."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("starts with"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        CrmUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        indexes = [models.Index(fields=["crm", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
