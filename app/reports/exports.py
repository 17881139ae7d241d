"""Report exports as files: CSV and XLSX written while the rows stream in.

Every report export (the per-session records, the follow-up lists, the dashboard's figures)
goes through these writers, so every file reads the same way:

- CSV: UTF-8 with a BOM (Excel in Japan opens it right), CRLF line ends, a text cell that
  Excel would run as a formula (``=…``, ``+…``) kept as text; yielded in chunks.
- XLSX: one sheet per table, the header row bold and frozen (panes at A2), column widths from
  the header or the expected content, numbers as numbers and text as text (never a formula).
  The workbook is built with openpyxl's write-only mode into a SpooledTemporaryFile (in memory
  while small, on disk beyond), then streamed out in chunks.

Rows are any iterable (a generator over a ``yield_per`` query): they are never all in memory.
A cell is a str, an int/float/Decimal, a date, or None (empty).

    table = ExportTable(_("実施実績"), header, rows, widths=[12, 6, ...])
    return file_response(csv_chunks(table.header, table.rows), export_filename("sessions", f, l, "csv"))
    return file_response(xlsx_tables([table]), export_filename("sessions", f, l, "xlsx"))

``file_response`` writes the whole file while the view runs, into a SpooledTemporaryFile
(memory up to SPOOL_BYTES, disk beyond), and only then sends it in chunks. So the rows are
read while the request's database session, user and language are there (nothing runs after
the view returned), a failure half-way is an error page rather than a cut-off file that
looks complete, and the response has a Content-Length.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Protocol

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from app.sheets.files import (
    content_disposition,
    display_width,
    formula_safe,
    media_type,
    xlsx_text_cell,
)

Cell = str | int | float | Decimal | date | None

CHUNK_BYTES = 64 * 1024  # what one yield carries
CSV_BATCH_ROWS = 500  # rows formatted before a CSV chunk is yielded
SPOOL_BYTES = 4 * 1024 * 1024  # an XLSX bigger than this is spooled to disk
MIN_WIDTH, MAX_WIDTH = 8.0, 60.0  # XLSX column widths, in characters

__all__ = [
    "Cell",
    "ExportTable",
    "TableLike",
    "content_disposition",
    "csv_chunks",
    "export_filename",
    "file_response",
    "xlsx_chunks",
    "xlsx_tables",
]


class TableLike(Protocol):
    """What the writers need of a table (app.sheets.files.Table fits too)."""

    @property
    def title(self) -> str: ...

    @property
    def header(self) -> Sequence[str]: ...

    @property
    def rows(self) -> Iterable[Sequence[Cell]]: ...


@dataclass(frozen=True)
class ExportTable:
    title: str  # the worksheet's name (cut to 31 characters, Excel's limit)
    header: Sequence[str]
    rows: Iterable[Sequence[Cell]]
    # Expected content width of each column in characters (a kanji counts 2); None or a
    # missing entry: as wide as the header.
    widths: Sequence[float | None] | None = None


def export_filename(kind: str, first_day: date, last_day: date, extension: str) -> str:
    """dekiru-sessions-2026-04-01_2027-03-31.csv"""
    return f"dekiru-{kind}-{first_day.isoformat()}_{last_day.isoformat()}.{extension}"


def file_response(chunks: Iterable[bytes], filename: str) -> Response:
    """The file as a download, never cached (it may hold personal data).

    The chunks are all written now, into a spooled temporary file, then sent from it.
    """
    # Closed by _sent once sent (or on error here): it outlives this function.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    try:
        for chunk in chunks:
            spool.write(chunk)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    extension = filename.rsplit(".", 1)[-1].lower()
    response = Response(
        _sent(spool),
        content_type=media_type("xlsx" if extension == "xlsx" else "csv"),
        headers={
            "Content-Disposition": content_disposition(filename),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
    response.content_length = size
    return response


def _sent(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := spool.read(CHUNK_BYTES):
            yield chunk
    finally:
        spool.close()


# ---------------------------------------------------------------- CSV


def _csv_text(value: Cell) -> Cell:
    if value is None:
        return ""
    if isinstance(value, str):
        return formula_safe(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_chunks(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], batch: int = CSV_BATCH_ROWS
) -> Iterator[bytes]:
    """UTF-8 with a BOM and CRLF, yielded every `batch` rows."""
    yield codecs.BOM_UTF8
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_text(v) for v in header])
    pending = 0
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
        pending += 1
        if pending >= batch or buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


# ---------------------------------------------------------------- XLSX

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str, taken: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub(" ", title).strip().strip("'")[:31] or "Sheet"
    name, number = base, 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(name.lower())
    return name


def _xlsx_cell(sheet, value: Cell) -> WriteOnlyCell | None:
    if value is None:
        return None
    if isinstance(value, bool):  # a bool is an int: say it in words instead
        value = str(value)
    if isinstance(value, str):
        return xlsx_text_cell(sheet, value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def _column_widths(table: TableLike) -> list[float]:
    expected = list(getattr(table, "widths", None) or [])
    widths = []
    for index, heading in enumerate(table.header):
        width = display_width(heading) + 2
        if index < len(expected) and expected[index]:
            width = max(width, float(expected[index]) + 2)
        widths.append(min(max(width, MIN_WIDTH), MAX_WIDTH))
    return widths


def _write_sheet(book: Workbook, table: TableLike, taken: set[str]) -> None:
    sheet = book.create_sheet(_sheet_title(table.title, taken))
    # In write-only mode these must be set before the first row is written.
    sheet.freeze_panes = "A2"
    for index, width in enumerate(_column_widths(table)):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.append([xlsx_text_cell(sheet, heading, bold=True) for heading in table.header])
    for row in table.rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])


def xlsx_tables(tables: Iterable[TableLike]) -> Iterator[bytes]:
    """One workbook with a sheet per table, in order, yielded in chunks once written.

    The rows are read when the first chunk is asked for (inside the streamed response).
    """
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        book = Workbook(write_only=True)
        taken: set[str] = set()
        for table in tables:
            _write_sheet(book, table, taken)
        if not taken:  # a workbook needs one sheet
            book.create_sheet("Sheet")
        book.save(spool)
        spool.seek(0)
        while chunk := spool.read(CHUNK_BYTES):
            yield chunk


def xlsx_chunks(table: TableLike) -> Iterator[bytes]:
    """A workbook of the one table."""
    return xlsx_tables([table])
