"""Tasks, their types, and the history of a record's fields.

A task is something a CRM user must do by a time: call, meet, follow up. It may be
attached to one contact, company or deal (and goes when that record does), or to
nothing. It is open until someone completes it with a result.

A record change is one field of one record changed by one person: the card's
timeline reads them beside notes and tasks."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.records import Company, Contact, Deal
from crm.models.tenancy import CrmScopedModel
from crm.models.users import CrmUser

TASK_TEXT_MAX_LENGTH = 2000

# At most one record (tasks), or exactly one (record changes).
_ONE_RECORD = (
    Q(contact__isnull=False, company__isnull=True, deal__isnull=True)
    | Q(contact__isnull=True, company__isnull=False, deal__isnull=True)
    | Q(contact__isnull=True, company__isnull=True, deal__isnull=False)
)
_NO_RECORD = Q(contact__isnull=True, company__isnull=True, deal__isnull=True)


class TaskType(CrmScopedModel):
    """A CRM's own kind of task, beside the built-in ones (``Task.Type``)."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("task type")
        verbose_name_plural = _("task types")
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["crm", "position"], name="task_type_crm_pos")]
        constraints = [
            models.UniqueConstraint(
                "crm", Lower("name"), name="task_type_name_unique_in_crm"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Task(CrmScopedModel):
    class Type(models.TextChoices):
        FOLLOW_UP = "follow_up", _("Follow-up")
        MEETING = "meeting", _("Meeting")
        CALL = "call", _("Call")

    # A built-in type, or else (empty) the CRM's own ``custom_type``: built-in
    # names are translated for each reader, a CRM's own are its data.
    type = models.CharField(
        _("type"),
        max_length=20,
        choices=Type.choices,
        blank=True,
        default=Type.FOLLOW_UP,
    )
    custom_type = models.ForeignKey(
        TaskType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("type"),
    )
    text = models.TextField(_("task"), max_length=TASK_TEXT_MAX_LENGTH)
    due_at = models.DateTimeField(_("due"))
    responsible = models.ForeignKey(
        CrmUser,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible user"),
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    created_by = models.ForeignKey(
        CrmUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Open while empty.
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        CrmUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept by name too: the history reads right after that user is deleted.
    completed_by_name = models.CharField(_("completed by"), max_length=150, blank=True)
    result = models.TextField(_("result"), max_length=TASK_TEXT_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            # "My open tasks by due time": the home page and the Tasks page.
            models.Index(
                fields=["crm", "responsible", "completed_at", "due_at"],
                name="task_crm_resp_due",
            ),
            models.Index(fields=["crm", "completed_at", "due_at"], name="task_crm_due"),
            models.Index(fields=["crm", "contact"], name="task_crm_contact"),
            models.Index(fields=["crm", "company"], name="task_crm_company"),
            models.Index(fields=["crm", "deal"], name="task_crm_deal"),
            models.Index(fields=["crm", "custom_type"], name="task_crm_type"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=_ONE_RECORD | _NO_RECORD, name="task_on_at_most_one_record"
            ),
            models.CheckConstraint(
                condition=(
                    Q(custom_type__isnull=True) & ~Q(type="")
                    | Q(custom_type__isnull=False, type="")
                ),
                name="task_has_one_type",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:50]

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None

    @property
    def type_name(self) -> str:
        """The type as people read it (the custom type must be loaded with it)."""
        if self.custom_type_id is not None:
            return self.custom_type.name
        return self.get_type_display()

    @property
    def record(self):
        """The contact, company or deal the task is on, or None."""
        return self.contact or self.company or self.deal

    @property
    def entity(self) -> str | None:
        for entity in ("contact", "company", "deal"):
            if getattr(self, f"{entity}_id") is not None:
                return entity
        return None


class RecordChange(CrmScopedModel):
    """One field of one record, changed by one person: ``old`` → ``new`` as text.

    ``field`` names a field the record's form shows (``FIELDS``), or ``custom``
    for a custom field, then named in ``field_name`` as it was called then. A
    deal's company is kept by id (``old``/``new``), so the timeline names it only
    to those who may see it."""

    FIELDS = (
        "name",
        "responsible",
        "pipeline",
        "status",
        "amount",
        "company",
        "phone",
        "email",
        "phones",
        "emails",
        "website",
        "address",
    )
    CUSTOM = "custom"

    contact = models.ForeignKey(
        Contact,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="changes",
    )
    company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="changes",
    )
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, null=True, blank=True, related_name="changes"
    )
    actor = models.ForeignKey(
        CrmUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(_("who"), max_length=150, blank=True)
    field = models.CharField(_("field"), max_length=20)
    field_name = models.CharField(_("field name"), max_length=100, blank=True)
    old = models.TextField(_("before"), blank=True)
    new = models.TextField(_("after"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("record change")
        verbose_name_plural = _("record changes")
        indexes = [
            models.Index(
                fields=["crm", "contact", "-created_at"], name="change_crm_contact"
            ),
            models.Index(
                fields=["crm", "company", "-created_at"], name="change_crm_company"
            ),
            models.Index(fields=["crm", "deal", "-created_at"], name="change_crm_deal"),
            models.Index(fields=["crm", "-created_at"], name="change_crm_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=_ONE_RECORD, name="record_change_on_exactly_one_record"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.old} → {self.new}"
