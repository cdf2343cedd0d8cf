"""Contacts, companies, deals and notes: every write checks the actor's rights and
keeps every reference inside the actor's CRM (another CRM's id is a 404)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.http import Http404
from django.utils.translation import gettext as _

from crm.entities import RECORD_KINDS, record_kind
from crm.models import (
    Company,
    Contact,
    ContactCompany,
    Crm,
    CrmUser,
    CustomField,
    Deal,
    DealContact,
    Note,
    Pipeline,
    PipelineStatus,
)
from crm.models.tenancy import id_from
from crm.rights import can, scope_queryset
from crm.services.contact_points import (
    contact_points_of,
    contact_points_set,
    emails_clean,
    phones_clean,
)
from crm.services.record_changes import record_changes_write, record_snapshot

TEXT_VALUE_MAX_LENGTH = 1000


def _require(actor: CrmUser, entity: str, action: str, record=None) -> None:
    if not can(actor, entity, action, record):
        raise PermissionDenied(_("Your rights do not allow this."))


def _scoped_get(model: type[Model], crm: Crm, pk: Any):
    """One row of ``crm`` by id, or 404 (also for ids of other CRMs, and for
    anything that cannot be an id)."""
    row = model.objects.for_crm(crm).by_id(pk)
    if row is None:
        raise Http404
    return row


def _scoped_ids(model: type[Model], crm: Crm, ids: list[Any]) -> list[int]:
    """The ids, all of ``crm``'s ``model``; any other id is a 404."""
    wanted = {id_from(i) for i in ids or []}
    if None in wanted:
        raise Http404
    found = set(
        model.objects.for_crm(crm).filter(pk__in=wanted).values_list("pk", flat=True)
    )
    if found != wanted:
        raise Http404
    return sorted(found)


def _links_set(crm, actor, through, own: str, record, other: str, ids) -> None:
    """Link ``record`` to exactly the ``other`` records ``ids`` among those the
    actor may see; links to records they may not see were not shown to them and
    are kept. An id they may not see is a 404, like one of another CRM."""
    visible = visible_records(crm=crm, actor=actor, entity=other)
    wanted = set(_scoped_ids(visible.model, crm, ids))
    if wanted - set(visible.filter(pk__in=wanted).values_list("pk", flat=True)):
        raise Http404
    links = through.objects.for_crm(crm).filter(**{own: record})
    links.filter(**{f"{other}__in": visible}).exclude(
        **{f"{other}_id__in": wanted}
    ).delete()
    through.objects.bulk_create(
        [through(crm=crm, **{own: record, f"{other}_id": pk}) for pk in sorted(wanted)],
        ignore_conflicts=True,
    )


def responsible_get(*, crm: Crm, crm_user_id: Any) -> CrmUser:
    user = _scoped_get(CrmUser, crm, crm_user_id)
    if not user.is_active:
        raise ValidationError(
            {"responsible_id": _("%(name)s is deactivated.") % {"name": user.name}}
        )
    return user


# --- custom fields -----------------------------------------------------------------


def custom_fields_for(*, crm: Crm, entity: str) -> list[CustomField]:
    return list(CustomField.objects.for_crm(crm).filter(entity=entity))


def _custom_value_clean(field: CustomField, value: Any) -> Any:
    if value in (None, "", []):
        return None
    if field.type == CustomField.Type.TEXT:
        text = str(value)
        if len(text) > TEXT_VALUE_MAX_LENGTH:
            raise ValueError(
                _("at most %(n)d characters") % {"n": TEXT_VALUE_MAX_LENGTH}
            )
        return text
    if field.type == CustomField.Type.NUMBER:
        if isinstance(value, bool):
            raise ValueError(_("a number is expected"))
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(_("a number is expected")) from None
        if not number.is_finite():
            raise ValueError(_("a number is expected"))
        return float(number) if number != number.to_integral() else int(number)
    if field.type == CustomField.Type.DATE:
        try:
            return datetime.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(_("a date like 2026-12-31 is expected")) from None
    if field.type == CustomField.Type.SELECT:
        if value not in field.options:
            raise ValueError(
                _("choose one of: %(options)s") % {"options": ", ".join(field.options)}
            )
        return value
    values = value if isinstance(value, list) else [value]
    unknown = [v for v in values if v not in field.options]
    if unknown:
        raise ValueError(
            _("choose from: %(options)s") % {"options": ", ".join(field.options)}
        )
    return sorted(set(values), key=field.options.index)


