"""The columns a list of records can show and sort by, and the layout each CRM user
chose (crm/models/layouts.py): which of them, in what order, sorted how.

A column's key is what the page, the form and the saved layout say: a standard
column's name ("email") or ``cf_<field id>`` for a custom field. Sorting is only
ever by one of these columns, never by a name taken from the query string."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Expression, F, OuterRef, Prefetch, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.models import (
    Crm,
    CrmUser,
    CustomField,
    ListLayout,
    RecordEmail,
    RecordPhone,
)
from crm.rights import Entity
from crm.selectors.records import PAGE_CUSTOM_PREFIX, CustomValueText

# What a list shows before its user chooses.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    Entity.CONTACT: ("id", "name", "email", "phone", "responsible"),
    Entity.COMPANY: ("id", "name", "responsible"),
    Entity.DEAL: ("id", "name", "amount", "status", "pipeline", "responsible"),
}
# The column a list cannot hide: its link to each record's card.
NAME = "name"
SORT_ALIAS = "list_sort_value"


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    # How the cell is drawn (crm/records/list.html): "id", "name", "text", "money",
    # "status", "user", "date", "custom"; "points" is every phone or e-mail of a
    # contact or company, in its order (``records_for_columns`` fetches them).
    kind: str
    # What the rows are sorted by, ascending; the record's id breaks ties.
    sort_by: tuple[str | Expression, ...]
    custom_field: CustomField | None = None

    @property
    def numeric(self) -> bool:
        return self.kind in ("id", "money") or (
            self.custom_field is not None
            and self.custom_field.type == CustomField.Type.NUMBER
        )


# The related rows a "points" column shows, by its key.
POINT_MODELS = {"phones": RecordPhone, "emails": RecordEmail}


def _first_point(model, owner: str) -> Subquery:
    """The value of a record's first phone or e-mail, to sort by."""
    return Subquery(
        model.objects.filter(**{owner: OuterRef("pk")})
        .order_by("position", "pk")
        .values("value")[:1]
    )


def _standard_columns(entity: str) -> list[Column]:
    name_label = (
        pgettext_lazy("person", "Name") if entity == Entity.CONTACT else _("Name")
    )
    columns = [
        Column("id", _("ID"), "id", ("pk",)),
        Column(NAME, name_label, "name", ("name",)),
    ]
    if entity == Entity.CONTACT:
        columns += [
            Column("email", _("Email"), "text", ("email",)),
            Column("phone", _("Phone"), "text", ("phone",)),
        ]
    if entity in (Entity.CONTACT, Entity.COMPANY):
        # Every phone and e-mail, sorted by the first (a contact keeps its first
        # in its own row).
        contact = entity == Entity.CONTACT
        columns += [
            Column(
                "phones",
                _("All phones"),
                "points",
                ("phone",) if contact else (_first_point(RecordPhone, entity),),
            ),
            Column(
                "emails",
                _("All emails"),
                "points",
                ("email",) if contact else (_first_point(RecordEmail, entity),),
            ),
        ]
    if entity == Entity.COMPANY:
        columns += [
            Column("website", _("Website"), "text", ("website",)),
            Column("address", _("Address"), "text", ("address",)),
        ]
    if entity == Entity.DEAL:
        columns += [
            Column("amount", _("Amount"), "money", ("amount",)),
            # In the order of the pipelines and of their statuses, as on the board.
            Column(
                "status",
                _("Status"),
                "status",
                ("pipeline__position", "pipeline_id", "status__position", "status_id"),
            ),
            Column(
                "pipeline",
                _("Pipeline"),
                "pipeline",
                ("pipeline__position", "pipeline_id"),
            ),
        ]
    columns += [
        Column("responsible", _("Responsible"), "user", ("responsible__name",)),
        Column("created_at", _("Created"), "date", ("created_at",)),
        Column("updated_at", _("Updated"), "date", ("updated_at",)),
    ]
    return columns


