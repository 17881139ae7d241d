"""Checking learners in at the door, and what happened afterwards.

Check-in is idempotent: a device's retry (same `client_id`) or a second scan of the same
card for the same session never makes a second record; the answer names the first time.
Every refusal carries a reason code the check-in page and devices act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, NoReturn, cast

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.auth.models import Role, User
from app.checkin import device, signals
from app.checkin.counts import counts_for
from app.checkin.models import Attendance, AttendanceStatus, CheckinMethod, SkillReached
from app.core.models import record
from app.curricula.models import Skill
from app.errors import Conflict, Forbidden, Gone, NotFound, ValidationError
from app.extensions import db
from app.people import cards
from app.people.models import Learner, Registration, RegistrationStatus
from app.people.privacy import is_session_staff, learner_visibility, roster_sessions
from app.people.registration import registered_count
from app.scheduling.models import Session, SessionStatus
from app.templating import format_datetime, format_time
from app.timeutil import utcnow
from app.transaction import atomic

OPENS_BEFORE_START = timedelta(minutes=60)
# How long after the end the session's own instructors and assistants may still record its
# attendance (the paper roster typed in, a check-in recorded later); coordinators always may.
PAPER_ROSTER_DAYS = 7


@dataclass
class CheckinResult:
    result: Literal["checked_in", "already_checked_in"]
    attendance: Attendance
    learner: Learner

    @property
    def created(self) -> bool:
        return self.result == "checked_in"


# ---------------------------------------------------------------- who may check in


def may_check_in(user: User, session: Session) -> bool:
    """The session's instructors and assistants, coordinators and admins."""
    return user.role in (Role.ADMIN, Role.COORDINATOR) or is_session_staff(user, session)


def require_check_in_rights(user: User, session: Session) -> None:
    if not may_check_in(user, session):
        raise Forbidden(
            _("この講座の受付は、担当の講師・アシスタントとコーディネーターが行います。")
        )


def record_later_until(session: Session) -> datetime:
    """The last moment the session's instructors and assistants may record it later."""
    return session.ends_at + timedelta(days=PAPER_ROSTER_DAYS)


def may_record_later(user: User, session: Session, at: datetime | None = None) -> bool:
    """Whether `user` may record this session's attendance after its end (at `at`, by default
    now): coordinators and admins at any time, its instructors and assistants for
    PAPER_ROSTER_DAYS after the end."""
    if user.role in (Role.ADMIN, Role.COORDINATOR):
        return True
    return is_session_staff(user, session) and (at or utcnow()) <= record_later_until(session)


def too_late_message() -> str:
    return _(
        "この講座は終わってから%(days)d日を過ぎました。出席の記録はコーディネーターに"
        "依頼してください。",
        days=PAPER_ROSTER_DAYS,
    )


# ---------------------------------------------------------------- the door


def _window(session: Session, actor: User, at: datetime) -> bool:
    """Whether this check-in is recorded later (after the end, by whoever may record later)."""
    if session.status == SessionStatus.CANCELLED:
        raise Conflict("session_not_open", _("この講座は中止になりました。"), session_id=session.id)
    if at < session.starts_at - OPENS_BEFORE_START:
        raise Conflict(
            "session_not_open",
            _(
                "受付は開始の60分前(%(time)s)からです。",
                time=format_time(session.starts_at - OPENS_BEFORE_START),
            ),
            session_id=session.id,
        )
    if at > session.ends_at:
        if may_record_later(actor, session, at):
            return True
        raise Conflict("session_not_open", too_late_message(), session_id=session.id)
    return False


def check_window(session: Session, actor: User) -> bool:
    """Refuse (session_not_open) outside the check-in hours; True when recorded later."""
    return _window(session, actor, utcnow())


