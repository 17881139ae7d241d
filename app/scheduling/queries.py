"""Finding sessions: who may see which, one session, the lists and pages of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from math import ceil
from typing import Generic, TypeVar

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload, with_expression

from app.auth.models import Role, User
from app.curricula.models import Course, CourseVersion
from app.errors import NotFound
from app.extensions import db
from app.orgs.models import Organization
from app.scheduling.models import Session, SessionStaff, Venue, came_expression
from app.timeutil import local_day_bounds, utcnow

# ---------------------------------------------------------------- who sees what


def visibility_clause(user: User) -> sa.ColumnElement[bool]:
    """Sessions a user may know exist. Others answer 404, never 403."""
    if user.role in (Role.ADMIN, Role.COORDINATOR):
        return sa.true()
    if user.role == Role.PARTNER:
        return Session.partner_org_id == user.org_id
    teaches = Session.id.in_(
        sa.select(SessionStaff.session_id).where(SessionStaff.user_id == user.id)
    )
    if user.org_id is not None:
        return sa.or_(teaches, Session.partner_org_id == user.org_id)
    return teaches


def with_details(query: sa.Select[Session]) -> sa.Select[Session]:
    # Everything a list, a page or the API shows, loaded in a fixed number of queries; how
    # many came rides in the same SELECT, for the staffing rule of held sessions.
    return query.options(
        joinedload(Session.course_version).joinedload(CourseVersion.course),
        joinedload(Session.venue),
        joinedload(Session.partner_org),
        selectinload(Session.staff).joinedload(SessionStaff.user),
        with_expression(Session.came, came_expression()),
    )


def get_session(user: User, session_id: int) -> Session:
    session = db.session.scalar(
        with_details(sa.select(Session)).where(Session.id == session_id, visibility_clause(user))
    )
    if session is None:
        raise NotFound(_("講座(ID %(id)s)は見つかりません。", id=session_id))
    return session


@dataclass
class SessionFilters:
    date_from: date | None = None
    date_to: date | None = None
    course: str | None = None
    venue_id: int | None = None
    district: str | None = None
    partner: str | None = None
    instructor_id: int | None = None
    status: str | None = None
    newest_first: bool = False  # the past classes: the latest is the one people look for


T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of a list: sessions here, the reports' sessions and learners too."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))


def _filtered(user: User, filters: SessionFilters) -> sa.Select[Session]:
    query = sa.select(Session).where(visibility_clause(user))
    if filters.date_from:
        query = query.where(Session.starts_at >= local_day_bounds(filters.date_from)[0])
    if filters.date_to:
        query = query.where(Session.starts_at < local_day_bounds(filters.date_to)[1])
    if filters.course:
        query = query.where(
            Session.course_version_id.in_(
                sa.select(CourseVersion.id)
                .join(Course, CourseVersion.course_id == Course.id)
                .where(Course.slug == filters.course)
            )
        )
    if filters.venue_id:
        query = query.where(Session.venue_id == filters.venue_id)
    if filters.district:
        query = query.where(
            Session.venue_id.in_(sa.select(Venue.id).where(Venue.district == filters.district))
        )
    if filters.partner:
        query = query.where(
            Session.partner_org_id.in_(
                sa.select(Organization.id).where(Organization.slug == filters.partner)
            )
        )
    if filters.instructor_id:
        query = query.where(
            Session.id.in_(
                sa.select(SessionStaff.session_id).where(
                    SessionStaff.user_id == filters.instructor_id
                )
            )
        )
    if filters.status:
        query = query.where(Session.status == filters.status)
    return query


def list_sessions(
    user: User, filters: SessionFilters, page: int = 1, per_page: int = 50
) -> Page[Session]:
    query = _filtered(user, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    order = (
        (Session.starts_at.desc(), Session.id.desc())
        if filters.newest_first
        else (Session.starts_at, Session.id)
    )
    items = db.session.scalars(
        with_details(query).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).unique()
    return Page(list(items), total, page, per_page)


def sessions_between(
    user: User, start: datetime, end: datetime, filters: SessionFilters
) -> list[Session]:
    query = _filtered(user, filters).where(Session.starts_at >= start, Session.starts_at < end)
    return list(db.session.scalars(with_details(query).order_by(Session.starts_at)).unique())


# ---------------------------------------------------------------- pages' views of the plan


def staff_sessions(user: User, *, upcoming: bool, limit: int | None = None) -> list[Session]:
    """Sessions `user` teaches or assists: upcoming ones soonest first, past ones latest first.

    A session still running counts as upcoming: the instructor is in the hall right now.
    """
    now = utcnow()
    query = with_details(sa.select(Session)).where(
        Session.id.in_(sa.select(SessionStaff.session_id).where(SessionStaff.user_id == user.id))
    )
    if upcoming:
        query = query.where(Session.ends_at > now).order_by(Session.starts_at, Session.id)
    else:
        query = query.where(Session.ends_at <= now).order_by(
            Session.starts_at.desc(), Session.id.desc()
        )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query).unique())


def series_sessions(user: User, series_id: int) -> list[Session]:
    """The sessions of a series that `user` may see, in date order (cancelled ones included)."""
    query = with_details(sa.select(Session)).where(
        Session.series_id == series_id, visibility_clause(user)
    )
    return list(db.session.scalars(query.order_by(Session.starts_at, Session.id)).unique())
