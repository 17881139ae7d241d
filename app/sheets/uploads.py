"""Reading an uploaded Signups file, XLSX or CSV, into its cells and its sign-up rows.

What a partner's Excel saves: an XLSX, or a CSV in UTF-8 (with or without a BOM) or
CP932, comma- or tab-separated. Anything else is refused with a message saying what to do,
never guessed at. The limits (size, unpacked size, lines, columns, rows) keep one small file
from occupying the server: each is checked while the file is read, before the rest is built.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock
from typing import Any

from flask_babel import gettext as _
from openpyxl import load_workbook

from app.sheets.signups import SignupRow, UnusableSheet
from app.sheets.signups import read_rows as read_signup_rows
from app.sheets.tables import SIGNUPS
from app.tabular import plain_filename

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000  # sign-up rows in one file; a bigger batch is split, not waited on
# Lines of the sheet, blank ones included: room for gaps between rows, none for the million
# empty rows a small file can declare (one cell in row 2,000,000 is a 5 KB XLSX).
MAX_LINES = 2 * MAX_ROWS
MAX_COLUMNS = 100
# What an XLSX's parts may add up to once unpacked (a zip's declared sizes; zipfile never
# unpacks more than it declares). 1000 sign-up rows take well under 1 MB.
MAX_UNPACKED_BYTES = 20 * 1024 * 1024


class UploadRefused(ValueError):
    """The file cannot be taken in; the message tells the partner what to do instead."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Upload:
    """A Signups file as read: its cells as text, and the sign-up rows found in them."""

    filename: str
    kind: str  # xlsx | csv
    sheet: str  # the worksheet read (XLSX) or the file's name (CSV), for messages
    grid: list[list[str]]
    positions: dict[str, int]
    rows: list[SignupRow]
    encoding: str | None = None  # CSV: utf-8-sig | utf-8 | cp932, written back the same way
    delimiter: str = ","


