"""A CRM's pipelines and their statuses."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from crm.models import Crm, Deal, Pipeline, PipelineStatus
from crm.models.tenancy import id_from

MAX_PIPELINES = 50
MAX_STATUSES = 100


def pipeline_create(*, crm: Crm, name: str) -> Pipeline:
    """A pipeline with its closing statuses, Won and Lost, from the start."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise ValidationError(_("Give the pipeline a name of at most 100 characters."))
    with transaction.atomic():
        Crm.objects.select_for_update().get(pk=crm.pk)
        count = Pipeline.objects.for_crm(crm).count()
        if count >= MAX_PIPELINES:
            raise ValidationError(
                _("A CRM can have at most %(n)d pipelines.") % {"n": MAX_PIPELINES}
            )
        pipeline = Pipeline.objects.create(crm=crm, name=name, position=count)
        # The statuses' names are the CRM's data, read by all its users: stored in
        # the owner's language, as the CRM's first pipeline is.
        with translation.override(crm.owner.email_language):
            new, won, lost = _("New"), _("Won"), _("Lost")
        PipelineStatus.objects.bulk_create(
            [
                PipelineStatus(crm=crm, pipeline=pipeline, name=new, position=0),
                PipelineStatus(
                    crm=crm, pipeline=pipeline, name=won, position=1000,
                    kind=PipelineStatus.Kind.WON, color="#1a7f37",
                ),
                PipelineStatus(
                    crm=crm, pipeline=pipeline, name=lost, position=1001,
                    kind=PipelineStatus.Kind.LOST, color="#b42318",
                ),
            ]
        )  # fmt: skip
    return pipeline


def pipeline_status_create(*, crm: Crm, pipeline_id, name: str) -> PipelineStatus:
    """A new open status, placed after the other open ones (Won and Lost stay last)."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise ValidationError(_("Give the status a name of at most 100 characters."))
    with transaction.atomic():
        pipeline = Pipeline.objects.for_crm(crm).select_for_update().by_id(pipeline_id)
        if pipeline is None:
            raise Http404
        statuses = PipelineStatus.objects.for_crm(crm).filter(pipeline=pipeline)
        if statuses.count() >= MAX_STATUSES:
            raise ValidationError(
                _("A pipeline can have at most %(n)d statuses.") % {"n": MAX_STATUSES}
            )
        top = statuses.filter(kind=PipelineStatus.Kind.OPEN).aggregate(
            top=Max("position")
        )
        return PipelineStatus.objects.create(
            crm=crm, pipeline=pipeline, name=name, position=(top["top"] or 0) + 1
        )


def pipeline_status_delete(*, crm: Crm, status_id) -> None:
    status = PipelineStatus.objects.for_crm(crm).by_id(status_id)
    if status is None:
        raise Http404
    if status.kind != PipelineStatus.Kind.OPEN:
        raise ValidationError(
            _("Won and Lost close every pipeline and cannot be deleted.")
        )
    if Deal.objects.for_crm(crm).filter(status=status).exists():
        raise ValidationError(_("Move the deals out of this status first."))
    status.delete()


COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")


def pipeline_statuses_update(
    *, crm: Crm, pipeline_id: Any, changes: list[dict[str, Any]]
) -> list[PipelineStatus]:
    """The board's set-up: each status's name, colour and place. ``changes`` has
    one ``{"status_id", "name", "color", "order"}`` per status to change; open
    statuses are placed by ``order`` (ties keep their present order), Won and Lost
    stay last whatever their order says. A status of another pipeline or CRM is a
    404."""
    with transaction.atomic():
        pipeline = Pipeline.objects.for_crm(crm).select_for_update().by_id(pipeline_id)
        if pipeline is None:
            raise Http404
        statuses = {
            s.pk: s
            for s in PipelineStatus.objects.for_crm(crm).filter(pipeline=pipeline)
        }
        errors = []
        order: dict[int, int] = {}
        for change in changes:
            status = statuses.get(id_from(change.get("status_id")))
            if status is None:
                raise Http404
            name = " ".join((change.get("name") or "").split())
            if not name or len(name) > 100:
                errors.append(_("Give each status a name of at most 100 characters."))
            color = (change.get("color") or status.color).strip()
            if not COLOR_PATTERN.match(color):
                errors.append(
                    _("%(color)s is not a colour like #1a7f37.") % {"color": color}
                )
            status.name, status.color = name, color.lower()
            if change.get("order") is not None:
                order[status.pk] = int(change["order"])
        if errors:
            raise ValidationError(list(dict.fromkeys(errors)))
        open_ones = sorted(
            (s for s in statuses.values() if s.kind == PipelineStatus.Kind.OPEN),
            key=lambda s: (order.get(s.pk, s.position), s.position, s.pk),
        )
        for position, status in enumerate(open_ones):
            status.position = position
        PipelineStatus.objects.bulk_update(
            statuses.values(), ["name", "color", "position"]
        )
    return sorted(statuses.values(), key=lambda s: (s.position, s.pk))
