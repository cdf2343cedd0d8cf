"""Reading an uploaded list: a CSV or XLSX file as a header row and data rows of
text.

Every cell comes out as the text it shows: a formula cell of a spreadsheet as its
formula's text (``=SUM(A1:A3)``), never computed; a number as its digits, a date
as 2026-12-31. Limits (size, unpacked size, rows, columns) are checked while
reading, so an oversized or malformed file is refused with a message a person can
act on, before it costs memory or time."""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_ROWS = 10_000
IMPORT_MAX_COLUMNS = 60
# An XLSX is a ZIP: what it unpacks to is what reading it costs.
XLSX_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
# Spreadsheets keep formatted empty rows below the data; reading stops here.
XLSX_MAX_SCANNED_ROWS = 200_000
CELL_MAX_LENGTH = 10_000

CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
XLSX_EXTENSIONS = (".xlsx", ".xlsm")
EXTENSIONS = CSV_EXTENSIONS + XLSX_EXTENSIONS
# What CSV files come in: found out from the file (``auto``) or chosen.
ENCODINGS = ("auto", "utf-8", "cp1251", "cp1252")
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Table:
    headers: list[str]
    # (the row's number as a spreadsheet shows it, its cells), blank rows left out.
    rows: list[tuple[int, list[str]]]


def file_kind(name: str) -> str:
    """ "csv" or "xlsx" by the file's name; a clear refusal for anything else."""
    lower = name.lower()
    if lower.endswith(CSV_EXTENSIONS):
        return "csv"
    if lower.endswith(XLSX_EXTENSIONS):
        return "xlsx"
    if lower.endswith((".xls", ".ods", ".numbers")):
        raise ValidationError(
            _(
                "This spreadsheet format cannot be read. Save it as Excel "
                "workbook (.xlsx) or CSV and upload that."
            )
        )
    raise ValidationError(
        _("Upload a CSV file or an Excel workbook (.xlsx): this file is neither.")
    )


def _clean_cell(text: str) -> str:
    # PostgreSQL text cannot hold NUL; nothing a person types has one.
    text = text.replace("\x00", "")
    if len(text) > CELL_MAX_LENGTH:
        return text[:CELL_MAX_LENGTH]
    return text


def _table(rows) -> Table:
    """Header and data rows from an iterable of (number, cells)."""
    header: list[str] | None = None
    data: list[tuple[int, list[str]]] = []
    width = 0
    for number, cells in rows:
        if len(cells) > IMPORT_MAX_COLUMNS:
            if any(c.strip() for c in cells[IMPORT_MAX_COLUMNS:]):
                raise ValidationError(
                    _("The file has more than %(n)d columns.")
                    % {"n": IMPORT_MAX_COLUMNS}
                )
            cells = cells[:IMPORT_MAX_COLUMNS]
        if not any(cell.strip() for cell in cells):
            continue
        # Trailing empty cells say nothing about how wide the table is.
        while cells and not cells[-1].strip():
            cells = cells[:-1]
        if header is None:
            header = [_clean_cell(c).strip() for c in cells]
            width = len(header)
            continue
        if len(data) >= IMPORT_MAX_ROWS:
            raise ValidationError(
                _(
                    "The file has more than %(n)d rows. Split it into files of "
                    "at most %(n)d rows each."
                )
                % {"n": IMPORT_MAX_ROWS}
            )
        width = max(width, len(cells))
        data.append((number, [_clean_cell(c) for c in cells]))
    if header is None:
        raise ValidationError(_("The file is empty."))
    if not data:
        raise ValidationError(
            _("The file has a header row but no rows of data under it.")
        )
    headers = [
        text or _("Column %(n)d") % {"n": index + 1}
        for index, text in enumerate(header + [""] * (width - len(header)))
    ]
    return Table(
        headers=headers,
        rows=[(n, cells + [""] * (width - len(cells))) for n, cells in data],
    )


# --- CSV ----------------------------------------------------------------------------


def csv_decode(data: bytes, encoding: str = "auto") -> str:
    """The text of a CSV file. A byte order mark decides; else UTF-8 when the
    bytes are UTF-8, else Windows-1251, in which Excel saves CSV on Ukrainian
    and Russian Windows (a person can choose another on the upload form)."""
    if encoding != "auto":
        try:
            return data.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError:
            raise ValidationError(
                _("The file is not in the encoding chosen. Try “Find out”.")
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def csv_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number of columns,
    more than one: a comma, a semicolon (Excel's where the decimal point is a
    comma) or a tab."""
    sample = [line for line in text.splitlines()[:30] if line.strip()]
    best, best_score = ",", (False, 0, 0)
    for delimiter in DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        except csv.Error:
            continue
        if not widths:
            continue
        header = widths[0]
        score = (header > 1, sum(1 for w in widths if w == header), header)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def csv_read(data: bytes, encoding: str = "auto") -> Table:
    text = csv_decode(data, encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text))
    try:
        return _table((number, row) for number, row in enumerate(reader, start=1))
    except csv.Error:
        raise ValidationError(
            _("The file could not be read as CSV: a cell is too long or malformed.")
        ) from None


# --- XLSX ---------------------------------------------------------------------------


def xlsx_cell_text(value) -> str:
    """A cell's value as the text it shows. openpyxl gives a formula cell's
    formula as text (we never ask for computed values), so it stays text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # A phone typed as a number: 380671234567.0 is 380671234567.
        if value.is_integer() and abs(value) < 1e18:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def xlsx_read(data: bytes) -> Table:
    from openpyxl import load_workbook

    unreadable = ValidationError(
        _(
            "The file could not be read as an Excel workbook (.xlsx). Open it in "
            "your spreadsheet program and save it again, or save it as CSV."
        )
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise unreadable from None
    if unpacked > XLSX_MAX_UNPACKED_BYTES:
        raise ValidationError(
            _("The workbook is too big once unpacked. Save the list as CSV instead.")
        )
    try:
        workbook = load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
    except Exception:  # openpyxl raises many kinds for a broken file
        raise unreadable from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise ValidationError(_("The file is empty."))

        def rows():
            for number, values in enumerate(
                sheet.iter_rows(values_only=True, max_col=IMPORT_MAX_COLUMNS + 1),
                start=1,
            ):
                if number > XLSX_MAX_SCANNED_ROWS:
                    raise ValidationError(
                        _(
                            "The workbook has more than %(n)d rows. Split it into "
                            "files of at most %(n)d rows each."
                        )
                        % {"n": IMPORT_MAX_ROWS}
                    )
                yield number, [xlsx_cell_text(value) for value in values]

        try:
            return _table(rows())
        except ValidationError:
            raise
        except Exception:
            raise unreadable from None
    finally:
        workbook.close()


def table_read(*, name: str, data: bytes, encoding: str = "auto") -> Table:
    """The table in an uploaded file (by its name's extension); a
    ``ValidationError`` saying what is wrong otherwise."""
    if len(data) > IMPORT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)d MB. Split it into smaller files.")
            % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    if file_kind(name) == "xlsx":
        return xlsx_read(data)
    return csv_read(data, encoding)
