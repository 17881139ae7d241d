"""A filled Signups file taken in: each row's fate previewed, the import for real, the result
file handed back, and the file carried signed between those steps.

An uploaded file (app.sheets.uploads) goes through the same import as the Google Sheets sync
(app.sheets.signups.import_rows), with the same checks and the same memory of rows already
imported, so uploading a file twice imports nothing the second time.

It is looked at twice: first in a dry run, to show each row's fate before anything is
written, then for real. Between the two steps the file travels with the page, signed and
time-limited (never in a temporary file on the server, where it could reach someone else),
and the result file (the table with its status column filled) travels the same way.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.curricula.models import CourseVersion
from app.errors import NotFound
from app.extensions import db
from app.orgs.models import Organization
from app.people.models import Registration
from app.scheduling.models import Session
from app.sheets.formats import REASON_WIDTH
from app.sheets.models import SyncRun
from app.sheets.signups import ImportResult, SignupRow, import_rows, match_note
from app.sheets.tables import SIGNUP_COLUMNS, SIGNUP_TEXT_COLUMNS, registration_status_text
from app.sheets.uploads import Upload, UploadRefused
from app.tabular import Table, csv_chunks, measured_widths, xlsx_chunks
from app.timeutil import local, utcnow
from app.transaction import atomic, dry_run

UPLOAD_MAX_AGE = 60 * 60  # seconds between the preview and the confirmation
RESULT_MAX_AGE = 24 * 60 * 60
# Werkzeug refuses a multipart text field over 500 kB by default (MAX_FORM_MEMORY_SIZE), so
# a signed file rides in several fields of this size, in a multipart form.
FIELD_CHUNK = 400_000
STATUS_HEADER = SIGNUP_COLUMNS[-1].header


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


def _registrations(ids: Iterable[int | None]) -> dict[int | None, tuple[str | None, str]]:
    """Each registration's status and its session in words, in one query."""
    known = {i for i in ids if i is not None}
    if not known:
        return {}
    found = db.session.scalars(
        sa.select(Registration)
        .options(
            joinedload(Registration.session)
            .joinedload(Session.course_version)
            .joinedload(CourseVersion.course),
            joinedload(Registration.session).joinedload(Session.venue),
        )
        .where(Registration.id.in_(known))
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
