"""Reading records and their notes: the actor's visible ones, filtered in the
database.

A list of records has one set of filters (``RecordFilters``) with one meaning,
read by ``records_list``. Each door names them its own way and translates: the
pages' query string in ``records_filtered``, the API's query parameters in its
views."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import (
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextField,
)
from django.http import Http404

from crm.entities import RECORD_KINDS, RecordKind, record_kind
from crm.models import (
    Company,
    Contact,
    Crm,
    CrmUser,
    CustomField,
    Note,
    RecordEmail,
    RecordPhone,
)
from crm.rights import Entity, Scope, scope_of, scope_queryset
from crm.services.contact_points import (
    PHONE_MATCH_DIGITS,
    PHONE_SEARCH_MIN_DIGITS,
    phone_digits,
    phone_match_key,
)

# Every ordering ends in the id, so that pages never repeat or skip a record.
ORDER_BY: dict[str, tuple[str, ...]] = {
    "id": ("pk",),
    "-id": ("-pk",),
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "created_at": ("created_at", "pk"),
    "-created_at": ("-created_at", "-pk"),
}

# The page's query string: ``cf_<field id>=value`` filters by a custom field.
PAGE_CUSTOM_PREFIX = "cf_"
# Every number of at most 18 digits fits a 64-bit id.
MAX_ID_DIGITS = 18


class CustomValueText(Func):
    """The text of one custom field value. Field ids are digits, which Django's
    JSON key lookups would take for array indexes, so the key is quoted here."""

    output_field = TextField()

    def __init__(self, field_id: int) -> None:
        super().__init__(F("custom"))
        self.field_id = int(field_id)

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} ->> %s)", [*params, str(self.field_id)]

    def as_sql(self, compiler, connection, **extra):  # SQLite
        # json_extract() answers a number as a number, which never equals text.
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"CAST(json_extract({sql}, %s) AS TEXT)",
            [*params, f'$."{self.field_id}"'],
        )


@dataclass(frozen=True)
class RecordFilters:
    """What a list of records can be narrowed by. Left empty, a filter narrows
    nothing."""

    # Part of the name (any case); of a contact or company also part of any of
    # its e-mails, or of any of its phones however typed (``search_ids``).
    q: str = ""
    responsible_id: int | None = None
    # True: archived only; False: not archived; None: both.
    archived: bool | None = None
    # Custom field id → value: part of a text (any case), one of a multi-select's
    # options, or the exact number, date or option. A field that is not one of
    # this kind's fields in the CRM narrows nothing.
    custom: Mapping[int, str] = field(default_factory=dict)
    # Exact matches: one of a contact's or company's e-mails (any case) and
    # phones (the same number however typed); a deal's pipeline, status and
    # company.
    email: str | None = None
    phone: str | None = None
    pipeline_id: int | None = None
    status_id: int | None = None
    company_id: int | None = None


def _custom_condition(custom_field: CustomField, value: str) -> dict[str, Any] | None:
    """The lookup on the value's text that matches ``value``; None if no stored
    value can match it."""
    alias = f"custom_value_{custom_field.pk}"
    if custom_field.type == CustomField.Type.MULTISELECT:
        # Stored as a JSON list: match the quoted option inside it.
        return {f"{alias}__contains": f'"{value}"'}
    if custom_field.type == CustomField.Type.TEXT:
        return {f"{alias}__icontains": value}
    if custom_field.type == CustomField.Type.NUMBER:
        # Written as the services store it: a whole number without a fraction.
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        # Python reads and writes no longer whole number, so none is stored.
        too_long = number.adjusted() >= sys.int_info.default_max_str_digits
        if not number.is_finite() or too_long:
            return None
        integral = number == number.to_integral()
        return {alias: str(int(number)) if integral else str(float(number))}
    return {alias: value}


def _with_custom_values(
    records: QuerySet, *, crm: Crm, entity: str, values: Mapping[int, str]
) -> QuerySet:
    values = {int(pk): str(value) for pk, value in values.items() if value != ""}
    if not values:
        return records
    fields = CustomField.objects.for_crm(crm).filter(entity=entity, pk__in=values)
    for custom_field in fields:
        condition = _custom_condition(custom_field, values[custom_field.pk])
        if condition is None:
            return records.none()
        records = records.alias(
            **{f"custom_value_{custom_field.pk}": CustomValueText(custom_field.pk)}
        ).filter(**condition)
    return records


def _owners_of(points: QuerySet, entity: str) -> Q:
    """The records of ``entity`` that own one of ``points`` (phones or e-mails)."""
    return Q(pk__in=points.filter(**{f"{entity}__isnull": False}).values(entity))


def _owner_ids(points: QuerySet, entity: str) -> QuerySet:
    found = points.filter(**{f"{entity}__isnull": False}).order_by()
    return found.values_list(entity, flat=True)


def _text_match(kind: RecordKind, q: str) -> Q:
    """Part of the name (any case); of a contact or company also part of any of
    its e-mails (``emails_text``). An address has no spaces: a text with one is
    never part of one, nor does it span two of them."""
    match = Q(name__icontains=q)
    if kind.key in (Entity.CONTACT, Entity.COMPANY) and not any(
        character.isspace() for character in q
    ):
        match |= Q(emails_text__contains=q.lower())
    return match


def search_id_parts(*, crm: Crm, entity: str, q: str) -> list[QuerySet]:
    """The ids of the records of ``entity`` that the search text ``q`` finds, as
    one query per part: part of the name or of any e-mail (``_text_match``, on
    the record's own row); of a contact or company also part of any of its
    phones by the digits typed: from ``PHONE_SEARCH_MIN_DIGITS`` on part of a
    number's digits, and from ``PHONE_MATCH_DIGITS`` on a whole number however
    typed, by its last digits (``phone_match_key``), so "+380 67…", "067…" and
    "67-…" find each other. A record is found when any part finds it.

    Each part reads its indexes (trigram indexes for the fragments:
    ``models.records.TrigramIndex``), so a search reads its matches rather than
    the CRM's records: an ``OR`` with the phones' conditions on the records
    would make PostgreSQL test them on every record of the CRM in turn. The
    parts stay apart rather than in one ``UNION`` so that each can stop at a
    limit: a ``UNION`` reads every match of every part to remove the repeats."""
    kind = record_kind(entity)
    parts = [
        kind.model.objects.for_crm(crm)
        .filter(_text_match(kind, q))
        .order_by()
        .values_list("pk", flat=True)
    ]
    if kind.key in (Entity.CONTACT, Entity.COMPANY):
        digits = phone_digits(q)
        phones = RecordPhone.objects.for_crm(crm)
        if len(digits) >= PHONE_MATCH_DIGITS:
            # A whole number: the same number however typed, by its exact key
            # (trigrams of digits are few and common, so a fragment's index
            # scan costs more the more phones there are).
            key = phone_match_key(digits)
            parts.append(_owner_ids(phones.filter(match_key=key), entity))
        elif len(digits) >= PHONE_SEARCH_MIN_DIGITS:
            parts.append(_owner_ids(phones.filter(digits__contains=digits), entity))
    return parts


# Up to this many matches a search's ids are read at once and the list is those;
# beyond, the list's records are tested in its order (a page of them comes soon).
SEARCH_IDS_MAX = 1000
# A trigram index finds a fragment of at least three characters.
TRIGRAM = 3


def _found_ids(*, crm: Crm, entity: str, q: str) -> set[int] | None:
    """The ids ``search_id_parts`` finds, or None when they are more than
    ``SEARCH_IDS_MAX``: each part reads at most one more than that, so a part
    that finds thousands stops there (a part's repeats, one record's two
    matching phones, can only make it stop early, which is safe: the records
    are then tested one by one, with the same answer)."""
    found: set[int] = set()
    for part in search_id_parts(crm=crm, entity=entity, q=q):
        ids = list(part[: SEARCH_IDS_MAX + 1])
        found.update(ids)
        if len(ids) > SEARCH_IDS_MAX or len(found) > SEARCH_IDS_MAX:
            return None
    return found


def _searched(records: QuerySet, *, crm: Crm, entity: str, q: str) -> QuerySet:
    """``records`` that the search text ``q`` finds (``search_id_parts``).

    A search that finds few records is read through the indexes and is as cheap
    in a CRM of a million; one that finds thousands ("a", a common first name)
    would read them all that way, so then the records are tested one by one in
    the list's order, which meets a page of matches soon (the same conditions
    as ``search_id_parts``, so the same answer)."""
    if len(q) >= TRIGRAM:  # shorter, no index finds it: most records match
        ids = _found_ids(crm=crm, entity=entity, q=q)
        if ids is not None:
            return records.filter(pk__in=ids)
    kind = record_kind(entity)
    match = _text_match(kind, q)
    if kind.key in (Entity.CONTACT, Entity.COMPANY):
        owned = {entity: OuterRef("pk")}
        digits = phone_digits(q)
        phones = RecordPhone.objects.for_crm(crm).filter(**owned)
        if len(digits) >= PHONE_MATCH_DIGITS:
            match |= Exists(phones.filter(match_key=phone_match_key(digits)))
        elif len(digits) >= PHONE_SEARCH_MIN_DIGITS:
            match |= Exists(phones.filter(digits__contains=digits))
    return records.filter(match)


def _with_points(
    records: QuerySet, *, crm: Crm, entity: str, filters: RecordFilters
) -> QuerySet:
    """The exact e-mail and phone filters; empty finds records without any."""
    if filters.email is not None:
        address = filters.email.strip().lower()
        emails = RecordEmail.objects.for_crm(crm)
        if address:
            records = records.filter(_owners_of(emails.filter(value=address), entity))
        else:
            records = records.exclude(_owners_of(emails, entity))
    if filters.phone is not None:
        phones = RecordPhone.objects.for_crm(crm)
        if filters.phone.strip():
            key = phone_match_key(filters.phone)
            records = (
                records.filter(_owners_of(phones.filter(match_key=key), entity))
                if key
                else records.none()
            )
        else:
            records = records.exclude(_owners_of(phones, entity))
    return records


def records_list(
    *,
    crm: Crm,
    actor: CrmUser,
    entity: str,
    filters: RecordFilters | None = None,
    ordering: str = "id",
    for_export: bool = False,
) -> QuerySet:
    """The records of ``entity`` in ``crm`` that the actor may view and that
    match ``filters``, in one of the ``ORDER_BY`` orders. ``for_export``: a read
    in bulk (the API's lists), of the records the actor may also export."""
    filters = filters or RecordFilters()
    kind = record_kind(entity)
    records = scope_queryset(actor, entity, "view", kind.model.objects.for_crm(crm))
    if for_export:
        records = scope_queryset(actor, entity, "export", records)
    q = filters.q.strip()
    if q:
        records = _searched(records, crm=crm, entity=entity, q=q)
    if filters.archived is not None:
        records = records.filter(is_archived=filters.archived)
    if kind.key in (Entity.CONTACT, Entity.COMPANY):
        records = _with_points(records, crm=crm, entity=entity, filters=filters)
    exact = {
        name: getattr(filters, name)
        for name in ("responsible_id", "pipeline_id", "status_id", "company_id")
        if getattr(filters, name) is not None
    }
    records = records.filter(**exact)
    records = _with_custom_values(
        records, crm=crm, entity=entity, values=filters.custom
    )
    return records.order_by(*ORDER_BY[ordering])


def _page_id(value: Any) -> int | None:
    # isascii(): "²".isdigit() is true, but int("²") fails.
    text = str(value or "")
    if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS:
        return int(text)
    return None


def _page_text(value: Any) -> str:
    # PostgreSQL text cannot hold NUL, and no stored value has one.
    return str(value or "").replace("\x00", "")


def records_filtered(
    *, crm: Crm, actor: CrmUser, entity: str, params: Mapping[str, Any]
) -> QuerySet:
    """The list pages' records, newest first: ``params`` are the page's query
    string (``q``, ``responsible``, ``archived=1`` for the archive instead of the
    records in use, ``cf_<field id>``); a key that names no filter is ignored."""
    custom = {}
    for key, value in params.items():
        if key.startswith(PAGE_CUSTOM_PREFIX):
            field_id = _page_id(key.removeprefix(PAGE_CUSTOM_PREFIX))
            if field_id is not None:
                custom[field_id] = _page_text(value)
    filters = RecordFilters(
        q=_page_text(params.get("q")),
        responsible_id=_page_id(params.get("responsible")),
        archived=params.get("archived") == "1",
        custom=custom,
    )
    return records_list(
        crm=crm, actor=actor, entity=entity, filters=filters, ordering="-id"
    ).select_related("responsible")


def record_relations(*, crm: Crm, actor: CrmUser, entity: str) -> list[Prefetch]:
    """The links a record's JSON shows (``company_ids``, ``contact_ids``), to
    prefetch for a whole page in one query rather than one per record, and only
    those the actor may see: a link to a record they may not view is not shown."""
    points = [
        Prefetch("phones", queryset=RecordPhone.objects.for_crm(crm)),
        Prefetch("emails", queryset=RecordEmail.objects.for_crm(crm)),
    ]
    if entity == Entity.CONTACT:
        companies = scope_queryset(
            actor, "company", "view", Company.objects.for_crm(crm)
        )
        return [Prefetch("companies", queryset=companies.only("pk")), *points]
    if entity == Entity.COMPANY:
        return points
    if entity == Entity.DEAL:
        contacts = scope_queryset(
            actor, "contact", "view", Contact.objects.for_crm(crm)
        )
        return [Prefetch("contacts", queryset=contacts.only("pk"))]
    return []


# --- notes ---------------------------------------------------------------------------


def note_entity(note: Note) -> str:
    """Which kind of record a note is on (exactly one, by a database constraint)."""
    for entity in RECORD_KINDS:
        if getattr(note, f"{entity}_id") is not None:
            return entity
    return ""


def notes_visible(
    *, crm: Crm, actor: CrmUser, for_export: bool = False
) -> QuerySet[Note]:
    """Notes on records the actor may view (and, ``for_export``, export too). For
    a scope of "all" that is every note on that kind of record, without a
    subquery."""
    actions = ("view", "export") if for_export else ("view",)
    on_visible = Q()
    for entity, kind in RECORD_KINDS.items():
        scopes = (
            {scope_of(actor, entity, action) for action in actions}
            if actor.is_active
            else {Scope.NONE}
        )
        if scopes == {Scope.ALL}:
            on_visible |= Q(**{f"{entity}__isnull": False})
        elif Scope.NONE not in scopes:
            records = kind.model.objects.all()
            for action in actions:
                records = scope_queryset(actor, entity, action, records)
            on_visible |= Q(**{f"{entity}__in": records.values("pk")})
    if not on_visible:
        return Note.objects.none()
    return Note.objects.for_crm(crm).filter(on_visible)


def notes_list(
    *,
    crm: Crm,
    actor: CrmUser,
    record_ids: Mapping[str, int] | None = None,
    ordering: str = "id",
    for_export: bool = False,
) -> QuerySet[Note]:
    """Notes the actor may see (``for_export``: and export, as a read in bulk),
    only those on the records named in ``record_ids`` (``{"contact_id": 5}``) if
    given."""
    queryset = notes_visible(crm=crm, actor=actor, for_export=for_export)
    for key, record_id in (record_ids or {}).items():
        queryset = queryset.filter(**{key: record_id})
    return queryset.order_by(*ORDER_BY[ordering])


def note_get(*, crm: Crm, actor: CrmUser, note_id: Any) -> Note:
    """One note the actor may see; 404 otherwise (also for another CRM's id)."""
    note = notes_visible(crm=crm, actor=actor).filter(pk=note_id).first()
    if note is None:
        raise Http404
    return note
