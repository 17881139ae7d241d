"""Staffing: the city asks partner organizations to staff its classes, a partner offers its
people, the coordinator confirms; partners propose classes of their own; instructors keep the
times they can teach.

A request is for one session and one organization: a series asked of two partners is one
request per class per partner, so that each can be offered, confirmed or declined alone and a
board of sessions reads each state in one query.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.curricula.models import Course
from app.extensions import Model
from app.orgs.models import Organization
from app.scheduling.models import Session, Venue
from app.timeutil import UTCDateTime, utcnow


class RequestStatus(StrEnum):
    OPEN = "open"  # asked, no offer yet
    OFFERED = "offered"  # the partner offered; the coordinator decides
    CONFIRMED = "confirmed"  # an offer was confirmed: the session's staff came from it
    DECLINED = "declined"  # the partner cannot, or the coordinator declined its offer
    WITHDRAWN = "withdrawn"  # the coordinator took the request back
    UNFILLED = "unfilled"  # the reply-by date passed with no confirmed offer
    NOT_NEEDED = "not_needed"  # another partner's offer was confirmed (kept, as Timecounts does)


#: A request still waiting on someone: the partner (open) or the coordinator (offered).
LIVE_REQUEST = (RequestStatus.OPEN, RequestStatus.OFFERED)


class OfferStatus(StrEnum):
    OFFERED = "offered"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CLOSED = "closed"  # its request was withdrawn, filled by another partner, or went unfilled


class StaffingRequest(Model):
    __tablename__ = "staffing_requests"
    __table_args__ = (
        sa.CheckConstraint("instructors >= 0 AND assistants >= 0", name="counts_not_negative"),
        sa.CheckConstraint("instructors + assistants >= 1", name="asks_for_someone"),
        # One live request per class and partner: asking again while one waits is a no-op.
        sa.Index(
            "uq_staffing_requests_live",
            "session_id",
            "org_id",
            unique=True,
            sqlite_where=sa.text("status IN ('open', 'offered')"),
            postgresql_where=sa.text("status IN ('open', 'offered')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id"), index=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    instructors: Mapped[int] = mapped_column(default=1)
    assistants: Mapped[int] = mapped_column(default=0)
    respond_by: Mapped[date]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default=RequestStatus.OPEN, index=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")  # why declined or withdrawn
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[Session] = relationship()
    org: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()
    offers: Mapped[list[StaffingOffer]] = relationship(
        back_populates="request", order_by="StaffingOffer.id"
    )

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_REQUEST


class StaffingOffer(Model):
    """A partner's answer to a request: named people, or a promise to name them by a date."""

    __tablename__ = "staffing_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("staffing_requests.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=OfferStatus.OFFERED, index=True)
    name_by: Mapped[date | None]  # "to be named by": the partner will staff it, names later
    note: Mapped[str] = mapped_column(sa.Text, default="")
    reason: Mapped[str] = mapped_column(sa.Text, default="")  # the coordinator's, if declined
    # Warnings given when it was offered (not trained for the course, marked unavailable):
    # kept so the coordinator sees what the partner was told.
    warnings: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    offered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[StaffingRequest] = relationship(back_populates="offers")
    people: Mapped[list[OfferedPerson]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="OfferedPerson.user_id"
    )
    offered_by: Mapped[User | None] = relationship(foreign_keys=[offered_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def of_role(self, role: str) -> list[User]:
        return [p.user for p in self.people if p.role == role]


class OfferedPerson(Model):
    __tablename__ = "staffing_offer_people"

    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("staffing_offers.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(20))  # StaffRole

    offer: Mapped[StaffingOffer] = relationship(back_populates="people")
    user: Mapped[User] = relationship()


class WeeklyAvailability(Model):
    """A time of the week an instructor can usually teach (Monday = 0)."""

    __tablename__ = "instructor_weekly_availability"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_in_week"),
        sa.CheckConstraint("ends > starts", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    weekday: Mapped[int]
    starts: Mapped[time]  # Japan's wall-clock time
    ends: Mapped[time]


class UnavailableDate(Model):
    """A day an instructor cannot teach at all."""

    __tablename__ = "instructor_unavailable_dates"
    __table_args__ = (sa.UniqueConstraint("user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    day: Mapped[date]  # Japan's date
    note: Mapped[str] = mapped_column(sa.String(200), default="")


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"  # scheduled: session_id is the class
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class SessionProposal(Model):
    """A class a partner proposes to hold (a carrier shop's class in its shop, a 自治会's
    in its hall); approving it schedules the session with every rule of scheduling."""

    __tablename__ = "session_proposals"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"))
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    # The partner's own people, as ids of users (instructors of the organization).
    instructor_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    assistant_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default=ProposalStatus.PROPOSED, index=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sessions.id"))
    proposed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organization] = relationship()
    course: Mapped[Course] = relationship()
    venue: Mapped[Venue] = relationship()
    session: Mapped[Session | None] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
