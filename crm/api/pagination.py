"""Page-number pagination for every list.

``?page=2&page_size=50``: 50 a page unless asked otherwise, at most 100. A bigger
``page_size`` is clamped to 100 (the response's ``results`` says how many came), a
``page_size`` that is not a positive whole number falls back to 50, and a page
past the end or not a number is a 404. Page numbers rather than cursors: people
paging through a CRM from a script want "page 7 of 12", and the count is one
indexed query."""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import PageNumberPagination

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
