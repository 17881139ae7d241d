"""Keeping a partner's Google Sheet in step with Dekiru.

A sync makes a constant number of Sheets API calls whatever the number of rows:
metadata (1), one batched read of the three worksheets (1), at most one structural
batchUpdate (new worksheets, more rows, plain-text columns), and at most one values
batchUpdate that writes everything that changed. Values are written RAW, so phone numbers
keep their leading zero and dates are not reinterpreted; cells are read as formatted text.

Sign-ups are imported in one transaction before anything is written back, and each
imported row is remembered by its content, so a sync that fails while writing is completed
by the next one without importing anything twice.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from google.auth.exceptions import GoogleAuthError
from gspread.exceptions import APIError
from requests import RequestException

from app.auth.models import User
from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.orgs.models import Organization
from app.sheets.http import client_for, http_client_of
from app.sheets.models import SheetLink, SyncRun
from app.sheets.signups import ImportResult, UnusableSheet, import_rows, read_rows
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
    roster_rows,
)
from app.timeutil import utcnow
from app.transaction import atomic, dry_run, rowcount

LOCK_TIMEOUT = timedelta(minutes=15)  # longer than any sync; a lock this old is abandoned
_KEY_IN_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")
_KEY = re.compile(r"^[A-Za-z0-9_-]{10,128}$")
OWNED = (CLASSES, ROSTER, SIGNUPS)


class SyncError(Exception):
    """A sync could not be completed; the message says why in words a partner understands."""


# ---------------------------------------------------------------- linking


def spreadsheet_key(text: str) -> str:
    """The key from a spreadsheet's URL, or the key itself."""
    value = (text or "").strip()
    if value.startswith(("http://", "https://")):
        match = _KEY_IN_URL.search(urlparse(value).path)
        value = match.group(1) if match else ""
    if not _KEY.match(value):
        raise ValidationError(
            _("スプレッドシートのURLかキーを確認してください。"),
            fields={
                "spreadsheet": _(
                    "https://docs.google.com/spreadsheets/d/…/edit の形のURLか、その…の部分を入力してください。"
                )
            },
        )
    return value


@atomic
def link_sheet(org: Organization, text: str, actor: User | None = None) -> SheetLink:
    key = spreadsheet_key(text)
    taken = db.session.scalar(
        sa.select(SheetLink.id).where(SheetLink.spreadsheet_key == key, SheetLink.org_id != org.id)
    )
    if taken is not None:
        # Two organizations syncing one sheet would write each other's rosters into it. Whose
        # it is stays unsaid: the key may have been guessed or copied from someone else.
        raise ValidationError(
            _("このスプレッドシートはつなげません。"),
            fields={
                "spreadsheet": _(
                    "このスプレッドシートは別の団体につながっています。この団体用に新しいスプレッドシートを作ってください。"
                )
            },
        )
    link = db.session.scalar(sa.select(SheetLink).where(SheetLink.org_id == org.id))
    if link is None:
        link = SheetLink(org_id=org.id, spreadsheet_key=key)
        db.session.add(link)
    link.spreadsheet_key = key
    link.linked_at = utcnow()
    link.linked_by_id = actor.id if actor else None
    db.session.flush()
    return link


def link_of(org: Organization) -> SheetLink | None:
    return db.session.scalar(sa.select(SheetLink).where(SheetLink.org_id == org.id))


# ---------------------------------------------------------------- one lock per organization


def _take_lock(link: SheetLink, owner: str | None = None) -> str:
    """The organization's sync lock. `owner` names a job: that job run again (its worker was
    killed holding the lock) takes its own lock back at once instead of waiting it out."""
    token = owner or secrets.token_hex(16)
    now = utcnow()
    taken = rowcount(
        db.session.execute(
            sa.update(SheetLink)
            .where(
                SheetLink.id == link.id,
                sa.or_(
                    SheetLink.lock_token.is_(None),
                    SheetLink.lock_token == token,
                    SheetLink.locked_at < now - LOCK_TIMEOUT,
                ),
            )
            .values(lock_token=token, locked_at=now)
        )
    )
    if taken:
        # Holding the lock, no other sync of the organization runs: a run still marked
        # running was cut short (its process killed), and the log must not say it goes on.
        db.session.execute(
            sa.update(SyncRun)
            .where(
                SyncRun.org_id == link.org_id,
                SyncRun.kind == "sheets",
                SyncRun.outcome == "running",
            )
            .values(
                outcome="failed",
                finished_at=now,
                error=_("同期の途中で処理が止まりました。あとの同期で続きを行います。"),
            )
        )
    db.session.commit()
    if not taken:
        raise Conflict(
            "sync_running",
            _("この団体の同期は実行中です。終わってからもう一度お試しください。"),
        )
    return token