def _learner_for(
    session: Session, code: str | None, learner_id: int | None, card_key: str | None, actor: User
) -> tuple[Learner, str]:
    if code:
        card = cards.find_card(code)
        if card is None:
            raise NotFound(_("このカードは登録されていません。"), code="unknown_code")
        if card.revoked_at is not None:
            raise Gone(
                _("このカードは再発行のため使えません。新しいカードをお使いください。"),
                code="revoked_card",
                learner_id=card.learner_id,
            )
        method = (
            CheckinMethod.QR if card.token == cards.normalize_code(code) else CheckinMethod.CODE
        )
        return card.learner, method
    if learner_id is None:
        raise ValidationError(
            _("カードの番号か受講者を指定してください。"),
            fields={"code": _("code か learner_id のどちらかが必要です。")},
        )
    # By id, only someone the actor may see: for an instructor, the people of the sessions
    # they teach. Anyone else answers exactly as an id that does not exist.
    learner = db.session.scalar(
        sa.select(Learner).where(Learner.id == learner_id, learner_visibility(actor))
    )
    if learner is None:
        raise NotFound(
            _("受講者(ID %(id)s)は見つかりません。", id=learner_id), code="unknown_learner"
        )
    if card_key is not None:
        _check_card_key(session, learner, card_key)
        return learner, CheckinMethod.CODE
    return learner, CheckinMethod.SEARCH


def _check_card_key(session: Session, learner: Learner, card_key: str) -> None:
    """A device's scan, matched on the device by the card's keyed hash: the card must still
    be the learner's working card when the scan arrives."""
    active, revoked = device.card_keys(device.door_key(session), learner)
    sent = card_key.strip().lower()
    if sent in active:
        return
    if sent in revoked:
        raise Gone(
            _("このカードは再発行のため使えません。新しいカードをお使いください。"),
            code="revoked_card",
            learner_id=learner.id,
        )
    raise NotFound(_("このカードは登録されていません。"), code="unknown_code")


def _not_registered(
    session: Session, actor: User, learner: Learner, registration: Registration | None
) -> NoReturn:
    # Another session is named only when the actor may read its people anyway.
    elsewhere = db.session.execute(
        sa.select(Session.id, Session.starts_at)
        .join(Registration, Registration.session_id == Session.id)
        .where(
            Registration.learner_id == learner.id,
            Registration.status == RegistrationStatus.REGISTERED,
            Session.status == SessionStatus.SCHEDULED,
            Session.ends_at > utcnow(),
            Session.id != session.id,
            Session.id.in_(roster_sessions(actor)),
        )
        .order_by(Session.starts_at)
        .limit(1)
    ).first()
    if registration is not None and registration.status == RegistrationStatus.WAITLISTED:
        message = _("%(name)sさんはキャンセル待ちです。", name=learner.name)
    elif elsewhere is not None:
        message = _(
            "%(name)sさんは別の講座(%(when)s)に申し込まれています。",
            name=learner.name,
            when=format_datetime(elsewhere.starts_at),
        )
    else:
        message = _("%(name)sさんはこの講座に申し込まれていません。", name=learner.name)
    raise Conflict(
        "not_registered",
        message,
        can_walk_in=_walk_in_accepted(session, registration),
        learner_id=learner.id,
        learner_name=learner.name,
        learner_furigana=learner.furigana,
        registration_status=registration.status if registration else None,
        other_session_id=elsewhere.id if elsewhere else None,
    )


def _walk_in_accepted(session: Session, registration: Registration | None) -> bool:
    """Whether `walk_in` (with neither `waitlist` nor `override_capacity`) would register and
    check this person in. The rights and the hours were checked before anyone is found not
    registered, and a walk-in is registered whenever the door is open to the actor, after
    the end too when they may record later (app.checkin.door): what is left is the
    registration's own rule, a seat free for someone not already waiting."""
    if registration is not None and registration.status == RegistrationStatus.WAITLISTED:
        return False
    return registered_count(session.id) < session.capacity


def late_from(session: Session) -> datetime:
    """Arriving after this is late (the start plus the session's grace)."""
    return session.starts_at + timedelta(minutes=session.late_after_minutes)


def _status_at(session: Session, at: datetime) -> str:
    return AttendanceStatus.LATE if at > late_from(session) else AttendanceStatus.PRESENT


def unseen_arrival(session: Session, status: str) -> datetime:
    """When someone came, recorded after the end: nobody saw them arrive, and the time of the
    recording would be days off. Present stands at the start, late at the end of the grace
    (the door's rule counts that very minute on time; the status, not the time, says late).
    Every attendance recorded later with no time of its own gets this one: a check-in after
    the end, a correction after the end, the paper roster typed in."""
    return late_from(session) if status == AttendanceStatus.LATE else session.starts_at


