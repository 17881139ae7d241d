"""Sign-ups a partner typed (in its Google Sheet, or an XLSX/CSV file): read, check, import.

Each row's fate is written back next to it in plain Japanese: `登録済 R-123`,
`キャンセル待ち R-124`, or why it was refused. A row already imported is recognised by its
content (SignupImport.fingerprint) and never imported twice, so a sync that failed after
importing, or a file uploaded twice, changes nothing the second time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import User
from app.curricula.models import CourseVersion
from app.errors import Conflict, ValidationError
from app.extensions import db
from app.orgs.models import Organization
from app.parsing import furigana_key, phone_digits
from app.people import learners, matches, registration
from app.people.models import Learner, MatchSource, RegistrationSource
from app.people.privacy import org_visibility
from app.scheduling.models import Session, SessionStatus, Venue
from app.sheets.models import SignupImport
from app.sheets.tables import SIGNUP_COLUMNS, registration_status_text
from app.text import clean
from app.timeutil import local_day_bounds
from app.transaction import atomic

_HEADER_NOISE = re.compile(r"[\s_\-()()・/]")
DONE_PREFIXES = ("登録済", "キャンセル待ち")


class UnusableSheet(ValueError):
    """The table cannot be read without guessing; the message names the sheet and header."""


def _header_key(text: str) -> str:
    return _HEADER_NOISE.sub("", clean(text).lower())


def read_header(header: list[str], sheet: str) -> dict[str, int]:
    """Column index of each known column, found by its header (any order, extra columns fine)."""
    positions: dict[str, int] = {}
    for index, text in enumerate(header):
        key = _header_key(text)
        if not key:
            continue
        for column in SIGNUP_COLUMNS:
            if column.key not in positions and key in {_header_key(a) for a in column.aliases}:
                positions[column.key] = index
                break
    missing = [c.header for c in SIGNUP_COLUMNS if c.required and c.key not in positions]
    if missing:
        raise UnusableSheet(
            _(
                "シート「%(sheet)s」の1行目に見出し「%(headers)s」が見つかりません。見出しの行を元に戻してください。",
                sheet=sheet,
                headers="」「".join(missing),
            )
        )
    if "session_id" not in positions and not {"date", "venue", "course"} <= set(positions):
        raise UnusableSheet(
            _(
                "シート「%(sheet)s」には「講座ID」か、「日付」「会場」「講座」の見出しが必要です。",
                sheet=sheet,
            )
        )
    return positions


@dataclass
class SignupRow:
    number: int  # the row number in the sheet or file (the header is row 1)
    values: dict[str, str]

    @property
    def status(self) -> str:
        return self.values.get("status", "")

    @property
    def already_done(self) -> bool:
        return self.status.startswith(DONE_PREFIXES)


def read_rows(
    grid: Sequence[Sequence[object]], sheet: str
) -> tuple[dict[str, int], list[SignupRow]]:
    """The header's columns and every non-blank row below it."""
    if not grid or not any(clean(str(c)) for c in grid[0]):
        raise UnusableSheet(_("シート「%(sheet)s」の1行目に見出しがありません。", sheet=sheet))
    positions = read_header([str(c) for c in grid[0]], sheet)
    rows = []
    for offset, raw in enumerate(grid[1:], start=2):
        values = {
            key: ("" if index >= len(raw) or raw[index] is None else _cell_text(raw[index]))
            for key, index in positions.items()
        }
        if not any(v for k, v in values.items() if k != "status"):
            continue  # blank rows are skipped, not refused
        rows.append(SignupRow(offset, values))
    return positions, rows


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean(str(value))


def repair_phone(text: str) -> str:
    """A phone that arrived as a number lost its leading zero (9012345678): give it back."""
    digits = phone_digits(text)
    if digits and digits == clean(text) and not digits.startswith("0") and len(digits) in (9, 10):
        return "0" + digits
    return text


