"""Custom fields: the shape of a CRM's records, set by its admins."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Func, JSONField, Max, Value
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


class WithoutKey(Func):
    """A JSON object without one key: how a field's values leave every record in
    one UPDATE (a CRM may have a million records)."""

    output_field = JSONField()

    def __init__(self, expression, key: str) -> None:
        super().__init__(expression, Value(key))

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - "
        )

    def as_sqlite(self, compiler, connection, **extra):
        column, key = self.source_expressions
        path = Value(f'$."{key.value}"')
        return Func(column, path, function="json_remove").as_sql(compiler, connection)


@transaction.atomic
def custom_field_delete(*, crm: Crm, field_id) -> None:
    """The field, and its value on every record of the CRM."""
    field = CustomField.objects.for_crm(crm).by_id(field_id)
    if field is None:
        raise Http404
    key = str(field.pk)
    records = record_kind(field.entity).model.objects.for_crm(crm)
    records.filter(custom__has_key=key).update(custom=WithoutKey("custom", key))
    field.delete()