def _existing(registration: Registration) -> Attendance | None:
    return db.session.scalar(
        sa.select(Attendance).where(Attendance.registration_id == registration.id)
    )


def check_in(
    session: Session,
    actor: User,
    *,
    code: str | None = None,
    learner_id: int | None = None,
    client_id: str | None = None,
    scanned_at: datetime | None = None,
    method: str | None = None,
    card_key: str | None = None,
) -> CheckinResult:
    """Record that a learner came. Raises NotFound/Gone/Conflict with the reason's code."""
    require_check_in_rights(actor, session)
    client_id = (client_id or "").strip() or None
    now = utcnow()
    at = min(scanned_at, now) if scanned_at else now
    recorded_later = _window(session, actor, at)
    learner, found_by = _learner_for(session, code, learner_id, card_key, actor)
    # A device's retry (same client_id) finds the attendance its first try recorded here.
    row = db.session.execute(
        sa.select(Registration, Attendance)
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(Registration.session_id == session.id, Registration.learner_id == learner.id)
    ).first()
    registration, existing = row if row is not None else (None, None)
    if registration is None or registration.status != RegistrationStatus.REGISTERED:
        _not_registered(session, actor, learner, registration)
    if (
        existing is not None
        and existing.checked_in_at is not None
        and not _earlier_scan(existing, at, client_id, scanned_at, recorded_later)
    ):
        return CheckinResult("already_checked_in", existing, learner)
    return _record(
        session,
        registration,
        learner,
        actor,
        existing,
        at,
        client_id,
        CheckinMethod.RECORDED_LATER if recorded_later else (method or found_by),
        recorded_later,
    )


def _earlier_scan(
    existing: Attendance,
    at: datetime,
    client_id: str | None,
    scanned_at: datetime | None,
    later: bool,
) -> bool:
    """Two devices checked the same person in while offline and the later scan arrived
    first: the earlier scan's time is the one kept (the person was there then). Only scans
    from a device (a scan time and a client_id of their own) move a check-in earlier; a
    coordinator's recording after the class is never moved."""
    return (
        scanned_at is not None
        and client_id is not None
        and client_id != existing.client_id
        and not later
        and not existing.recorded_later
        and existing.checked_in_at is not None
        and at < existing.checked_in_at
    )


def _record(
    session: Session,
    registration: Registration,
    learner: Learner,
    actor: User,
    existing: Attendance | None,
    at: datetime,
    client_id: str | None,
    method: str,
    later: bool,
) -> CheckinResult:
    attendance = existing or Attendance(
        registration_id=registration.id, session_id=session.id, learner_id=learner.id
    )
    before = existing.status if existing else None
    # Recorded after the end, the arrival time is unknown: the recording time would make
    # everyone late.
    attendance.status = AttendanceStatus.PRESENT if later else _status_at(session, at)
    attendance.checked_in_at = unseen_arrival(session, attendance.status) if later else at
    attendance.received_at = utcnow()
    attendance.method = method
    attendance.client_id = client_id
    attendance.recorded_by_id = actor.id
    attendance.recorded_later = later
    db.session.add(attendance)
    try:
        if before is not None:
            record(
                "attendance.changed",
                "attendance",
                attendance.id,
                actor,
                before=before,
                after=attendance.status,
            )
        commit_keeping()
    except IntegrityError:
        # The same card scanned on two phones at once: the other scan won; report it.
        db.session.rollback()
        first = db.session.scalar(
            sa.select(Attendance).where(Attendance.registration_id == registration.id)
        )
        if first is not None:
            return CheckinResult("already_checked_in", first, learner)
        if client_id is not None:  # a client_id that a device already used for someone else
            raise Conflict(
                "client_id_reused",
                _("この client_id は別の受付に使われています。新しい client_id で送ってください。"),
            ) from None
        raise
    return CheckinResult("checked_in", attendance, learner)


