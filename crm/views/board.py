"""The deals board: a pipeline's statuses side by side, each column with its count
and sum and its newest cards; "Show more" for a column's next cards, moving a
deal (dragged, or through the card's Move menu) and adding one in a column.

Every page works without JavaScript; static/js/board.js adds dragging and asks
the move for JSON (the changed columns' totals) instead of a redirect."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from crm.models import CrmUser, Deal, PipelineStatus
from crm.rights import can
from crm.selectors.pipelines import (
    StatusTotal,
    board_column_pages,
    column_page,
    pipeline_status_totals,
    pipeline_statuses,
    pipelines_of,
    status_totals,
)
from crm.services.records import deal_move, deal_quick_add
from crm.tenancy import crm_view


@dataclass(frozen=True)
class Column:
    total: StatusTotal
    deals: list[Deal]
    next_after: int | None

    @property
    def status(self) -> PipelineStatus:
        return self.total.status

    @property
    def is_open(self) -> bool:
        return self.status.kind == PipelineStatus.Kind.OPEN


def _refuse(request: HttpRequest, error: PermissionDenied | None = None):
    reason = str(error) if error else _("Your rights do not allow this.")
    return render(request, "403.html", {"reason": reason}, status=403)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _board_url(request: HttpRequest, pipeline_id: int, status_id: int | None = None):
    url = reverse("crm:deals_board", kwargs={"slug": request.crm.slug})
    url += "?" + urlencode({"pipeline_id": pipeline_id})
    return url + (f"#column-{status_id}" if status_id else "")


def _mark_movable(actor: CrmUser, deals: list[Deal]) -> list[Deal]:
    for deal in deals:
        deal.can_move = can(actor, "deal", "edit", deal)
    return deals


def _scoped_status(request: HttpRequest, status_id: int) -> PipelineStatus:
    status = PipelineStatus.objects.for_crm(request.crm).by_id(status_id)
    if status is None:
        raise Http404
    return status


@require_http_methods(["GET"])
@crm_view
def deals_board(request: HttpRequest) -> HttpResponse:
    crm, actor = request.crm, request.crm_user
    if not can(actor, "deal", "view"):
        return _refuse(request)
    pipelines = pipelines_of(crm=crm)
    if not pipelines:
        return render(request, "crm/board/board.html", {"pipelines": []})
    wanted = request.GET.get("pipeline_id")
    pipeline = next((p for p in pipelines if str(p.pk) == wanted), None)
    if wanted and pipeline is None:
        raise Http404
    pipeline = pipeline or pipelines[0]
    totals = pipeline_status_totals(crm=crm, actor=actor, pipeline=pipeline)
    pages = board_column_pages(
        crm=crm, actor=actor, statuses=[total.status for total in totals]
    )
    columns = [
        Column(
            total=total,
            deals=_mark_movable(actor, page.deals),
            next_after=page.next_after,
        )
        for total, page in zip(totals, pages, strict=True)
    ]
    return render(
        request,
        "crm/board/board.html",
        {
            "pipelines": pipelines,
            "pipeline": pipeline,
            "columns": columns,
            "statuses": [column.status for column in columns],
            "closing": [column for column in columns if not column.is_open],
            "can_create": can(actor, "deal", "create"),
        },
    )


@require_http_methods(["GET"])
@crm_view
def board_column(request: HttpRequest, status_id: int) -> HttpResponse:
    """A column's next cards after ``?after=<deal id>``: htmx appends them in
    place of the column's "Show more"; without JavaScript, a page of its own."""
    crm, actor = request.crm, request.crm_user
    status = _scoped_status(request, status_id)
    if not can(actor, "deal", "view"):
        return _refuse(request)
    page = column_page(
        crm=crm, actor=actor, status=status, after=request.GET.get("after")
    )
    context = {
        "status": status,
        "deals": _mark_movable(actor, page.deals),
        "next_after": page.next_after,
        "statuses": pipeline_statuses(crm=crm, pipeline=status.pipeline_id),
        "board_url": _board_url(request, status.pipeline_id, status.pk),
    }
    if request.htmx:
        return render(request, "crm/board/_cards.html", context)
    (context["total"],) = status_totals(crm=crm, actor=actor, statuses=[status])
    return render(request, "crm/board/column.html", context)


def totals_json(totals: list[StatusTotal]) -> list[dict]:
    """A column header's figures as the page shows them, for board.js to put in."""
    return [
        {
            "status_id": total.status.pk,
            "count": total.count,
            "amount": str(total.amount),
            "count_text": ngettext("%(counter)s deal", "%(counter)s deals", total.count)
            % {"counter": total.count},
            "amount_text": floatformat(total.amount, "2g"),
        }
        for total in totals
    ]


@require_POST
@crm_view
def deal_move_view(request: HttpRequest, record_id: int) -> HttpResponse:
    crm, actor = request.crm, request.crm_user
    as_json = _wants_json(request)
    try:
        move = deal_move(
            crm=crm,
            actor=actor,
            deal_id=record_id,
            status_id=request.POST.get("status_id"),
        )
    except PermissionDenied as error:
        if as_json:
            return JsonResponse({"error": str(error)}, status=403)
        return _refuse(request, error)
    except ValidationError as error:
        message = " ".join(error.messages)
        if as_json:
            return JsonResponse({"error": message}, status=400)
        return render(
            request,
            "crm/board/refused.html",
            {
                "message": message,
                "board_url": reverse("crm:deals_board", kwargs={"slug": crm.slug}),
            },
            status=400,
        )
    deal = move.deal
    if as_json:
        changed = {move.from_status_id, deal.status_id}
        statuses = PipelineStatus.objects.for_crm(crm).filter(pk__in=changed)
        totals = status_totals(crm=crm, actor=actor, statuses=statuses)
        return JsonResponse(
            {
                "deal_id": deal.pk,
                "status_id": deal.status_id,
                "message": _("%(deal)s moved to %(status)s.")
                % {"deal": deal.name, "status": deal.status.name},
                "totals": totals_json(totals),
            }
        )
    messages.success(
        request,
        _("%(deal)s moved to %(status)s.")
        % {"deal": deal.name, "status": deal.status.name},
    )
    return redirect(_board_url(request, deal.pipeline_id, deal.status_id))


@require_POST
@crm_view
def deal_quick_add_view(request: HttpRequest, status_id: int) -> HttpResponse:
    crm, actor = request.crm, request.crm_user
    try:
        deal = deal_quick_add(
            crm=crm,
            actor=actor,
            status_id=status_id,
            name=request.POST.get("name", ""),
            amount=request.POST.get("amount", ""),
        )
    except PermissionDenied as error:
        return _refuse(request, error)
    except ValidationError as error:
        status = _scoped_status(request, status_id)
        message = " ".join(error.messages)
        return render(
            request,
            "crm/board/refused.html",
            {"message": message, "board_url": _board_url(request, status.pipeline_id)},
            status=400,
        )
    messages.success(request, _("%(deal)s added.") % {"deal": deal.name})
    return redirect(_board_url(request, deal.pipeline_id, deal.status_id))
