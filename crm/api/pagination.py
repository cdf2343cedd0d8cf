"""Pagination: by cursor for the lists of records, by page number for the rest.

Records (``RecordCursorPagination``): ``?page_size=50``, then the ``next`` and
``previous`` links, which carry ``after=`` or ``before=`` a cursor (the keyset of
the page's last or first record, ``crm.selectors.paging``), so a page costs the
same however far into a CRM of a million contacts it is. ``count`` is exact up
to 1,000 and null above, where counting would read the whole list. A
``page_size`` that is not a whole number is refused (400); one below 1 means 50.
``page=1`` is the first page; any other page number is refused (400) with the
way forward, since a keyset has no page numbers.

Everything else (users, groups, pipelines, fields, notes) is page-number paged:

``?page=2&page_size=50``: 50 a page unless asked otherwise, at most 100. A bigger
``page_size`` is clamped to 100 (the response's ``results`` says how many came), a
``page_size`` that is not a positive whole number falls back to 50, and a page
past the end or not a number is a 404. These lists are short (a CRM's set-up) or
read a record's notes, so their count is one small indexed query."""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from crm.selectors.paging import AFTER, BEFORE, keyset_page, page_count

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


class ApiPagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``, as DRF answers it."""

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

    def get_page_number(self, request, paginator):
        # An empty ``page=`` is not a number: a 404 like any other such page.
        page_number = request.query_params.get(self.page_query_param, 1)
        if page_number in self.last_page_strings:
            return paginator.num_pages
        return page_number


class RecordCursorPagination(BasePagination):
    """``{"count", "next", "previous", "results"}``: DRF's shape, with ``next``
    and ``previous`` as cursors and ``count`` null when over the limit."""

    page_size_param = "page_size"

    def _page_size(self, request) -> int:
        text = request.query_params.get(self.page_size_param, "")
        if text == "":
            return DEFAULT_PAGE_SIZE
        try:
            size = int(text)
        except ValueError:
            raise ValidationError(
                {self.page_size_param: [_("A whole number is expected.")]}
            ) from None
        return min(size, MAX_PAGE_SIZE) if size > 0 else DEFAULT_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        # ``page=1`` is where a client written for page numbers starts: it gets
        # the first page and the links onward; a later number has no keyset.
        if request.query_params.get("page", "1").strip() != "1":
            raise ValidationError(
                {
                    "page": [
                        _(
                            "Lists of records are paged by cursor: follow the "
                            "next and previous links."
                        )
                    ]
                }
            )
        self.request = request
        page = keyset_page(
            queryset,
            after=request.query_params.get(AFTER),
            before=request.query_params.get(BEFORE),
            size=self._page_size(request),
            fetch=view.page_rows() if hasattr(view, "page_rows") else None,
        )
        self.page = page
        count = page_count(queryset, page)
        self.count = count.value if count.exact else None
        return page.object_list

    def _link(self, which: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        url = remove_query_param(url, AFTER if which == BEFORE else BEFORE)
        return replace_query_param(url, which, cursor)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "next": self._link(AFTER, self.page.next_cursor),
                "previous": self._link(BEFORE, self.page.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "nullable": True,
                    "description": _("Exact up to 1,000; null above."),
                },
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        def parameter(name, description, kind="string"):
            return {
                "name": name,
                "required": False,
                "in": "query",
                "description": str(description),
                "schema": {"type": kind},
            }

        return [
            parameter(AFTER, _("The page after this cursor (from a next link).")),
            parameter(BEFORE, _("The page before this cursor (from a previous link).")),
            parameter(
                self.page_size_param,
                ApiPagination.page_size_query_description,
                "integer",
            ),
        ]
