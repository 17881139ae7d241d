"""Venues, sessions (コマ), their staff, and weekly series."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from app.auth.models import User
from app.curricula.models import CourseVersion
from app.extensions import Model, db
from app.orgs.models import Organization
from app.scheduling import signals
from app.signals import answers
from app.timeutil import UTCDateTime, utcnow


class DeliveryType(StrEnum):
    REGIONAL = "regional"  # 地域連携型
    NATIONWIDE = "nationwide"  # 全国展開型
    DISPATCH = "dispatch"  # 講師派遣型
    INDEPENDENT = "independent"  # 自治体独自


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class StaffRole(StrEnum):
    INSTRUCTOR = "instructor"  # 講師
    ASSISTANT = "assistant"  # アシスタント


class Venue(Model):
    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    district: Mapped[str] = mapped_column(sa.String(100), index=True)
    capacity: Mapped[int]
    setup_buffer_minutes: Mapped[int] = mapped_column(default=15)
    has_wifi: Mapped[bool] = mapped_column(default=False)
    loaner_devices: Mapped[int] = mapped_column(default=0)
    step_free: Mapped[bool] = mapped_column(default=False)
    hearing_loop: Mapped[bool] = mapped_column(default=False)
    accessibility_notes: Mapped[str] = mapped_column(sa.Text, default="")
    # A partner's own place (a carrier's shop, a 自治会's hall), added by the partner for the
    # classes it proposes; None: the city's venue.
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Series(Model):
    """A weekly rule that produced sessions; the sessions themselves are the truth."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    weekdays: Mapped[list[int]] = mapped_column(sa.JSON)  # Monday = 0
    first_date: Mapped[date]
    until: Mapped[date | None]
    count: Mapped[int | None]
    # Dates the rule named but a venue closure took out (ISO dates), when asked to skip them.
    skipped_dates: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sessions: Mapped[list[Session]] = relationship(
        back_populates="series", order_by="Session.starts_at"
    )


class Session(Model):
    __tablename__ = "sessions"
    __table_args__ = (
        sa.Index("ix_sessions_venue_time", "venue_id", "starts_at"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_version_id: Mapped[int] = mapped_column(sa.ForeignKey("course_versions.id"), index=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    delivery_type: Mapped[str] = mapped_column(sa.String(20), default=DeliveryType.REGIONAL)
    partner_org_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id"), index=True
    )
    public: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default=SessionStatus.SCHEDULED, index=True)
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("series.id"), index=True)
    # A check-in later than this many minutes after the start counts as late.
    late_after_minutes: Mapped[int] = mapped_column(default=10, server_default="10")
    # iCalendar SEQUENCE: raised when the time, the venue or the status changes, so that
    # calendar apps replace the event they hold.
    ical_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course_version: Mapped[CourseVersion] = relationship()
    venue: Mapped[Venue] = relationship()
    partner_org: Mapped[Organization | None] = relationship()
    series: Mapped[Series | None] = relationship(back_populates="sessions")
    staff: Mapped[list[SessionStaff]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionStaff.user_id"
    )
    # How many came (present or late), loaded with the session by the queries that ask for it
    # (app.scheduling.queries.with_details: one subquery in the list's own SELECT, so a page
    # of sessions costs no query more); None when the session was loaded without it.
    came: Mapped[int | None] = query_expression()

    @property
    def instructors(self) -> list[User]:
        return [s.user for s in self.staff if s.role == StaffRole.INSTRUCTOR]

    @property
    def assistants(self) -> list[User]:
        return [s.user for s in self.staff if s.role == StaffRole.ASSISTANT]

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    def is_held(self, now: datetime | None = None) -> bool:
        """Completed, or still scheduled and over: as `held_clause` says in SQL."""
        return self.status == SessionStatus.COMPLETED or (
            self.status == SessionStatus.SCHEDULED and self.ends_at <= (now or utcnow())
        )

    @property
    def warnings(self) -> list[str]:
        """What is short of the staffing rule (`staffing_warnings`); nothing once cancelled."""
        if self.is_cancelled:
            return []
        held = self.is_held()
        came = self.came
        if held and came is None:  # loaded without the count: ask for this one session
            came = came_to(self.id)
        return staffing_warnings(
            held=held,
            capacity=self.capacity,
            came=came or 0,
            instructors=len(self.instructors),
            assistants=len(self.assistants),
        )


