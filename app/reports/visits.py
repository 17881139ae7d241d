"""Each learner's visits in order (app.reports.models.Visit), and the learner figures of a
period counted from them as rows rather than as learners grouped.

For a period [start, end) and the visits in it:
- a learner's first visit in the period is the one whose previous visit (`prev_at`) is before
  `start` (or none): distinct learners = such rows; new learners (never present before) =
  rows with no previous visit at all;
- learners per course: rows whose previous visit of the same course is before `start`;
- two courses or more: the first visit `v` of the learner for which another course's visit
  lies in [start, v) (`other_at` >= start, and no earlier visit had one: `other_max` < start).

Visits at every session, whatever its state, so that "came before" is check-in's. A period
counts only held sessions: the few learners with a visit in it at a session not held
(cancelled, or still to end) are counted from the raw rows instead (app.reports.figures).

Kept like the per-session figures (app.reports.stored): a learner's rows are written again,
in the same transaction, whenever their attendance changes or a session they came to moves or
changes course.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from app.checkin.models import Attendance
from app.curricula.models import CourseVersion
from app.reports.chunked import CHUNK, values_where_in
from app.reports.filters import PRESENT
from app.reports.models import Visit
from app.scheduling.models import Session
from app.timeutil import UTCDateTime

COLUMNS = (
    "attendance_id",
    "learner_id",
    "session_id",
    "course_id",
    "starts_at",
    "prev_at",
    "course_prev_at",
    "other_at",
    "other_max",
)


def visit_rows(learner_ids: Any = None) -> sa.Select:
    """The Visit rows of these learners (a list, or an expanding bind parameter; all when
    None), from the raw rows."""
    order = (Session.starts_at, Attendance.session_id, Attendance.id)
    base = (
        sa.select(
            Attendance.id.label("attendance_id"),
            Attendance.learner_id,
            Attendance.session_id,
            CourseVersion.course_id,
            Session.starts_at,
            sa.func.lag(Session.starts_at, type_=UTCDateTime())
            .over(partition_by=Attendance.learner_id, order_by=order)
            .label("prev_at"),
            sa.func.lag(Session.starts_at, type_=UTCDateTime())
            .over(partition_by=(Attendance.learner_id, CourseVersion.course_id), order_by=order)
            .label("course_prev_at"),
            sa.func.lag(CourseVersion.course_id)
            .over(partition_by=Attendance.learner_id, order_by=order)
            .label("prev_course"),
        )
        .join(Session, Session.id == Attendance.session_id)
        .join(CourseVersion, CourseVersion.id == Session.course_version_id)
        .where(Attendance.status.in_(PRESENT))
    )
    if learner_ids is not None:
        base = base.where(Attendance.learner_id.in_(learner_ids))
    b = base.subquery("b")
    # A run: visits in a row of one course. The visit before a run is of another course.
    run_start = sa.or_(b.c.prev_course.is_(None), b.c.prev_course != b.c.course_id)
    b_order = (b.c.starts_at, b.c.session_id, b.c.attendance_id)
    runs = sa.select(
        *(b.c[name] for name in COLUMNS[:7]),
        sa.func.sum(sa.case((run_start, 1), else_=0))
        .over(partition_by=b.c.learner_id, order_by=b_order)
        .label("run"),
        sa.case((run_start, b.c.prev_at), else_=sa.null()).label("run_prev"),
    ).subquery("r")
    others = sa.select(
        *(runs.c[name] for name in COLUMNS[:7]),
        sa.func.max(runs.c.run_prev, type_=UTCDateTime())
        .over(partition_by=(runs.c.learner_id, runs.c.run))
        .label("other_at"),
    ).subquery("o")
    o_order = (others.c.starts_at, others.c.session_id, others.c.attendance_id)
    return sa.select(
        *(others.c[name] for name in COLUMNS[:8]),
        sa.func.max(others.c.other_at, type_=UTCDateTime())
        .over(partition_by=others.c.learner_id, order_by=o_order, rows=(None, -1))
        .label("other_max"),
    )


@functools.cache
def _rewrite_statements() -> tuple[sa.Delete, sa.Insert]:
    """Built once: the window functions of `visit_rows` cost more to build than to run for
    the one learner a check-in names."""
    table = cast(sa.Table, Visit.__table__)
    ids: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
    delete = sa.delete(table).where(table.c.learner_id.in_(ids))
    insert = sa.insert(table).from_select(list(COLUMNS), visit_rows(ids))
    return delete, insert


def refresh(connection: sa.Connection, learner_ids: Iterable[int]) -> None:
    """Write these learners' visits again: one DELETE and one INSERT … SELECT per chunk."""
    delete, insert = _rewrite_statements()
    ids = sorted({int(i) for i in learner_ids if i is not None})
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        connection.execute(delete, {"ids": chunk})
        connection.execute(insert, {"ids": chunk})


def rebuild(connection: sa.Connection) -> None:
    table = cast(sa.Table, Visit.__table__)
    connection.execute(sa.delete(table))
    connection.execute(sa.insert(table).from_select(list(COLUMNS), visit_rows()))


def learners_of_sessions(connection: sa.Connection, session_ids: Iterable[int]) -> set[int]:
    return values_where_in(connection, Attendance.learner_id, Attendance.session_id, session_ids)


# ---------------------------------------------------------------- reading them


def in_period(start: datetime, end: datetime) -> list[sa.ColumnElement[bool]]:
    return [Visit.starts_at >= start, Visit.starts_at < end]


def first_in_period(start: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(Visit.prev_at.is_(None), Visit.prev_at < start)


def first_of_course_in_period(start: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(Visit.course_prev_at.is_(None), Visit.course_prev_at < start)


def second_course_in_period(start: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        Visit.other_at >= start, sa.or_(Visit.other_max.is_(None), Visit.other_max < start)
    )
