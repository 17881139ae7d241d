"""The partner's three tables as XLSX and CSV files, and a filled Signups file taken back in.

For partners without Google: the rows are the very rows the Google Sheets sync writes
(app.sheets.tables), and an uploaded Signups file goes through the same import
(app.sheets.signups.import_rows) with the same checks and the same memory of rows already
imported, so uploading a file twice imports nothing the second time.

An upload is looked at twice: first in a dry run, to show each row's fate before anything is
written, then for real. Between the two steps the file travels with the page, signed and
time-limited (never in a temporary file on the server, where it could reach someone else),
and the result file (the table with its status column filled) travels the same way.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import csv
import io
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from openpyxl import load_workbook
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.curricula.models import CourseVersion
from app.errors import NotFound
from app.extensions import db
from app.orgs.models import Organization
from app.people.models import Registration
from app.scheduling.models import Session
from app.sheets.models import SyncRun
from app.sheets.signups import ImportResult, SignupRow, UnusableSheet, import_rows, match_note
from app.sheets.signups import read_rows as read_signup_rows
from app.sheets.tables import (
    CLASSES,
    CLASSES_HEADER,
    ROSTER,
    ROSTER_HEADER,
    SIGNUP_COLUMNS,
    SIGNUP_TEXT_COLUMNS,
    SIGNUPS,
    SIGNUPS_HEADER,
    classes_rows,
    org_sessions,
    registration_status_text,
)
from app.sheets.tables import roster_rows as roster_table_rows
from app.tabular import Table, csv_chunks, measured_widths, plain_filename, xlsx_chunks
from app.timeutil import japan_today, local, utcnow
from app.transaction import atomic, dry_run

TABLES = {"classes": CLASSES, "roster": ROSTER, "signups": SIGNUPS}
FORMATS = ("xlsx", "csv")

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000  # sign-up rows in one file; a bigger batch is split, not waited on
# Lines of the sheet, blank ones included: room for gaps between rows, none for the million
# empty rows a small file can declare (one cell in row 2,000,000 is a 5 KB XLSX).
MAX_LINES = 2 * MAX_ROWS
MAX_COLUMNS = 100
# What an XLSX's parts may add up to once unpacked (a zip's declared sizes; zipfile never
# unpacks more than it declares). 1000 sign-up rows take well under 1 MB.
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
UPLOAD_MAX_AGE = 60 * 60  # seconds between the preview and the confirmation
RESULT_MAX_AGE = 24 * 60 * 60
# Werkzeug refuses a multipart text field over 500 kB by default (MAX_FORM_MEMORY_SIZE), so
# a signed file rides in several fields of this size, in a multipart form.
FIELD_CHUNK = 400_000

STATUS_HEADER = SIGNUP_COLUMNS[-1].header
SIGNUP_TEXT_INDEXES = tuple(i for i, c in enumerate(SIGNUP_COLUMNS) if c.key in SIGNUP_TEXT_COLUMNS)
ROSTER_TEXT_INDEXES = (ROSTER_HEADER.index("電話番号"),)
STATUS_INDEX = len(SIGNUPS_HEADER) - 1
# Room in the status column for a refusal reason, which the upload's result file writes there.
REASON_WIDTH = 40.0


class UploadRefused(ValueError):
    """The file cannot be taken in; the message tells the partner what to do instead."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- downloads


def table_for(org: Organization, name: str) -> Table:
    """The same rows the Google Sheets sync writes; Signups is the empty form to fill in."""
    if name == "signups":
        return Table(
            SIGNUPS,
            SIGNUPS_HEADER,
            [],
            widths=measured_widths([], at_least={STATUS_INDEX: REASON_WIDTH}),
            text_columns=SIGNUP_TEXT_INDEXES,
        )
    sessions = org_sessions(org)
    if name == "classes":
        rows = classes_rows(sessions)
        return Table(CLASSES, CLASSES_HEADER, rows, widths=measured_widths(rows))
    rows = roster_table_rows(sessions)
    return Table(
        ROSTER,
        ROSTER_HEADER,
        rows,
        widths=measured_widths(rows),
        text_columns=ROSTER_TEXT_INDEXES,
    )


def download_name(org: Organization, table: str, fmt: str) -> str:
    return f"dekiru-{org.slug}-{table}-{japan_today().isoformat()}.{fmt}"