def fingerprint(org: Organization, row: SignupRow) -> str:
    parts = [
        str(org.id),
        phone_digits(row.values.get("session_id", "")) or clean(row.values.get("date", "")),
        clean(row.values.get("venue", "")),
        clean(row.values.get("course", "")),
        furigana_key(row.values.get("furigana", "")),
        phone_digits(repair_phone(row.values.get("phone", ""))),
        clean(row.values.get("name", "")),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass
class RowOutcome:
    number: int
    status_text: str
    refused: bool = False
    imported: bool = False
    registration_id: int | None = None
    awaits_match: bool = False  # a new record was made; a coordinator checks for a match


def match_note() -> str:
    """Said after the status of a row that made a new record because someone on record may
    be the same person: without naming anyone."""
    return _("(新しい記録を作りました。同じ方の記録がないか、市の担当者が確認します)")


@dataclass
class ImportResult:
    outcomes: list[RowOutcome] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(o.imported for o in self.outcomes)

    @property
    def refused(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.refused]


# 2026-04-01, 2026/4/1 (as Japanese Excel writes dates in CSV), 2026.4.1, 2026年4月1日
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _typed_date(text: str) -> date | None:
    match = _DATE.fullmatch(clean(text))
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _find_session(org: Organization, row: SignupRow) -> Session:
    """By 講座ID, or by date + venue + course; only this organization's scheduled sessions."""
    base = sa.select(Session).where(
        Session.partner_org_id == org.id, Session.status == SessionStatus.SCHEDULED
    )
    session_ref = row.values.get("session_id", "")
    if session_ref:
        digits = phone_digits(session_ref)
        session = db.session.scalar(base.where(Session.id == int(digits))) if digits else None
        if session is None:
            raise ValueError(_("講座ID %(id)s はこの団体の予定の講座にありません", id=session_ref))
        return session
    day_text = row.values.get("date", "")
    day = _typed_date(day_text)
    if day is None:
        raise ValueError(_("日付は 2026-04-01 の形式で入力してください: %(value)s", value=day_text))
    start, end = local_day_bounds(day)
    venue, course = row.values.get("venue", ""), row.values.get("course", "")
    candidates = list(
        db.session.scalars(
            base.join(Venue, Venue.id == Session.venue_id)
            .join(CourseVersion, CourseVersion.id == Session.course_version_id)
            .where(
                Session.starts_at >= start,
                Session.starts_at < end,
                Venue.name.contains(venue),
                CourseVersion.title_ja.contains(course),
            )
        )
    )
    if not candidates:
        raise ValueError(
            _(
                "%(date)s の「%(venue)s」「%(course)s」の講座が見つかりません",
                date=day_text,
                venue=venue,
                course=course,
            )
        )
    if len(candidates) > 1:
        raise ValueError(
            _(
                "%(date)s の講座が%(n)d件あります。講座IDで指定してください",
                date=day_text,
                n=len(candidates),
            )
        )
    return candidates[0]


def _learner_for(org: Organization, row: SignupRow, actor: User | None) -> tuple[Learner, bool]:
    """The row's learner, and whether a match with someone on record awaits a coordinator.

    Someone on record is used only when the organization already sees them (on its lists);
    anyone else with the same furigana and phone is not handed to the partner: the row gets
    a new record of its own, whoever started the sync.
    """
    raw = {
        "name": row.values.get("name", ""),
        "furigana": row.values.get("furigana", ""),
        "phone": repair_phone(row.values.get("phone", "")),
        "birth_year": row.values.get("birth_year", "") or None,
        "notes": row.values.get("notes", ""),
    }
    learners.read_learner(raw)  # refuses bad input before anything is looked up
    known = matches.known(raw, org_visibility(org.id))
    if known.seen is not None:
        return known.seen, False
    learner = matches.record_new(
        raw, actor, source=MatchSource.SIGNUPS, unseen=known.unseen, org_id=org.id
    )
    return learner, bool(known.unseen)


def _refusal_text(exc: Exception, row: SignupRow) -> str:
    if isinstance(exc, ValidationError) and exc.fields:
        field, why = next(iter(exc.fields.items()))
        typed = row.values.get(field, "")
        why = why.rstrip("。")
        return f"{why}: {typed}" if typed else why
    if isinstance(exc, Conflict):
        return exc.message
    return str(exc)


def _open_import(org: Organization) -> None:
    """A no-op write on the organization's row, before anything is read or saved.

    It makes two imports of one organization (a sync and an upload) run one after the other,
    so that the second sees the first's fingerprints instead of failing on them. And on SQLite
    it opens the transaction: Python's sqlite3 only begins one before a write, so a SAVEPOINT
    issued first would begin it instead, and releasing that savepoint would commit every row
    so far — even inside a dry run that must leave nothing behind.
    """
    db.session.execute(
        sa.update(Organization).where(Organization.id == org.id).values(id=Organization.id)
    )


@atomic
def import_rows(
    org: Organization, rows: list[SignupRow], actor: User | None, *, sync_run_id: int | None = None
) -> ImportResult:
    """Take in every new row in one transaction; a refused row is undone alone (savepoint)."""
    result = ImportResult()
    _open_import(org)
    known = {
        imp.fingerprint: imp
        for imp in db.session.scalars(sa.select(SignupImport).where(SignupImport.org_id == org.id))
    }
    for row in rows:
        key = fingerprint(org, row)
        if key in known:
            result.outcomes.append(
                RowOutcome(
                    row.number, known[key].status_text, registration_id=known[key].registration_id
                )
            )
            continue
        if row.already_done:
            result.outcomes.append(RowOutcome(row.number, row.status))
            continue
        savepoint = db.session.begin_nested()
        try:
            session = _find_session(org, row)
            learner, awaits_match = _learner_for(org, row, actor)
            try:
                reg = registration.register(
                    session, learner, source=RegistrationSource.PARTNER, actor=actor
                )
            except Conflict as exc:
                if exc.code != "already_registered":
                    raise
                reg = registration.get_registration(exc.extra["registration_id"])
            text = f"{registration_status_text(reg.status)} R-{reg.id}"
            if awaits_match:
                text += match_note()
            db.session.add(
                SignupImport(
                    org_id=org.id,
                    fingerprint=key,
                    registration_id=reg.id,
                    status_text=text,
                    sync_run_id=sync_run_id,
                )
            )
            savepoint.commit()
            known[key] = SignupImport(fingerprint=key, status_text=text, registration_id=reg.id)
            result.outcomes.append(
                RowOutcome(
                    row.number,
                    text,
                    imported=True,
                    registration_id=reg.id,
                    awaits_match=awaits_match,
                )
            )
        except (ValidationError, Conflict, ValueError) as exc:
            savepoint.rollback()
            result.outcomes.append(RowOutcome(row.number, _refusal_text(exc, row), refused=True))
    return result