class SessionStaff(Model):
    __tablename__ = "session_staff"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(sa.String(20))

    session: Mapped[Session] = relationship(back_populates="staff")
    user: Mapped[User] = relationship()


# ---------------------------------------------------------------- the staffing rule
#
# The national program's rule, in ONE place for the session list and page, the API, the
# per-session export (its ○/×), the dashboard's figure and the staffing board: at least one
# instructor, and one instructor or assistant for every LEARNERS_PER_STAFF learners.
#
# Which learners: until a session is held, the seats (its capacity), since that many may
# come; once it is held, the people who came (present or late; excused and absent did not).
# Held is what the reports count as held: marked completed, or still scheduled and over
# (its end has passed). A class running right now is judged by its seats: people are still
# arriving at the door, and the count of who came is only final when it ends.

LEARNERS_PER_STAFF = 4  # the national program: one instructor or assistant per 4 learners


def staffing_warnings(
    *, held: bool, capacity: int, came: int, instructors: int, assistants: int
) -> list[str]:
    """What a session lacks under the staffing rule: "no_instructor", "understaffed"; none
    when the rule is met. `held` chooses the learners counted: `came` once held, else
    `capacity`. Everything that shows the rule calls this (the export marks ○ when empty)."""
    learners = came if held else capacity
    warnings = []
    if instructors == 0:
        warnings.append("no_instructor")
    if learners > LEARNERS_PER_STAFF * (instructors + assistants):
        warnings.append("understaffed")
    return warnings


def meets_rule_clause(learners: Any, instructors: Any, assistants: Any) -> sa.ColumnElement[bool]:
    """`staffing_warnings` is empty, in SQL: for lists filtered by the rule (the dashboard's
    drill-down). `learners` is the column counted as `staffing_warnings` chooses it."""
    return sa.and_(instructors >= 1, learners <= LEARNERS_PER_STAFF * (instructors + assistants))


def held_clause(now: datetime) -> sa.ColumnElement[bool]:
    """A session was held when it is marked completed, or still scheduled and already over."""
    return sa.or_(
        Session.status == SessionStatus.COMPLETED,
        sa.and_(Session.status == SessionStatus.SCHEDULED, Session.ends_at <= now),
    )


def came_expression() -> sa.ColumnElement[int]:
    """How many came to a session, as an expression correlated to Session.id: check-in holds
    attendance and answers (app.scheduling.signals.came_counted); 0 where nobody answers."""
    for answer in answers(signals.came_counted, None):
        return cast(sa.ColumnElement[int], answer)
    return sa.literal(0)


def came_to(session_id: int) -> int:
    """How many came to one session (a page that shows a single one)."""
    return db.session.scalar(sa.select(came_expression()).where(Session.id == session_id)) or 0


class Closure(Model):
    """A time a venue (or every venue) is closed: a holiday, maintenance, 年末年始.

    Imported from .ics files; recurring events are stored expanded, one row per occurrence.
    Re-importing a file replaces the rows of each of its events (keyed by the event's UID).
    """

    __tablename__ = "closures"
    __table_args__ = (sa.Index("ix_closures_venue_time", "venue_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venues.id"))  # None: all venues
    uid: Mapped[str] = mapped_column(sa.String(255), index=True)
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    source: Mapped[str] = mapped_column(sa.String(255), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    all_day: Mapped[bool] = mapped_column(default=False)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    venue: Mapped[Venue | None] = relationship()