def record_attendance_rows(
    rows: list[dict[str, Any]], partner_orgs: dict[int, int | None]
) -> list[dict[str, Any]]:
    """Write new check-ins, each a dict of Attendance's columns, in the current transaction,
    with one INSERT for them all; returns the rows with their ids. The one place the door's
    quick path (app.checkin.quick) writes attendances: with Core, not the ORM's unit of work,
    so flush hooks do not see them; it sends app.checkin.signals.attendances_recorded.
    `partner_orgs`: each session's partner organization, as the caller read it."""
    table = cast(sa.Table, Attendance.__table__)
    written = {
        registration_id: attendance_id
        for attendance_id, registration_id in db.session.connection().execute(
            sa.insert(table).returning(table.c.id, table.c.registration_id), rows
        )
    }
    done = [{**row, "id": written[row["registration_id"]]} for row in rows]
    signals.attendances_recorded.send(
        None,
        rows=done,
        session_ids=sorted({row["session_id"] for row in done}),
        partner_org_ids=sorted(
            {org for row in done if (org := partner_orgs[row["session_id"]]) is not None}
        ),
    )
    return done


def commit_keeping() -> None:
    """Commit without expiring what was just written: the answer shows exactly these rows,
    and reloading them would cost the busiest request a query each."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


# ---------------------------------------------------------------- after the fact


@atomic
def set_status(
    session: Session, registration: Registration, status: str, actor: User
) -> Attendance | None:
    """Correct a learner's attendance (coordinators, and the session's staff); logged."""
    require_check_in_rights(actor, session)
    if status not in set(AttendanceStatus):
        raise ValidationError(
            _("出欠は %(choices)s のいずれかです。", choices=", ".join(AttendanceStatus)),
            fields={"status": _("出欠の区分が正しくありません。")},
        )
    if status == AttendanceStatus.EXCUSED and actor.role not in (Role.ADMIN, Role.COORDINATOR):
        raise Forbidden(_("欠席連絡ありにできるのはコーディネーターです。"))
    if (
        registration.session_id != session.id
        or registration.status != RegistrationStatus.REGISTERED
    ):
        raise NotFound(_("この講座の申し込みではありません。"))
    attendance = _existing(registration)
    before = attendance.status if attendance else derived_status(session, None)
    if before == status:
        return attendance
    if attendance is None:
        attendance = Attendance(
            registration_id=registration.id,
            session_id=session.id,
            learner_id=registration.learner_id,
            method=CheckinMethod.RECORDED_LATER,
        )
        db.session.add(attendance)
    later = utcnow() > session.ends_at
    attendance.status = status
    if status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE):
        # A time seen at the door is kept; else now, or after the end the rule's time.
        attendance.checked_in_at = attendance.checked_in_at or (
            unseen_arrival(session, status) if later else utcnow()
        )
    else:
        attendance.checked_in_at = None
    attendance.recorded_by_id = actor.id
    attendance.recorded_later = later
    db.session.flush()
    record(
        "attendance.changed",
        "attendance",
        attendance.id,
        actor,
        registration_id=registration.id,
        before=before,
        after=status,
    )
    return attendance


def derived_status(session: Session, attendance: Attendance | None) -> str | None:
    """Absent is not stored: it is a registration with no check-in once the session ended."""
    if attendance is not None:
        return attendance.status
    return AttendanceStatus.ABSENT if session.ends_at <= utcnow() else None


# ---------------------------------------------------------------- the roster


@dataclass
class RosterRow:
    registration: Registration
    learner: Learner
    attendance: Attendance | None
    status: str | None
    short_code: str | None


@dataclass
class Roster:
    session: Session
    rows: list[RosterRow]
    registered: int
    waitlisted: int
    checked_in: int


def roster(session: Session) -> Roster:
    """Everyone registered or waitlisted, with their check-in, in a fixed number of queries."""
    registrations = list(
        db.session.scalars(
            sa.select(Registration)
            .options(joinedload(Registration.learner).selectinload(Learner.cards))
            .where(
                Registration.session_id == session.id,
                Registration.status != RegistrationStatus.CANCELLED,
            )
            .order_by(Registration.status, Registration.queued_at, Registration.id)
        ).unique()
    )
    attendances = {
        a.registration_id: a
        for a in db.session.scalars(
            sa.select(Attendance).where(Attendance.session_id == session.id)
        )
    }
    rows = []
    for reg in registrations:
        attendance = attendances.get(reg.id)
        card = reg.learner.active_card
        rows.append(
            RosterRow(
                registration=reg,
                learner=reg.learner,
                attendance=attendance,
                status=derived_status(session, attendance)
                if reg.status == RegistrationStatus.REGISTERED
                else None,
                short_code=card.short_code if card else None,
            )
        )
    rows.sort(
        key=lambda r: (
            r.registration.status != RegistrationStatus.REGISTERED,
            r.learner.furigana_key,
        )
    )
    counts = counts_for([session.id])[session.id]
    return Roster(session, rows, counts.registered, counts.waitlisted, counts.checked_in)


def on_the_sheet(roster: Roster) -> tuple[list[RosterRow], list[RosterRow]]:
    """The roster as the sheet lists it: the registered (by furigana), then the waitlist in
    its own order (who is promoted first)."""
    registered = [r for r in roster.rows if r.registration.status == RegistrationStatus.REGISTERED]
    waitlisted = sorted(
        (r for r in roster.rows if r.registration.status == RegistrationStatus.WAITLISTED),
        key=lambda r: (r.registration.queued_at, r.registration.id),
    )
    return registered, waitlisted


# ---------------------------------------------------------------- skills


def skills_by_where(session: Session) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """This course version's skills each learner of the session reached, as two maps of
    learner id → skill ids: those this session recorded (its grid may change them), and
    those another session recorded (perhaps another organization's: shown, never changed)."""
    skill_ids = [s.id for s in session.course_version.skills]
    here: dict[int, set[int]] = {}
    elsewhere: dict[int, set[int]] = {}
    if not skill_ids:
        return here, elsewhere
    rows = db.session.execute(
        sa.select(SkillReached.learner_id, SkillReached.skill_id, SkillReached.session_id).where(
            SkillReached.skill_id.in_(skill_ids),
            SkillReached.learner_id.in_(
                sa.select(Registration.learner_id).where(Registration.session_id == session.id)
            ),
        )
    )
    for learner_id, skill_id, session_id in rows:
        into = here if session_id == session.id else elsewhere
        into.setdefault(learner_id, set()).add(skill_id)
    return here, elsewhere


def reached_skills(session: Session) -> dict[int, set[int]]:
    """learner id → ids of this course version's skills they reached (in any session)."""
    here, elsewhere = skills_by_where(session)
    return {
        learner_id: here.get(learner_id, set()) | elsewhere.get(learner_id, set())
        for learner_id in here.keys() | elsewhere.keys()
    }


@atomic
def set_skills(
    session: Session, learner_ids: list[int], reached: dict[int, set[int]], actor: User
) -> int:
    """Make the grid true: for each learner, exactly `reached[learner]` among this course's
    skills are marked by this session. Skills another session recorded are left as they
    are, whatever was sent. Returns the number of changes."""
    require_check_in_rights(actor, session)
    skills = set(
        db.session.scalars(
            sa.select(Skill.id).where(Skill.course_version_id == session.course_version_id)
        )
    )
    registered = set(
        db.session.scalars(
            sa.select(Registration.learner_id).where(
                Registration.session_id == session.id,
                Registration.status == RegistrationStatus.REGISTERED,
            )
        )
    )
    unknown = [i for i in learner_ids if i not in registered]
    if unknown:
        raise ValidationError(
            _("この講座に申し込んでいない受講者が含まれています。"),
            fields={"learners": ", ".join(map(str, unknown))},
        )
    current, elsewhere = skills_by_where(session)
    changes = 0
    for learner_id in learner_ids:
        wanted = (reached.get(learner_id, set()) & skills) - elsewhere.get(learner_id, set())
        have = current.get(learner_id, set())
        for skill_id in wanted - have:
            db.session.add(
                SkillReached(
                    learner_id=learner_id,
                    skill_id=skill_id,
                    session_id=session.id,
                    marked_by_id=actor.id,
                )
            )
            changes += 1
        if have - wanted:
            db.session.execute(
                sa.delete(SkillReached).where(
                    SkillReached.learner_id == learner_id,
                    SkillReached.skill_id.in_(have - wanted),
                    SkillReached.session_id == session.id,
                )
            )
            changes += len(have - wanted)
    return changes
