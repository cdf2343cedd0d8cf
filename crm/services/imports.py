"""Importing contacts or companies from a CSV or XLSX file, and undoing it.

The steps, each a page: the upload (``record_import_start``: the file is read,
kept in ``default_storage`` and its columns matched to fields by their headers),
the columns (``record_import_mapping_set``), a preview of the first rows as they
would be saved (``record_import_preview``), then the run as a Celery job
(``record_import_request`` → ``record_import_run``) with a report row per row of
the file, and, afterwards, undo (``record_import_undo_request`` →
``record_import_undo_run``).

Every record is written by the record services with the importer's rights, so an
import can do nothing its importer could not do through the forms. A row that
has the same e-mail (any case) or the same phone number (however typed: the
phones' match key) as a record the importer can see is a duplicate: skipped,
used to update that record, or created anyway, as the importer chose. An update
keeps the record's values from before in its import row, which undo writes back;
undo deletes the records the import created through the record deletion
service."""

from __future__ import annotations

import datetime
import logging
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from config.celery import enqueue_after_commit
from crm.entities import record_kind
from crm.models import (
    Crm,
    CrmUser,
    CustomField,
    RecordEmail,
    RecordImport,
    RecordImportRow,
    RecordPhone,
)
from crm.rights import Entity, can, scope_queryset
from crm.services.contact_points import (
    contact_points_of,
    emails_clean,
    phone_match_key,
    phones_clean,
)
from crm.services.import_files import Table, table_read
from crm.services.record_deletion import BULK_INLINE_LIMIT, records_delete
from crm.services.records import (
    custom_fields_for,
    custom_values_clean,
    record_save,
    visible_records,
)

logger = logging.getLogger(__name__)

IMPORT_ENTITIES = (Entity.CONTACT.value, Entity.COMPANY.value)
PREVIEW_ROWS = 10
# Rows written per transaction: each chunk commits its rows' report and the
# import's counts together, so the progress shown is always what is saved.
CHUNK_ROWS = 100
SKIP = ""
NAME = "name"
COMPANY = "company"
RESPONSIBLE = "responsible"
PHONE_PREFIX = "phone:"
EMAIL_PREFIX = "email:"
CUSTOM_PREFIX = "cf:"
NAME_MAX_LENGTH = 200


# --- fields a column can go to ------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A field a column of the file can be imported into."""

    key: str
    label: str
    # Headers (normalised: lower case, words only) that name this field.
    names: tuple[str, ...] = ()


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", str(text).casefold()).split())


PHONE_NAMES = {
    RecordPhone.Kind.WORK: (
        "phone",
        "phones",
        "telephone",
        "tel",
        "phone number",
        "work phone",
        "телефон",
        "робочий телефон",
        "рабочий телефон",
    ),
    RecordPhone.Kind.WORKDD: (
        "direct phone",
        "direct line",
        "work direct",
        "прямий телефон",
        "прямой телефон",
    ),
    RecordPhone.Kind.MOB: (
        "mobile",
        "mobile phone",
        "cell",
        "cell phone",
        "мобільний",
        "мобильный",
        "мобільний телефон",
        "мобильный телефон",
    ),
    RecordPhone.Kind.FAX: ("fax", "факс"),
    RecordPhone.Kind.HOME: ("home phone", "домашній телефон", "домашний телефон"),
    RecordPhone.Kind.OTHER: ("other phone", "інший телефон", "другой телефон"),
}
EMAIL_NAMES = {
    RecordEmail.Kind.WORK: (
        "email",
        "e mail",
        "mail",
        "emails",
        "email address",
        "work email",
        "пошта",
        "почта",
        "електронна пошта",
        "электронная почта",
    ),
    RecordEmail.Kind.PRIV: (
        "private email",
        "personal email",
        "home email",
        "особиста пошта",
        "личная почта",
    ),
    RecordEmail.Kind.OTHER: ("other email", "інша пошта", "другая почта"),
}
# A header that has one of these in it is a phone or an e-mail of that kind
# ("Mobile (Olga)", "Tel. 2"), when no field's name matches it whole.
PHONE_HINTS = (
    ("mob", RecordPhone.Kind.MOB),
    ("cell", RecordPhone.Kind.MOB),
    ("моб", RecordPhone.Kind.MOB),
    ("fax", RecordPhone.Kind.FAX),
    ("факс", RecordPhone.Kind.FAX),
    ("home", RecordPhone.Kind.HOME),
    ("домаш", RecordPhone.Kind.HOME),
    ("phone", RecordPhone.Kind.WORK),
    ("тел", RecordPhone.Kind.WORK),
)
EMAIL_HINTS = ("mail", "пошт", "почт")


