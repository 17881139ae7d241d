"""The reminder to a learner's family before a class: where the family contact has an
e-mail and consent to be contacted, FAMILY_REMINDER_DAYS before each class the learner is
registered for, once per registration, through the outbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.jobs.models import Job
from app.jobs.queue import enqueue
from app.jobs.registry import every, handler
from app.mail import outbox
from app.mail.kinds import kind
from app.people.models import FamilyContact, FamilyReminder, Registration, RegistrationStatus
from app.scheduling.models import Session, SessionStatus
from app.scheduling.queries import with_details
from app.templating import format_datetime, format_time
from app.timeutil import utcnow
from app.transaction import atomic

FAMILY_REMINDER = "family_reminder"

kind(
    FAMILY_REMINDER,
    _l("ご家族の講座の前のお知らせ"),
    batch_subject=lambda n: ngettext(
        "ご家族の%(num)d件の講座が近づいています", "ご家族の%(num)d件の講座が近づいています", n
    ),
)


def _due() -> sa.Select:
    """Registrations of scheduled classes starting within FAMILY_REMINDER_DAYS whose learner's
    family may be e-mailed and has not been."""
    now = utcnow()
    days = int(current_app.config["FAMILY_REMINDER_DAYS"])
    return (
        sa.select(Registration.id)
        .join(Session, Session.id == Registration.session_id)
        .join(FamilyContact, FamilyContact.learner_id == Registration.learner_id)
        .where(
            Registration.status == RegistrationStatus.REGISTERED,
            Session.status == SessionStatus.SCHEDULED,
            Session.starts_at > now,
            Session.starts_at <= now + timedelta(days=days),
            FamilyContact.consent.is_(True),
            FamilyContact.email.is_not(None),
            ~Registration.id.in_(sa.select(FamilyReminder.registration_id)),
        )
    )


@every(FAMILY_REMINDER, "FAMILY_REMINDER_EVERY_MINUTES")
@atomic
def queue_family_reminders() -> None:
    """One job per registration: its slot is kept forever, and the reminder's row is the
    registration's once (a job run twice finds it and sends nothing)."""
    for registration_id in db.session.scalars(_due()):
        enqueue(
            FAMILY_REMINDER,
            {"registration_id": registration_id},
            slot=f"{FAMILY_REMINDER}:{registration_id}",
            trigger="schedule",
        )


def _claim(registration_id: int, email: str) -> bool:
    """Write the reminder's row unless it is there: False when another run sent it."""
    connection = db.session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    result = connection.execute(
        insert(FamilyReminder)
        .values(registration_id=registration_id, email=email, sent_at=utcnow())
        .on_conflict_do_nothing()
        .returning(FamilyReminder.id)
    )
    return result.scalar() is not None


@handler(FAMILY_REMINDER)
@atomic
def run_family_reminder(job: Job) -> dict[str, Any]:
    registration = db.session.get(Registration, job.args["registration_id"])
    if registration is None or registration.status != RegistrationStatus.REGISTERED:
        return {"reminded": 0}
    session = db.session.scalar(
        with_details(sa.select(Session)).where(Session.id == registration.session_id)
    )
    contact = db.session.scalar(
        sa.select(FamilyContact)
        .options(joinedload(FamilyContact.learner))
        .where(FamilyContact.learner_id == registration.learner_id)
    )
    if (
        session is None
        or session.status != SessionStatus.SCHEDULED
        or session.starts_at <= utcnow()
        or contact is None
        or not contact.consent
        or not contact.email
        or not _claim(registration.id, contact.email)
    ):
        return {"reminded": 0}
    remind_family(contact, session)
    return {"reminded": 1}


def remind_family(contact: FamilyContact, session: Session) -> None:
    """The notice itself, in the family's language: who, which class, when, where, and the
    city's help line for a change of plan."""
    assert contact.email is not None
    venue = session.venue
    with force_locale(outbox.locale_for(contact.email)):
        learner = contact.learner.name
        lines = [
            (_("受講される方"), learner),
            (_("講座"), session.course_version.title),
            (_("日時"), f"{format_datetime(session.starts_at)}〜{format_time(session.ends_at)}"),
            (_("会場"), f"{venue.name}({venue.address})" if venue.address else venue.name),
        ]
        if venue.accessibility_notes:
            lines.append((_("会場の案内"), venue.accessibility_notes))
        context = {
            "title": _("%(name)sさんのスマホ講座が近づいています。", name=learner),
            "lines": lines,
            "paragraphs": [
                _(
                    "行けなくなったときは、%(phone)s までお電話ください。",
                    phone=current_app.config["HELP_PHONE"],
                ),
                _(
                    "このお知らせは、%(name)sさんのご家族の連絡先として登録されているため、"
                    "お送りしています。",
                    name=learner,
                ),
            ],
        }
        outbox.notify(
            to_email=contact.email,
            to_name=contact.name,
            kind=FAMILY_REMINDER,
            subject=_("講座のお知らせ(%(name)sさん)", name=learner),
            text=render_template("people/mail/family_reminder.txt", **context),
            html=render_template("people/mail/family_reminder.html", **context),
            about=f"registration-{session.id}-{contact.learner_id}",
        )