# ---------------------------------------------------------------- reading an upload


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
    except Exception:  # noqa: BLE001 — whatever the reader trips on, the file is unreadable
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


# ---------------------------------------------------------------- each row's fate


@dataclass
class RowFate:
    number: int
    name: str
    furigana: str
    session: str
    fate: str
    kind: str  # registered | waitlisted | refused | done


@dataclass
class Fates:
    rows: list[RowFate] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for r in self.rows if r.kind == kind)

    @property
    def to_import(self) -> int:
        return self.count("registered") + self.count("waitlisted")


def _session_text(session: Session) -> str:
    start = local(session.starts_at)
    return (
        f"{start:%Y-%m-%d %H:%M} {session.course_version.title_ja}"
        f"({session.venue.name}・{_('講座ID')} {session.id})"
    )


def _typed_session(row: SignupRow) -> str:
    if row.values.get("session_id"):
        return f"{_('講座ID')} {row.values['session_id']}"
    return " ".join(v for v in (row.values.get(k, "") for k in ("date", "venue", "course")) if v)


def _registrations(ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Each registration's status and its session in words, in one query."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    found = db.session.scalars(
        sa.select(Registration)
        .options(
            joinedload(Registration.session)
            .joinedload(Session.course_version)
            .joinedload(CourseVersion.course),
            joinedload(Registration.session).joinedload(Session.venue),
        )
        .where(Registration.id.in_(ids))
    ).unique()
    return {reg.id: (reg.status, _session_text(reg.session)) for reg in found}


def _fates(upload: Upload, result: ImportResult, *, preview: bool) -> Fates:
    registrations = _registrations(o.registration_id for o in result.outcomes)
    by_number = {row.number: row for row in upload.rows}
    fates = Fates()
    for outcome in result.outcomes:
        row = by_number[outcome.number]
        status, session = registrations.get(outcome.registration_id, (None, _typed_session(row)))
        if outcome.refused:
            kind, fate = "refused", outcome.status_text
        elif outcome.imported:
            kind = status or "registered"
            # A preview's registration ids are rolled back: say what will happen, not which id.
            fate = registration_status_text(kind) if preview else outcome.status_text
            if preview and outcome.awaits_match:
                fate += match_note()
        else:
            kind, fate = "done", _("取り込み済み(%(status)s)", status=outcome.status_text)
        fates.rows.append(
            RowFate(
                outcome.number,
                row.values.get("name", ""),
                row.values.get("furigana", ""),
                session,
                fate,
                kind,
            )
        )
    return fates


def preview(org: Organization, upload: Upload, actor: User | None) -> Fates:
    """What confirming would do to each row, computed by the real import and rolled back."""
    with dry_run():
        result = import_rows(org, upload.rows, actor)
        return _fates(upload, result, preview=True)


# ---------------------------------------------------------------- the import for real


@dataclass
class FileImport:
    run: SyncRun
    fates: Fates
    result_file: bytes
    result_name: str


def _lock_org(org: Organization) -> None:
    # Two confirmations of one organization (a double click) take turns, so the second sees
    # the first's imported rows instead of colliding with them.
    db.session.execute(
        sa.update(Organization).where(Organization.id == org.id).values(id=Organization.id)
    )


@atomic
def _import(org: Organization, upload: Upload, actor: User | None) -> tuple[SyncRun, ImportResult]:
    started = time.monotonic()
    _lock_org(org)
    run = SyncRun(
        org_id=org.id,
        kind="file",
        trigger="upload",
        started_by_id=actor.id if actor else None,
        outcome="running",
    )
    db.session.add(run)
    db.session.flush()
    result = import_rows(org, upload.rows, actor, sync_run_id=run.id)
    run.finished_at = utcnow()
    run.outcome = "ok"
    run.rows_imported = result.imported
    run.rows_refused = len(result.refused)
    run.refusals = [{"row": o.number, "reason": o.status_text} for o in result.refused]
    run.api_calls = 0
    run.duration_ms = int((time.monotonic() - started) * 1000)
    return run, result