def import_targets(*, crm: Crm, entity: str) -> list[Target]:
    """The fields a column of a list of ``entity`` can go to, in the order the
    columns page offers them."""
    if entity == Entity.CONTACT:
        targets = [
            Target(
                NAME,
                pgettext("person", "Name"),
                (
                    "name",
                    "full name",
                    "contact",
                    "contact name",
                    "person",
                    "ім я",
                    "імя",
                    "піб",
                    "имя",
                    "фио",
                    "контакт",
                ),
            ),
        ]
    else:
        targets = [
            Target(
                NAME,
                _("Name"),
                (
                    "name",
                    "company",
                    "company name",
                    "organisation",
                    "organization",
                    "назва",
                    "название",
                    "компанія",
                    "компания",
                ),
            ),
        ]
    for kind, names in PHONE_NAMES.items():
        targets.append(
            Target(
                f"{PHONE_PREFIX}{kind}",
                _("Phone: %(type)s") % {"type": kind.label},
                names,
            )
        )
    for kind, names in EMAIL_NAMES.items():
        targets.append(
            Target(
                f"{EMAIL_PREFIX}{kind}",
                _("Email: %(type)s") % {"type": kind.label},
                names,
            )
        )
    if entity == Entity.CONTACT:
        targets.append(
            Target(
                COMPANY,
                _("Company"),
                (
                    "company",
                    "company name",
                    "organisation",
                    "organization",
                    "компанія",
                    "компания",
                    "організація",
                    "организация",
                ),
            )
        )
    else:
        targets += [
            Target("website", _("Website"), ("website", "site", "web", "url", "сайт")),
            Target("address", _("Address"), ("address", "адреса", "адрес")),
        ]
    targets.append(
        Target(
            RESPONSIBLE,
            _("Responsible"),
            (
                "responsible",
                "responsible user",
                "owner",
                "manager",
                "відповідальний",
                "ответственный",
                "менеджер",
            ),
        )
    )
    for custom_field in custom_fields_for(crm=crm, entity=entity):
        targets.append(
            Target(
                f"{CUSTOM_PREFIX}{custom_field.pk}",
                custom_field.name,
                (_normal(custom_field.name),),
            )
        )
    return targets


def _free_kind(prefix: str, wanted: str, kinds, used: set[str]) -> str:
    """``wanted``'s key if no column has it yet, else "other", else any free one:
    a second "Phone" column is a second number, not a column to drop."""
    for kind in (wanted, kinds.OTHER, *kinds.values):
        if f"{prefix}{kind}" not in used:
            return f"{prefix}{kind}"
    return SKIP


def import_mapping_guess(targets: list[Target], headers: list[str]) -> list[str]:
    """A target key (or ``SKIP``) for each header, from the header's words."""
    by_name: dict[str, str] = {}
    # The custom fields' own names come first: a CRM that has a field called
    # "Source" means that one.
    for target in reversed(targets):
        for name in target.names:
            by_name[name] = target.key
    for target in targets:
        by_name.setdefault(_normal(target.label), target.key)
    used: set[str] = set()
    mapping = []
    for header in headers:
        text = _normal(header)
        key = by_name.get(text, SKIP)
        if key == SKIP:
            hint = next((kind for part, kind in PHONE_HINTS if part in text), None)
            if hint is not None:
                key = f"{PHONE_PREFIX}{hint}"
            elif any(part in text for part in EMAIL_HINTS):
                key = f"{EMAIL_PREFIX}{RecordEmail.Kind.WORK}"
        if key.startswith(PHONE_PREFIX) and key in used:
            key = _free_kind(
                PHONE_PREFIX, key.removeprefix(PHONE_PREFIX), RecordPhone.Kind, used
            )
        elif key.startswith(EMAIL_PREFIX) and key in used:
            key = _free_kind(
                EMAIL_PREFIX, key.removeprefix(EMAIL_PREFIX), RecordEmail.Kind, used
            )
        elif key in used:
            key = SKIP
        if key:
            used.add(key)
        mapping.append(key)
    return mapping


