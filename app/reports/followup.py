"""Call lists for a phone follow-up: who signed up and never came, and who stopped coming.

- never attended: learners registered for a session held within the filter who have never
  been present (or late) at any session at all;
- absent twice: learners registered for a session held within the filter whose two most
  recent held sessions (any filter) were both no-shows. A no-show is a registration with no
  check-in, or one marked absent; an excused absence (they phoned) breaks the run, and late
  counts as present.

Each list is one SELECT (a learner's most recent held registration is found with a window
function), so a page or an export costs the same few queries whatever the number of people.
Every download of a list is written to the audit log: who, when, which filter, how many rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.auth.models import User
from app.checkin.models import Attendance, AttendanceStatus
from app.core.models import AuditEntry
from app.curricula.models import CourseVersion, in_locale
from app.extensions import db
from app.people.models import Learner, Registration, RegistrationStatus
from app.people.privacy import record_download
from app.reports.filters import PRESENT, ReportFilter
from app.scheduling.models import Session, held_clause

NEVER = "never"
ABSENT_TWICE = "absent_twice"
LISTS = (NEVER, ABSENT_TWICE)
STREAM_BATCH = 500


@dataclass(frozen=True)
class FollowUpRow:
    learner_id: int
    name: str
    furigana: str
    phone: str | None
    phone2: str | None
    district: str | None
    # The most recent held session they were registered for (any filter): what they missed.
    last_session_id: int
    last_session_at: datetime
    last_course_ja: str
    last_course_en: str

    @property
    def last_course(self) -> str:
        return in_locale(self.last_course_ja, self.last_course_en)


# ---------------------------------------------------------------- the building blocks


def _learners_in_filter(report: ReportFilter, now: datetime) -> sa.Select:
    """Learners registered for a session held within the filter."""
    return (
        report.sessions(Registration.learner_id)
        .join(Registration, Registration.session_id == Session.id)
        .where(Registration.status == RegistrationStatus.REGISTERED, held_clause(now))
    )


def _held_registrations(report: ReportFilter, now: datetime) -> sa.CTE:
    """Every held session each learner of the filter was registered for (any filter), newest
    first (`rank` 1 is the most recent), with the attendance recorded, if any."""
    rank = sa.func.row_number().over(
        partition_by=Registration.learner_id,
        order_by=(Session.starts_at.desc(), Session.id.desc()),
    )
    return (
        sa.select(
            Registration.learner_id,
            Session.id.label("session_id"),
            Session.starts_at,
            Session.course_version_id,
            Attendance.status.label("attendance"),
            rank.label("rank"),
        )
        .select_from(Registration)
        .join(Session, Session.id == Registration.session_id)
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(
            Registration.status == RegistrationStatus.REGISTERED,
            held_clause(now),
            Registration.learner_id.in_(_learners_in_filter(report, now)),
        )
        .cte("held_registrations")
    )


def _never_attended_ids(report: ReportFilter, now: datetime) -> sa.Select:
    came = (
        sa.select(Attendance.id)
        .where(Attendance.learner_id == Learner.id, Attendance.status.in_(PRESENT))
        .exists()
    )
    return sa.select(Learner.id).where(Learner.id.in_(_learners_in_filter(report, now)), ~came)


def _absent_twice_ids(held: sa.CTE) -> sa.Select:
    no_show = sa.or_(held.c.attendance.is_(None), held.c.attendance == AttendanceStatus.ABSENT)
    return (
        sa.select(held.c.learner_id)
        .where(held.c.rank <= 2)
        .group_by(held.c.learner_id)
        .having(sa.func.sum(sa.case((no_show, 1), else_=0)) == 2)
    )


def _ids(list_name: str, report: ReportFilter, now: datetime, held: sa.CTE) -> sa.Select:
    if list_name == NEVER:
        return _never_attended_ids(report, now)
    if list_name == ABSENT_TWICE:
        return _absent_twice_ids(held)
    raise ValueError(f"unknown call list {list_name!r}")


def call_list_statement(list_name: str, report: ReportFilter, now: datetime) -> sa.Select:
    """The rows of one call list, ordered by furigana: one query, however many people."""
    held = _held_registrations(report, now)
    return (
        sa.select(
            Learner.id,
            Learner.name,
            Learner.furigana,
            Learner.phone,
            Learner.phone2,
            Learner.district,
            held.c.session_id,
            held.c.starts_at,
            CourseVersion.title_ja,
            CourseVersion.title_en,
        )
        .select_from(held)
        .join(Learner, Learner.id == held.c.learner_id)
        .join(CourseVersion, CourseVersion.id == held.c.course_version_id)
        .where(held.c.rank == 1, Learner.id.in_(_ids(list_name, report, now, held)))
        .order_by(Learner.furigana_key, Learner.furigana, Learner.id)
    )


def _count(ids: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ids.subquery())) or 0


# ---------------------------------------------------------------- what pages and exports use


def _rows(statement: sa.Select, *, stream: bool = False) -> Iterator[FollowUpRow]:
    if stream:
        statement = statement.execution_options(yield_per=STREAM_BATCH)
    for row in db.session.execute(statement):
        yield FollowUpRow(*row)


def never_attended(report: ReportFilter, now: datetime) -> list[FollowUpRow]:
    return list(_rows(call_list_statement(NEVER, report, now)))


def absent_twice(report: ReportFilter, now: datetime) -> list[FollowUpRow]:
    return list(_rows(call_list_statement(ABSENT_TWICE, report, now)))


def call_list(list_name: str, report: ReportFilter, now: datetime) -> list[FollowUpRow]:
    return list(_rows(call_list_statement(list_name, report, now)))


def stream_call_list(list_name: str, report: ReportFilter, now: datetime) -> Iterator[FollowUpRow]:
    """The rows in batches, for an export: never all of them in memory at once."""
    return _rows(call_list_statement(list_name, report, now), stream=True)


def count_call_list(list_name: str, report: ReportFilter, now: datetime) -> int:
    return _count(_ids(list_name, report, now, _held_registrations(report, now)))


def followup_counts(report: ReportFilter, now: datetime) -> dict[str, int]:
    """How many people each call list holds (two queries), for the dashboard and the tabs."""
    return {name: count_call_list(name, report, now) for name in LISTS}


def record_export(
    user: User, report: ReportFilter, list_name: str, fmt: str, rows: int
) -> AuditEntry:
    """Write down that `user` took a call list away (personal data), even an empty one, as
    every download of personal data is written down: app.people.privacy.record_download."""
    # (Typed Any: the filter's names are none of record_download's own parameters.)
    described: dict[str, Any] = report.describe()
    return record_download(user, "call_list", fmt=fmt, rows=rows, list=list_name, **described)
