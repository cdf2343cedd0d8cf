"""Page-number pagination for every list.

``?page=2&page_size=50``: 50 a page unless asked otherwise, at most 100. A bigger
``page_size`` is clamped to 100 (the response's ``results`` says how many came), a
``page_size`` that is not a positive whole number falls back to 50, and a page past
the end is a 404. Page numbers rather than cursors: people paging through a CRM
from a script want "page 7 of 12".

The count comes with the page: one query selects the page's rows and, as one more
column, the number of rows of the whole list (an uncorrelated subquery, computed
once), so both are read from the same snapshot and the database is asked once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import IntegerField, QuerySet, Subquery
from django.db.models.query import ModelIterable, ValuesIterable
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import PageNumberPagination

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
# The column (or attribute) that carries the list's count on each row of a page.
TOTAL = "pagination_total"


class Total(Subquery):
    """``SELECT COUNT(*)`` of a queryset, as a column of another query."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) pagination_counted)"
    output_field = IntegerField()
    empty_result_set_value = 0

    def __init__(self, queryset: QuerySet) -> None:
        super().__init__(queryset.order_by().values("pk"))


def _queryset_page(queryset: QuerySet, offset: int, limit: int) -> tuple[list, int]:
    """A page of a queryset and the count of all of it, in one query."""
    rows = list(queryset.annotate(**{TOTAL: Total(queryset)})[offset : offset + limit])
    total = 0
    for row in rows:
        total = (row if isinstance(row, dict) else vars(row)).pop(TOTAL)
    return rows, total


def _page_reader(object_list: Any) -> Callable[[int, int], tuple[list, int]] | None:
    """How to read a page of ``object_list`` with its count in one go, if it can
    be: a list of rows that says how (``selectors.RecordRows``), or a plain
    queryset of model instances or dicts (not distinct, grouped, combined or
    sliced), whose count becomes a column of the page's query."""
    if callable(getattr(object_list, "page", None)):
        return object_list.page
    if not isinstance(object_list, QuerySet):
        return None
    query = object_list.query
    if (
        object_list._iterable_class in (ModelIterable, ValuesIterable)
        and not query.distinct
        and not query.combinator
        and not query.is_sliced
        and query.group_by is None
        and not any(a.contains_aggregate for a in query.annotations.values())
    ):
        return functools.partial(_queryset_page, object_list)
    return None


class Paginator(DjangoPaginator):
    """Django's paginator, with the same pages, numbers and errors, that reads a
    page and the count together when it can (see the module's docstring)."""

    def page(self, number: Any) -> Page:
        read = None if self.orphans else _page_reader(self.object_list)
        if read is None or "count" in self.__dict__:  # no need, or no way
            return super().page(number)
        # validate_number() without comparing with the count, which comes later.
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        rows, total = read((number - 1) * self.per_page, self.per_page)
        if not rows:
            if number > 1 or not self.allow_empty_first_page:
                # Past the last page (or an empty list without an empty first page).
                raise EmptyPage(self.error_messages["no_results"])
            total = 0  # an empty first page: the list is empty
        self.__dict__["count"] = total
        return self._get_page(rows, number, self)


class ApiPagination(PageNumberPagination):
    django_paginator_class = Paginator
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = format_lazy(
        _(
            "Records per page: {default} by default, at most {max} (a larger value "
            "is clamped to {max})."
        ),
        default=DEFAULT_PAGE_SIZE,
        max=MAX_PAGE_SIZE,
    )
