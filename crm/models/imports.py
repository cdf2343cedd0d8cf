"""Lists of contacts or companies brought in from a file (crm/services/imports.py).

An import keeps what it did to each row of its file (``RecordImportRow``): the
report reads them, and undoing the import deletes the records it created and
puts back the values it overwrote, kept with each updated row. Record ids are
plain values: a record may be deleted afterwards, and its import rows stay as
the report of what happened."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.tenancy import CrmScopedModel
from crm.models.users import CrmUser


class RecordImport(CrmScopedModel):
    class Status(models.TextChoices):
        # Uploaded: its columns are being matched to fields, then previewed.
        NEW = "new", _("Not started")
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        UNDOING = "undoing", _("Undoing")
        UNDONE = "undone", _("Undone")

    class Duplicates(models.TextChoices):
        SKIP = "skip", _("Skip the row")
        UPDATE = "update", _("Update the existing record")
        CREATE = "create", _("Create a new record anyway")

    entity = models.CharField(_("entity"), max_length=10)
    requested_by = models.ForeignKey(
        CrmUser,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    # The uploaded file in default_storage, removed once the import has run.
    file_name = models.CharField(max_length=255, blank=True)
    original_name = models.CharField(_("file"), max_length=255)
    # A CSV file's encoding as the person chose it ("auto": found out).
    encoding = models.CharField(max_length=10, default="auto")
    headers = models.JSONField(default=list)
    # How many data rows the file has (the header row not counted).
    total = models.PositiveIntegerField(_("rows"), default=0)
    # One target field key per column of the file ("" skips the column).
    mapping = models.JSONField(default=list, blank=True)
    duplicates = models.CharField(
        _("duplicates"),
        max_length=10,
        choices=Duplicates.choices,
        default=Duplicates.SKIP,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    refused = models.PositiveIntegerField(_("refused"), default=0)
    # Companies made for the contacts' company column: undoing deletes them too.
    created_company_ids = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        CrmUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            models.Index(fields=["crm", "-created_at"], name="import_crm_time"),
            models.Index(fields=["crm", "requested_by"], name="import_crm_user"),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.original_name} ({self.status})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.processed * 100 / self.total)

    @property
    def is_running(self) -> bool:
        return self.status in (
            self.Status.QUEUED,
            self.Status.RUNNING,
            self.Status.UNDOING,
        )


class RecordImportRow(CrmScopedModel):
    """What an import did with one row of its file."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        SKIPPED = "skipped", _("Skipped")
        REFUSED = "refused", _("Refused")

    record_import = models.ForeignKey(
        RecordImport, on_delete=models.CASCADE, related_name="+"
    )
    # The row's number in the file as a spreadsheet shows it (the header is 1).
    line = models.PositiveIntegerField(_("row"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    record_id = models.BigIntegerField(_("record"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=1000, blank=True)
    # An updated record's values before the import changed them, as the record
    # service takes them (``data``, ``phones``, ``emails``): undo writes them back.
    before = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        constraints = [
            models.UniqueConstraint(
                fields=["crm", "record_import", "line"], name="import_row_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["crm", "record_import", "outcome"], name="import_row_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_import_id}:{self.line} {self.outcome}"