def read_upload(filename: str, data: bytes, size: int | None = None) -> Upload:
    """The sign-up rows of an XLSX or CSV file, or UploadRefused saying why not.

    `size` is the whole file's size when only its beginning was read.
    """
    name = plain_filename(filename or "")
    size = max(size or 0, len(data))
    if not data:
        raise UploadRefused(_("ファイルが空です。申込を入力したファイルを選んでください。"))
    if size > MAX_UPLOAD_BYTES:
        raise UploadRefused(
            _(
                "ファイルが大きすぎます(%(size)s)。%(limit)s までのファイルにしてください。",
                size=_megabytes(size),
                limit=_megabytes(MAX_UPLOAD_BYTES),
            )
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in ("xls", "xlsm", "xlsb", "ods", "numbers"):
        raise UploadRefused(
            _(
                "この形式(.%(ext)s)は読めません。Excelの「名前を付けて保存」で「Excel ブック(*.xlsx)」か「CSV」を選んで保存し直してください。",
                ext=extension,
            )
        )
    if data.startswith(b"PK\x03\x04"):
        sheet, grid = _xlsx_grid(data)
        kind, encoding, delimiter = "xlsx", None, ","
    elif extension == "xlsx":
        raise UploadRefused(_("XLSXファイルとして読めません。Excelで保存し直してください。"))
    elif extension in ("csv", "txt", ""):
        text, encoding = decode_csv(data)
        delimiter = _delimiter(text)
        sheet, grid, kind = name, _csv_grid(text, delimiter), "csv"
    else:
        raise UploadRefused(
            _("XLSXかCSVのファイルを選んでください(.%(ext)s は読めません)。", ext=extension)
        )
    try:
        positions, rows = read_signup_rows(grid, sheet)
    except UnusableSheet as exc:
        raise UploadRefused(str(exc)) from None
    if not rows:
        raise UploadRefused(
            _("「%(sheet)s」には申込の行がありません。2行目から入力してください。", sheet=sheet)
        )
    return Upload(name, kind, sheet, grid, positions, rows, encoding, delimiter)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def decode_csv(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) or Shift_JIS/CP932 as Japanese Excel saves it.

    Anything else is refused rather than guessed: a wrong guess would import names as
    mojibake. UTF-16 is told apart by its BOM or its zero bytes (which CP932 would accept).
    """
    refused = UploadRefused(
        _(
            "CSVの文字コードを読み取れません。Excelの「CSV UTF-8(コンマ区切り)」か「CSV(コンマ区切り)」で保存し直してください。"
        )
    )
    encodings: tuple[str, ...]
    if data.startswith(codecs.BOM_UTF8):
        encodings = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        raise refused
    else:
        encodings = ("utf-8", "cp932")
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise refused


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return "\t" if "\t" in first and "," not in first else ","


def _csv_grid(text: str, delimiter: str) -> list[list[str]]:
    grid: list[list[str]] = []
    filled = 0
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            grid.append(record)
            filled = _count_row(grid, record, filled)
    except csv.Error as exc:
        raise UploadRefused(
            _(
                "CSVの%(row)d行目を読めません(%(why)s)。Excelで保存し直してください。",
                row=len(grid) + 1,
                why=str(exc),
            )
        ) from None
    return grid


def _count_row(grid: list[list[str]], row: list[str], filled: int) -> int:
    """Rows with something in them below the header, refused past the limits."""
    if len(grid) > MAX_LINES:
        raise UploadRefused(
            _(
                "行が多すぎます(空の行も数えます)。%(max)d行目までに入力してください。",
                max=MAX_LINES,
            )
        )
    if len(grid) == 1 or not any(v.strip() for v in row):
        return filled
    if len(row) > MAX_COLUMNS and any(v.strip() for v in row[MAX_COLUMNS:]):
        raise UploadRefused(
            _(
                "%(row)d行目の列が多すぎます。%(max)d列までにしてください。",
                row=len(grid),
                max=MAX_COLUMNS,
            )
        )
    if filled + 1 > MAX_ROWS:
        raise UploadRefused(
            _(
                "行が多すぎます。一度に取り込めるのは%(max)d行までです。ファイルを分けてください。",
                max=MAX_ROWS,
            )
        )
    return filled + 1


def _unpacked_size(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist())


def _xlsx_grid(data: bytes) -> tuple[str, list[list[str]]]:
    try:
        unpacked = _unpacked_size(data)
    except (zipfile.BadZipFile, ValueError, OSError):
        unpacked = 0  # not a zip at all: the reader below says so
    if unpacked > MAX_UNPACKED_BYTES:
        raise UploadRefused(
            _(
                "ファイルの中身が大きすぎます(展開すると%(size)s)。%(limit)s までにしてください。",
                size=_megabytes(unpacked),
                limit=_megabytes(MAX_UNPACKED_BYTES),
            )
        )
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # whatever the reader trips on, the file is unreadable
        raise UploadRefused(
            _("XLSXファイルとして読めません。Excelで開けるか確かめて、保存し直してください。")
        ) from None
    try:
        sheets = [s for s in book.worksheets if hasattr(s, "iter_rows")]
        if not sheets:
            raise UploadRefused(_("XLSXファイルに表のシートがありません。"))
        sheet = book[SIGNUPS] if SIGNUPS in book.sheetnames else sheets[0]
        # The stored dimension may claim a million empty columns; read what is there.
        sheet.reset_dimensions()
        grid: list[list[str]] = []
        filled = 0
        try:
            # One line past the limit is enough to refuse; the rest is never built.
            for values in sheet.iter_rows(max_row=MAX_LINES + 1, values_only=True):
                row = [_xlsx_text(v) for v in values]
                while row and row[-1] == "":
                    row.pop()
                grid.append(row)
                filled = _count_row(grid, row, filled)
        except UploadRefused:
            raise
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError):
            raise UploadRefused(
                _(
                    "XLSXファイルのシート「%(sheet)s」を読めません。保存し直してください。",
                    sheet=sheet.title,
                )
            ) from None
        return sheet.title, grid
    finally:
        book.close()


def _xlsx_text(value: Any) -> str:
    """A cell as the text the partner sees: a date as 2026-04-01, 1950.0 as 1950."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == clock(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, clock):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
