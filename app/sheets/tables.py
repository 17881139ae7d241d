"""The three tables a partner sees — Classes, Roster, Signups — as rows of text.

The same rows go to Google Sheets, XLSX and CSV, so that a partner without Google gets
exactly what a partner with it gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.checkin.counts import counts_for
from app.checkin.models import Attendance
from app.curricula.models import CourseVersion
from app.extensions import db
from app.labels import label
from app.orgs.models import Organization
from app.people.models import Learner, Registration, RegistrationStatus
from app.people.privacy import Field, Viewer, fields_seen_by
from app.scheduling.models import Session, SessionStaff
from app.timeutil import local, utcnow

DAYS_BACK = 30
DAYS_AHEAD = 90

CLASSES = "Classes"
ROSTER = "Roster"
SIGNUPS = "Signups"

CLASSES_HEADER = [
    "ID", "日付", "開始", "終了", "講座", "会場", "地区", "定員", "申込", "キャンセル待ち",
    "受付済", "講師", "状態",
]  # fmt: skip
ROSTER_HEADER = [
    "申込ID", "講座ID", "日付", "講座", "お名前", "ふりがな", "電話番号", "状態", "受付時刻",
]  # fmt: skip


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...]
    required: bool = False


# Partners type into these; headers are matched loosely (aliases, spaces and case ignored)
# so that a hand-edited header still works.
SIGNUP_COLUMNS = (
    Column("session_id", "講座ID", ("講座id", "講座番号", "sessionid", "session", "id")),
    Column("date", "日付", ("日付", "開催日", "date")),
    Column("venue", "会場", ("会場", "会場名", "venue")),
    Column("course", "講座", ("講座", "講座名", "コース", "course")),
    Column("name", "お名前", ("お名前", "名前", "氏名", "name"), required=True),
    Column(
        "furigana",
        "ふりがな",
        ("ふりがな", "フリガナ", "よみがな", "カナ", "furigana"),
        required=True,
    ),
    Column("phone", "電話番号", ("電話番号", "電話", "tel", "phone")),
    Column("birth_year", "生まれ年", ("生まれ年", "生年", "生年(西暦/和暦)", "birthyear", "birth")),
    Column("notes", "メモ", ("メモ", "備考", "notes", "note")),
    Column("status", "Dekiru状態", ("dekiru状態", "状態", "取込結果", "status")),
)
SIGNUPS_HEADER = [c.header for c in SIGNUP_COLUMNS]
# Columns of Signups formatted as plain text so that a typed 090… keeps its leading zero.
SIGNUP_TEXT_COLUMNS = ("phone", "birth_year")


def window(now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or utcnow()
    return now - timedelta(days=DAYS_BACK), now + timedelta(days=DAYS_AHEAD)


def org_sessions(org: Organization, now: datetime | None = None) -> list[Session]:
    start, end = window(now)
    return list(
        db.session.scalars(
            sa.select(Session)
            .options(
                joinedload(Session.course_version).joinedload(CourseVersion.course),
                joinedload(Session.venue),
                selectinload(Session.staff).joinedload(SessionStaff.user),
            )
            .where(
                Session.partner_org_id == org.id,
                Session.starts_at >= start,
                Session.starts_at < end,
            )
            .order_by(Session.starts_at, Session.id)
        ).unique()
    )


def _date(dt: datetime) -> str:
    return local(dt).strftime("%Y-%m-%d")


def _time(dt: datetime) -> str:
    return local(dt).strftime("%H:%M")


def classes_rows(sessions: list[Session]) -> list[list[str]]:
    counts = counts_for(s.id for s in sessions)
    rows = []
    for s in sessions:
        c = counts[s.id]
        rows.append(
            [
                str(s.id),
                _date(s.starts_at),
                _time(s.starts_at),
                _time(s.ends_at),
                s.course_version.title_ja,
                s.venue.name,
                s.venue.district,
                str(s.capacity),
                str(c.registered),
                str(c.waitlisted),
                str(c.checked_in),
                "、".join(u.name for u in s.instructors + s.assistants),
                str(label("session_status", s.status)),
            ]
        )
    return rows


def roster_rows(sessions: list[Session]) -> list[list[str]]:
    """One row per registration, with what a partner sees of each person (app.people.privacy):
    a phone only where the learner agreed to share it."""
    by_id = {s.id: s for s in sessions}
    if not by_id:
        return []
    registrations = db.session.scalars(
        sa.select(Registration)
        .options(joinedload(Registration.learner))
        .where(
            Registration.session_id.in_(by_id),
            Registration.status != RegistrationStatus.CANCELLED,
        )
        .order_by(Registration.session_id, Registration.status, Registration.queued_at)
    )
    checked = dict(
        db.session.execute(
            sa.select(Attendance.registration_id, Attendance.checked_in_at).where(
                Attendance.session_id.in_(by_id), Attendance.checked_in_at.is_not(None)
            )
        ).all()
    )
    rows = []
    for reg in registrations:
        session = by_id[reg.session_id]
        learner: Learner = reg.learner
        at = checked.get(reg.id)
        rows.append(
            [
                f"R-{reg.id}",
                str(session.id),
                _date(session.starts_at),
                session.course_version.title_ja,
                learner.name,
                learner.furigana,
                (learner.phone or "")
                if Field.PHONE in fields_seen_by(Viewer.PARTNER, learner)
                else "",
                registration_status_text(reg.status),
                _time(at) if at else "",
            ]
        )
    return rows


def registration_status_text(status: str) -> str:
    return {"registered": "登録済", "waitlisted": "キャンセル待ち"}.get(status, status)