def _release_lock(link: SheetLink, token: str) -> None:
    db.session.execute(
        sa.update(SheetLink)
        .where(SheetLink.id == link.id, SheetLink.lock_token == token)
        .values(lock_token=None, locked_at=None)
    )
    db.session.commit()


# ---------------------------------------------------------------- what a sync did


@dataclass
class SyncReport:
    org_slug: str
    dry_run: bool = False
    outcome: str = "ok"
    rows_pushed: int = 0
    rows_imported: int = 0
    refusals: list[dict[str, Any]] = field(default_factory=list)
    api_calls: int = 0
    duration_ms: int = 0
    error: str | None = None
    created_worksheets: list[str] = field(default_factory=list)
    run_id: int | None = None
    # A failure a later attempt may mend (the network, Google's 429 or 5xx): the job retries it.
    retry: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "org": self.org_slug,
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "outcome": self.outcome,
            "rows_pushed": self.rows_pushed,
            "rows_imported": self.rows_imported,
            "rows_refused": len(self.refusals),
            "refusals": self.refusals,
            "created_worksheets": self.created_worksheets,
            "api_calls": self.api_calls,
            "duration_ms": self.duration_ms,
            "error": self.error,
        }


# ---------------------------------------------------------------- the sync


def _client():
    config = current_app.config
    token = config.get("SHEETS_ACCESS_TOKEN")
    credentials = config.get("SHEETS_CREDENTIALS")
    if not token and not credentials:
        raise SyncError(
            _(
                "Google Sheets の認証情報がありません。SHEETS_CREDENTIALS か SHEETS_ACCESS_TOKEN を設定してください。"
            )
        )
    try:
        return client_for(
            config.get("SHEETS_API_URL") or "https://sheets.googleapis.com",
            token=token,
            credentials_file=credentials,
            max_attempts=config.get("SHEETS_MAX_ATTEMPTS", 5),
            backoff_base=config.get("SHEETS_BACKOFF_BASE", 0.5),
        )
    except (OSError, ValueError, GoogleAuthError) as exc:
        # Only the service-account file can fail here: missing, unreadable, not a key file.
        raise SyncError(
            _(
                "SHEETS_CREDENTIALS のファイル %(path)s を読めませんでした。Google Cloud でダウンロードしたサービスアカウントの JSON キーを指定してください。(%(why)s)",
                path=credentials,
                why=exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc),
            )
        ) from exc


