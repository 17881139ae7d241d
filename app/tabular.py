"""Every table Dekiru hands out as a file: the CSV writer, the XLSX writer and the download.

A partner's sheets files (app.sheets) and the report exports (app.reports) go through here,
so every file reads the same way:

- CSV: UTF-8 with a BOM (so that Excel in Japan reads it as UTF-8, not Shift_JIS) and CRLF
  line ends; a text cell that Excel or LibreOffice would run as a formula (one starting with
  = + - @, a tab or a CR) gets a leading apostrophe. Yielded every few hundred rows.
- XLSX: a sheet per table, the header row bold and frozen (panes at A2), a str always a text
  cell (never a formula), numbers as numbers, dates as dates; the table's `text_columns`
  formatted '@' for the whole column, so that what a person types there later (090…) keeps
  its leading zero. Written by openpyxl's write-only mode into a spooled temporary file.
- The download (`file_response`): the whole file written while the view runs, then sent.

Rows are any iterable (a generator over a ``yield_per`` query): the writers hold one batch,
never the table. A cell is a str, an int/float/Decimal, a date, or None (empty).

Column widths follow ONE rule (`column_widths`): a column is as wide as the wider of its
header and its expected content, counted in display width (an East-Asian wide or full-width
character counts 2, since a kanji takes two columns on screen), plus 2, never narrower than
8 and never wider than 60. Why this rule: write-only mode must be told the widths before
the first row, and report rows stream from the database, so the content cannot be measured
first; a table says what to expect instead (`Table.widths`), declared by the code that knows
its columns or measured (`measured_widths`) when the rows are a list anyway (a partner's
tables). 8 is about Excel's own default column (8.43), so no column is narrower than in a
blank sheet; 60 keeps one long course title or refusal reason from pushing the rest of the
table off a laptop's screen. (Until this module, reports used this rule and sheets files
measured every cell within 10 to 50.)
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import tempfile
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO
from urllib.parse import quote

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import Cell as XlsxCell
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

Cell = str | int | float | Decimal | date | None

CHUNK_BYTES = 64 * 1024  # what one yield carries
CSV_BATCH_ROWS = 500  # rows formatted before a CSV chunk is yielded
SPOOL_BYTES = 4 * 1024 * 1024  # a file bigger than this is spooled to disk
MIN_WIDTH, MAX_WIDTH = 8.0, 60.0  # XLSX column widths, in characters
PADDING = 2  # characters of air beside a column's widest text

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Python's name of an encoding -> the charset a browser knows it by.
CSV_CHARSETS = {"utf-8-sig": "utf-8", "utf-8": "utf-8", "cp932": "windows-31j"}

# Excel and LibreOffice run a CSV cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet's name


@dataclass(frozen=True)
class Table:
    title: str  # the worksheet's name (cleaned and cut to 31 characters, Excel's limits)
    header: Sequence[str]
    rows: Iterable[Sequence[Cell]]
    # Expected content width of each column (display width); None or a missing entry: as
    # wide as the header.
    widths: Sequence[float | None] | None = None
    text_columns: Collection[int] = ()  # 0-based; formatted '@' in an XLSX


# ---------------------------------------------------------------- cells and widths


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def formula_safe(value: str) -> str:
    # A learner's name typed on the public page reaches the roster: never let it run.
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def column_widths(header: Sequence[str], expected: Sequence[float | None] | None) -> list[float]:
    """The one rule (see the top of this module), for every column of the header or beyond."""
    expected = list(expected or ())
    widths = []
    for index in range(max(len(header), len(expected))):
        heading = display_width(str(header[index])) if index < len(header) else 0
        content = (expected[index] or 0) if index < len(expected) else 0
        widths.append(min(max(max(heading, content) + PADDING, MIN_WIDTH), MAX_WIDTH))
    return widths


def measured_widths(
    rows: Iterable[Sequence[Cell]], at_least: Mapping[int, float] | None = None
) -> list[float]:
    """Expected widths of rows already in hand: each column's widest cell as it is written.

    `at_least` holds room for what the columns will get later (a refusal reason).
    """
    widths: list[float] = []
    for row in rows:
        widths.extend([0.0] * (len(row) - len(widths)))
        for index, value in enumerate(row):
            widths[index] = max(widths[index], display_width(_text(value)))
    for index, width in (at_least or {}).items():
        widths.extend([0.0] * (index + 1 - len(widths)))
        widths[index] = max(widths[index], width)
    return widths


# ---------------------------------------------------------------- CSV


def _csv_text(value: Cell) -> str:
    return formula_safe(value) if isinstance(value, str) else _text(value)


def csv_chunks(
    table: Table,
    *,
    encoding: str = "utf-8-sig",
    delimiter: str = ",",
    as_typed: bool = False,
    batch: int = CSV_BATCH_ROWS,
) -> Iterator[bytes]:
    """The header and rows as CSV, CRLF, yielded every `batch` rows (or CHUNK_BYTES).

    The keywords are for handing a partner's own file back the way it came
    (app.sheets.file_import): in its encoding (a character CP932 lacks becomes "?"), with its
    delimiter, its cells as typed, so that uploading it again reads the same. Every file of
    ours keeps the defaults.
    """
    encoder = codecs.getincrementalencoder(encoding)(errors="replace")
    cell = _text if as_typed else _csv_text
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([cell(v) for v in table.header])
    pending = 0
    for row in table.rows:
        writer.writerow([cell(v) for v in row])
        pending += 1
        if pending >= batch or buffer.tell() >= CHUNK_BYTES:
            yield encoder.encode(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if tail := encoder.encode(buffer.getvalue(), final=True):
        yield tail


# ---------------------------------------------------------------- XLSX


def _sheet_title(title: str, taken: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub(" ", title).strip().strip("'")[:31] or "Sheet"
    name, number = base, 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(name.lower())
    return name


def _xlsx_cell(
    sheet: WriteOnlyWorksheet, value: Cell, *, text: bool, bold: bool = False
) -> XlsxCell | None:
    if value is None:
        return None
    if isinstance(value, bool):  # a bool is an int: say it in words instead
        value = str(value)
    cell = WriteOnlyCell(sheet)
    cell.value = value  # (WriteOnlyCell's own value= is typed narrower than it takes)
    if isinstance(value, str):
        cell.data_type = "s"  # a string beginning with "=" would otherwise be a formula
        if text:
            cell.number_format = "@"
    elif isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    if bold:
        cell.font = Font(bold=True)
    return cell


def _write_sheet(book: Workbook, table: Table, taken: set[str]) -> None:
    sheet = book.create_sheet(_sheet_title(table.title, taken))
    text = set(table.text_columns)
    # In write-only mode these must be set before the first row is written.
    sheet.freeze_panes = "A2"
    for index, width in enumerate(column_widths(table.header, table.widths)):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    for index in sorted(text):
        sheet.column_dimensions[get_column_letter(index + 1)].number_format = "@"
    sheet.append(
        [
            _xlsx_cell(sheet, str(heading), text=index in text, bold=True)
            for index, heading in enumerate(table.header)
        ]
    )
    for row in table.rows:
        sheet.append([_xlsx_cell(sheet, v, text=index in text) for index, v in enumerate(row)])


def xlsx_chunks(*tables: Table) -> Iterator[bytes]:
    """One workbook with a sheet per table, in order, yielded in chunks once written.

    The rows are read when the first chunk is asked for. The workbook is written into a
    spooled temporary file (memory up to SPOOL_BYTES, disk beyond), never built in memory.
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


