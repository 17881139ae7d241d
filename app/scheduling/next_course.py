"""What comes after a course: the course the curricula name it a prerequisite of, with its next
classes anyone may sign up for. The certificate (修了証) and the printed survey both suggest it,
so that a learner leaves a class knowing where to go next and how to sign up."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.curricula.models import Course, CourseVersion
from app.extensions import db
from app.scheduling.models import Session, SessionStatus
from app.timeutil import utcnow

NEXT_SESSIONS_SHOWN = 3  # as many as a printed page has room for beside the rest


def open_to_public() -> sa.ColumnElement[bool]:
    """The sessions a resident may still sign up for: public, scheduled, not begun."""
    return sa.and_(
        Session.public.is_(True),
        Session.status == SessionStatus.SCHEDULED,
        Session.starts_at > utcnow(),
    )


def _following(course: Course) -> list[CourseVersion]:
    """The current versions of the courses that name `course` among their prerequisites."""
    versions = db.session.scalars(
        sa.select(CourseVersion)
        .join(Course, Course.current_version_id == CourseVersion.id)
        .options(joinedload(CourseVersion.course))
        .where(Course.id != course.id)
    )
    # The prerequisites are a JSON list of slugs: read in Python, the same on SQLite and
    # PostgreSQL (there are a dozen courses, not thousands).
    return [v for v in versions if course.slug in (v.prerequisites or [])]


def next_course(
    course: Course, limit: int = NEXT_SESSIONS_SHOWN
) -> tuple[CourseVersion | None, list[Session]]:
    """The course to suggest after `course` (its current version) and its next public sessions
    (at most `limit`, soonest first, of any version of it).

    Of the courses that follow this one, the one whose next public class comes soonest: a
    suggestion a learner can act on this month beats one with nothing on the calendar. When
    none has a class coming, the one that needs the fewest other courses first (then by slug),
    with no sessions. (None, []) when no course follows this one."""
    candidates = _following(course)
    if not candidates:
        return None, []
    course_ids = [v.course_id for v in candidates]
    first = dict(
        db.session.execute(
            sa.select(CourseVersion.course_id, sa.func.min(Session.starts_at))
            .join(Session, Session.course_version_id == CourseVersion.id)
            .where(CourseVersion.course_id.in_(course_ids), open_to_public())
            .group_by(CourseVersion.course_id)
        ).all()
    )
    with_classes = sorted(
        (v for v in candidates if v.course_id in first),
        key=lambda v: (first[v.course_id], v.slug),
    )
    if not with_classes:
        return min(candidates, key=lambda v: (len(v.prerequisites or []), v.slug)), []
    chosen = with_classes[0]
    sessions = list(
        db.session.scalars(
            sa.select(Session)
            .join(CourseVersion, CourseVersion.id == Session.course_version_id)
            .options(joinedload(Session.venue))
            .where(CourseVersion.course_id == chosen.course_id, open_to_public())
            .order_by(Session.starts_at, Session.id)
            .limit(limit)
        )
    )
    return chosen, sessions
