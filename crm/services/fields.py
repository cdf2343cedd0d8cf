"""Custom fields: the shape of a CRM's records, set by its admins."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Func, JSONField, Max, Value
from django.http import Http404
from django.utils.translation import gettext as _

from crm.entities import record_kind
from crm.models import Crm, CustomField

MAX_FIELDS_PER_ENTITY = 100


SELECT_TYPES = (CustomField.Type.SELECT, CustomField.Type.MULTISELECT)


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise ValidationError(_("Give the field a name of at most 100 characters."))
    return name


def _clean_options(type: str, options: str | list) -> list[str]:
    if isinstance(options, str):
        options = [o.strip() for o in options.replace("\n", ",").split(",")]
    options = list(dict.fromkeys(o for o in options if o))
    if type not in SELECT_TYPES:
        return []
    if not options:
        raise ValidationError(_("List the options, separated by commas."))
    return options


def custom_field_create(
    *,
    crm: Crm,
    entity: str,
    name: str,
    type: str,
    options: str | list = "",
    is_required: bool = False,
) -> CustomField:
    if entity not in CustomField.Entity.values:
        raise ValidationError(_("Choose contacts, companies or deals."))
    if type not in CustomField.Type.values:
        raise ValidationError(_("Choose a type for the field."))
    name = _clean_name(name)
    options = _clean_options(type, options)
    existing = CustomField.objects.for_crm(crm).filter(entity=entity)
    if existing.count() >= MAX_FIELDS_PER_ENTITY:
        raise ValidationError(
            _("At most %(n)d fields per kind of record.") % {"n": MAX_FIELDS_PER_ENTITY}
        )
    position = (existing.aggregate(top=Max("position"))["top"] or 0) + 1
    return CustomField.objects.create(
        crm=crm,
        entity=entity,
        name=name,
        type=type,
        options=options,
        position=position,
        is_required=bool(is_required),
    )


def _option_in_use(field: CustomField, option: str) -> bool:
    """Whether any record of the CRM holds ``option`` in ``field``."""
    from crm.selectors.records import CustomValueText  # selectors read models

    records = record_kind(field.entity).model.objects.for_crm(field.crm_id)
    if field.type == CustomField.Type.MULTISELECT:
        if connection.vendor == "postgresql":
            # jsonb containment: the list holds the option.
            return records.filter(custom__contains={str(field.pk): [option]}).exists()
        # SQLite: the list's JSON text holds the option as JSON writes it.
        value = records.alias(value=CustomValueText(field.pk))
        return value.filter(value__contains=json.dumps(option)).exists()
    value = records.alias(value=CustomValueText(field.pk))
    return value.filter(value=option).exists()


@transaction.atomic
def custom_field_update(
    *,
    crm: Crm,
    field_id,
    name: str,
    options: str | list | None = None,
    is_required: bool = False,
) -> CustomField:
    """Rename a field, change a select's options (None keeps them) and whether
    the record forms require it. Its type stays. An option that records still
    hold cannot be taken away: their forms could not be saved again."""
    field = CustomField.objects.for_crm(crm).select_for_update().by_id(field_id)
    if field is None:
        raise Http404
    field.name = _clean_name(name)
    if options is not None and field.type in SELECT_TYPES:
        options = _clean_options(field.type, options)
        held = [
            o for o in field.options if o not in options and _option_in_use(field, o)
        ]
        if held:
            raise ValidationError(
                {
                    "options": _(
                        "Records still have %(options)s: change them before "
                        "taking the option away."
                    )
                    % {"options": ", ".join(f"“{o}”" for o in held)}
                }
            )
        field.options = options
    field.is_required = bool(is_required)
    field.save(update_fields=["name", "options", "is_required"])
    return field


@transaction.atomic
def custom_field_move(*, crm: Crm, field_id, step: int) -> CustomField:
    """Move a field one place up (``step`` -1) or down (1) among its kind's
    fields, in the order the record forms and cards show them."""
    field = CustomField.objects.for_crm(crm).by_id(field_id)
    if field is None:
        raise Http404
    fields = list(
        CustomField.objects.for_crm(crm)
        .filter(entity=field.entity)
        .select_for_update()
        .order_by("position", "pk")
    )
    index = next(n for n, f in enumerate(fields) if f.pk == field.pk)
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(fields):
        fields[index], fields[other] = fields[other], fields[index]
    for position, each in enumerate(fields, start=1):
        each.position = position
    CustomField.objects.bulk_update(fields, ["position"])
    return next(f for f in fields if f.pk == field.pk)


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
