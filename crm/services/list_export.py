"""A list of records as its person sees it — its search, filters, sort and chosen
columns (crm/selectors/layouts.py) — as a CSV or XLSX file.

Exporting needs the Export right, and holds the records the person may both view
and export. Text a spreadsheet would run as a formula is neutralised: in CSV with
the leading quote of the CRM's data export (``services/export._csv_cell``), in
XLSX by writing it as a string cell, which a spreadsheet never evaluates. Both
read the records with a database iterator, so memory stays flat: CSV is streamed
to the browser as it is written; XLSX is written in openpyxl's write-only mode to
a temporary file, then streamed."""

from __future__ import annotations

import csv
import datetime
import io
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Crm, CrmUser
from crm.rights import can, scope_queryset
from crm.selectors.layouts import (
    Column,
    cell_value,
    list_layout_get,
    records_for_columns,
    records_sorted,
)
from crm.selectors.records import records_filtered
from crm.services.export import FORMULA_STARTS, _csv_cell
from crm.services.records import custom_fields_for

EXPORT_FORMATS = ("xlsx", "csv")
# A worksheet holds 1,048,576 rows, the header one of them.
XLSX_MAX_ROWS = 1_048_575
ITERATOR_CHUNK = 2000
FILE_NAMES = {"contact": "contacts", "company": "companies", "deal": "deals"}


@dataclass(frozen=True)
class ListExport:
    entity: str
    columns: list[Column]
    records: QuerySet


def list_export_prepare(
    *,
    crm: Crm,
    actor: CrmUser,
    entity: str,
    params: Mapping[str, Any],
    sort: Any = None,
) -> ListExport:
    """The records and columns of the actor's list of ``entity`` with the list
    page's ``params`` (search and filters) and ``sort``; PermissionDenied
    without the Export right."""
    if not can(actor, entity, "export"):
        raise PermissionDenied(_("Your rights do not allow exporting these records."))
    layout = list_layout_get(
        crm=crm,
        actor=actor,
        entity=entity,
        custom_fields=custom_fields_for(crm=crm, entity=entity),
        sort=sort,
    )
    records = scope_queryset(
        actor,
        entity,
        "export",
        records_filtered(crm=crm, actor=actor, entity=entity, params=params),
    )
    records = records_sorted(records, layout.sort)
    if entity == "deal":
        records = records.select_related("status", "pipeline")
    records = records_for_columns(records, layout.columns, crm=crm)
    return ListExport(entity=entity, columns=list(layout.columns), records=records)


def export_value(record: Any, column: Column) -> Any:
    """A cell's value as the list shows it: names rather than ids, a time in the
    site's zone (without one, which a spreadsheet cannot hold), amounts as
    numbers."""
    if column.kind == "user":
        return record.responsible.name
    if column.kind == "status":
        return record.status.name
    if column.kind == "pipeline":
        return record.pipeline.name
    value = cell_value(record, column)
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    return value


def _rows(export: ListExport) -> Iterator[list[Any]]:
    for record in export.records.iterator(chunk_size=ITERATOR_CHUNK):
        yield [export_value(record, column) for column in export.columns]


def list_export_file_name(export: ListExport, file_format: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{FILE_NAMES[export.entity]}-{stamp}.{file_format}"


def list_csv_lines(export: ListExport) -> Iterator[str]:
    """The CSV, a piece at a time; a byte order mark first, so that Excel reads
    it as UTF-8 (Cyrillic names and all)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([_csv_cell(str(column.label)) for column in export.columns])
    for values in _rows(export):
        writer.writerow(
            [
                _csv_cell(
                    value.strftime("%Y-%m-%d %H:%M")
                    if isinstance(value, datetime.datetime)
                    else value
                )
                for value in values
            ]
        )
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _xlsx_cell(sheet, value: Any):
    """A cell of the write-only sheet. openpyxl takes any text starting with "="
    for a formula: such text, and the rest of what a spreadsheet might run, is
    written as a plain string."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, Decimal):
        value = float(value)
    if not isinstance(value, str):
        return value
    # Control characters cannot be written to the sheet's XML.
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value.startswith(FORMULA_STARTS):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def list_xlsx_file(export: ListExport) -> IO[bytes]:
    """The workbook in a temporary file, at its start; the caller closes it.
    More rows than a worksheet holds is refused."""
    from openpyxl import Workbook

    if export.records.count() > XLSX_MAX_ROWS:
        raise ValidationError(
            _(
                "The list has more rows than a spreadsheet holds. Export it as "
                "CSV, or narrow it with a filter."
            )
        )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=FILE_NAMES[export.entity])
    sheet.append([_xlsx_cell(sheet, str(column.label)) for column in export.columns])
    for values in _rows(export):
        sheet.append([_xlsx_cell(sheet, value) for value in values])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return handle
