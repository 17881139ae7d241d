"""Attendance (who came, when) and the skills each learner reached."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.curricula.models import Skill
from app.extensions import Model
from app.people.models import Learner, Registration
from app.timeutil import UTCDateTime, utcnow


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    LATE = "late"
    EXCUSED = "excused"
    ABSENT = "absent"


# Who came: late is present; excused and absent did not come. Counted by the staffing rule,
# the reports and the partners' figures alike.
CAME = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


class CheckinMethod(StrEnum):
    QR = "qr"
    SCANNER = "scanner"
    CODE = "code"
    SEARCH = "search"
    WALK_IN = "walk_in"
    API = "api"
    RECORDED_LATER = "recorded_later"


class Attendance(Model):
    """At most one per registration; `client_id` makes a device's retries harmless."""

    __tablename__ = "attendances"
    # Reports count who came where: these let the counts read the index alone.
    __table_args__ = (
        sa.Index("ix_attendances_session_status_learner", "session_id", "status", "learner_id"),
        sa.Index("ix_attendances_learner_status_session", "learner_id", "status", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id"), unique=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id"), index=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learners.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    # When the card was read (on the device, perhaps offline): late is judged by it.
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the server heard of it: later than checked_in_at for a device that was offline.
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(sa.String(20))
    client_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_later: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship()
    learner: Mapped[Learner] = relationship()


class DoorRefusal(Model):
    """Something a device queued (offline perhaps) that the server refused on arrival: a card
    revoked after the roster was downloaded, a session cancelled meanwhile. The device shows
    it; the attendance page lists it for the coordinator, so that nothing sent is lost."""

    __tablename__ = "door_refusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id"), index=True)
    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    message: Mapped[str] = mapped_column(sa.String(500))
    learner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("learners.id"))
    # Who it was, as the device typed it, for a newcomer never recorded.
    typed_name: Mapped[str | None] = mapped_column(sa.String(100))
    scanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    learner: Mapped[Learner | None] = relationship()


class SkillReached(Model):
    __tablename__ = "skills_reached"
    __table_args__ = (
        sa.UniqueConstraint("learner_id", "skill_id"),
        # Reports count skills reached per session's course from the index alone.
        sa.Index("ix_skills_reached_session_skill_learner", "session_id", "skill_id", "learner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learners.id"), index=True)
    skill_id: Mapped[int] = mapped_column(sa.ForeignKey("skills.id"))
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id"), index=True)
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    skill: Mapped[Skill] = relationship()
