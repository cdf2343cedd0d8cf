"""Reads for the API's lists: filtered, ordered, and with the relations a page
needs read in the same query, so a page of 100 costs the same queries as a page
of 5."""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Callable, Collection, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import DateTimeField, JSONField, Model, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from crm.models import (
    Crm,
    CrmGroup,
    CrmUser,
    CustomField,
    Note,
    Pipeline,
)
from crm.rights import Entity, Scope, scope_of
from crm.services.records import visible_records

# Every ordering ends in the id, so that pages never repeat or skip a record.
ORDER_BY: dict[str, tuple[str, ...]] = {
    "id": ("pk",),
    "-id": ("-pk",),
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "created_at": ("created_at", "pk"),
    "-created_at": ("-created_at", "-pk"),
}
DEFAULT_ORDERING = "id"


# Given the columns of a fetched row (name, ORM column, ORM converters) and the
# connection: a function from a fetched row to what a page holds.
RowMaker = Callable[[list[tuple[str, Any, list]], Any], Callable[[Sequence[Any]], Any]]


class RecordRows:
    """The rows of a record list: ``columns`` of ``queryset`` (field names) and,
    for each ``name: relation`` of ``links``, the sorted ids the record's
    many-to-many ``relation`` links to, each fetched row made into what a page
    holds by ``row`` (e.g. the record's JSON, see ``serializers.RowRenderer``).

    A page is one statement whatever its size: the page's rows, their linked ids
    (a correlated subquery per link) and the count of the whole list (an
    uncorrelated subquery, so computed once, from the same snapshot as the
    rows). FROM and WHERE are what the ORM compiles for ``queryset`` (the rights
    and the filters); the columns, the order and the page are put around them
    here. Dates are read as text, which Python parses several times faster than
    the ORM's loader does; those named in ``iso_utc`` come, when the current
    time zone is UTC, as the final ISO 8601 text (``…Z``, as DRF writes it),
    written by PostgreSQL (see :func:`iso_utc_from_text`)."""

    ordered = True  # for Django's Paginator: ``queryset`` is ordered

    def __init__(
        self,
        *,
        queryset: QuerySet,
        columns: list[str],
        links: dict[str, str],
        row: RowMaker,
        iso_utc: Collection[str] = (),
    ) -> None:
        self.queryset = queryset
        self.columns = columns
        self.links = links
        self.row = row
        self.iso_utc = iso_utc

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice) -> list[Any]:
        return self.page(page.start or 0, page.stop - (page.start or 0))[0]

    def page(self, offset: int, limit: int) -> tuple[list[Any], int]:
        """Up to ``limit`` rows from ``offset`` on, and the list's count (0 when
        there are no rows on the page: the caller decides what that means)."""
        queryset = self.queryset
        connection = connections[queryset.db]
        try:
            where, params = _from_where(queryset)
        except EmptyResultSet:  # e.g. the actor may see none of these records
            return [], 0
        select, columns = _select_list(
            connection.alias,
            queryset.model,
            tuple(self.columns),
            tuple(self.links.items()),
            tuple(self.iso_utc) if _current_zone_is_utc() else (),
        )
        statement = (
            f"SELECT {select}, (SELECT COUNT(*){where}){where}"
            f" ORDER BY {_order_by(connection, queryset)}"
            f" {connection.ops.limit_offset_sql(offset, offset + limit)}"
        )
        with connection.cursor() as cursor:
            # FROM and WHERE twice, the count's and the page's: the same parameters.
            cursor.execute(statement, (*params, *params))
            fetched = cursor.fetchall()
        if not fetched:
            return [], 0
        make = self.row(columns, connection)
        return [make(values) for values in fetched], fetched[0][-1]


def _from_where(queryset: QuerySet) -> tuple[str, list]:
    """`` FROM ... WHERE ...`` of ``queryset`` and its parameters, as the ORM
    compiles them (raises EmptyResultSet when it knows no row can match)."""
    query = queryset.query
    if (
        query.distinct
        or query.combinator
        or query.is_sliced
        or query.group_by is not None
        or query.annotations
        or query.extra
        or query.base_table not in (None, queryset.model._meta.db_table)
    ):
        raise ValueError("RecordRows reads plain filtered querysets only.")
    compiler = queryset.order_by().values("pk").query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    ((_col, (column, _params), alias),) = compiler.select
    prefix = f"SELECT {column}" + (
        f" AS {compiler.connection.ops.quote_name(alias)}" if alias else ""
    )
    if not sql.startswith(f"{prefix} FROM "):
        raise ValueError(f"Unexpected SQL for RecordRows: {sql[:100]}")
    return sql.removeprefix(prefix), list(params)


