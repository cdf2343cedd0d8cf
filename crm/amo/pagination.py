"""HAL pages: ``_page``, ``_links.self``/``next``/``prev``, ``_embedded`` and
``_total_items``. Unlike amoCRM, ``next`` is there only when another page is;
an empty page is a 204 without a body, as amoCRM answers and clients expect."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from crm.amo.params import page_and_limit


def href(request: Request, path: str | None = None, **params: Any) -> dict[str, str]:
    """``{"href": absolute URL}`` of ``path`` (the request's own by default)
    with the request's query and ``params`` changed."""
    query = request.query_params.copy() if path is None else None
    url = request.build_absolute_uri(path or request.path)
    if query is not None:
        for key, value in params.items():
            query[key] = str(value)
        if query:
            url = f"{url}?{query.urlencode()}"
    return {"href": url}


def links_self(request: Request, path: str) -> dict[str, dict[str, str]]:
    return {"self": {"href": request.build_absolute_uri(path)}}


def hal_list(
    request: Request,
    *,
    key: str,
    items: Sequence[dict],
    page: int | None = None,
    has_next: bool = False,
    total: int | None = None,
) -> Response:
    """One page of ``items`` under ``_embedded[key]``; 204 when empty."""
    if not items:
        return Response(status=status.HTTP_204_NO_CONTENT)
    body: dict[str, Any] = {}
    if page is not None:
        body["_page"] = page
    if total is not None:
        body["_total_items"] = total
    links = {"self": href(request, **({"page": page} if page else {}))}
    if page is not None and has_next:
        links["next"] = href(request, page=page + 1)
    if page is not None and page > 1:
        links["prev"] = href(request, page=page - 1)
    body["_links"] = links
    body["_embedded"] = {key: list(items)}
    return Response(body)


def paginated(
    request: Request,
    queryset: QuerySet,
    *,
    key: str,
    render: Callable[[list], list[dict]],
    tree: dict,
) -> Response:
    """The page ``page``/``limit`` asks for. One extra row says whether there
    is a next page; the total is counted only when it is not already known from
    the page itself."""
    page, limit = page_and_limit(tree)
    offset = (page - 1) * limit
    rows = list(queryset[offset : offset + limit + 1])
    has_next = len(rows) > limit
    rows = rows[:limit]
    if not rows:
        return Response(status=status.HTTP_204_NO_CONTENT)
    total = offset + len(rows) if not has_next else queryset.count()
    return hal_list(
        request, key=key, items=render(rows), page=page, has_next=has_next, total=total
    )
