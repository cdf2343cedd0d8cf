"""Paging through a list by keyset ("cursor") rather than by page number.

A page after another starts after the last row shown, by the values of the
list's order: ``WHERE (sort value, id) > (last row's)`` reads the next rows
through the order's index however far into the list it is, where ``OFFSET``
would read and throw away every row before it. The cursor in the link is those
values, encoded; a cursor that does not fit the list's order (edited by hand, or
the sort changed) starts the list from its beginning.

How many rows match is counted up to ``COUNT_LIMIT``: exact while small, "more
than" beyond, so no page reads the whole of a large table to count it (a search
that finds thousands tests the records one by one: ``records.SEARCH_IDS_MAX``)."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Expression, F, Model, OrderBy, Q, QuerySet
from django.db.models.constants import LOOKUP_SEP

# Counted exactly up to here; above, the page says "More than 1,000".
COUNT_LIMIT = 1000
AFTER, BEFORE = "after", "before"
_KEY = "keyset_value"


@dataclass(frozen=True)
class _Part:
    """One term of the list's order."""

    expression: Expression
    descending: bool
    # Whether the term can be NULL: only then does "after" include the empty
    # values (which come last), an OR that keeps PostgreSQL from starting the
    # read at the cursor in the order's index.
    nullable: bool = True


def _nullable(model: type[Model], expression: Expression) -> bool:
    """Whether ``expression`` can be NULL on a row of ``model``: not when it is
    a path of fields none of which allows NULL (an id, a required name); an
    annotation (a custom field's value) can."""
    if not isinstance(expression, F):
        return True
    for name in expression.name.split(LOOKUP_SEP):
        try:
            field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        except FieldDoesNotExist:
            return True
        if getattr(field, "null", True) or field.many_to_many or field.one_to_many:
            return True
        if field.is_relation:
            model = field.related_model
    return False


@dataclass(frozen=True)
class KeysetPage:
    object_list: list
    # The query-string values of the next and previous pages; None at an end.
    next_cursor: str | None
    previous_cursor: str | None

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)

    def link(self, which: str) -> str:
        """``after=…`` or ``before=…`` for a link to the next or previous page."""
        cursor = self.next_cursor if which == AFTER else self.previous_cursor
        return urlencode({which: cursor}) if cursor else ""


@dataclass(frozen=True)
class Count:
    """How many rows match: ``value`` exactly, or more than ``COUNT_LIMIT``."""

    value: int
    exact: bool


def _parts(records: QuerySet) -> list[_Part]:
    parts = []
    for item in records.query.order_by:
        if isinstance(item, str):
            expression, descending = F(item.removeprefix("-")), item.startswith("-")
        elif isinstance(item, OrderBy):
            expression, descending = item.expression, item.descending
        else:
            expression, descending = item, False
        nullable = _nullable(records.model, expression)
        parts.append(_Part(expression, descending, nullable))
    return parts


def _encode(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | Decimal):
        return str(value)
    return value


def cursor_encode(values: list[Any]) -> str:
    text = json.dumps([_encode(value) for value in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def cursor_decode(cursor: Any) -> list[Any] | None:
    """The values a cursor holds; None for anything that is not one."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > 2000:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(text)
    except (binascii.Error, ValueError):
        return None
    if not isinstance(values, list) or not all(
        value is None or isinstance(value, str | int) for value in values
    ):
        return None
    return values


def cursor_query(*, after: list[Any] | None = None) -> str:
    """The query string of the page after a row with these order values."""
    return urlencode({AFTER: cursor_encode(after or [])})


def _beyond(parts: list[_Part], values: list[Any], *, forward: bool) -> Q:
    """Rows after (``forward``) or before the row with ``values`` in the order
    of ``parts``, where empty values come last (as ``records_sorted`` puts
    them): the rows equal to it on the first terms and beyond it on the next."""
    nothing = Q(pk__in=[])
    condition, equal = nothing, Q()
    for index, (part, value) in enumerate(zip(parts, values, strict=True)):
        key = f"{_KEY}_{index}"
        if value is None:
            # Nothing is after an empty value; every non-empty one is before.
            beyond = nothing if forward else Q(**{f"{key}__isnull": False})
            same = Q(**{f"{key}__isnull": True})
        else:
            smaller = part.descending == forward
            beyond = Q(**{f"{key}__{'lt' if smaller else 'gt'}": value})
            if forward and part.nullable:
                beyond |= Q(**{f"{key}__isnull": True})
            same = Q(**{key: value})
        condition |= equal & beyond
        equal &= same
    return condition


def keyset_page(
    records: QuerySet,
    *,
    after: Any = None,
    before: Any = None,
    size: int,
    fetch: QuerySet | None = None,
) -> KeysetPage:
    """A page of ``size`` rows of ``records`` (ordered, the id last) after the
    row ``after`` names, or before the one ``before`` names, or the first.

    The page's ids and sort values are read first, alone: that query reads the
    order's index, where one that reads whole rows can lead PostgreSQL to walk
    the primary key through other CRMs' rows, expecting this CRM's to come
    soon. Then those rows are read by id from ``fetch`` (the same model, with
    what the page shows alongside: ``select_related``, ``prefetch_related``), or
    from ``records`` again, whose filters (a search) would then run twice."""
    parts = _parts(records)
    keys = [f"{_KEY}_{i}" for i in range(len(parts))]
    keyed = records.annotate(
        **{key: part.expression for key, part in zip(keys, parts, strict=True)}
    )
    direction, cursor = AFTER, cursor_decode(after)
    if cursor is None and before:
        direction, cursor = BEFORE, cursor_decode(before)
    if cursor is not None and len(cursor) != len(parts):
        cursor = None
    found = None
    if cursor is not None:
        forward = direction == AFTER
        try:
            query = keyed.filter(_beyond(parts, cursor, forward=forward))
            if not forward:
                query = query.reverse()
            found = list(query.values_list("pk", *keys)[: size + 1])
        except (ValidationError, ValueError, TypeError, OverflowError):
            # A value that does not fit its column: not a cursor of this list.
            found, cursor = None, None
    if not found:  # no cursor, one that does not fit, or nothing beyond it
        found = list(keyed.values_list("pk", *keys)[: size + 1])
        cursor, direction = None, AFTER
    if not found:
        return KeysetPage([], None, None)
    more = len(found) > size
    found = found[:size]
    if direction == BEFORE:
        found.reverse()
    by_id = {
        row.pk: row
        for row in (fetch if fetch is not None else records)
        .filter(pk__in=[values[0] for values in found])
        .order_by()
    }
    rows = [by_id[values[0]] for values in found if values[0] in by_id]
    has_next = more if direction == AFTER else True
    has_previous = cursor is not None if direction == AFTER else more
    return KeysetPage(
        rows,
        cursor_encode(list(found[-1][1:])) if has_next else None,
        cursor_encode(list(found[0][1:])) if has_previous else None,
    )


def count_up_to(records: QuerySet, limit: int | None = None) -> Count:
    """How many rows ``records`` has, reading at most ``limit`` (by default
    ``COUNT_LIMIT``) + 1 of them."""
    limit = COUNT_LIMIT if limit is None else limit
    counted = records.order_by().values("pk")[: limit + 1].count()
    return Count(min(counted, limit), counted <= limit)


def page_count(records: QuerySet, page: KeysetPage) -> Count:
    """How many rows ``records`` has, ``page`` being one of its pages: a page
    with none before or after it is all of them, and nothing is counted."""
    if page.has_other_pages:
        return count_up_to(records)
    return Count(len(page), exact=True)
