"""A CRM's working data: companies, contacts, deals and tasks.

Each record has a responsible CRM user. Deactivating or deleting a user hands all
their records to another user first, so ``responsible`` is never left dangling
(``PROTECT`` makes the database hold the line)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.pipelines import Pipeline, PipelineStatus
from crm.models.tenancy import CrmScopedModel
from crm.models.users import CrmUser


class CrmRecord(CrmScopedModel):
    responsible = models.ForeignKey(
        CrmUser,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible user"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Company(CrmRecord):
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [models.Index(fields=["crm", "responsible"])]

    def __str__(self) -> str:
        return self.name


class Contact(CrmRecord):
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["crm", "responsible"])]

    def __str__(self) -> str:
        return self.name


class Deal(CrmRecord):
    name = models.CharField(_("name"), max_length=200)
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="+")
    status = models.ForeignKey(
        PipelineStatus, on_delete=models.PROTECT, related_name="+"
    )
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            models.Index(fields=["crm", "responsible"]),
            models.Index(fields=["crm", "pipeline", "status"]),
        ]

    def __str__(self) -> str:
        return self.name


class Task(CrmRecord):
    text = models.CharField(_("task"), max_length=500)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    is_done = models.BooleanField(_("done"), default=False)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [models.Index(fields=["crm", "responsible", "is_done"])]

    def __str__(self) -> str:
        return self.text
