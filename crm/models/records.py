"""A CRM's working data: companies, contacts, deals and notes (tasks: tasks.py).

Each record has a responsible CRM user. Deactivating or deleting a user hands all
their records to another user first, so ``responsible`` is never left dangling
(``PROTECT`` makes the database hold the line). Custom field values live in the
record's ``custom`` JSON object, keyed by the field's id, so a list page reads them
with the record itself and filters on them in the database."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.models.pipelines import Pipeline, PipelineStatus
from crm.models.tenancy import CrmScopedModel
from crm.models.users import CrmUser
from crm.rights import Entity


class CrmRecord(CrmScopedModel):
    responsible = models.ForeignKey(
        CrmUser,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible user"),
    )
    is_archived = models.BooleanField(_("archived"), default=False)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class TrigramIndex(GinIndex):
    """Finds a fragment of text (``LIKE '%…%'``: Django's ``contains``, and
    ``icontains`` on an ``Upper()`` expression) through pg_trgm's trigrams of its
    last expression, the CRM first through btree_gin (both installed by
    migration 0026), so a search reads the matches, not the table.

    On another database (SQLite, the default for small data) it is a plain index
    on the same expressions, which such a search does without."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        plain = models.Index(
            *(
                e.get_source_expressions()[0] if isinstance(e, OpClass) else e
                for e in self.expressions
            ),
            name=self.name,
        )
        return plain.create_sql(model, schema_editor, **kwargs)


def trigram_index(expression, *, name: str) -> TrigramIndex:
    """A search index of ``expression`` within each CRM (``TrigramIndex``)."""
    return TrigramIndex(F("crm"), OpClass(expression, name="gin_trgm_ops"), name=name)


def emails_text_field() -> models.TextField:
    """A contact's or company's e-mails (``RecordEmail``), space-separated, kept
    by ``services.contact_points.contact_points_set``: a search for part of an
    address reads the record's own row, through ``emails_index``. Through the
    addresses' table, a part that thousands share (a domain, a common name) read
    each of its rows there, one scattered page each."""
    return models.TextField(
        _("emails"), blank=True, default="", db_default="", editable=False
    )


def emails_index(prefix: str) -> TrigramIndex:
    # Search by a fragment of any (lower-case) address (``emails_text__contains``).
    return trigram_index(F("emails_text"), name=f"{prefix}_crm_emails_trgm")


def _record_indexes(prefix: str) -> list[models.Index]:
    return [
        models.Index(fields=["crm", "responsible"], name=f"{prefix}_crm_resp"),
        models.Index(fields=["crm", "is_archived", "-id"], name=f"{prefix}_crm_list"),
        models.Index(fields=["crm", "name"], name=f"{prefix}_crm_name"),
        # Search by any part of the name, in any case (``name__icontains``).
        trigram_index(Upper("name"), name=f"{prefix}_crm_name_trgm"),
    ]