def custom_values_clean(
    *, crm: Crm, entity: str, values: dict | None, current: dict | None = None
) -> dict[str, Any]:
    """Merge ``values`` (field id → value; None clears) into ``current``, checking
    each against its field's type. Unknown field ids and wrong types raise."""
    if values is None:
        return dict(current or {})
    if not isinstance(values, dict):
        raise ValidationError(
            {"custom": _("Custom fields must be an object of id: value.")}
        )
    fields = {str(f.pk): f for f in custom_fields_for(crm=crm, entity=entity)}
    merged = dict(current or {})
    errors = []
    for key, value in values.items():
        field = fields.get(str(key))
        if field is None:
            errors.append(_("There is no field %(id)s for this record.") % {"id": key})
            continue
        try:
            cleaned = _custom_value_clean(field, value)
        except ValueError as error:
            errors.append(f"{field.name} ({field.pk}): {error}")
            continue
        if cleaned is None:
            merged.pop(str(key), None)
        else:
            merged[str(key)] = cleaned
    if errors:
        raise ValidationError({"custom": errors})
    return merged


# --- contacts and companies -----------------------------------------------------------


def _record_for_save(crm: Crm, actor: CrmUser, entity: str, record_id: Any):
    """A new record (create right) or an existing one the actor may edit; one the
    actor cannot even see is a 404, like one of another CRM."""
    model = record_kind(entity).model
    if record_id is None:
        _require(actor, entity, "create")
        return model(crm=crm, responsible=actor)
    record = _scoped_get(model, crm, record_id)
    if not can(actor, entity, "view", record):
        raise Http404
    _require(actor, entity, "edit", record)
    return record


def _clean_name(value: str | None) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise ValidationError({"name": _("A name is required.")})
    if len(name) > 200:
        raise ValidationError({"name": _("At most 200 characters.")})
    return name


def _points_with_single(
    points: list[tuple[str, str]], single: str | None
) -> list[tuple[str, str]]:
    """The old single ``phone``/``email`` field on its own (forms and API clients
    that know one of each): it stands for the first of the list, keeping its
    type; empty removes it, and the others stay."""
    rest = points[1:]
    value = (single or "").strip()
    if not value:
        return rest
    kind = points[0][0] if points else None
    return [(kind, value), *rest]


def _contact_points_save(
    record: Contact | Company,
    data: dict[str, Any],
    phones: list | None,
    emails: list | None,
) -> tuple[list, list]:
    """Clean and store the record's phones and e-mails; returns the lists now
    kept. ``phones``/``emails`` None keep them, unless ``data`` has the single
    ``phone``/``email`` of a contact (see ``_points_with_single``)."""
    current_phones, current_emails = contact_points_of(record)
    errors: dict[str, list] = {}
    if phones is None and "phone" in data:
        phones = _points_with_single(current_phones, data["phone"])
    if emails is None and "email" in data:
        emails = _points_with_single(current_emails, data["email"])
    cleaned_phones = cleaned_emails = None
    for name, given, clean in (
        ("phones", phones, phones_clean),
        ("emails", emails, emails_clean),
    ):
        if given is None:
            continue
        try:
            if name == "phones":
                cleaned_phones = clean(given)
            else:
                cleaned_emails = clean(given)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    contact_points_set(record=record, phones=cleaned_phones, emails=cleaned_emails)
    return (
        current_phones if cleaned_phones is None else cleaned_phones,
        current_emails if cleaned_emails is None else cleaned_emails,
    )


