"""Helpers for the check-in tests: sessions open at the door now, learners with cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.checkin.models import Attendance
from app.core.models import AuditEntry
from app.extensions import db
from app.people import cards
from app.people.learners import create_learner
from app.people.models import Learner, Registration
from app.scheduling.models import Session
from app.scheduling.sessions import create_session
from app.timeutil import utcnow


def minute(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


def open_session(make, *, started_minutes_ago=5, length_minutes=60, **extra) -> Session:
    """A session whose door is open now: it started a few minutes ago (in any time zone,
    whatever the hour, since the times are computed from now)."""
    starts = minute(utcnow()) - timedelta(minutes=started_minutes_ago)
    raw = {
        "course": extra.pop("course", None) or make.course().slug,
        "venue_id": (extra.pop("venue", None) or make.venue()).id,
        "starts_at": starts,
        "ends_at": starts + timedelta(minutes=length_minutes),
        "capacity": extra.pop("capacity", 4),
    }
    raw.update(extra)
    return create_session(raw)


def move(session: Session, *, starts: datetime, ends: datetime) -> None:
    """Put a session at other times, straight in the database (e.g. make it over already,
    after people registered: registration refuses sessions that ended)."""
    db.session.execute(
        sa.update(Session).where(Session.id == session.id).values(starts_at=starts, ends_at=ends)
    )
    db.session.commit()
    db.session.refresh(session)


def end(session: Session, *, ago: timedelta = timedelta(minutes=5)) -> None:
    """Make a session (of an hour) over: it ended `ago`, after people registered."""
    over = minute(utcnow()) - ago
    move(session, starts=over - timedelta(minutes=60), ends=over)


def learner(name="山田 花子", furigana="やまだ はなこ", **fields) -> Learner:
    person = create_learner({"name": name, "furigana": furigana, "consent": True, **fields})
    cards.issue_card(person)
    return person


def attendance_rows(session: Session) -> list[Attendance]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(Attendance).where(Attendance.session_id == session.id))
    )


def audit(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def registration_of(session: Session, person: Learner) -> Registration | None:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Registration).where(
            Registration.session_id == session.id, Registration.learner_id == person.id
        )
    )


@dataclass
class Door:
    """A session open now, taught by `teacher`, with Hanako and Taro registered."""

    session: Session
    teacher: object
    coordinator: object
    hanako: Learner
    taro: Learner
    extra: dict = field(default_factory=dict)

    def token(self, person: Learner) -> str:
        return person.active_card.token

    def short_code(self, person: Learner) -> str:
        return person.active_card.short_code
