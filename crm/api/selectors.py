"""Reads for the API's lists: filtered, ordered, and with the relations a page
needs read in the same query, so a page of 100 costs the same queries as a page
of 5."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import DateTimeField, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import Http404

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


class RecordRows:
    """The rows of a record list: ``columns`` of ``queryset`` (field names) and,
    for each ``name: relation`` of ``links``, the sorted ids the record's
    many-to-many ``relation`` links to, as dicts.

    A page costs two statements whatever its size: the page's rows with the
    count of the whole list as one more column (an uncorrelated subquery, so
    computed once and from the same snapshot), then the links of those rows. The
    statement is the one the ORM compiles for ``queryset`` (the rights and the
    filters), with the count, the order and the page put around it; dates are read
    as ISO text, which Python parses much faster than the ORM's loader does."""

    ordered = True  # for Django's Paginator: ``queryset`` is ordered

    def __init__(
        self, *, queryset: QuerySet, columns: list[str], links: dict[str, str]
    ) -> None:
        self.queryset = queryset
        self.columns = columns
        self.links = links

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        return self.page(page.start or 0, page.stop - (page.start or 0))[0]

    def page(self, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Up to ``limit`` rows from ``offset`` on, and the list's count (0 when
        there are no rows on the page: the caller decides what that means)."""
        model = self.queryset.model
        connection = connections[self.queryset.db]
        quote = connection.ops.quote_name
        meta = model._meta
        as_text = {
            column: f"{column}_as_text"
            for column in self.columns
            if settings.USE_TZ and isinstance(meta.get_field(column), DateTimeField)
        }
        query = self.queryset.order_by().values(
            *(column for column in self.columns if column not in as_text),
            **{
                alias: Cast(column, output_field=TextField())
                for column, alias in as_text.items()
            },
        )
        compiler = query.query.get_compiler(using=self.queryset.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # e.g. the actor may see none of these records
            return [], 0
        if not sql.startswith("SELECT ") or query.query.distinct:
            raise ValueError("RecordRows needs a plain SELECT.")
        ordering = []
        for name in self.queryset.query.order_by:
            field = (
                meta.pk
                if name.lstrip("-") == "pk"
                else meta.get_field(name.lstrip("-"))
            )
            direction = "DESC" if name.startswith("-") else "ASC"
            ordering.append(f"{quote(meta.db_table)}.{quote(field.column)} {direction}")
        statement = (
            f"SELECT (SELECT COUNT(*) FROM ({sql}) {quote('counted')}), "  # noqa: S608
            f"{sql.removeprefix('SELECT ')}"
            f" ORDER BY {', '.join(ordering)}"
            f" {connection.ops.limit_offset_sql(offset, offset + limit)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(statement, (*params, *params))
            fetched = cursor.fetchall()
        if not fetched:
            return [], 0
        total = fetched[0][0]
        names = [*query.query.values_select, *query.query.annotation_select]
        converters = compiler.get_converters(
            [expr for expr, _sql, _alias in compiler.select]
        )
        values = compiler.apply_converters((row[1:] for row in fetched), converters)
        rows = [dict(zip(names, row, strict=True)) for row in values]
        if as_text:
            zone = connection.timezone
            for row in rows:
                for column, alias in as_text.items():
                    row[column] = _datetime_from_text(row.pop(alias), zone)
        if self.links:
            self._add_links(rows, connection)
        return rows, total

    def _add_links(self, rows: list[dict[str, Any]], connection: Any) -> None:
        quote = connection.ops.quote_name
        pk_name = self.queryset.model._meta.pk.attname
        ids = [row[pk_name] for row in rows]
        for name, relation in self.links.items():
            m2m = self.queryset.model._meta.get_field(relation)
            through = m2m.remote_field.through._meta
            source = quote(through.get_field(m2m.m2m_field_name()).column)
            target = quote(through.get_field(m2m.m2m_reverse_field_name()).column)
            linked: dict[int, list[int]] = {pk: [] for pk in ids}
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {source}, {target} "  # noqa: S608 - model names only
                    f"FROM {quote(through.db_table)} "
                    f"WHERE {source} IN ({', '.join(['%s'] * len(ids))})",
                    ids,
                )
                for pk, target_id in cursor.fetchall():
                    linked[pk].append(target_id)
            for row in rows:
                row[name] = sorted(linked[row[pk_name]])


def _datetime_from_text(text: str | None, zone: Any) -> datetime.datetime | None:
    """A timestamp as the database writes it as text (PostgreSQL: with the
    connection's offset; SQLite: naive, in the connection's zone), as the ORM
    would have returned it."""
    if text is None:
        return None
    value = datetime.datetime.fromisoformat(text)
    if value.utcoffset() is None:
        value = value.replace(tzinfo=zone)
    return value


def records_list(
    *, crm: Crm, actor: CrmUser, entity: str, filters: dict[str, Any]
) -> QuerySet:
    """The records of ``entity`` the actor may view, narrowed by ``filters`` (the
    validated query of a list request)."""
    queryset = visible_records(crm=crm, actor=actor, entity=entity).filter(crm=crm)
    if "responsible_id" in filters:
        queryset = queryset.filter(responsible_id=filters["responsible_id"])
    if "archived" in filters:
        queryset = queryset.filter(is_archived=filters["archived"])
    q = (filters.get("q") or "").strip()
    if entity == Entity.CONTACT:
        if q:
            queryset = queryset.filter(
                Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q)
            )
        if "email" in filters:
            queryset = queryset.filter(email__iexact=filters["email"].strip())
        if "phone" in filters:
            queryset = queryset.filter(phone=filters["phone"].strip())
    elif entity == Entity.COMPANY:
        if q:
            queryset = queryset.filter(name__icontains=q)
    else:
        for key in ("pipeline_id", "status_id", "company_id"):
            if key in filters:
                queryset = queryset.filter(**{key: filters[key]})
    ordering = ORDER_BY[filters.get("ordering") or DEFAULT_ORDERING]
    return queryset.order_by(*ordering)


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