# The ids linked to the outer row through a many-to-many table, as one value
# (on PostgreSQL already sorted, a list as psycopg reads it).
_LINKED_IDS_SQL = {
    "postgresql": (
        "ARRAY(SELECT {target} FROM {table} WHERE {source} = {outer} ORDER BY 1)"
    ),
    "sqlite": (
        "(SELECT json_group_array({target}) FROM {table} WHERE {source} = {outer})"
    ),
}


@functools.cache
def _select_list(
    alias: str,
    model: type[Model],
    columns: tuple[str, ...],
    links: tuple[tuple[str, str], ...],
    iso_utc: tuple[str, ...],
) -> tuple[str, list[tuple[str, Any, list]]]:
    """The SELECT list of ``columns`` and ``links`` and, for each, its name, its
    ORM column and how to turn its value into what the ORM would return (the
    field's converters; dates, selected as text, and linked ids are read here),
    or, for the dates of ``iso_utc`` on PostgreSQL, into their ISO 8601 text."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    select, loaders = [], []
    for column in columns:
        field = model._meta.get_field(column)
        col = field.get_col(model._meta.db_table)
        sql = f"{table}.{quote(field.column)}"
        if (
            column in iso_utc
            and settings.USE_TZ
            and isinstance(field, DateTimeField)
            and connection.vendor == "postgresql"
        ):
            select.append(f"to_char({sql} AT TIME ZONE 'UTC', '{_ISO_UTC_FORMAT}')")
            loaders.append((column, col, [iso_utc_from_text]))
        elif settings.USE_TZ and isinstance(field, DateTimeField):
            select.append(f"CAST({sql} AS text)")
            loaders.append((column, col, [datetime_from_text]))
        else:
            select.append(sql)
            converters = connection.ops.get_db_converters(col) + col.get_db_converters(
                connection
            )
            if isinstance(field, JSONField) and converters == [field.from_db_value]:
                converters = [_json_from_db]
            loaders.append((column, col, converters))
    for name, relation in links:
        if connection.vendor not in _LINKED_IDS_SQL:
            raise NotImplementedError(f"Linked ids on {connection.vendor}.")
        m2m = model._meta.get_field(relation)
        through = m2m.remote_field.through._meta
        through_table = quote(through.db_table)
        source = through.get_field(m2m.m2m_field_name()).column
        target = through.get_field(m2m.m2m_reverse_field_name()).column
        select.append(
            _LINKED_IDS_SQL[connection.vendor].format(
                target=f"{through_table}.{quote(target)}",
                table=through_table,
                source=f"{through_table}.{quote(source)}",
                outer=f"{table}.{quote(model._meta.pk.column)}",
            )
        )
        loaders.append(
            (name, None, [] if connection.vendor == "postgresql" else [_linked_ids])
        )
    return ", ".join(select), loaders


# PostgreSQL's to_char() format for a UTC timestamp as Python's isoformat() writes
# it, but for the offset and for a fraction of zero (see iso_utc_from_text).
_ISO_UTC_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US'


def iso_utc_from_text(text: str | None, col: Any, connection: Any) -> str | None:
    """A date written by ``to_char(... AT TIME ZONE 'UTC', _ISO_UTC_FORMAT)`` as DRF
    writes the datetime when the current zone is UTC: ``isoformat()`` (no
    fraction when it is zero) with ``Z`` for ``+00:00``."""
    if text is None:
        return None
    return (text[:-7] if text.endswith(".000000") else text) + "Z"


def _current_zone_is_utc() -> bool:
    if not settings.USE_TZ:
        return False
    zone = timezone.get_current_timezone()
    return zone is datetime.UTC or getattr(zone, "key", None) in ("UTC", "Etc/UTC")


def _json_from_db(value: Any, col: Any, connection: Any) -> Any:
    """JSONField.from_db_value, without parsing the commonest value, ``{}``."""
    if value == "{}":
        return {}
    return col.output_field.from_db_value(value, col, connection)


def _linked_ids(value: Any, col: Any, connection: Any) -> list[int]:
    """A PostgreSQL array or SQLite JSON array of ids as a sorted list."""
    if isinstance(value, str):
        value = json.loads(value)
    return sorted(value or ())


def _order_by(connection: Any, queryset: QuerySet) -> str:
    """``queryset``'s ordering (field names, ``pk``, a ``-`` for descending)."""
    meta = queryset.model._meta
    quote = connection.ops.quote_name
    ordering = []
    for name in queryset.query.order_by:
        field = (
            meta.pk if name.lstrip("-") == "pk" else meta.get_field(name.lstrip("-"))
        )
        direction = "DESC" if name.startswith("-") else "ASC"
        ordering.append(f"{quote(meta.db_table)}.{quote(field.column)} {direction}")
    if not ordering:
        raise ValueError("RecordRows needs an ordered queryset.")
    return ", ".join(ordering)


