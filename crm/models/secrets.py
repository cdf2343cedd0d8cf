"""Short-lived secrets that carry a person between the portal and a CRM."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from crm.models.tenancy import CrmScopedModel
from crm.models.users import CrmUser


class OneTimeSecret(CrmScopedModel):
    """Something handed to one CRM user that works once, until ``expires_at``.
    Subclasses add the keyed hash of the secret; the secret itself is never kept."""

    crm_user = models.ForeignKey(CrmUser, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class SsoToken(OneTimeSecret):
    """A one-time hand-off from the portal into a CRM (Enter).

    Only a keyed hash of the token is stored; the token itself lives for seconds in
    one redirect. ``used_at`` is set by a compare-and-set, so it redeems once."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        indexes = [models.Index(fields=["crm", "expires_at"])]

    def __str__(self) -> str:
        return f"Enter token for user {self.crm_user_id} (expires {self.expires_at})"


class ConnectionCode(OneTimeSecret):
    """A short code a CRM user copies from *My profile* to link their CRM user to a
    portal Account. Single use, short-lived, stored as a keyed hash."""

    code_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        indexes = [models.Index(fields=["crm", "crm_user"])]

    def __str__(self) -> str:
        return f"Connection code of user {self.crm_user_id} (expires {self.expires_at})"


class CrmUserInvitation(OneTimeSecret):
    """An emailed link that lets a newly added user choose their own password."""

    token_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        indexes = [models.Index(fields=["crm", "crm_user"])]

    def __str__(self) -> str:
        return f"Invitation of user {self.crm_user_id} (expires {self.expires_at})"


class PasswordResetToken(OneTimeSecret):
    """An emailed link that lets a CRM user who forgot their password choose a new
    one. Single use (a compare-and-set on ``used_at``), short-lived, stored as a
    keyed hash; a user has at most one row, as a new link replaces the old."""

    token_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        indexes = [models.Index(fields=["crm", "crm_user"])]

    def __str__(self) -> str:
        return f"Password reset of user {self.crm_user_id} (expires {self.expires_at})"
