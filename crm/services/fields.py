"""Custom fields and pipelines: the shape of a CRM's data, set by its admins."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.http import Http404
from django.utils.translation import gettext as _

from crm.models import Crm, CustomField, Deal, Pipeline, PipelineStatus
from crm.services.records import ENTITY_MODELS

MAX_PIPELINES = 50
MAX_STATUSES = 100
MAX_FIELDS_PER_ENTITY = 100


def custom_field_create(
    *, crm: Crm, entity: str, name: str, type: str, options: str | list = ""
) -> CustomField:
    name = " ".join((name or "").split())
    if entity not in CustomField.Entity.values:
        raise ValidationError(_("Choose contacts, companies or deals."))
    if type not in CustomField.Type.values:
        raise ValidationError(_("Choose a type for the field."))
    if not name or len(name) > 100:
        raise ValidationError(_("Give the field a name of at most 100 characters."))
    if isinstance(options, str):
        options = [o.strip() for o in options.replace("\n", ",").split(",")]
    options = list(dict.fromkeys(o for o in options if o))
    if type in (CustomField.Type.SELECT, CustomField.Type.MULTISELECT):
        if not options:
            raise ValidationError(_("List the options, separated by commas."))
    else:
        options = []
    existing = CustomField.objects.for_crm(crm).filter(entity=entity)
    if existing.count() >= MAX_FIELDS_PER_ENTITY:
        raise ValidationError(
            _("At most %(n)d fields per kind of record.") % {"n": MAX_FIELDS_PER_ENTITY}
        )
    position = (existing.aggregate(top=Max("position"))["top"] or 0) + 1
    return CustomField.objects.create(
        crm=crm, entity=entity, name=name, type=type, options=options, position=position
    )


@transaction.atomic
def custom_field_delete(*, crm: Crm, field_id) -> None:
    """The field and its values on every record, in one set-based UPDATE."""
    field = CustomField.objects.for_crm(crm).filter(pk=int(field_id)).first()
    if field is None:
        raise Http404
    model = ENTITY_MODELS[field.entity]
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET custom = custom - %s "  # noqa: S608
                "WHERE crm_id = %s AND custom ? %s",
                [str(field.pk), crm.pk, str(field.pk)],
            )
        else:
            path = f'$."{field.pk}"'
            cursor.execute(
                f"UPDATE {table} SET custom = json_remove(custom, %s) "  # noqa: S608
                "WHERE crm_id = %s AND json_extract(custom, %s) IS NOT NULL",
                [path, crm.pk, path],
            )
    field.delete()


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
        PipelineStatus.objects.bulk_create(
            [
                PipelineStatus(crm=crm, pipeline=pipeline, name=_("New"), position=0),
                PipelineStatus(
                    crm=crm, pipeline=pipeline, name=_("Won"), position=1000,
                    kind=PipelineStatus.Kind.WON, color="#1a7f37",
                ),
                PipelineStatus(
                    crm=crm, pipeline=pipeline, name=_("Lost"), position=1001,
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
        pipeline = (
            Pipeline.objects.for_crm(crm)
            .select_for_update()
            .filter(pk=int(pipeline_id))
            .first()
        )
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
    status = PipelineStatus.objects.for_crm(crm).filter(pk=int(status_id)).first()
    if status is None:
        raise Http404
    if status.kind != PipelineStatus.Kind.OPEN:
        raise ValidationError(
            _("Won and Lost close every pipeline and cannot be deleted.")
        )
    if Deal.objects.for_crm(crm).filter(status=status).exists():
        raise ValidationError(_("Move the deals out of this status first."))
    status.delete()
