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

    class Scope(models.TextChoices):
        FULL = "full", _("Full access")
        READ_ONLY = "read_only", _("Read only")

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("starts with"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        CrmUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    scope = models.CharField(
        _("scope"), max_length=20, choices=Scope.choices, default=Scope.FULL
    )

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        indexes = [models.Index(fields=["crm", "-created_at"])]

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_read_only(self) -> bool:
        return self.scope == self.Scope.READ_ONLY

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
