"""Custom fields and pipelines: the shape of a CRM's data, set by its admins."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.http import Http404
from django.utils.translation import gettext as _

from crm.entities import record_kind
from crm.models import Crm, CustomField

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
    model = record_kind(field.entity).model
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
