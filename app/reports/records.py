"""The per-session records (講座実施実績): one row per session held, in the funder's shape.

The rows are exactly the sessions the dashboard counts as held under the same filter
(`held_clause`), so an export's row count is the dashboard's figure. They come from ONE
SELECT (learners present and the staff through grouped subqueries over the filter's held
sessions) read in batches (`yield_per`): a year of a large city is never all in memory, and
the number of queries does not grow with the rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app import labels
from app.auth.models import User
from app.checkin.models import Attendance
from app.curricula.models import CourseVersion, in_locale
from app.extensions import db
from app.orgs.models import Organization
from app.reports.filters import PRESENT, ReportFilter
from app.scheduling.models import Session, StaffRole, Venue, held_clause, staffing_warnings
from app.scheduling.models import SessionStaff as Staff
from app.tabular import Cell, Table
from app.timeutil import local, utcnow

BATCH = 500  # rows fetched from the database at a time
NAME_SEPARATOR = "、"
MET, NOT_MET = "○", "×"
EXPORT_KIND = "sessions"  # dekiru-sessions-<from>_<to>.csv


def record_header() -> list[str]:
    """The column headings, in the person's language."""
    return [
        _("実施日"),
        _("開始"),
        _("終了"),
        _("コース"),
        _("講座の種類"),
        _("実施形態"),
        _("会場"),
        _("市区町村"),
        _("地区"),
        _("協力団体"),
        _("受講者数"),
        _("講師数"),
        _("アシスタント数"),
        _("講師"),
        _("アシスタント"),
        _("1:4基準"),
        _("セッションID"),
    ]


# Expected content width of each column (characters, a kanji counts 2), for XLSX.
RECORD_WIDTHS = [10, 5, 5, 36, 12, 12, 24, 10, 10, 24, 8, 6, 8, 28, 28, 7, 10]


@dataclass(frozen=True)
class SessionRecord:
    session_id: int
    starts_at: datetime  # aware UTC
    ends_at: datetime
    course_ja: str
    course_en: str
    track: str
    delivery_type: str
    venue: str
    municipality: str
    district: str
    partner: str  # "" without a partner organization
    capacity: int
    learners_present: int  # present or late
    instructors: int
    assistants: int
    instructor_names: str  # joined with "、", in the order staff were assigned (user id)
    assistant_names: str

    @property
    def course(self) -> str:
        return in_locale(self.course_ja, self.course_en)

    @property
    def meets_ratio(self) -> bool:
        """The national rule as the session list shows it (app.scheduling.models): a record
        is a held session, so those who came are counted, not the seats."""
        return not staffing_warnings(
            held=True,
            capacity=self.capacity,
            came=self.learners_present,
            instructors=self.instructors,
            assistants=self.assistants,
        )

    def cells(self) -> list[Cell]:
        start, end = local(self.starts_at), local(self.ends_at)
        return [
            start.date().isoformat(),
            start.strftime("%H:%M"),
            end.strftime("%H:%M"),
            self.course,
            labels.label("track", self.track),
            labels.label("delivery_type", self.delivery_type),
            self.venue,
            self.municipality,
            self.district,
            self.partner,
            self.learners_present,
            self.instructors,
            self.assistants,
            self.instructor_names,
            self.assistant_names,
            MET if self.meets_ratio else NOT_MET,
            self.session_id,
        ]


def _ordered_aggregates() -> bool:
    """Whether the database takes ORDER BY inside an aggregate (SQLite only from 3.44)."""
    dialect = db.session.get_bind().dialect
    if dialect.name != "sqlite":
        return True
    # The driver is the standard library's sqlite3 (as app.extensions assumes too).
    return sqlite3.sqlite_version_info >= (3, 44, 0)


def _names(rows: sa.Subquery, role: StaffRole, ordered: bool) -> sa.ColumnElement[str]:
    joined: sa.ColumnElement[str] = sa.func.aggregate_strings(rows.c.name, NAME_SEPARATOR)
    if ordered:
        joined = joined.aggregate_order_by(rows.c.user_id)
    # Without ORDER BY in the aggregate, the rows come in from a subquery sorted by user id.
    return sa.func.coalesce(joined.filter(rows.c.role == role), "")