@transaction.atomic
def contact_save(
    *,
    crm: Crm,
    actor: CrmUser,
    contact_id: int | None = None,
    data: dict[str, Any],
    phones: list[tuple[str, str]] | None = None,
    emails: list[tuple[str, str]] | None = None,
) -> Contact:
    """Create (``contact_id`` None) or update a contact. ``data`` keys that are
    missing keep their value: name, responsible_id, company_ids, custom, and
    email/phone (the first e-mail and phone, for callers that know only one).

    ``phones``/``emails``: ``[(kind, text), ...]`` replace the contact's list
    (kinds ``RecordPhone.Kind``/``RecordEmail.Kind``, empty means WORK; blank
    texts are skipped, repeats kept once); None leaves them as they are.
    ``Contact.phone``/``email`` are kept as the first of each."""
    contact = _record_for_save(crm, actor, "contact", contact_id)
    before = record_snapshot("contact", contact)
    if "name" in data or contact_id is None:
        contact.name = _clean_name(data.get("name"))
    if data.get("responsible_id") is not None:
        contact.responsible = responsible_get(
            crm=crm, crm_user_id=data["responsible_id"]
        )
    contact.custom = custom_values_clean(
        crm=crm, entity="contact", values=data.get("custom"), current=contact.custom
    )
    contact.full_clean(exclude=["crm", "responsible", "custom", "email", "phone"])
    contact.save()
    kept_phones, kept_emails = _contact_points_save(contact, data, phones, emails)
    contact.phone = kept_phones[0][1] if kept_phones else ""
    contact.email = kept_emails[0][1] if kept_emails else ""
    contact.save(update_fields=["phone", "email"])
    if "company_ids" in data:
        _links_set(
            crm,
            actor,
            ContactCompany,
            "contact",
            contact,
            "company",
            data["company_ids"],
        )
    record_changes_write(actor=actor, entity="contact", record=contact, before=before)
    return contact


def _clean_text(data: dict[str, Any], key: str, max_length: int) -> str:
    value = " ".join(str(data.get(key) or "").split())
    if len(value) > max_length:
        raise ValidationError({key: _("At most %(n)d characters.") % {"n": max_length}})
    return value


@transaction.atomic
def company_save(
    *,
    crm: Crm,
    actor: CrmUser,
    company_id: int | None = None,
    data: dict[str, Any],
    phones: list[tuple[str, str]] | None = None,
    emails: list[tuple[str, str]] | None = None,
) -> Company:
    """Create (``company_id`` None) or update a company. ``data`` keys that are
    missing keep their value: name, website, address, responsible_id, custom.
    ``phones``/``emails`` as for ``contact_save``."""
    company = _record_for_save(crm, actor, "company", company_id)
    before = record_snapshot("company", company)
    if "name" in data or company_id is None:
        company.name = _clean_name(data.get("name"))
    if "website" in data:
        company.website = _clean_text(data, "website", 200)
    if "address" in data:
        company.address = _clean_text(data, "address", 500)
    if data.get("responsible_id") is not None:
        company.responsible = responsible_get(
            crm=crm, crm_user_id=data["responsible_id"]
        )
    company.custom = custom_values_clean(
        crm=crm, entity="company", values=data.get("custom"), current=company.custom
    )
    company.save()
    _contact_points_save(company, {}, phones, emails)
    record_changes_write(actor=actor, entity="company", record=company, before=before)
    return company


# --- deals ---------------------------------------------------------------------------


def _status_of(crm: Crm, pipeline: Pipeline, status_id: Any) -> PipelineStatus:
    status = _scoped_get(PipelineStatus, crm, status_id)
    if status.pipeline_id != pipeline.pk:
        raise ValidationError({"status_id": _("This status is not in that pipeline.")})
    return status