# --- finding and starting --------------------------------------------------------


def record_import_get(*, crm: Crm, actor: CrmUser, import_id: Any) -> RecordImport:
    """An import of this CRM that the actor may see (their own; an administrator
    any); 404 otherwise, also for another CRM's id."""
    record_import = (
        RecordImport.objects.for_crm(crm)
        .select_related("requested_by", "undone_by")
        .by_id(import_id)
    )
    if record_import is None or not (
        actor.is_admin or record_import.requested_by_id == actor.pk
    ):
        raise Http404
    return record_import


def _require(actor: CrmUser, entity: str, action: str) -> None:
    if not can(actor, entity, action):
        raise PermissionDenied(_("Your rights do not allow this."))


def import_entities_allowed(actor: CrmUser) -> list[str]:
    """The kinds of record the actor may import: those they may create."""
    return [entity for entity in IMPORT_ENTITIES if can(actor, entity, "create")]


def record_import_start(
    *,
    crm: Crm,
    actor: CrmUser,
    entity: str,
    file_name: str,
    data: bytes,
    encoding: str = "auto",
) -> RecordImport:
    """Read an uploaded file, keep it for the later steps and guess its columns.
    A file that cannot be read is refused with a ``ValidationError`` saying why,
    and nothing is kept."""
    if entity not in IMPORT_ENTITIES:
        raise Http404
    _require(actor, entity, "create")
    # Only the last part of a name a browser sends: a name, never a path.
    original = os.path.basename(str(file_name).replace("\\", "/"))[:255] or "file"
    table = table_read(name=original, data=data, encoding=encoding)
    extension = os.path.splitext(original)[1].lower()
    stored = default_storage.save(
        f"imports/{crm.pk}/{uuid.uuid4().hex}{extension}", ContentFile(data)
    )
    targets = import_targets(crm=crm, entity=entity)
    return RecordImport.objects.create(
        crm=crm,
        entity=entity,
        requested_by=actor,
        file_name=stored,
        original_name=original,
        encoding=encoding,
        headers=table.headers,
        total=len(table.rows),
        mapping=import_mapping_guess(targets, table.headers),
    )


def _table_of(record_import: RecordImport) -> Table:
    if not record_import.file_name:
        raise ValidationError(
            _("The uploaded file is no longer kept. Upload it again.")
        )
    try:
        with default_storage.open(record_import.file_name, "rb") as handle:
            data = handle.read()
    except OSError:
        raise ValidationError(
            _("The uploaded file is no longer kept. Upload it again.")
        ) from None
    return table_read(
        name=record_import.original_name, data=data, encoding=record_import.encoding
    )


def import_samples(record_import: RecordImport, count: int = 3) -> list[list[str]]:
    """The first values of each column, for the columns page."""
    rows = _table_of(record_import).rows[:count]
    return [
        [cells[index] for _line, cells in rows]
        for index in range(len(record_import.headers))
    ]


def _editable(record_import: RecordImport, actor: CrmUser) -> None:
    if record_import.status != RecordImport.Status.NEW:
        raise ValidationError(_("This import has already been started."))
    if record_import.requested_by_id != actor.pk:
        raise PermissionDenied(_("Only the person who uploaded the file can go on."))


def record_import_mapping_set(
    *, crm: Crm, actor: CrmUser, import_id: Any, mapping: list[str]
) -> RecordImport:
    """Which field each column goes to (``SKIP`` leaves it out): the name is
    needed once, and no field takes two columns."""
    record_import = record_import_get(crm=crm, actor=actor, import_id=import_id)
    _editable(record_import, actor)
    keys = {t.key for t in import_targets(crm=crm, entity=record_import.entity)}
    if len(mapping) != len(record_import.headers) or any(
        key not in keys and key != SKIP for key in mapping
    ):
        raise ValidationError(
            _("Choose a field or “Skip this column” for each column.")
        )
    chosen = [key for key in mapping if key != SKIP]
    if NAME not in chosen:
        raise ValidationError(_("Choose the column that holds the name."))
    if len(chosen) != len(set(chosen)):
        raise ValidationError(_("Each field can take only one column."))
    record_import.mapping = list(mapping)
    record_import.save(update_fields=["mapping"])
    return record_import


# --- one row: what it would be, and doing it --------------------------------------


