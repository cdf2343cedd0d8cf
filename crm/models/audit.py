from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.tenancy import CrmScopedModel
from crm.models.users import CrmUser


class AuditEvent(CrmScopedModel):
    """Who did what in which CRM. Actors are kept by name too, so the trail still
    reads right after the actor is deleted."""

    class Action(models.TextChoices):
        CRM_CREATED = "crm.created", _("CRM created")
        CRM_ACTIVATED = "crm.activated", _("CRM ready")
        CRM_DELETION_SCHEDULED = "crm.deletion_scheduled", _("Deletion scheduled")
        CRM_DELETION_CANCELLED = "crm.deletion_cancelled", _("Deletion cancelled")
        CRM_ENTERED = "crm.entered", _("Entered from the portal")
        CRM_CONNECTED = "crm.connected", _("Connected to an account")
        CRM_USER_LOGGED_IN = "crm_user.logged_in", _("Signed in")
        CRM_USER_CREATED = "crm_user.created", _("User added")
        CRM_USER_RIGHTS_CHANGED = "crm_user.rights_changed", _("Role or rights changed")
        CRM_USER_DEACTIVATED = "crm_user.deactivated", _("User deactivated")
        CRM_USER_REACTIVATED = "crm_user.reactivated", _("User reactivated")
        CRM_USER_DELETED = "crm_user.deleted", _("User deleted")
        API_KEY_CREATED = "api_key.created", _("API key created")
        API_KEY_REVOKED = "api_key.revoked", _("API key revoked")
        RECORDS_DELETED = "records.deleted", _("Records deleted")
        CRM_USER_PASSWORD_CHANGED = "crm_user.password_changed", _("Password changed")
        CONNECTION_CODE_CREATED = "connection_code.created", _("Connection code made")
        CRM_USER_PASSWORD_RESET_SENT = (
            "crm_user.password_reset_sent",
            _("Password reset link sent"),
        )
        CRM_USER_PASSWORD_RESET = (
            "crm_user.password_reset",
            _("Password reset through an emailed link"),
        )
        CRM_USER_TWO_FACTOR_ON = "crm_user.two_factor_on", _("Two-factor turned on")
        CRM_USER_TWO_FACTOR_OFF = (
            "crm_user.two_factor_off",
            _("Two-factor turned off"),
        )
        CRM_TWO_FACTOR_REQUIRED = (
            "crm.two_factor_required",
            _("Two-factor authentication required or not"),
        )
        CRM_USER_PASSWORD_SET = (
            "crm_user.password_set",
            _("Password set by an administrator"),
        )

    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    actor_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_crm_user = models.ForeignKey(
        CrmUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(_("actor"), max_length=254, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["crm", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} by {self.actor_name}"