class Company(CrmRecord):
    name = models.CharField(_("name"), max_length=200)
    website = models.CharField(_("website"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    emails_text = emails_text_field()

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [*_record_indexes("company"), emails_index("company")]

    def __str__(self) -> str:
        return self.name


class Contact(CrmRecord):
    name = models.CharField(_("name"), max_length=200)
    # The first of its e-mails and phones (RecordEmail, RecordPhone), kept by the
    # record services: list columns, sorting and the API's single fields read them.
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    emails_text = emails_text_field()
    companies = models.ManyToManyField(
        Company, through="ContactCompany", related_name="contacts", blank=True
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            *_record_indexes("contact"),
            emails_index("contact"),
            models.Index(fields=["crm", "email"], name="contact_crm_email"),
            models.Index(fields=["crm", "phone"], name="contact_crm_phone"),
        ]

    def __str__(self) -> str:
        return self.name


class ContactCompany(CrmScopedModel):
    """A contact works at a company (many to many, both of the same CRM)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["crm", "contact", "company"], name="contact_company_unique"
            ),
        ]
        indexes = [models.Index(fields=["crm", "company"], name="contact_company_co")]

    def __str__(self) -> str:
        return f"{self.contact_id} @ {self.company_id}"


class ContactPoint(CrmScopedModel):
    """A phone or an e-mail of exactly one contact or company (the subclasses'
    ``contact`` and ``company``), in the order its record shows them."""

    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]


def _on_exactly_one_record(prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=(
            Q(contact__isnull=False, company__isnull=True)
            | Q(contact__isnull=True, company__isnull=False)
        ),
        name=f"{prefix}_on_exactly_one_record",
    )


class RecordPhone(ContactPoint):
    """A phone number as typed, with its digits for search and duplicates
    (``crm.services.contact_points``). Kinds are amoCRM's PHONE enum codes."""

    class Kind(models.TextChoices):
        WORK = "WORK", _("Work")
        WORKDD = "WORKDD", _("Work direct")
        MOB = "MOB", _("Mobile")
        FAX = "FAX", _("Fax")
        HOME = "HOME", _("Home")
        OTHER = "OTHER", _("Other")

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    kind = models.CharField(
        _("type"), max_length=6, choices=Kind.choices, default=Kind.WORK
    )
    value = models.CharField(_("phone"), max_length=40)
    # Only the digits of ``value``; ``match_key`` is its last digits, the same
    # however the number was typed (``contact_points.phone_match_key``).
    digits = models.CharField(max_length=40, blank=True)
    match_key = models.CharField(max_length=9, blank=True)

    class Meta(ContactPoint.Meta):
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        indexes = [
            models.Index(fields=["crm", "contact"], name="phone_crm_contact"),
            models.Index(fields=["crm", "company"], name="phone_crm_company"),
            models.Index(fields=["crm", "match_key"], name="phone_crm_key"),
            # Search by a fragment of the number (``digits__contains``).
            trigram_index(F("digits"), name="phone_crm_digits_trgm"),
        ]
        constraints = [_on_exactly_one_record("phone")]

    def __str__(self) -> str:
        return self.value


class RecordEmail(ContactPoint):
    """An e-mail address, lower-cased. Kinds are amoCRM's EMAIL enum codes."""

    class Kind(models.TextChoices):
        WORK = "WORK", _("Work")
        PRIV = "PRIV", _("Private")
        OTHER = "OTHER", _("Other")

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    kind = models.CharField(
        _("type"), max_length=6, choices=Kind.choices, default=Kind.WORK
    )
    value = models.EmailField(_("email"))

    class Meta(ContactPoint.Meta):
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        indexes = [
            models.Index(fields=["crm", "contact"], name="email_crm_contact"),
            models.Index(fields=["crm", "company"], name="email_crm_company"),
            models.Index(fields=["crm", "value"], name="email_crm_value"),
        ]
        constraints = [_on_exactly_one_record("email")]

    def __str__(self) -> str:
        return self.value


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
    contacts = models.ManyToManyField(
        Contact, through="DealContact", related_name="deals", blank=True
    )

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            *_record_indexes("deal"),
            models.Index(fields=["crm", "pipeline", "status"], name="deal_crm_board"),
            # A board column's newest cards, and each column's count and sum read
            # from the index alone (selectors/pipelines.py).
            models.Index(
                fields=["crm", "status", "-id"],
                include=["is_archived", "amount"],
                name="deal_crm_column",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DealContact(CrmScopedModel):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["crm", "deal", "contact"], name="deal_contact_unique"
            ),
        ]
        indexes = [models.Index(fields=["crm", "contact"], name="deal_contact_ct")]

    def __str__(self) -> str:
        return f"{self.deal_id} ~ {self.contact_id}"


class Note(CrmScopedModel):
    """A note on exactly one contact, company or deal."""

    author = models.ForeignKey(
        CrmUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("note"), max_length=10000)
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="notes"
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="notes"
    )
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, null=True, blank=True, related_name="notes"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [
            models.Index(fields=["crm", "contact"], name="note_crm_contact"),
            models.Index(fields=["crm", "company"], name="note_crm_company"),
            models.Index(fields=["crm", "deal"], name="note_crm_deal"),
            # The home page's recent activity: the latest notes of the CRM.
            models.Index(fields=["crm", "-created_at"], name="note_crm_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(contact__isnull=False, company__isnull=True, deal__isnull=True)
                    | Q(contact__isnull=True, company__isnull=False, deal__isnull=True)
                    | Q(contact__isnull=True, company__isnull=True, deal__isnull=False)
                ),
                name="note_on_exactly_one_record",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:50]


class CustomField(CrmScopedModel):
    # The kinds of record (crm.entities) a field can belong to.
    Entity = Entity

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        SELECT = "select", pgettext_lazy("custom field type", "Select")
        MULTISELECT = "multiselect", _("Multi-select")

    entity = models.CharField(_("entity"), max_length=10, choices=Entity.choices)
    name = models.CharField(_("name"), max_length=100)
    type = models.CharField(_("type"), max_length=12, choices=Type.choices)
    options = models.JSONField(_("options"), default=list, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # The record forms refuse to save without a value; the API and imports,
    # which may fill a record in several steps, do not.
    is_required = models.BooleanField(_("required"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["crm", "entity", "position"])]

    def __str__(self) -> str:
        return self.name