@dataclass
class RowPlan:
    """A row of the file as it would be saved, and what stands in its way."""

    line: int
    name: str = ""
    # For the record service, besides the name: responsible_id, custom, website,
    # address (only what the file has a value for).
    data: dict[str, Any] = field(default_factory=dict)
    phones: list[tuple[str, str]] = field(default_factory=list)
    emails: list[tuple[str, str]] = field(default_factory=list)
    company_name: str = ""
    company_id: int | None = None
    responsible_name: str = ""
    # Custom fields as they would show: (field name, value).
    custom: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    duplicate_id: int | None = None
    duplicate_reason: str = ""


_MANY = re.compile(r"[,;\n]+")
_MANY_EMAILS = re.compile(r"[,;\s]+")
_DOTTED_DATE = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")


def _custom_raw(custom_field: CustomField, text: str) -> Any:
    """A cell as the custom field's value: several options of a multi-select
    separated by commas or semicolons, a date also as 31.12.2026."""
    if custom_field.type == CustomField.Type.MULTISELECT:
        return [part.strip() for part in re.split(r"[,;]", text) if part.strip()]
    if custom_field.type == CustomField.Type.DATE:
        match = _DOTTED_DATE.match(text)
        if match:
            day, month, year = (int(part) for part in match.groups())
            try:
                return datetime.date(year, month, day).isoformat()
            except ValueError:
                return text
    if custom_field.type == CustomField.Type.NUMBER:
        return text.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    return text