@transaction.atomic
def deal_save(
    *,
    crm: Crm,
    actor: CrmUser,
    deal_id: int | None = None,
    data: dict[str, Any],
) -> Deal:
    deal = _record_for_save(crm, actor, "deal", deal_id)
    before = record_snapshot("deal", deal)
    if "name" in data or deal_id is None:
        deal.name = _clean_name(data.get("name"))
    if "amount" in data:
        try:
            deal.amount = Decimal(str(data["amount"] or 0))
        except InvalidOperation:
            raise ValidationError({"amount": _("A number is expected.")}) from None
        if not deal.amount.is_finite() or abs(deal.amount) >= Decimal("1e12"):
            raise ValidationError({"amount": _("A number is expected.")})
    if data.get("pipeline_id") is not None:
        deal.pipeline = _scoped_get(Pipeline, crm, data["pipeline_id"])
    elif deal_id is None:
        first = Pipeline.objects.for_crm(crm).order_by("position", "pk").first()
        if first is None:
            raise ValidationError({"pipeline_id": _("Create a pipeline first.")})
        deal.pipeline = first
    if data.get("status_id") is not None:
        deal.status = _status_of(crm, deal.pipeline, data["status_id"])
    elif deal_id is None or deal.status.pipeline_id != deal.pipeline_id:
        first_status = (
            PipelineStatus.objects.for_crm(crm)
            .filter(pipeline=deal.pipeline)
            .order_by("position", "pk")
            .first()
        )
        if first_status is None:
            raise ValidationError({"status_id": _("This pipeline has no statuses.")})
        deal.status = first_status
    if "company_id" in data:
        deal.company = (
            _scoped_get(Company, crm, data["company_id"])
            if data["company_id"]
            else None
        )
    if data.get("responsible_id") is not None:
        deal.responsible = responsible_get(crm=crm, crm_user_id=data["responsible_id"])
    deal.custom = custom_values_clean(
        crm=crm, entity="deal", values=data.get("custom"), current=deal.custom
    )
    deal.save()
    if "contact_ids" in data:
        _links_set(
            crm, actor, DealContact, "deal", deal, "contact", data["contact_ids"]
        )
    record_changes_write(actor=actor, entity="deal", record=deal, before=before)
    return deal


def record_save(
    *,
    crm: Crm,
    actor: CrmUser,
    entity: str,
    record_id: int | None,
    data: dict,
    phones: list[tuple[str, str]] | None = None,
    emails: list[tuple[str, str]] | None = None,
):
    """Create (``record_id`` None) or update a record of any kind; ``phones`` and
    ``emails`` are a contact's or a company's (see ``contact_save``)."""
    if entity == "deal":
        return deal_save(crm=crm, actor=actor, data=data, deal_id=record_id)
    savers = {"contact": contact_save, "company": company_save}
    return savers[entity](
        crm=crm,
        actor=actor,
        data=data,
        phones=phones,
        emails=emails,
        **{f"{entity}_id": record_id},
    )


@dataclass(frozen=True)
class DealMove:
    deal: Deal
    # The status it left, whose column's count and sum change with the new one's.
    from_status_id: int


@transaction.atomic
def deal_move(*, crm: Crm, actor: CrmUser, deal_id: Any, status_id: Any) -> DealMove:
    """The board's drag: a deal to another status of its pipeline. Another CRM's
    deal or status is a 404; a status of another pipeline is refused."""
    deal = _record_for_save(crm, actor, "deal", deal_id)
    from_status_id = deal.status_id
    if status_id in (None, ""):
        raise ValidationError({"status_id": _("Choose a status to move the deal to.")})
    status = _scoped_get(PipelineStatus, crm, status_id)
    if status.pipeline_id != deal.pipeline_id:
        raise ValidationError(
            {
                "status_id": _(
                    "%(status)s is a status of another pipeline: a deal moves "
                    "only within its own pipeline."
                )
                % {"status": status.name}
            }
        )
    deal = deal_save(
        crm=crm, actor=actor, deal_id=deal.pk, data={"status_id": status.pk}
    )
    return DealMove(deal=deal, from_status_id=from_status_id)