def list_columns(
    *, entity: str, custom_fields: Iterable[CustomField]
) -> dict[str, Column]:
    """Every column a list of ``entity`` can show, by key: the standard ones, then
    the CRM's custom fields of that kind in their order."""
    columns = {column.key: column for column in _standard_columns(entity)}
    for custom_field in custom_fields:
        key = f"{PAGE_CUSTOM_PREFIX}{custom_field.pk}"
        columns[key] = Column(
            key,
            custom_field.name,
            "custom",
            (CustomValueText(custom_field.pk),),
            custom_field=custom_field,
        )
    return columns


@dataclass(frozen=True)
class Sort:
    column: Column
    descending: bool = False

    @property
    def value(self) -> str:
        return f"-{self.column.key}" if self.descending else self.column.key


def parse_sort(value: Any, columns: dict[str, Column]) -> Sort | None:
    """The sort ``value`` names ("email", "-cf_12"), or None when it names no
    column of this list (anything else from a query string)."""
    text = value if isinstance(value, str) else ""
    descending = text.startswith("-")
    column = columns.get(text.removeprefix("-"))
    return Sort(column, descending) if column is not None else None


@dataclass(frozen=True)
class Layout:
    """The columns a person sees on a list, in order, and the sort in force."""

    columns: list[Column]
    sort: Sort | None
    available: dict[str, Column] = field(default_factory=dict)
    # Whether the person has chosen anything yet (a saved layout exists).
    saved: bool = False


def list_layout_get(
    *,
    crm: Crm,
    actor: CrmUser,
    entity: str,
    custom_fields: Iterable[CustomField],
    sort: Any = None,
) -> Layout:
    """The actor's layout of the list of ``entity``: the saved one, keys that name
    no column any more left out, else the default. ``sort`` (the query string's)
    replaces the saved sort for this page when it names a column."""
    available = list_columns(entity=entity, custom_fields=custom_fields)
    saved = (
        ListLayout.objects.for_crm(crm)
        .filter(crm_user=actor, entity=entity)
        .only("columns", "sort")
        .first()
    )
    keys: Sequence[str] = ()
    if saved is not None and isinstance(saved.columns, list):
        keys = [key for key in saved.columns if isinstance(key, str)]
    columns = [available[key] for key in dict.fromkeys(keys) if key in available]
    if not columns:
        columns = [available[key] for key in DEFAULT_COLUMNS[entity]]
    chosen = parse_sort(sort, available) or (
        parse_sort(saved.sort, available) if saved is not None else None
    )
    return Layout(columns, chosen, available, saved is not None)


def records_sorted(records: QuerySet, sort: Sort | None) -> QuerySet:
    """``records`` in the order of ``sort``; empty values last either way, and the
    id breaking ties so that pages never repeat or skip a record. Without a sort:
    newest first."""
    if sort is None:
        return records.order_by("-pk")
    order = []
    for index, part in enumerate(sort.column.sort_by):
        if isinstance(part, str):
            expression = F(part)
        else:
            alias = f"{SORT_ALIAS}_{index}"
            records = records.alias(**{alias: part})
            expression = F(alias)
        order.append(
            expression.desc(nulls_last=True)
            if sort.descending
            else expression.asc(nulls_last=True)
        )
    order.append(F("pk").desc() if sort.descending else F("pk").asc())
    return records.order_by(*order)


def records_for_columns(
    records: QuerySet, columns: Iterable[Column], *, crm: Crm
) -> QuerySet:
    """``records`` with what ``columns`` show besides the record's own row (its
    phones and e-mails) fetched for a whole page at once."""
    lookups = [
        Prefetch(column.key, queryset=POINT_MODELS[column.key].objects.for_crm(crm))
        for column in columns
        if column.kind == "points"
    ]
    return records.prefetch_related(*lookups) if lookups else records


def cell_value(record: Any, column: Column) -> Any:
    """What a record shows in ``column``: a value for the template to draw."""
    if column.kind == "points":
        return ", ".join(point.value for point in getattr(record, column.key).all())
    if column.custom_field is not None:
        value = (record.custom or {}).get(str(column.custom_field.pk))
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return "" if value is None else value
    if column.key == "id":
        return record.pk
    return getattr(record, column.key, "")
