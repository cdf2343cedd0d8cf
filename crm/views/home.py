"""A CRM's home page: a small dashboard of the signed-in user's tasks due today
(and overdue), the deals they may view by status with their sums, and the latest
activity on the records they may view."""

from __future__ import annotations

from itertools import groupby

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from crm.models import PipelineStatus
from crm.rights import can
from crm.selectors.pipelines import status_totals
from crm.selectors.tasks import my_tasks_due
from crm.selectors.timeline import recent_activity
from crm.tenancy import crm_view


@crm_view
def crm_home(request: HttpRequest) -> HttpResponse:
    crm, actor = request.crm, request.crm_user
    now = timezone.now()
    pipelines = []
    if can(actor, "deal", "view"):
        statuses = (
            PipelineStatus.objects.for_crm(crm)
            .select_related("pipeline")
            .order_by("pipeline__position", "pipeline_id", "position", "pk")
        )
        totals = status_totals(crm=crm, actor=actor, statuses=statuses)
        pipelines = [
            (pipeline, list(rows))
            for pipeline, rows in groupby(totals, key=lambda row: row.status.pipeline)
        ]
    return render(
        request,
        "crm/home.html",
        {
            "crm": crm,
            "crm_user": actor,
            "my_tasks": my_tasks_due(crm=crm, actor=actor, now=now),
            "pipelines": pipelines,
            "activity": recent_activity(crm=crm, actor=actor),
            "now": now,
        },
    )
