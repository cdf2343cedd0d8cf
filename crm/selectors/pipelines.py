"""Reading pipelines for the deals board and the dashboards: each status's count
and sum of deals, and a column's cards a page at a time.

Everything here reads what the actor may view (``rights.scope_queryset``) and
leaves archived deals out, as the board does."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, QuerySet, Sum, prefetch_related_objects

from crm.models import Company, Contact, Crm, CrmUser, Deal, Pipeline, PipelineStatus
from crm.models.tenancy import id_from
from crm.rights import scope_queryset

# Cards a column shows at first, and each "Show more" adds: about two screens of
# a column, so the board comes up soon however many deals a status holds; the
# next ones come as the column is scrolled to its end ("Show more" loads itself
# when it comes into view, or when clicked).
COLUMN_PAGE_SIZE = 20


@dataclass(frozen=True)
class StatusTotal:
    """One status with the number of the actor's visible deals in it and the sum
    of their amounts."""

    status: PipelineStatus
    count: int
    amount: Decimal


@dataclass(frozen=True)
class ColumnPage:
    """Some cards of a column, newest first, and the id to continue after."""

    deals: list[Deal]
    next_after: int | None


def pipelines_of(*, crm: Crm) -> list[Pipeline]:
    return list(Pipeline.objects.for_crm(crm).order_by("position", "pk"))


def pipeline_statuses(*, crm: Crm, pipeline: Pipeline | int) -> list[PipelineStatus]:
    """A pipeline's statuses in board order: the open ones, then Won and Lost."""
    return list(
        PipelineStatus.objects.for_crm(crm)
        .filter(pipeline=pipeline)
        .order_by("position", "pk")
    )


def board_deals(*, crm: Crm, actor: CrmUser) -> QuerySet:
    """The deals the board shows to ``actor``: those they may view, not archived."""
    return scope_queryset(actor, "deal", "view", Deal.objects.for_crm(crm)).filter(
        is_archived=False
    )


def status_totals(
    *, crm: Crm, actor: CrmUser, statuses: Iterable[PipelineStatus]
) -> list[StatusTotal]:
    """Count and sum per status of ``statuses``, in their order, in one aggregate
    query; a status without deals has 0 and 0."""
    statuses = list(statuses)
    rows = (
        board_deals(crm=crm, actor=actor)
        .filter(status__in=[s.pk for s in statuses])
        .order_by()
        .values("status_id")
        # COUNT(*): the same number as COUNT(id), which tests each row's id
        # for NULL (a fifth of the query's time over 195,000 deals).
        .annotate(count=Count("*"), amount=Sum("amount"))
    )
    by_status = {row["status_id"]: row for row in rows}
    totals = []
    for status in statuses:
        row = by_status.get(status.pk, {})
        totals.append(
            StatusTotal(
                status=status,
                count=row.get("count", 0),
                amount=row.get("amount") or Decimal("0"),
            )
        )
    return totals


def pipeline_status_totals(
    *, crm: Crm, actor: CrmUser, pipeline: Pipeline | int
) -> list[StatusTotal]:
    """Per status of ``pipeline``, in board order: the status, how many deals the
    actor sees in it and the sum of their amounts (two queries in all)."""
    statuses = pipeline_statuses(crm=crm, pipeline=pipeline)
    return status_totals(crm=crm, actor=actor, statuses=statuses)


def _column_deals(
    *, crm: Crm, actor: CrmUser, status: PipelineStatus, after: Any, size: int
) -> ColumnPage:
    deals = board_deals(crm=crm, actor=actor).filter(status=status)
    after_id = id_from(after) if after not in (None, "") else None
    if after_id is not None:
        deals = deals.filter(pk__lt=after_id)
    page = list(deals.select_related("responsible").order_by("-pk")[: size + 1])
    more = len(page) > size
    page = page[:size]
    return ColumnPage(deals=page, next_after=page[-1].pk if more else None)


def _attach_card_details(crm: Crm, actor: CrmUser, deals: list[Deal]) -> None:
    """What a card names besides the deal, for all of ``deals`` at once:
    ``visible_contacts`` and ``visible_company`` (``_attach_visible_companies``)."""
    contacts = scope_queryset(actor, "contact", "view", Contact.objects.for_crm(crm))
    prefetch_related_objects(
        deals,
        Prefetch(
            "contacts",
            queryset=contacts.only("pk", "name").order_by("pk"),
            to_attr="visible_contacts",
        ),
    )
    _attach_visible_companies(crm, actor, deals)


def column_page(
    *,
    crm: Crm,
    actor: CrmUser,
    status: PipelineStatus,
    after: Any = None,
    size: int = COLUMN_PAGE_SIZE,
) -> ColumnPage:
    """The next ``size`` cards of a status's column, newest first, after the card
    with id ``after`` (keyset: the column's order is the id, so a deal added or
    moved meanwhile neither repeats nor hides another one)."""
    page = _column_deals(crm=crm, actor=actor, status=status, after=after, size=size)
    _attach_card_details(crm, actor, page.deals)
    return page


def board_column_pages(
    *, crm: Crm, actor: CrmUser, statuses: Iterable[PipelineStatus]
) -> list[ColumnPage]:
    """The first cards of each of ``statuses``' columns, in their order: a query
    a column, then what the cards name for all of them together."""
    pages = [
        _column_deals(
            crm=crm, actor=actor, status=status, after=None, size=COLUMN_PAGE_SIZE
        )
        for status in statuses
    ]
    _attach_card_details(crm, actor, [deal for page in pages for deal in page.deals])
    return pages


def _attach_visible_companies(crm: Crm, actor: CrmUser, deals: list[Deal]) -> None:
    """``deal.visible_company``: its company where the actor may view it, else None
    (a card names no record its reader may not see)."""
    ids = {deal.company_id for deal in deals if deal.company_id}
    companies = {}
    if ids:
        companies = {
            c.pk: c
            for c in scope_queryset(
                actor, "company", "view", Company.objects.for_crm(crm)
            )
            .filter(pk__in=ids)
            .only("pk", "name")
        }
    for deal in deals:
        deal.visible_company = companies.get(deal.company_id)