class _Rows:
    """What turning the rows of one import into records needs, read once."""

    def __init__(self, record_import: RecordImport, actor: CrmUser) -> None:
        self.crm = record_import.crm
        self.actor = actor
        self.entity = record_import.entity
        self.mapping = list(record_import.mapping)
        self.policy = record_import.duplicates
        self.fields = {
            str(f.pk): f for f in custom_fields_for(crm=self.crm, entity=self.entity)
        }
        self.users: dict[str, CrmUser] = {}
        for user in CrmUser.objects.for_crm(self.crm).filter(is_active=True):
            self.users.setdefault(user.name.casefold(), user)
            self.users[user.email.casefold()] = user
        self.companies: dict[str, int | None] = {}
        self.can_create_company = can(actor, "company", "create")
        self.created_company_ids = list(record_import.created_company_ids or [])

    def plan(self, line: int, cells: list[str]) -> RowPlan:
        plan = RowPlan(line=line)
        values: dict[str, str] = {}
        for index, key in enumerate(self.mapping):
            if key and index < len(cells) and cells[index].strip():
                values[key] = cells[index].strip()
        plan.name = " ".join(values.get(NAME, "").split())
        if not plan.name:
            plan.problems.append(_("The name is empty."))
        elif len(plan.name) > NAME_MAX_LENGTH:
            plan.problems.append(
                _("The name is longer than %(n)d characters.") % {"n": NAME_MAX_LENGTH}
            )
        phones, emails, custom = [], [], {}
        for key, text in values.items():
            if key.startswith(PHONE_PREFIX):
                kind = key.removeprefix(PHONE_PREFIX)
                phones += [(kind, part) for part in _MANY.split(text) if part.strip()]
            elif key.startswith(EMAIL_PREFIX):
                kind = key.removeprefix(EMAIL_PREFIX)
                emails += [(kind, part) for part in _MANY_EMAILS.split(text) if part]
            elif key.startswith(CUSTOM_PREFIX):
                custom_field = self.fields.get(key.removeprefix(CUSTOM_PREFIX))
                if custom_field is not None:
                    custom[str(custom_field.pk)] = _custom_raw(custom_field, text)
                    plan.custom.append((custom_field.name, text))
            elif key in ("website", "address"):
                plan.data[key] = text
        for clean, given, attr in (
            (phones_clean, phones, "phones"),
            (emails_clean, emails, "emails"),
        ):
            try:
                setattr(plan, attr, clean(given))
            except ValidationError as error:
                plan.problems += error.messages
        if custom:
            try:
                custom_values_clean(
                    crm=self.crm, entity=self.entity, values=custom, current={}
                )
            except ValidationError as error:
                plan.problems += error.messages
            else:
                plan.data["custom"] = custom
        responsible = values.get(RESPONSIBLE, "")
        if responsible:
            user = self.users.get(" ".join(responsible.split()).casefold())
            if user is None:
                plan.problems.append(
                    _("There is no active user “%(name)s” in this CRM.")
                    % {"name": responsible[:100]}
                )
            else:
                plan.data["responsible_id"] = user.pk
                plan.responsible_name = user.name
        company = " ".join(values.get(COMPANY, "").split())
        if company:
            plan.company_name = company[:NAME_MAX_LENGTH]
            plan.company_id = self._company_id(plan.company_name)
            if plan.company_id is None and not self.can_create_company:
                plan.problems.append(
                    _(
                        "There is no company “%(name)s”, and your rights do not "
                        "allow creating one."
                    )
                    % {"name": plan.company_name}
                )
        if not plan.problems:
            self._find_duplicate(plan)
        return plan

    def _company_id(self, name: str) -> int | None:
        key = name.casefold()
        if key not in self.companies:
            self.companies[key] = (
                visible_records(crm=self.crm, actor=self.actor, entity="company")
                .filter(name__iexact=name)
                .order_by("pk")
                .values_list("pk", flat=True)
                .first()
            )
        return self.companies[key]

    def _find_duplicate(self, plan: RowPlan) -> None:
        """The first record the actor can see with one of the row's e-mails, else
        with one of its phone numbers however typed."""
        visible = visible_records(crm=self.crm, actor=self.actor, entity=self.entity)
        owner = self.entity
        addresses = [address for _kind, address in plan.emails]
        if addresses:
            hit = (
                RecordEmail.objects.for_crm(self.crm)
                .filter(value__in=addresses, **{f"{owner}__in": visible})
                .order_by(f"{owner}_id")
                .values_list(f"{owner}_id", f"{owner}__name", "value")
                .first()
            )
            if hit is not None:
                plan.duplicate_id = hit[0]
                plan.duplicate_reason = _(
                    "%(name)s (ID %(id)d) already has the e-mail %(email)s."
                ) % {"email": hit[2], "name": hit[1], "id": hit[0]}
                return
        keys = [phone_match_key(number) for _kind, number in plan.phones]
        keys = [key for key in keys if key]
        if keys:
            hit = (
                RecordPhone.objects.for_crm(self.crm)
                .filter(match_key__in=keys, **{f"{owner}__in": visible})
                .order_by(f"{owner}_id")
                .values_list(f"{owner}_id", f"{owner}__name", "value")
                .first()
            )
            if hit is not None:
                plan.duplicate_id = hit[0]
                plan.duplicate_reason = _(
                    "%(name)s (ID %(id)d) already has the phone %(phone)s."
                ) % {"phone": hit[2], "name": hit[1], "id": hit[0]}

    # Doing it.

    def run(self, plan: RowPlan) -> RecordImportRow:
        row = RecordImportRow(
            crm=self.crm, line=plan.line, name=plan.name[:NAME_MAX_LENGTH]
        )
        if plan.problems:
            row.outcome = RecordImportRow.Outcome.REFUSED
            row.reason = " ".join(plan.problems)[:1000]
            return row
        if (
            plan.duplicate_id is not None
            and self.policy == RecordImport.Duplicates.SKIP
        ):
            row.outcome = RecordImportRow.Outcome.SKIPPED
            row.record_id = plan.duplicate_id
            row.reason = plan.duplicate_reason[:1000]
            return row
        update = (
            plan.duplicate_id is not None
            and self.policy == RecordImport.Duplicates.UPDATE
        )
        new_company = None
        try:
            with transaction.atomic():
                company_id = plan.company_id
                if plan.company_name and company_id is None:
                    new_company = record_save(
                        crm=self.crm,
                        actor=self.actor,
                        entity="company",
                        record_id=None,
                        data={"name": plan.company_name},
                    )
                    company_id = new_company.pk
                if update:
                    record, row.before = self._update(plan, company_id)
                    row.outcome = RecordImportRow.Outcome.UPDATED
                    row.reason = plan.duplicate_reason[:1000]
                else:
                    record = self._create(plan, company_id)
                    row.outcome = RecordImportRow.Outcome.CREATED
                    if plan.duplicate_id is not None:
                        row.reason = plan.duplicate_reason[:1000]
        except PermissionDenied as error:
            row.outcome = RecordImportRow.Outcome.REFUSED
            row.reason = str(error)[:1000]
            return row
        except ValidationError as error:
            row.outcome = RecordImportRow.Outcome.REFUSED
            row.reason = " ".join(error.messages)[:1000]
            return row
        except Http404:
            row.outcome = RecordImportRow.Outcome.REFUSED
            row.reason = _("The record to update is no longer there.")
            return row
        if new_company is not None:
            self.companies[plan.company_name.casefold()] = new_company.pk
            self.created_company_ids.append(new_company.pk)
        row.record_id = record.pk
        return row

    def _create(self, plan: RowPlan, company_id: int | None):
        data = {**plan.data, "name": plan.name}
        if company_id is not None:
            data["company_ids"] = [company_id]
        return record_save(
            crm=self.crm,
            actor=self.actor,
            entity=self.entity,
            record_id=None,
            data=data,
            phones=plan.phones,
            emails=plan.emails,
        )

    def _update(self, plan: RowPlan, company_id: int | None):
        """Update the duplicate with the row: the file's values replace the
        record's where the file has one; phones and e-mails it does not have yet
        are added after its own. Returns the record and its values before."""
        model = record_kind(self.entity).model
        record = model.objects.for_crm(self.crm).by_id(plan.duplicate_id)
        if record is None:
            raise Http404
        phones, emails = contact_points_of(record)
        before: dict[str, Any] = {
            "data": {
                "name": record.name,
                "responsible_id": record.responsible_id,
                "custom": dict(record.custom or {}),
            },
            "phones": phones,
            "emails": emails,
        }
        if self.entity == Entity.COMPANY:
            before["data"].update(website=record.website, address=record.address)
        data = {**plan.data, "name": plan.name}
        if (
            company_id is not None
            and not record.companies.filter(pk=company_id).exists()
        ):
            visible = visible_records(crm=self.crm, actor=self.actor, entity="company")
            data["company_ids"] = [
                *visible.filter(contacts=record).values_list("pk", flat=True),
                company_id,
            ]
            before["added_company_id"] = company_id
        keys = {phone_match_key(number) for _kind, number in phones}
        new_phones = [p for p in plan.phones if phone_match_key(p[1]) not in keys]
        known = {address for _kind, address in emails}
        new_emails = [e for e in plan.emails if e[1] not in known]
        record = record_save(
            crm=self.crm,
            actor=self.actor,
            entity=self.entity,
            record_id=record.pk,
            data=data,
            phones=[*phones, *new_phones] if new_phones else None,
            emails=[*emails, *new_emails] if new_emails else None,
        )
        return record, before