def datetime_from_text(text: str | None, col: Any, connection: Any) -> Any:
    """A timestamp the database wrote as text (PostgreSQL: with the connection's
    offset; SQLite: naive, in the connection's zone), as the ORM would return it:
    aware, the same instant."""
    if text is None:
        return None
    value = datetime.datetime.fromisoformat(text)
    if value.utcoffset() is None:
        value = value.replace(tzinfo=connection.timezone)
    return value


def records_list(
    *, crm: Crm, actor: CrmUser, entity: str, filters: dict[str, Any]
) -> QuerySet:
    """The records of ``entity`` the actor may view, narrowed by ``filters`` (the
    validated query of a list request). The conditions (all on the record's own
    columns) go in one ``filter()``: each call copies the query.

    The CRM's own condition comes from ``visible_records`` (the actor's CRM); an
    actor of another CRM sees nothing, rather than the same condition twice in
    every statement."""
    conditions: list[Q] = []
    if "responsible_id" in filters:
        conditions.append(Q(responsible_id=filters["responsible_id"]))
    if "archived" in filters:
        conditions.append(Q(is_archived=filters["archived"]))
    q = (filters.get("q") or "").strip()
    if entity == Entity.CONTACT:
        if q:
            conditions.append(
                Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q)
            )
        if "email" in filters:
            conditions.append(Q(email__iexact=filters["email"].strip()))
        if "phone" in filters:
            conditions.append(Q(phone=filters["phone"].strip()))
    elif entity == Entity.COMPANY:
        if q:
            conditions.append(Q(name__icontains=q))
    else:
        for key in ("pipeline_id", "status_id", "company_id"):
            if key in filters:
                conditions.append(Q(**{key: filters[key]}))
    queryset = visible_records(crm=crm, actor=actor, entity=entity)
    if actor.crm_id != crm.pk:
        return queryset.none()
    ordering = ORDER_BY[filters.get("ordering") or DEFAULT_ORDERING]
    return queryset.filter(*conditions).order_by(*ordering)


def note_entity(note: Note) -> str:
    """Which kind of record a note is on (exactly one, by a database constraint)."""
    for entity in Entity.values:
        if getattr(note, f"{entity}_id") is not None:
            return entity
    return ""


def notes_visible(*, crm: Crm, actor: CrmUser) -> QuerySet[Note]:
    """Notes on records the actor may view. For a scope of "all" that is every
    note on that kind of record, without a subquery."""
    on_visible = Q()
    for entity in Entity.values:
        scope = scope_of(actor, entity, "view") if actor.is_active else Scope.NONE
        if scope == Scope.ALL:
            on_visible |= Q(**{f"{entity}__isnull": False})
        elif scope != Scope.NONE:
            records = visible_records(crm=crm, actor=actor, entity=entity)
            on_visible |= Q(**{f"{entity}__in": records.values("pk")})
    if not on_visible:
        return Note.objects.none()
    return Note.objects.for_crm(crm).filter(on_visible)


def notes_list(*, crm: Crm, actor: CrmUser, filters: dict[str, Any]) -> QuerySet[Note]:
    queryset = notes_visible(crm=crm, actor=actor)
    for key in ("contact_id", "company_id", "deal_id"):
        if key in filters:
            queryset = queryset.filter(**{key: filters[key]})
    return queryset.order_by(*ORDER_BY[filters.get("ordering") or DEFAULT_ORDERING])


def note_get(*, crm: Crm, actor: CrmUser, note_id: Any) -> Note:
    """One note the actor may see; 404 otherwise (also for another CRM's id)."""
    note = notes_visible(crm=crm, actor=actor).filter(pk=note_id).first()
    if note is None:
        raise Http404
    return note


def crm_users_list(*, crm: Crm) -> QuerySet[CrmUser]:
    return CrmUser.objects.for_crm(crm).order_by("pk")


def crm_groups_list(*, crm: Crm) -> QuerySet[CrmGroup]:
    return CrmGroup.objects.for_crm(crm).order_by("pk")


def pipelines_list(*, crm: Crm) -> QuerySet[Pipeline]:
    # Statuses come ordered by position (their Meta), in one query per page.
    return Pipeline.objects.for_crm(crm).prefetch_related("statuses")


def custom_fields_list(*, crm: Crm, filters: dict[str, Any]) -> QuerySet[CustomField]:
    queryset = CustomField.objects.for_crm(crm)
    if "entity" in filters:
        queryset = queryset.filter(entity=filters["entity"])
    return queryset.order_by("entity", "position", "pk")
