"""Export of a CRM: a ZIP with a JSON and a CSV file per kind of data, written row
by row from database iterators, so memory stays flat however big the CRM is."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from config.celery import enqueue_after_commit
from crm.models import (
    Company,
    Contact,
    ContactCompany,
    Crm,
    CrmExport,
    CrmGroup,
    CrmUser,
    CustomField,
    Deal,
    DealContact,
    Note,
    Pipeline,
    PipelineStatus,
)

ITERATOR_CHUNK = 2000


def _tables(crm: Crm) -> list[tuple[str, QuerySet, list[str]]]:
    """What goes into the export: file name, rows (as dicts), columns."""

    def rows(name, model, *columns):
        return (
            name,
            model.objects.for_crm(crm).order_by("pk").values(*columns),
            list(columns),
        )

    return [
        rows(
            "users",
            CrmUser,
            "id",
            "name",
            "email",
            "role",
            "is_active",
            "group_id",
            "created_at",
        ),
        rows("groups", CrmGroup, "id", "name"),
        rows("pipelines", Pipeline, "id", "name", "position"),
        rows(
            "statuses",
            PipelineStatus,
            "id",
            "pipeline_id",
            "name",
            "kind",
            "position",
            "color",
        ),
        rows("custom_fields", CustomField, "id", "entity", "name", "type", "options"),
        rows(
            "companies",
            Company,
            "id",
            "name",
            "responsible_id",
            "is_archived",
            "custom",
            "created_at",
        ),
        rows(
            "contacts",
            Contact,
            "id",
            "name",
            "email",
            "phone",
            "responsible_id",
            "is_archived",
            "custom",
            "created_at",
        ),
        rows("contact_companies", ContactCompany, "contact_id", "company_id"),
        rows(
            "deals",
            Deal,
            "id",
            "name",
            "amount",
            "pipeline_id",
            "status_id",
            "company_id",
            "responsible_id",
            "is_archived",
            "custom",
            "created_at",
        ),
        rows("deal_contacts", DealContact, "deal_id", "contact_id"),
        rows(
            "notes",
            Note,
            "id",
            "text",
            "contact_id",
            "company_id",
            "deal_id",
            "author_id",
            "created_at",
        ),
    ]


def crm_export_request(*, crm: Crm, account: Any) -> CrmExport:
    """Owner only (checked by the caller's door, as for deletion); one at a time."""
    running = CrmExport.objects.for_crm(crm).filter(
        status__in=(CrmExport.Status.QUEUED, CrmExport.Status.RUNNING)
    )
    existing = running.first()
    if existing is not None:
        return existing
    export = CrmExport.objects.create(crm=crm, requested_by_id=account.pk)
    from crm.tasks import build_export  # tasks import services

    enqueue_after_commit(build_export, export.pk)
    return export


# A spreadsheet takes a cell starting with one of these for a formula
# (=HYPERLINK(...) in a contact's name phones home when the file is opened).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    """One CSV cell. Text that a spreadsheet would run as a formula gets a leading
    single quote (OWASP's advice on CSV injection), so it shows as typed; a phone
    like +380... gets one too, since a spreadsheet reads +380-1 as a sum. Numbers,
    dates and booleans come from the database, not from a person's typing, and stay
    as they are; the JSON files keep every value exactly."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, cls=DjangoJSONEncoder)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_lines(rows: Iterator[dict], columns: list[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row[c]) for c in columns])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def crm_export_build(*, export_id: int) -> CrmExport | None:
    export = CrmExport.objects.select_related("crm").filter(pk=export_id).first()
    if export is None or export.status == CrmExport.Status.DONE:
        return export
    CrmExport.objects.filter(pk=export.pk).update(status=CrmExport.Status.RUNNING)
    tables = _tables(export.crm)
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for index, (name, queryset, columns) in enumerate(tables):
                with archive.open(f"{name}.json", "w", force_zip64=True) as out:
                    out.write(b"[")
                    for number, row in enumerate(
                        queryset.iterator(chunk_size=ITERATOR_CHUNK)
                    ):
                        prefix = b",\n" if number else b"\n"
                        out.write(
                            prefix + json.dumps(row, cls=DjangoJSONEncoder).encode()
                        )
                    out.write(b"\n]\n")
                with archive.open(f"{name}.csv", "w", force_zip64=True) as out:
                    rows = queryset.iterator(chunk_size=ITERATOR_CHUNK)
                    for text in _csv_lines(rows, columns):
                        out.write(text.encode())
                done = int((index + 1) * 100 / len(tables))
                CrmExport.objects.filter(pk=export.pk).update(progress=min(done, 99))
        spool.seek(0)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        name = default_storage.save(
            f"exports/{export.crm_id}/{export.crm.slug}-{stamp}.zip", File(spool)
        )
        size = default_storage.size(name)
    CrmExport.objects.filter(pk=export.pk).update(
        status=CrmExport.Status.DONE,
        progress=100,
        file_name=name,
        size=size,
        finished_at=timezone.now(),
    )
    export.refresh_from_db()
    return export


def crm_export_label(export: CrmExport) -> str:
    if export.status == CrmExport.Status.DONE:
        return _("Ready")
    return _("%(percent)d%% done") % {"percent": export.progress}