def record_import_preview(
    *, crm: Crm, actor: CrmUser, import_id: Any, count: int = PREVIEW_ROWS
) -> tuple[RecordImport, list[RowPlan]]:
    """The first ``count`` rows as they would be saved, with their problems and
    the records they duplicate."""
    record_import = record_import_get(crm=crm, actor=actor, import_id=import_id)
    rows = _Rows(record_import, actor)
    table = _table_of(record_import)
    return record_import, [rows.plan(line, cells) for line, cells in table.rows[:count]]


# --- the job -------------------------------------------------------------------------


def record_import_request(
    *, crm: Crm, actor: CrmUser, import_id: Any, duplicates: str
) -> RecordImport:
    """Start the import as a job, with what to do with duplicates. Updating
    duplicates needs the edit right besides the create right."""
    record_import = record_import_get(crm=crm, actor=actor, import_id=import_id)
    _editable(record_import, actor)
    _require(actor, record_import.entity, "create")
    if duplicates not in RecordImport.Duplicates.values:
        raise ValidationError(_("Choose what to do with duplicates."))
    if duplicates == RecordImport.Duplicates.UPDATE and not can(
        actor, record_import.entity, "edit"
    ):
        raise PermissionDenied(
            _("Your rights do not allow changing records: choose another way.")
        )
    if NAME not in record_import.mapping:
        raise ValidationError(_("Choose the column that holds the name."))
    started = (
        RecordImport.objects.for_crm(crm)
        .filter(pk=record_import.pk, status=RecordImport.Status.NEW)
        .update(status=RecordImport.Status.QUEUED, duplicates=duplicates)
    )
    if not started:  # a second click, or another tab
        raise ValidationError(_("This import has already been started."))
    from crm.tasks import run_import  # tasks import services

    enqueue_after_commit(run_import, record_import.pk)
    record_import.refresh_from_db()
    return record_import


