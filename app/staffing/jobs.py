"""Staffing's work on a schedule: requests whose reply-by date passed, and the reminder to
each instructor and assistant before a class."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for

from app.extensions import db
from app.jobs.models import Job
from app.jobs.queue import enqueue
from app.jobs.registry import every, handler
from app.links import site_request
from app.people.models import Registration, RegistrationStatus
from app.scheduling.models import Session, SessionStatus
from app.scheduling.queries import with_details
from app.staffing import notices, services
from app.timeutil import iso, utcnow
from app.transaction import atomic

DEADLINES = "staffing_deadlines"
REMINDER = "staff_reminder"


@handler(DEADLINES)
def run_deadlines(job: Job) -> dict[str, Any]:
    closed = services.close_overdue()
    return {"unfilled": len(closed)}


@every(DEADLINES, "STAFFING_DEADLINES_EVERY_MINUTES")
@atomic
def queue_deadlines() -> None:
    minutes = int(current_app.config["STAFFING_DEADLINES_EVERY_MINUTES"])
    now = utcnow().replace(second=0, microsecond=0)
    period = now - timedelta(minutes=(now.hour * 60 + now.minute) % minutes)
    enqueue(
        DEADLINES, {}, key=DEADLINES, slot=f"{DEADLINES}:{period.isoformat()}", trigger="schedule"
    )


def reminders_due() -> list[Session]:
    """Classes starting within STAFF_REMINDER_DAYS with someone to remind."""
    now = utcnow()
    days = int(current_app.config["STAFF_REMINDER_DAYS"])
    return list(
        db.session.scalars(
            sa.select(Session).where(
                Session.status == SessionStatus.SCHEDULED,
                Session.starts_at > now,
                Session.starts_at <= now + timedelta(days=days),
                Session.staff.any(),
            )
        )
    )


@every(REMINDER, "STAFF_REMINDER_EVERY_MINUTES")
@atomic
def queue_reminders() -> None:
    """One reminder job per class and start time: the slot is kept forever, so a class is
    reminded of once, and once more only if it is moved (a new time, a new reminder)."""
    for session in reminders_due():
        enqueue(
            REMINDER,
            {"session_id": session.id},
            slot=f"{REMINDER}:{session.id}:{iso(session.starts_at)}",
            trigger="schedule",
        )


@handler(REMINDER)
@atomic
def run_reminder(job: Job) -> dict[str, Any]:
    session = db.session.scalar(
        with_details(sa.select(Session)).where(Session.id == job.args["session_id"])
    )
    if (
        session is None
        or session.status != SessionStatus.SCHEDULED
        or session.starts_at <= utcnow()
    ):
        return {"reminded": 0}
    registered = db.session.scalar(
        sa.select(sa.func.count()).where(
            Registration.session_id == session.id,
            Registration.status == RegistrationStatus.REGISTERED,
        )
    )
    with site_request():
        checkin = url_for("checkin.checkin_page", session_id=session.id, _external=True)
    return {"reminded": notices.remind(session, registered or 0, checkin)}