def deal_quick_add(
    *, crm: Crm, actor: CrmUser, status_id: Any, name: str, amount: Any
) -> Deal:
    """The board's quick-add: a deal of the actor's, straight into a column."""
    status = _scoped_get(PipelineStatus, crm, status_id)
    return deal_save(
        crm=crm,
        actor=actor,
        data={
            "name": name,
            "amount": (amount or "").strip() if isinstance(amount, str) else amount,
            "pipeline_id": status.pipeline_id,
            "status_id": status.pk,
        },
    )


# --- archive, delete, notes ----------------------------------------------------------


def record_get(*, crm: Crm, actor: CrmUser, entity: str, record_id: Any):
    """A record the actor may view; 404 otherwise (no oracle for forbidden ones)."""
    record = _scoped_get(record_kind(entity).model, crm, record_id)
    if not can(actor, entity, "view", record):
        raise Http404
    return record


def record_set_archived(
    *, crm: Crm, actor: CrmUser, entity: str, record_id: Any, archived: bool
):
    record = record_get(crm=crm, actor=actor, entity=entity, record_id=record_id)
    _require(actor, entity, "edit", record)
    record.is_archived = archived
    record.save(update_fields=["is_archived", "updated_at"])
    return record


def visible_records(*, crm: Crm, actor: CrmUser, entity: str, action: str = "view"):
    return scope_queryset(
        actor, entity, action, record_kind(entity).model.objects.all()
    )


# The card's links: a contact's companies, a company's contacts.
LINKS = {"contact": "company", "company": "contact"}


@transaction.atomic
def record_links_add(
    *, crm: Crm, actor: CrmUser, entity: str, record_id: Any, ids: list[Any]
) -> int:
    """Link a contact to companies, or a company to contacts, from the card:
    allowed to whoever may edit the card's record, with records they may see
    (any other id is a 404). Links already there stay; returns how many are
    new."""
    if entity not in LINKS:
        raise Http404
    record = record_get(crm=crm, actor=actor, entity=entity, record_id=record_id)
    _require(actor, entity, "edit", record)
    other = LINKS[entity]
    visible = visible_records(crm=crm, actor=actor, entity=other)
    wanted = set(_scoped_ids(visible.model, crm, ids))
    if not wanted or wanted - set(
        visible.filter(pk__in=wanted).values_list("pk", flat=True)
    ):
        raise Http404
    links = ContactCompany.objects.for_crm(crm).filter(**{entity: record})
    before = links.count()
    ContactCompany.objects.bulk_create(
        [
            ContactCompany(crm=crm, **{entity: record, f"{other}_id": pk})
            for pk in sorted(wanted)
        ],
        ignore_conflicts=True,
    )
    return links.count() - before


def note_add(
    *, crm: Crm, actor: CrmUser, entity: str, record_id: Any, text: str
) -> Note:
    record = record_get(crm=crm, actor=actor, entity=entity, record_id=record_id)
    _require(actor, entity, "edit", record)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write something first.")})
    if len(text) > 10000:
        raise ValidationError({"text": _("At most 10,000 characters.")})
    return Note.objects.create(crm=crm, author=actor, text=text, **{entity: record})


def note_delete(*, crm: Crm, actor: CrmUser, note_id: Any) -> None:
    """Like adding one: allowed to whoever may edit the record the note is on. A
    note of another CRM, or on a record the actor cannot see, is a 404."""
    note = _scoped_get(Note, crm, note_id)
    entity = next(e for e in RECORD_KINDS if getattr(note, f"{e}_id") is not None)
    record = record_get(
        crm=crm, actor=actor, entity=entity, record_id=getattr(note, f"{entity}_id")
    )
    _require(actor, entity, "edit", record)
    note.delete()
