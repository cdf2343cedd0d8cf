"""Reading records for lists: the actor's visible records, filtered in the database."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Func, Q, QuerySet, TextField

from crm.models import Company, Contact, Crm, CrmUser, CustomField, Deal
from crm.rights import scope_queryset

LIST_MODELS = {"contact": Contact, "company": Company, "deal": Deal}


class CustomValueText(Func):
    """The text of one custom field value. Field ids are digits, which Django's
    JSON key lookups would take for array indexes, so the key is quoted here."""

    output_field = TextField()

    def __init__(self, field_id: int) -> None:
        super().__init__(F("custom"))
        self.field_id = int(field_id)

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} ->> %s)", [*params, str(self.field_id)]

    def as_sql(self, compiler, connection, **extra):  # SQLite
        sql, params = compiler.compile(self.source_expressions[0])
        return f"json_extract({sql}, %s)", [*params, f'$."{self.field_id}"']


def records_filtered(
    *, crm: Crm, actor: CrmUser, entity: str, params: dict[str, Any]
) -> QuerySet:
    """Visible records of ``entity`` matching ``params``: q (name, email, phone),
    responsible, archived, and ``cf_<field id>`` for custom field values."""
    model = LIST_MODELS[entity]
    records = scope_queryset(actor, entity, "view", model.objects.for_crm(crm))
    records = records.filter(is_archived=params.get("archived") == "1")
    query = (params.get("q") or "").strip()
    if query:
        match = Q(name__icontains=query)
        if entity == "contact":
            match |= Q(email__icontains=query) | Q(phone__icontains=query)
        records = records.filter(match)
    responsible = params.get("responsible")
    if responsible and str(responsible).isdigit():
        records = records.filter(responsible_id=int(responsible))
    fields = {
        str(f.pk): f for f in CustomField.objects.for_crm(crm).filter(entity=entity)
    }
    for key, value in params.items():
        if not key.startswith("cf_") or value in ("", None):
            continue
        field = fields.get(key[3:])
        if field is None:
            continue
        alias = f"custom_value_{field.pk}"
        if field.type == CustomField.Type.MULTISELECT:
            # Stored as a JSON list: match the quoted option inside it.
            condition = {f"{alias}__contains": f'"{value}"'}
        elif field.type == CustomField.Type.TEXT:
            condition = {f"{alias}__icontains": value}
        elif field.type == CustomField.Type.NUMBER:
            try:
                number = float(value)
            except ValueError:
                return records.none()
            text = str(int(number)) if number.is_integer() else str(number)
            condition = {alias: text}
        else:
            condition = {alias: value}
        records = records.alias(**{alias: CustomValueText(field.pk)}).filter(
            **condition
        )
    return records.select_related("responsible").order_by("-id")
