"""The history of a record's fields: the record services take a snapshot of what
the record's form shows before they change it, and write one ``RecordChange``
per field that differs afterwards, in their own transaction.

Values are kept as the text people read then (a user's or a status's name), but
a deal's company by id: the timeline names it only to those who may see it."""

from __future__ import annotations

from typing import Any

from crm.models import CrmUser, CustomField, RecordChange


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _contact_points_text(points) -> str:
    """Phones or e-mails as people read them: "+380 67 123 45 67 (Mobile), …"."""
    return ", ".join(f"{point.value} ({point.get_kind_display()})" for point in points)


def record_snapshot(entity: str, record) -> dict[str, str] | None:
    """What the record's form shows, as text, keyed by ``RecordChange.field``
    (custom values by ``custom:<field id>``); None for a record not yet saved."""
    if record.pk is None:
        return None
    snapshot = {
        "name": record.name,
        "responsible": record.responsible.name,
    }
    if entity in ("contact", "company"):
        snapshot.update(
            phones=_contact_points_text(record.phones.all()),
            emails=_contact_points_text(record.emails.all()),
        )
    if entity == "company":
        snapshot.update(website=record.website, address=record.address)
    if entity == "deal":
        snapshot.update(
            pipeline=record.pipeline.name,
            status=record.status.name,
            amount=f"{record.amount:.2f}",
            company=_text(record.company_id),
        )
    for key, value in (record.custom or {}).items():
        snapshot[f"{RecordChange.CUSTOM}:{key}"] = _text(value)
    return snapshot


def record_changes_write(
    *, actor: CrmUser, entity: str, record, before: dict[str, str] | None
) -> list[RecordChange]:
    """One row per field whose text differs from ``before``; nothing for a new
    record (it has no history yet)."""
    if before is None:
        return []
    after = record_snapshot(entity, record)
    changed = [
        key
        for key in sorted(set(before) | set(after))
        if before.get(key, "") != after.get(key, "")
    ]
    if not changed:
        return []
    custom_ids = [
        key.split(":", 1)[1] for key in changed if key.startswith(RecordChange.CUSTOM)
    ]
    names = dict(
        CustomField.objects.for_crm(record.crm_id)
        .filter(pk__in=[int(i) for i in custom_ids if i.isdigit()])
        .values_list("pk", "name")
    )
    rows = []
    for key in changed:
        field, field_name = key, ""
        if key.startswith(RecordChange.CUSTOM):
            field_id = key.split(":", 1)[1]
            field = RecordChange.CUSTOM
            field_name = names.get(int(field_id), "") if field_id.isdigit() else ""
        rows.append(
            RecordChange(
                crm_id=record.crm_id,
                actor=actor,
                actor_name=actor.name,
                field=field,
                field_name=field_name[:100],
                old=before.get(key, ""),
                new=after.get(key, ""),
                **{entity: record},
            )
        )
    return RecordChange.objects.bulk_create(rows)
