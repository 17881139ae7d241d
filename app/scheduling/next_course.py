"""What comes after a course: the course the curricula name it a prerequisite of, with its next
classes anyone may sign up for. The certificate (修了証) and the printed survey both suggest it,
so that a learner leaves a class knowing where to go next and how to sign up."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

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


class Suggestions:
    """The next courses of many certificates at once (a class's): the courses, and when each
    has its first public class, are read once; each course suggested, its sessions once. So a
    class of twenty prints in as many queries as a class of one."""

    def __init__(self, limit: int = NEXT_SESSIONS_SHOWN) -> None:
        self.limit = limit
        self._versions: list[CourseVersion] | None = None
        self._first: dict[int, datetime] | None = None
        self._sessions: dict[int, list[Session]] = {}

    def _current(self) -> list[CourseVersion]:
        if self._versions is None:
            # The prerequisites are a JSON list of slugs: read in Python, the same on SQLite
            # and PostgreSQL (there are a dozen courses, not thousands).
            self._versions = list(
                db.session.scalars(
                    sa.select(CourseVersion)
                    .join(Course, Course.current_version_id == CourseVersion.id)
                    .options(joinedload(CourseVersion.course))
                    .order_by(CourseVersion.id)
                )
            )
        return self._versions

    def _first_classes(self) -> dict[int, datetime]:
        """course id → when its first public class begins (courses with one only)."""
        if self._first is None:
            self._first = dict(
                db.session.execute(
                    sa.select(CourseVersion.course_id, sa.func.min(Session.starts_at))
                    .join(Session, Session.course_version_id == CourseVersion.id)
                    .where(open_to_public())
                    .group_by(CourseVersion.course_id)
                ).all()
            )
        return self._first

    def _following(self, slugs: Collection[str], seen: Collection[int]) -> list[CourseVersion]:
        """The current versions of the courses (not in `seen`) that name one of `slugs` among
        their prerequisites."""
        return [
            v
            for v in self._current()
            if v.course_id not in seen and any(s in (v.prerequisites or []) for s in slugs)
        ]

    def _sessions_of(self, course_id: int) -> list[Session]:
        if course_id not in self._sessions:
            self._sessions[course_id] = list(
                db.session.scalars(
                    sa.select(Session)
                    .join(CourseVersion, CourseVersion.id == Session.course_version_id)
                    .options(joinedload(Session.venue))
                    .where(CourseVersion.course_id == course_id, open_to_public())
                    .order_by(Session.starts_at, Session.id)
                    .limit(self.limit)
                )
            )
        return self._sessions[course_id]

    def _choose(self, candidates: list[CourseVersion]) -> tuple[CourseVersion, list[Session]]:
        first = self._first_classes()
        with_classes = sorted(
            (v for v in candidates if v.course_id in first),
            key=lambda v: (first[v.course_id], v.slug),
        )
        if not with_classes:
            return min(candidates, key=lambda v: (len(v.prerequisites or []), v.slug)), []
        chosen = with_classes[0]
        return chosen, self._sessions_of(chosen.course_id)

    def after(
        self, course: Course, completed: Collection[int] = ()
    ) -> tuple[CourseVersion | None, list[Session]]:
        """What next_course() says, for a learner who completed the courses `completed` (ids):
        a following course they completed is passed over for the courses that follow it in
        turn, so that a certificate never sends its holder back to a course they finished."""
        seen = {course.id}
        slugs = [course.slug]
        while slugs:
            following = self._following(slugs, seen)
            if not following:
                return None, []
            open_ = [v for v in following if v.course_id not in completed]
            if open_:
                return self._choose(open_)
            seen.update(v.course_id for v in following)
            slugs = [v.slug for v in following]
        return None, []


def next_course(
    course: Course, limit: int = NEXT_SESSIONS_SHOWN, completed: Collection[int] = ()
) -> tuple[CourseVersion | None, list[Session]]:
    """The course to suggest after `course` (its current version) and its next public sessions
    (at most `limit`, soonest first, of any version of it).

    Of the courses that follow this one, the one whose next public class comes soonest: a
    suggestion a learner can act on this month beats one with nothing on the calendar. When
    none has a class coming, the one that needs the fewest other courses first (then by slug),
    with no sessions. A course among `completed` (course ids: what the learner finished) is
    skipped, and the courses after it are looked at instead. (None, []) when no course
    follows this one (or the learner completed every one that does)."""
    return Suggestions(limit).after(course, completed)
