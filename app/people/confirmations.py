"""The day-before call (前日確認): whom to call for a day's classes, what each call found,
and the learner's family contact.

A 欠席 cancels the registration through app.people.registration.cancel, which gives the seat
to the first waitlisted person; that person is then registered for the class and so is on
the same list, to be called in turn. Every try is kept (who, when, what); the last one is
the registration's outcome.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.people.confirmation_schemas import ConfirmationIn, FamilyContactIn
from app.people.models import (
    CallOutcome,
    ConfirmationCall,
    FamilyContact,
    FamilyReminder,
    Learner,
    Registration,
    RegistrationStatus,
)
from app.people.privacy import may_see_phone, require_roster_rights, roster_sessions
from app.people.registration import cancel, lock_session
from app.scheduling.models import Session, SessionStatus
from app.scheduling.queries import get_session, visibility_clause, with_details
from app.timeutil import local_day_bounds, utcnow
from app.transaction import atomic

# Who is called first: nobody reached yet (not called, then called without an answer), then
# those who heard a message, then those done with.
CALL_ORDER: dict[str | None, int] = {
    None: 0,
    CallOutcome.NO_ANSWER: 1,
    CallOutcome.MESSAGE_LEFT: 2,
    CallOutcome.ATTENDING: 3,
    CallOutcome.CANCELLED: 4,
}


@dataclass
class CallRow:
    registration: Registration
    phone_shown: bool
    calls: list[ConfirmationCall]  # oldest first
    family: FamilyContact | None  # only one with consent to be contacted
    reminded: FamilyReminder | None

    @property
    def learner(self) -> Learner:
        return self.registration.learner

    @property
    def last(self) -> ConfirmationCall | None:
        return self.calls[-1] if self.calls else None

    @property
    def outcome(self) -> str | None:
        return self.last.outcome if self.last else None

    @property
    def open(self) -> bool:
        """Still to be called: registered, and not reached yet (a 不在 is tried again)."""
        return self.registration.status == RegistrationStatus.REGISTERED and self.outcome in (
            None,
            CallOutcome.NO_ANSWER,
        )


@dataclass
class CallGroup:
    session: Session
    rows: list[CallRow]

    @property
    def to_call(self) -> int:
        return sum(1 for row in self.rows if row.open)


def day_sessions(user: User, day: date) -> list[Session]:
    """The scheduled classes of a day (Japan time) whose people `user` may read."""
    start, end = local_day_bounds(day)
    return list(
        db.session.scalars(
            with_details(sa.select(Session))
            .where(
                Session.starts_at >= start,
                Session.starts_at < end,
                Session.status == SessionStatus.SCHEDULED,
                visibility_clause(user),
                Session.id.in_(roster_sessions(user)),
            )
            .order_by(Session.starts_at, Session.id)
        ).unique()
    )


def call_list(user: User, day: date) -> list[CallGroup]:
    """Everyone registered for the day's classes, by class, in calling order; with them those
    a call cancelled (their row says so). In a fixed number of queries, however many."""
    sessions = day_sessions(user, day)
    if not sessions:
        return []
    ids = [s.id for s in sessions]
    cancelled_by_call = sa.select(ConfirmationCall.registration_id).where(
        ConfirmationCall.outcome == CallOutcome.CANCELLED
    )
    registrations = db.session.scalars(
        sa.select(Registration)
        .options(joinedload(Registration.learner))
        .where(
            Registration.session_id.in_(ids),
            sa.or_(
                Registration.status == RegistrationStatus.REGISTERED,
                sa.and_(
                    Registration.status == RegistrationStatus.CANCELLED,
                    Registration.id.in_(cancelled_by_call),
                ),
            ),
        )
    ).all()
    reg_ids = [r.id for r in registrations]
    calls: dict[int, list[ConfirmationCall]] = defaultdict(list)
    for call in db.session.scalars(
        sa.select(ConfirmationCall)
        .options(joinedload(ConfirmationCall.recorded_by))
        .where(ConfirmationCall.registration_id.in_(reg_ids))
        .order_by(ConfirmationCall.recorded_at, ConfirmationCall.id)
    ):
        calls[call.registration_id].append(call)
    families = {
        f.learner_id: f
        for f in db.session.scalars(
            sa.select(FamilyContact).where(
                FamilyContact.learner_id.in_({r.learner_id for r in registrations}),
                FamilyContact.consent.is_(True),
            )
        )
    }
    reminders = {
        r.registration_id: r
        for r in db.session.scalars(
            sa.select(FamilyReminder).where(FamilyReminder.registration_id.in_(reg_ids))
        )
    }
    by_session: dict[int, list[CallRow]] = defaultdict(list)
    for reg in registrations:
        by_session[reg.session_id].append(
            CallRow(
                registration=reg,
                phone_shown=may_see_phone(user, reg.learner),
                calls=calls[reg.id],
                family=families.get(reg.learner_id),
                reminded=reminders.get(reg.id),
            )
        )
    groups = []
    for session in sessions:
        rows = by_session[session.id]
        rows.sort(key=lambda r: (CALL_ORDER[r.outcome], r.learner.furigana_key, r.registration.id))
        groups.append(CallGroup(session, rows))
    return groups


def call_registration(user: User, registration_id: int) -> Registration:
    """A registration whose call `user` may record: 404 for a class they may not know of,
    403 for one whose people they may not read."""
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise NotFound(_("申し込み(ID %(id)s)は見つかりません。", id=registration_id))
    session = get_session(user, registration.session_id)
    require_roster_rights(user, session)
    return registration


@atomic
def record_call(
    registration: Registration, raw: dict, actor: User
) -> tuple[ConfirmationCall, Registration | None]:
    """Write down what a call found; a 欠席 cancels the registration (and the first on the
    waitlist takes the seat: returned, to be called too)."""
    wanted = ConfirmationIn.read(raw)
    lock_session(registration.session_id)
    db.session.refresh(registration)
    if registration.status != RegistrationStatus.REGISTERED:
        raise Conflict(
            "not_registered",
            _("%(name)sさんの申し込みは取り消されています。", name=registration.learner.name),
            registration_id=registration.id,
        )
    session = db.session.get_one(Session, registration.session_id)
    if session.status != SessionStatus.SCHEDULED or session.ends_at <= utcnow():
        raise Conflict(
            "session_closed",
            _("この講座は中止か、もう終わっています。"),
            session_id=session.id,
        )
    promoted = cancel(registration, actor) if wanted.outcome == CallOutcome.CANCELLED else None
    call = ConfirmationCall(
        registration_id=registration.id,
        outcome=wanted.outcome,
        note=wanted.note,
        recorded_by_id=actor.id,
        recorded_at=utcnow(),
        promoted_id=promoted.id if promoted else None,
    )
    db.session.add(call)
    db.session.flush()
    return call, promoted


# ---------------------------------------------------------------- the family contact


def family_contact(learner: Learner) -> FamilyContact | None:
    return db.session.scalar(sa.select(FamilyContact).where(FamilyContact.learner_id == learner.id))


def family_problems(raw: dict) -> tuple[FamilyContactIn, dict[str, str]]:
    """The family contact as read, and what is wrong with each field: all of it at once (the
    public sign-up shows these beside the learner's own)."""
    wanted, problems = FamilyContactIn.read_partly(raw)
    given = bool(wanted.name or wanted.relation or wanted.phone or wanted.email or problems)
    if given and not wanted.name and "name" not in problems:
        problems["name"] = _("ご家族のお名前を入力してください。")
    contactable = wanted.phone or wanted.email or {"phone", "email"} & problems.keys()
    if given and wanted.consent and not contactable:
        problems["consent"] = _("連絡してよい場合は、電話番号かメールアドレスを入力してください。")
    return wanted, problems


@atomic
def save_family_contact(learner: Learner, raw: dict, actor: User | None) -> FamilyContact | None:
    """Keep (or change) the learner's family contact; with no name and nothing else, remove
    it. A name is needed for anything else to be kept. `actor` is None for the public
    sign-up (a family member nobody knows)."""
    wanted, problems = family_problems(raw)
    if problems:
        raise ValidationError(_("ご家族の連絡先を確認してください。"), fields=problems)
    contact = family_contact(learner)
    if not (wanted.name or wanted.relation or wanted.phone or wanted.email):
        if contact is not None:
            db.session.delete(contact)
        return None
    contact = contact or FamilyContact(learner_id=learner.id)
    contact.name = wanted.name
    contact.relation = wanted.relation
    contact.phone = wanted.phone
    contact.email = wanted.email
    contact.consent = wanted.consent
    contact.updated_by_id = actor.id if actor else None
    db.session.add(contact)
    db.session.flush()
    return contact