def _finish(record_import: RecordImport, status: str, error: str = "") -> None:
    if record_import.file_name:
        default_storage.delete(record_import.file_name)
    RecordImport.objects.filter(pk=record_import.pk).update(
        status=status, error=error[:500], file_name="", finished_at=timezone.now()
    )


def _chunks(rows: list, size: int) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def record_import_run(*, import_id: int) -> RecordImport | None:
    """The worker's side: row after row, each chunk's report rows and counts in
    one transaction. Safe to run again: rows already reported are not done
    twice."""
    record_import = (
        RecordImport.objects.select_related("crm", "requested_by")
        .filter(pk=import_id)
        .first()
    )
    if record_import is None or record_import.status not in (
        RecordImport.Status.QUEUED,
        RecordImport.Status.RUNNING,
    ):
        return record_import
    actor = record_import.requested_by
    if actor is None or not record_import.crm.is_active:
        _finish(record_import, RecordImport.Status.FAILED, _("The import was stopped."))
        return record_import
    RecordImport.objects.filter(pk=record_import.pk).update(
        status=RecordImport.Status.RUNNING
    )
    try:
        table = _table_of(record_import)
    except ValidationError as error:
        _finish(record_import, RecordImport.Status.FAILED, " ".join(error.messages))
        return record_import
    rows = _Rows(record_import, actor)
    done = set(
        RecordImportRow.objects.for_crm(record_import.crm_id)
        .filter(record_import=record_import)
        .values_list("line", flat=True)
    )
    todo = [(line, cells) for line, cells in table.rows if line not in done]
    try:
        for chunk in _chunks(todo, CHUNK_ROWS):
            with transaction.atomic():
                reports = [rows.run(rows.plan(line, cells)) for line, cells in chunk]
                for report in reports:
                    report.record_import = record_import
                RecordImportRow.objects.bulk_create(reports)
                counts = {outcome: 0 for outcome in RecordImportRow.Outcome.values}
                for report in reports:
                    counts[report.outcome] += 1
                RecordImport.objects.filter(pk=record_import.pk).update(
                    processed=F("processed") + len(reports),
                    created_company_ids=rows.created_company_ids,
                    **{name: F(name) + count for name, count in counts.items()},
                )
    except Exception:
        logger.exception("Import %s failed", record_import.pk)
        _finish(
            record_import,
            RecordImport.Status.FAILED,
            _("The import stopped on an unexpected error. Rows done so far are kept."),
        )
        raise
    _finish(record_import, RecordImport.Status.DONE)
    record_import.refresh_from_db()
    return record_import


# --- the report ----------------------------------------------------------------------


def import_report_rows(record_import: RecordImport):
    return (
        RecordImportRow.objects.for_crm(record_import.crm_id)
        .filter(record_import=record_import)
        .order_by("line")
    )


# --- undo ----------------------------------------------------------------------------


def _existing(crm: Crm, entity: str, ids: list[int]) -> list[int]:
    model = record_kind(entity).model
    return list(
        model.objects.for_crm(crm).filter(pk__in=ids).values_list("pk", flat=True)
    )


def _created_ids(record_import: RecordImport) -> list[int]:
    return list(
        import_report_rows(record_import)
        .filter(outcome=RecordImportRow.Outcome.CREATED, record_id__isnull=False)
        .values_list("record_id", flat=True)
    )


def _check_deletable(crm: Crm, actor: CrmUser, entity: str, ids: list[int]) -> None:
    records = record_kind(entity).model.objects.for_crm(crm).filter(pk__in=ids)
    visible = scope_queryset(actor, entity, "view", records)
    refused = visible.count() - scope_queryset(actor, entity, "delete", visible).count()
    if refused:
        raise PermissionDenied(
            _(
                "Your rights do not allow deleting %(count)d of the records this "
                "import created, so it cannot be undone by you."
            )
            % {"count": refused}
        )


def record_import_undo_summary(record_import: RecordImport) -> dict[str, int]:
    """What undoing would do now: records to delete, records to put back."""
    crm = record_import.crm
    return {
        "delete": len(_existing(crm, record_import.entity, _created_ids(record_import)))
        + len(_existing(crm, "company", record_import.created_company_ids or [])),
        "restore": import_report_rows(record_import)
        .filter(outcome=RecordImportRow.Outcome.UPDATED)
        .count(),
    }


