"""The tenant itself, and the base of every model that holds one tenant's data.

Every model holding a CRM's data inherits ``CrmScopedModel``: a non-null, indexed
``crm`` foreign key and a manager whose ``for_crm()`` is the only sanctioned way to
look rows up. ``tests/crm/test_tenancy_meta.py`` fails if a model forgets it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CRM_NAME_MAX_LENGTH = 100


class Crm(models.Model):
    class Status(models.TextChoices):
        PROVISIONING = "provisioning", _("Being created")
        ACTIVE = "active", _("Active")
        PENDING_DELETION = "pending_deletion", _("Scheduled for deletion")
        PURGING = "purging", _("Being deleted")

    name = models.CharField(_("name"), max_length=CRM_NAME_MAX_LENGTH)
    slug = models.SlugField(_("address"), max_length=63, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_crms",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROVISIONING
    )
    deletion_due_at = models.DateTimeField(_("deletion due at"), null=True, blank=True)
    deletion_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    deletion_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # Set by the purge after every chunk: a purge whose heartbeat stops was killed
    # and is sent again by the watchdog.
    purge_heartbeat_at = models.DateTimeField(null=True, blank=True)
    seat_limit = models.PositiveIntegerField(
        _("seats"),
        null=True,
        blank=True,
        help_text=_("How many active users the CRM may have. Empty: no limit."),
    )
    require_two_factor = models.BooleanField(
        _("require two-factor authentication"), default=False
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("CRM")
        verbose_name_plural = _("CRMs")
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="crm_name_not_empty"),
            models.CheckConstraint(
                condition=Q(status="pending_deletion", deletion_due_at__isnull=False)
                | ~Q(status="pending_deletion"),
                name="crm_pending_deletion_has_due_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class CrmTombstone(models.Model):
    """What is left of a purged CRM: who it was, who asked, when it went. Plain
    values, not keys: the rows they named are gone. Its slug is never reused."""

    crm_id = models.BigIntegerField(_("CRM id"), unique=True)
    name = models.CharField(_("name"), max_length=CRM_NAME_MAX_LENGTH)
    slug = models.SlugField(_("address"), max_length=63, unique=True)
    owner_id = models.BigIntegerField(_("owner id"))
    owner_email = models.EmailField(_("owner email"))
    requested_by_id = models.BigIntegerField(_("requested by"), null=True)
    created_at = models.DateTimeField(_("created at"))
    purged_at = models.DateTimeField(_("purged at"), default=timezone.now)

    class Meta:
        verbose_name = _("deleted CRM")
        verbose_name_plural = _("deleted CRMs")

    def __str__(self) -> str:
        return f"{self.name} ({self.slug}), purged {self.purged_at:%Y-%m-%d}"


# The largest id a row can have (a 64-bit primary key).
MAX_ID = 2**63 - 1


def id_from(value: object) -> int | None:
    """An id as a person or a client may send it ("12"), or None for anything
    that cannot be one: "abc", "", "-1", "1e3", "²", a 30-digit number."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


class CrmScopedQuerySet(models.QuerySet):
    def for_crm(self, crm: Crm | int) -> CrmScopedQuerySet:
        return self.filter(crm=crm)

    def by_id(self, value: object):
        """The row with this id, or None, also for ids that cannot be one."""
        pk = id_from(value)
        return None if pk is None else self.filter(pk=pk).first()


class CrmScopedModel(models.Model):
    """Base of every model that holds one CRM's data."""

    crm = models.ForeignKey(
        Crm, on_delete=models.CASCADE, related_name="+", verbose_name=_("CRM")
    )

    objects = CrmScopedQuerySet.as_manager()

    class Meta:
        abstract = True
