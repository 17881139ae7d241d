"""Registering learners for sessions: capacity, waitlist, promotion.

A session never holds more registered learners than its capacity, however many requests
arrive at once: each change starts by taking the session's row lock (a write on SQLite,
a row lock on PostgreSQL), so counting and inserting happen one request at a time per session.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import User
from app.core.models import record
from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.people.models import Learner, Registration, RegistrationSource, RegistrationStatus
from app.scheduling.models import Session, SessionStatus
from app.timeutil import utcnow
from app.transaction import atomic


def lock_session(session_id: int) -> None:
    # A no-op write: on SQLite it takes the database's write lock (waiting on busy_timeout),
    # on PostgreSQL the row lock, before anything is counted.
    # updated_at is set to itself so that its onupdate does not fire: taking a lock is no
    # change to the session (calendar feeds would otherwise see one at every registration).
    db.session.execute(
        sa.update(Session)
        .where(Session.id == session_id)
        .values(id=Session.id, updated_at=Session.updated_at)
    )


def registered_count(session_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Registration.id)).where(
                Registration.session_id == session_id,
                Registration.status == RegistrationStatus.REGISTERED,
            )
        )
        or 0
    )


def _refuse_closed(session: Session, *, after_end: bool) -> None:
    if session.status == SessionStatus.CANCELLED:
        raise Conflict(
            "session_cancelled", _("この講座は中止になりました。"), session_id=session.id
        )
    if session.ends_at <= utcnow() and not after_end:
        raise Conflict("session_ended", _("この講座は終わっています。"), session_id=session.id)


@atomic
def register(
    session: Session,
    learner: Learner,
    *,
    source: str,
    actor: User | None = None,
    waitlist: bool = True,
    override_capacity: bool = False,
    after_end: bool = False,
) -> Registration:
    """Register, or waitlist when full. With `waitlist=False` a full session is refused
    (`session_full`); `override_capacity` (coordinators) registers beyond it, logged.

    A session that ended takes no sign-ups (`session_ended`), except with `after_end`: a
    walk-in recorded by someone whose check-in the door accepts (app.checkin), who was in the
    room. Nobody waits for a seat in a class that is over: then full is `session_full`."""
    if source not in set(RegistrationSource):
        raise ValidationError(_("登録経路が正しくありません。"), fields={"source": source})
    _refuse_closed(session, after_end=after_end)
    waitlist = waitlist and session.ends_at > utcnow()
    lock_session(session.id)
    # populate_existing: a copy loaded before the lock (by the page) must not hide a change.
    existing = db.session.scalar(
        sa.select(Registration)
        .where(Registration.session_id == session.id, Registration.learner_id == learner.id)
        .execution_options(populate_existing=True)
    )
    if existing is not None and existing.status != RegistrationStatus.CANCELLED:
        status_text = (
            _("登録済み")
            if existing.status == RegistrationStatus.REGISTERED
            else _("キャンセル待ち")
        )
        raise Conflict(
            "already_registered",
            _(
                "%(name)sさんはこの講座に既に申し込まれています(%(status)s)。",
                name=learner.name,
                status=status_text,
            ),
            registration_id=existing.id,
            # Not "status": the API's error handler takes that name for the HTTP status.
            registration_status=existing.status,
        )
    full = registered_count(session.id) >= session.capacity
    if full and not override_capacity and not waitlist:
        raise Conflict(
            "session_full",
            _("定員(%(n)d人)に達しています。", n=session.capacity),
            session_id=session.id,
        )
    status = (
        RegistrationStatus.WAITLISTED
        if full and not override_capacity
        else RegistrationStatus.REGISTERED
    )
    registration = existing or Registration(session_id=session.id, learner_id=learner.id)
    registration.status = status
    registration.source = source
    registration.queued_at = utcnow()
    registration.cancelled_at = None
    registration.created_by_id = actor.id if actor else None
    db.session.add(registration)
    db.session.flush()
    if full and override_capacity:
        _log_override(registration, session, actor)
    return registration


def _log_override(registration: Registration, session: Session, actor: User | None) -> None:
    record(
        "registration.capacity_override",
        "registration",
        registration.id,
        actor,
        session_id=session.id,
        capacity=session.capacity,
    )


@atomic
def seat(registration: Registration, actor: User) -> Registration:
    """Someone on the waitlist who came after all (ticked on the paper roster afterwards):
    registered, beyond capacity if need be (logged as an override), the class over or not."""
    lock_session(registration.session_id)
    db.session.refresh(registration)
    if registration.status != RegistrationStatus.WAITLISTED:
        raise Conflict("not_waitlisted", _("この申し込みはキャンセル待ちではありません。"))
    session = db.session.get_one(Session, registration.session_id)
    full = registered_count(session.id) >= session.capacity
    registration.status = RegistrationStatus.REGISTERED
    db.session.flush()
    if full:
        _log_override(registration, session, actor)
    return registration


@atomic
def cancel(registration: Registration, actor: User | None = None) -> Registration | None:
    """Cancel a registration; when it held a seat, the first waitlisted person gets it.

    Returns the promoted registration, if any.
    """
    lock_session(registration.session_id)
    # Read the status again under the lock: two people cancelling the same registration at
    # once must not both see it holding a seat (the second would promote a second person).
    db.session.refresh(registration)
    if registration.status == RegistrationStatus.CANCELLED:
        raise Conflict("already_cancelled", _("この申し込みは既に取り消されています。"))
    held_seat = registration.status == RegistrationStatus.REGISTERED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = utcnow()
    db.session.flush()
    if not held_seat:
        return None
    session = db.session.get_one(Session, registration.session_id)
    if registered_count(session.id) >= session.capacity:
        return None
    first = _first_waitlisted(session.id)
    if first is None:
        return None
    first.status = RegistrationStatus.REGISTERED
    record(
        "registration.promoted",
        "registration",
        first.id,
        actor,
        session_id=session.id,
        learner_id=first.learner_id,
        freed_by=registration.id,
    )
    return first


def _first_waitlisted(session_id: int) -> Registration | None:
    return db.session.scalar(
        sa.select(Registration)
        .where(
            Registration.session_id == session_id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(Registration.queued_at, Registration.id)
        .limit(1)
    )


def promoted_by_cancelling(registration: Registration) -> Registration | None:
    """Who `cancel` would move up from the waitlist now (the question asked before it), by
    its rule: the seat was held, and the session is below capacity without it."""
    if registration.status != RegistrationStatus.REGISTERED:
        return None
    session = db.session.get_one(Session, registration.session_id)
    if registered_count(session.id) - 1 >= session.capacity:
        return None
    return _first_waitlisted(session.id)


def get_registration(registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise NotFound(_("申し込み(ID %(id)s)は見つかりません。", id=registration_id))
    return registration