def record_import_undo_request(
    *, crm: Crm, actor: CrmUser, import_id: Any
) -> RecordImport:
    """Undo a finished import: for its importer and administrators, who must be
    allowed to delete what it created and change what it updated."""
    record_import = record_import_get(crm=crm, actor=actor, import_id=import_id)
    if record_import.status not in (
        RecordImport.Status.DONE,
        RecordImport.Status.FAILED,
    ):
        raise ValidationError(_("Only an import that has finished can be undone."))
    entity = record_import.entity
    _check_deletable(crm, actor, entity, _created_ids(record_import))
    _check_deletable(crm, actor, "company", record_import.created_company_ids or [])
    if record_import.updated and not can(actor, entity, "edit"):
        raise PermissionDenied(_("Your rights do not allow changing records."))
    started = (
        RecordImport.objects.for_crm(crm)
        .filter(pk=record_import.pk, status=record_import.status)
        .update(status=RecordImport.Status.UNDOING, undone_by=actor, error="")
    )
    if not started:
        raise ValidationError(_("This import is being undone already."))
    from crm.tasks import undo_import  # tasks import services

    enqueue_after_commit(undo_import, record_import.pk)
    record_import.refresh_from_db()
    return record_import


def _restore(crm: Crm, actor: CrmUser, entity: str, row: RecordImportRow) -> None:
    """Put an updated record's values back as they were before the import."""
    record = record_kind(entity).model.objects.for_crm(crm).by_id(row.record_id)
    if record is None or not row.before:
        return  # deleted since: nothing to put back
    fields = {str(f.pk) for f in custom_fields_for(crm=crm, entity=entity)}
    data = dict(row.before.get("data") or {})
    old_custom = {k: v for k, v in (data.get("custom") or {}).items() if k in fields}
    data["custom"] = {
        **{key: None for key in (record.custom or {}) if key in fields},
        **old_custom,
    }
    added = row.before.get("added_company_id")
    if added is not None:
        visible = visible_records(crm=crm, actor=actor, entity="company")
        data["company_ids"] = list(
            visible.filter(contacts=record)
            .exclude(pk=added)
            .values_list("pk", flat=True)
        )
    record_save(
        crm=crm,
        actor=actor,
        entity=entity,
        record_id=record.pk,
        data=data,
        phones=[tuple(p) for p in row.before.get("phones") or []],
        emails=[tuple(e) for e in row.before.get("emails") or []],
    )


def _delete(crm: Crm, actor: CrmUser, entity: str, ids: list[int]) -> None:
    for chunk in _chunks(sorted(ids), BULK_INLINE_LIMIT):
        records_delete(
            crm=crm, actor=actor, entity=entity, ids=chunk, description="import undo"
        )


def record_import_undo_run(*, import_id: int) -> RecordImport | None:
    """The worker's side of undo: updated records first get their values back
    (newest row first, so a record updated twice ends as it was before both),
    then the records the import created go, through the record deletion
    service. Safe to run again."""
    record_import = (
        RecordImport.objects.select_related("crm", "undone_by")
        .filter(pk=import_id)
        .first()
    )
    if record_import is None or record_import.status != RecordImport.Status.UNDOING:
        return record_import
    crm, actor = record_import.crm, record_import.undone_by
    entity = record_import.entity
    problems: list[str] = []
    if actor is None or not crm.is_active:
        problems.append(_("The undo was stopped."))
    else:
        updated = import_report_rows(record_import).filter(
            outcome=RecordImportRow.Outcome.UPDATED
        )
        for row in updated.order_by("-line"):
            try:
                with transaction.atomic():
                    _restore(crm, actor, entity, row)
            except (ValidationError, PermissionDenied, Http404) as error:
                message = (
                    " ".join(error.messages)
                    if isinstance(error, ValidationError)
                    else str(error)
                )
                problems.append(
                    _("Row %(line)d: %(reason)s")
                    % {"line": row.line, "reason": message}
                )
        try:
            _delete(crm, actor, entity, _created_ids(record_import))
            _delete(crm, actor, "company", record_import.created_company_ids or [])
        except PermissionDenied as error:
            problems.append(str(error))
    RecordImport.objects.filter(pk=record_import.pk).update(
        status=RecordImport.Status.UNDONE,
        undone_at=timezone.now(),
        error=" ".join(problems)[:500],
    )
    record_import.refresh_from_db()
    return record_import