@atomic
def _record_failure(org: Organization, actor: User | None) -> SyncRun:
    run = SyncRun(
        org_id=org.id,
        kind="file",
        trigger="upload",
        started_by_id=actor.id if actor else None,
        finished_at=utcnow(),
        outcome="failed",
        error=_("ファイルの取り込み中にエラーが起きました。何も取り込まれていません。"),
    )
    db.session.add(run)
    db.session.flush()
    return run


def import_upload(org: Organization, upload: Upload, actor: User | None) -> FileImport:
    """Import the rows for real and log it as a file run; the result file has every status."""
    try:
        run, result = _import(org, upload, actor)
    except Exception:
        _record_failure(org, actor)
        raise
    fates = _fates(upload, result, preview=False)
    statuses = {o.number: o.status_text for o in result.outcomes}
    return FileImport(run, fates, result_file(upload, statuses), result_name(upload))


def get_file_run(org: Organization, run_id: int) -> SyncRun:
    run = db.session.scalar(
        sa.select(SyncRun).where(
            SyncRun.id == run_id, SyncRun.org_id == org.id, SyncRun.kind == "file"
        )
    )
    if run is None:
        raise NotFound(_("取り込みの記録(ID %(id)s)は見つかりません。", id=run_id))
    return run


# ---------------------------------------------------------------- the result file


def result_grid(upload: Upload, statuses: dict[int, str]) -> list[list[str]]:
    """The uploaded table as it was, with each row's status in the status column."""
    grid = [list(row) for row in upload.grid]
    column = upload.positions.get("status")
    if column is None:  # the partner removed the status column: it comes back at the end
        column = len(grid[0])
        grid[0].append(STATUS_HEADER)
    for number, text in statuses.items():
        row = grid[number - 1]
        row.extend([""] * (column + 1 - len(row)))
        row[column] = text
    return grid


def result_file(upload: Upload, statuses: dict[int, str]) -> bytes:
    grid = result_grid(upload, statuses)
    if upload.kind == "csv":
        # The partner's own file back as it came: their encoding and delimiter, cells as typed.
        table = Table(upload.sheet, grid[0], grid[1:])
        chunks = csv_chunks(
            table,
            encoding=upload.encoding or "utf-8-sig",
            delimiter=upload.delimiter,
            as_typed=True,
        )
        return b"".join(chunks)
    text = [upload.positions[k] for k in SIGNUP_TEXT_COLUMNS if k in upload.positions]
    status = upload.positions.get("status", len(upload.grid[0]))
    widths = measured_widths(grid, at_least={status: REASON_WIDTH})
    table = Table(upload.sheet, grid[0], grid[1:], widths=widths, text_columns=text)
    return b"".join(xlsx_chunks(table))


def result_name(upload: Upload) -> str:
    stem = upload.filename.rsplit(".", 1)[0] if "." in upload.filename else upload.filename
    return f"{stem or 'signups'}-{_('取り込み結果')}.{upload.kind}"


# ---------------------------------------------------------------- a file carried between steps


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"dekiru.files.{purpose}")


def seal(purpose: str, data: bytes, **claims: Any) -> list[str]:
    """The file and who it belongs to, signed, as form fields no larger than FIELD_CHUNK."""
    token = _serializer(purpose).dumps({**claims, "data": base64.b64encode(data).decode("ascii")})
    return [token[i : i + FIELD_CHUNK] for i in range(0, len(token), FIELD_CHUNK)]


def unseal(purpose: str, parts: list[str], max_age: int, **claims: Any) -> dict[str, Any]:
    """The signed content back, if it is intact, recent and was made for these claims."""
    try:
        payload = _serializer(purpose).loads("".join(parts), max_age=max_age)
    except SignatureExpired:
        raise UploadRefused(
            _(
                "時間がたったため、このファイルは使えなくなりました。もう一度アップロードしてください。"
            )
        ) from None
    except BadSignature:
        raise UploadRefused(
            _("ファイルを受け取れませんでした。もう一度アップロードしてください。")
        ) from None
    if any(payload.get(k) != v for k, v in claims.items()):
        raise UploadRefused(_("ファイルを受け取れませんでした。もう一度アップロードしてください。"))
    try:
        payload["data"] = base64.b64decode(payload["data"], validate=True)
    except (KeyError, binascii.Error):
        raise UploadRefused(
            _("ファイルを受け取れませんでした。もう一度アップロードしてください。")
        ) from None
    return payload