def _a1(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _grid(values: list[list[Any]] | None) -> list[list[str]]:
    return [[("" if c is None else str(c)) for c in row] for row in (values or [])]


def _same(current: list[list[str]], wanted: list[list[str]]) -> bool:
    def trimmed(grid):
        rows = [list(r) for r in grid]
        for row in rows:
            while row and row[-1] == "":
                row.pop()
        while rows and not rows[-1]:
            rows.pop()
        return rows

    return trimmed(current) == trimmed(wanted)


def _table_update(title: str, header: list[str], rows: list[list[str]], current: list[list[str]]):
    """The values write for an owned table, padded with blanks over rows no longer there."""
    wanted = [header, *rows]
    if _same(current, wanted):
        return None, 0
    width = max(len(header), *(len(r) for r in current)) if current else len(header)
    padded = [row + [""] * (width - len(row)) for row in wanted]
    padded += [[""] * width] * max(0, len(current) - len(wanted))
    end = f"{_column(width - 1)}{len(padded)}"
    return {"range": f"{_a1(title)}!A1:{end}", "values": padded}, len(rows)


# Set while a sync writes: what it imports is not a partner's change to sync again.
syncing: ContextVar[bool] = ContextVar("sheets_syncing", default=False)


def sync_org(
    org: Organization,
    *,
    actor: User | None = None,
    trigger: str = "cli",
    dry: bool = False,
    owner: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> SyncReport:
    """Push Classes and Roster, pull new Signups; never two at once for one organization.

    `owner` names the job running it (its lock); `on_step` hears how far it got."""
    link = link_of(org)
    if link is None:
        raise NotFound(
            _("%(org)s にはスプレッドシートがつながっていません。", org=org.name), code="not_linked"
        )
    report = SyncReport(org.slug, dry_run=dry)
    started = time.monotonic()
    lock = None if dry else _take_lock(link, owner)
    run = None
    if not dry:
        run = SyncRun(org_id=org.id, trigger=trigger, started_by_id=actor.id if actor else None)
        db.session.add(run)
        db.session.commit()
        report.run_id = run.id
    http = None
    syncing_token = syncing.set(True)
    step = on_step or (lambda _text: None)
    try:
        client = _client()
        http = http_client_of(client)
        if run is None:  # dry
            with dry_run():
                _sync(org, link, http, actor, report, run_id=None, write=False, step=step)
        else:
            _sync(org, link, http, actor, report, run_id=run.id, write=True, step=step)
    except (
        APIError,
        SyncError,
        UnusableSheet,
        ValueError,
        RequestException,
        GoogleAuthError,
    ) as exc:
        db.session.rollback()
        report.outcome = "failed"
        report.error = _describe_failure(exc)
        report.retry = _may_mend(exc)
    except Exception as exc:
        # A bug, not a fault of Sheets: the log must not say "ok", and the traceback must show.
        db.session.rollback()
        report.outcome = "failed"
        report.error = _("同期が予期しないエラーで止まりました: %(error)s", error=repr(exc))
        raise
    finally:
        syncing.reset(syncing_token)
        report.api_calls = http.calls if http is not None else 0
        report.duration_ms = int((time.monotonic() - started) * 1000)
        if run is not None:
            _finish(run, report)
        if lock is not None:
            _release_lock(link, lock)
    return report


def _may_mend(exc: Exception) -> bool:
    """Whether trying again later may succeed: the network, Google busy or failing (429,
    5xx). Not a sheet that is missing or not shared, nor missing credentials."""
    if isinstance(exc, RequestException):
        return True
    code = getattr(exc, "code", None) if isinstance(exc, APIError) else None
    return code is not None and (code == 429 or code >= 500)


def _describe_failure(exc: Exception) -> str:
    if isinstance(exc, APIError):
        code = getattr(exc, "code", None)
        if code in (401, 403):
            return _(
                "スプレッドシートを開けませんでした(%(code)s)。サービスアカウントのメールアドレスに編集者として共有してください。",
                code=code,
            )
        if code == 404:
            return _("スプレッドシートが見つかりません(404)。URLかキーを確認してください。")
        return _(
            "Google Sheets がエラーを返しました(%(code)s): %(message)s", code=code, message=str(exc)
        )
    if isinstance(exc, RequestException):
        return _(
            "Google Sheets(%(url)s)に接続できませんでした。ネットワークを確かめて、もう一度お試しください。(%(why)s)",
            url=current_app.config.get("SHEETS_API_URL") or "https://sheets.googleapis.com",
            why=type(exc).__name__,
        )
    if isinstance(exc, GoogleAuthError):
        return _(
            "Google の認証に失敗しました。SHEETS_CREDENTIALS のサービスアカウントを確かめてください。(%(why)s)",
            why=str(exc),
        )
    return str(exc)


def _finish(run: SyncRun, report: SyncReport) -> None:
    run = db.session.get_one(SyncRun, run.id)
    run.finished_at = utcnow()
    run.outcome = report.outcome
    run.rows_pushed = report.rows_pushed
    run.rows_imported = report.rows_imported
    run.rows_refused = len(report.refusals)
    run.refusals = report.refusals
    run.api_calls = report.api_calls
    run.duration_ms = report.duration_ms
    run.error = report.error
    db.session.commit()


def _sync(org, link, http, actor, report: SyncReport, *, run_id, write: bool, step) -> None:
    key = link.spreadsheet_key
    step(_("シートを読んでいます"))
    meta = http.fetch_sheet_metadata(key)
    sheets = {s["properties"]["title"]: s["properties"] for s in meta.get("sheets", [])}
    present = [t for t in OWNED if t in sheets]
    grids: dict[str, list[list[str]]] = {t: [] for t in OWNED}
    if present:
        answer = http.values_batch_get(
            key,
            [_a1(t) for t in present],
            params={"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"},
        )
        for title, value_range in zip(present, answer.get("valueRanges", []), strict=False):
            grids[title] = _grid(value_range.get("values"))

    # Pull: the sign-ups, in one transaction, before anything is written back.
    step(_("申込を取り込んでいます"))
    status_cells: list[dict[str, Any]] = []
    signups_header = None
    if SIGNUPS in sheets and grids[SIGNUPS]:
        positions, rows = read_rows(grids[SIGNUPS], SIGNUPS)
        result: ImportResult = import_rows(org, rows, actor, sync_run_id=run_id)
        report.rows_imported = result.imported
        report.refusals = [{"row": o.number, "reason": o.status_text} for o in result.refused]
        status_index = positions.get("status")
        if status_index is None:  # the partner removed the status column: add it at the end
            status_index = len(grids[SIGNUPS][0])
            status_cells.append(_cell(SIGNUPS, 1, status_index, SIGNUP_COLUMNS[-1].header))
        by_number = {r.number: r for r in rows}
        status_cells.extend(
            _cell(SIGNUPS, outcome.number, status_index, outcome.status_text)
            for outcome in result.outcomes
            if by_number[outcome.number].status != outcome.status_text
        )
    else:  # no Signups worksheet yet, or an empty one: give it its header
        signups_header = {"range": f"{_a1(SIGNUPS)}!A1", "values": [SIGNUPS_HEADER]}

    # Push: Classes and Roster, each written only when its content changed.
    sessions = org_sessions(org)
    updates = []
    for title, header, table in (
        (CLASSES, CLASSES_HEADER, classes_rows(sessions)),
        (ROSTER, ROSTER_HEADER, roster_rows(sessions)),
    ):
        update, pushed = _table_update(title, header, table, grids[title])
        if update is not None:
            updates.append(update)
            report.rows_pushed += pushed
    if signups_header:
        updates.append(signups_header)
    updates.extend(status_cells)

    structure = _structure(sheets, updates, report)
    if not write:
        return
    step(_("シートに書き出しています"))
    if structure:
        http.batch_update(key, {"requests": structure})
    if updates:
        http.values_batch_update(key, {"valueInputOption": "RAW", "data": updates})


def _cell(title: str, row: int, column: int, value: str) -> dict[str, Any]:
    return {"range": f"{_a1(title)}!{_column(column)}{row}", "values": [[value]]}


_RANGE = re.compile(r"!(?:[A-Z]+\d+:)?([A-Z]+)(\d+)$")


def _extent(update: dict[str, Any]) -> tuple[int, int]:
    """The last row and column (1-based) a values write reaches."""
    match = _RANGE.search(update["range"])
    assert match is not None, update["range"]  # every range here is made by _cell or _table_update
    letters, row = match.group(1), int(match.group(2))
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch) - 64
    return row, column


def _structure(sheets: dict[str, dict], updates: list[dict], report: SyncReport) -> list[dict]:
    """New worksheets, bigger grids, and plain-text sign-up columns: one batchUpdate."""
    needed: dict[str, tuple[int, int]] = {}
    for update in updates:
        title = update["range"].split("!")[0].strip("'").replace("''", "'")
        rows, columns = _extent(update)
        have = needed.get(title, (0, 0))
        needed[title] = (max(have[0], rows), max(have[1], columns))
    requests: list[dict] = []
    next_id = max((p.get("sheetId", 0) for p in sheets.values()), default=0) + 1
    for title in OWNED:
        rows, columns = needed.get(title, (0, 0))
        if title not in sheets:
            sheet_id = next_id
            next_id += 1
            report.created_worksheets.append(title)
            requests.append(
                {
                    "addSheet": {
                        "properties": {
                            "sheetId": sheet_id,
                            "title": title,
                            "gridProperties": {
                                "rowCount": max(rows + 100, 1000),
                                "columnCount": max(columns, 26),
                                "frozenRowCount": 1,
                            },
                        }
                    }
                }
            )
            if title == SIGNUPS:
                requests.extend(_text_columns(sheet_id))
            continue
        grid = sheets[title].get("gridProperties", {})
        if rows > grid.get("rowCount", 1000) or columns > grid.get("columnCount", 26):
            requests.append(
                {
                    "updateSheetProperties": {
                        "properties": {
                            "sheetId": sheets[title]["sheetId"],
                            "gridProperties": {
                                "rowCount": max(rows + 100, grid.get("rowCount", 1000)),
                                "columnCount": max(columns, grid.get("columnCount", 26)),
                            },
                        },
                        "fields": "gridProperties.rowCount,gridProperties.columnCount",
                    }
                }
            )
    return requests


def _text_columns(sheet_id: int) -> list[dict]:
    """Phone and birth-year columns as plain text: a typed 090… keeps its zero."""
    requests = []
    for index, column in enumerate(SIGNUP_COLUMNS):
        if column.key in SIGNUP_TEXT_COLUMNS:
            requests.append(
                {
                    "repeatCell": {
                        "range": {
                            "sheetId": sheet_id,
                            "startRowIndex": 1,
                            "startColumnIndex": index,
                            "endColumnIndex": index + 1,
                        },
                        "cell": {"userEnteredFormat": {"numberFormat": {"type": "TEXT"}}},
                        "fields": "userEnteredFormat.numberFormat",
                    }
                }
            )
    return requests


def linked_orgs(slug: str | None = None) -> list[Organization]:
    query = sa.select(Organization).join(SheetLink, SheetLink.org_id == Organization.id)
    if slug:
        query = query.where(Organization.slug == slug)
    return list(db.session.scalars(query.order_by(Organization.slug)))