def _count(rows: sa.Subquery, role: StaffRole) -> sa.ColumnElement[int]:
    return sa.func.count().filter(rows.c.role == role)


def records_query(report: ReportFilter, now: datetime) -> sa.Select:
    """One SELECT of the held sessions' rows, ordered by start time."""
    held = report.sessions(Session.id).where(held_clause(now))
    present = (
        sa.select(Attendance.session_id, sa.func.count().label("learners"))
        .where(Attendance.status.in_(PRESENT), Attendance.session_id.in_(held))
        .group_by(Attendance.session_id)
        .subquery("present")
    )
    staff_rows = (
        sa.select(Staff.session_id, Staff.user_id, Staff.role, User.name)
        .join(User, User.id == Staff.user_id)
        .where(Staff.session_id.in_(held))
        .order_by(Staff.session_id, Staff.user_id)
        .subquery("staff_rows")
    )
    ordered = _ordered_aggregates()
    staff = (
        sa.select(
            staff_rows.c.session_id,
            _count(staff_rows, StaffRole.INSTRUCTOR).label("instructors"),
            _count(staff_rows, StaffRole.ASSISTANT).label("assistants"),
            _names(staff_rows, StaffRole.INSTRUCTOR, ordered).label("instructor_names"),
            _names(staff_rows, StaffRole.ASSISTANT, ordered).label("assistant_names"),
        )
        .group_by(staff_rows.c.session_id)
        .subquery("staff")
    )
    return (
        report.sessions(
            Session.id,
            Session.starts_at,
            Session.ends_at,
            CourseVersion.title_ja,
            CourseVersion.title_en,
            CourseVersion.track,
            Session.delivery_type,
            Venue.name.label("venue"),
            Venue.district,
            sa.func.coalesce(Organization.name, "").label("partner"),
            Session.capacity,
            sa.func.coalesce(present.c.learners, 0).label("learners"),
            sa.func.coalesce(staff.c.instructors, 0).label("instructors"),
            sa.func.coalesce(staff.c.assistants, 0).label("assistants"),
            sa.func.coalesce(staff.c.instructor_names, "").label("instructor_names"),
            sa.func.coalesce(staff.c.assistant_names, "").label("assistant_names"),
        )
        .outerjoin(Organization, Organization.id == Session.partner_org_id)
        .outerjoin(present, present.c.session_id == Session.id)
        .outerjoin(staff, staff.c.session_id == Session.id)
        .where(held_clause(now))
        .order_by(Session.starts_at, Session.id)
    )


def session_records(report: ReportFilter, now: datetime | None = None) -> Iterator[SessionRecord]:
    """The rows, read BATCH at a time from one query (a server-side cursor on PostgreSQL)."""
    municipality = current_app.config["CITY_NAME"]
    result = db.session.execute(
        records_query(report, now or utcnow()).execution_options(yield_per=BATCH)
    )
    try:
        for row in result:
            yield SessionRecord(
                session_id=row.id,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                course_ja=row.title_ja,
                course_en=row.title_en,
                track=row.track,
                delivery_type=row.delivery_type,
                venue=row.venue,
                municipality=municipality,
                district=row.district,
                partner=row.partner,
                capacity=row.capacity,
                learners_present=row.learners,
                instructors=row.instructors,
                assistants=row.assistants,
                instructor_names=row.instructor_names,
                assistant_names=row.assistant_names,
            )
    finally:
        result.close()  # a download stopped half-way frees its cursor


def records_table(report: ReportFilter, now: datetime | None = None) -> Table:
    """The records as a table for the export writers (rows read while they are written)."""
    return Table(
        title=_("講座実施実績"),
        header=record_header(),
        rows=(record.cells() for record in session_records(report, now)),
        widths=RECORD_WIDTHS,
    )
