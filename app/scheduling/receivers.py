"""Scheduling's answers to what the areas below it ask (app.signals): which sessions name an
organization, who still teaches, which versions of a course were planned."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.models import User
from app.curricula import signals as curricula_signals
from app.curricula.models import Course, CourseVersion
from app.extensions import db
from app.orgs import signals as org_signals
from app.orgs.models import Organization
from app.scheduling.models import Session, SessionStaff, SessionStatus
from app.timeutil import utcnow


@org_signals.partner_sessions_counted.connect
def _partner_sessions(org: Organization, **_kwargs: object) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Session.id)).where(Session.partner_org_id == org.id)
        )
        or 0
    )


@org_signals.upcoming_staffing_counted.connect
def _upcoming_staffing(user: User, **_kwargs: object) -> int:
    count = db.session.scalar(
        sa.select(sa.func.count(Session.id))
        .join(SessionStaff, SessionStaff.session_id == Session.id)
        .where(
            SessionStaff.user_id == user.id,
            Session.status == SessionStatus.SCHEDULED,
            Session.ends_at > utcnow(),
        )
    )
    return count or 0


@curricula_signals.version_sessions_counted.connect
def _sessions_per_version(course: Course, **_kwargs: object) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(CourseVersion.version, sa.func.count(Session.id))
        .join(Session, Session.course_version_id == CourseVersion.id)
        .where(CourseVersion.course_id == course.id)
        .group_by(CourseVersion.version)
    )
    return dict(rows.all())