WRITERS: dict[str, Callable[[Table], Iterator[bytes]]] = {"csv": csv_chunks, "xlsx": xlsx_chunks}


def file_chunks(table: Table, extension: str) -> Iterator[bytes]:
    """The table as a file of this kind (csv | xlsx)."""
    return WRITERS[extension](table)


# ---------------------------------------------------------------- the download


def media_type(extension: str, encoding: str | None = None) -> str:
    if extension == "xlsx":
        return XLSX_TYPE
    return f"text/csv; charset={CSV_CHARSETS.get(encoding or 'utf-8-sig', 'utf-8')}"


def plain_filename(filename: str) -> str:
    """The name without folders or control characters (what a browser sent may have both)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if unicodedata.category(ch)[0] != "C") or "dekiru"


def content_disposition(filename: str) -> str:
    """An attachment header every browser reads: an ASCII name, and the real one (RFC 5987)."""
    name = plain_filename(filename)
    stem, dot, extension = name.rpartition(".") if "." in name else (name, "", "")
    ascii_stem = stem.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "")
    ascii_stem = ascii_stem.strip(" -_.")
    if not any(ch.isalnum() for ch in ascii_stem):  # an all-Japanese name: a plain stand-in
        ascii_stem = "dekiru"
    ascii_name = ascii_stem + dot + extension.encode("ascii", "ignore").decode()
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(
    chunks: Iterable[bytes], filename: str, content_type: str | None = None
) -> Response:
    """The file as a download, never cached (rosters and call lists hold personal data).

    The chunks are all written now, into a spooled temporary file (memory up to SPOOL_BYTES,
    disk beyond), then sent from it. So the rows are read while the request's database
    session, user and language are there (nothing runs after the view returned), a failure
    half-way is an error page rather than a cut-off file that looks complete, and the
    response has a Content-Length. `content_type` defaults to the one of the extension.
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
    response = Response(
        _sent(spool),
        content_type=content_type or media_type(filename.rsplit(".", 1)[-1].lower()),
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
