"""The door: reading a check-in request, walk-ins, and the answers a device or the page gets.

The device API (app/checkin/api.py) and the check-in page's own cookie-and-CSRF endpoint
(app/checkin/routes.py) read the same body with app.checkin.schemas.CheckinIn, act with
`check_in_or_walk_in` and answer with `checkin_answer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response as ResponseBase

from app.auth.models import Role, User
from app.checkin import device, quick, services
from app.checkin.counts import counts_for
from app.checkin.models import Attendance, AttendanceStatus, CheckinMethod, DoorRefusal
from app.checkin.schemas import (
    CLIENT_ID_MAX,
    AttendanceOut,
    CheckinCounts,
    CheckinIn,
    CheckinOut,
    DoorLearner,
    DoorResult,
    RosterLearner,
    RosterOut,
    RosterRow,
    RosterSession,
    WalkInRegistration,
)
from app.errors import Conflict, Forbidden, ServiceError
from app.extensions import db
from app.people import matches
from app.people.models import (
    Learner,
    MatchSource,
    Registration,
    RegistrationSource,
    RegistrationStatus,
)
from app.people.privacy import Field, is_session_staff, learner_visibility, may_see
from app.people.registration import register
from app.scheduling.models import Session
from app.templating import format_time
from app.text import clean
from app.timeutil import iso, parse_iso, utcnow
from app.transaction import atomic


@dataclass
class CheckinOutcome:
    result: DoorResult
    learner: Learner
    attendance: Attendance | None = None
    registration: Registration | None = None


def check_in_or_walk_in(session: Session, actor: User, wanted: CheckinIn) -> CheckinOutcome:
    """Check in; with `walk_in`, someone not registered is registered on the spot first
    (source walk_in), or put on the waitlist (`waitlist`), or registered beyond capacity by
    a coordinator (`override_capacity`, logged by the registration service)."""
    if wanted.override_capacity and actor.role not in (Role.ADMIN, Role.COORDINATOR):
        raise Forbidden(_("定員を超えての受付はコーディネーターだけができます。"))
    if wanted.new_learner is not None:
        services.require_check_in_rights(actor, session)
        services.check_window(session, actor)
        outcome, wanted = _newcomer(session, actor, wanted)
        if outcome is not None:
            return outcome
    try:
        done = services.check_in(
            session,
            actor,
            code=wanted.code,
            learner_id=wanted.learner_id,
            client_id=wanted.client_id,
            scanned_at=wanted.scanned_at,
            method=wanted.method,
            card_key=wanted.card_key,
        )
        return CheckinOutcome(done.result, done.learner, done.attendance)
    except Conflict as refusal:
        # The refusal came after the rights and the opening hours were checked, so a walk-in
        # is registered only when the check-in that follows can succeed.
        if refusal.code != "not_registered" or not wanted.walk_in:
            raise
        learner = db.session.get_one(Learner, refusal.extra["learner_id"])
    learner, registration = _enrol_walk_in(session, actor, wanted, learner=learner)
    return _after_walk_in(session, actor, wanted, learner, registration)


def _newcomer(
    session: Session, actor: User, wanted: CheckinIn
) -> tuple[CheckinOutcome | None, CheckinIn]:
    """A newcomer typed in at the door: recorded, registered and checked in (the outcome);
    or, when the person turns out to be on record, the request by their id instead."""
    assert wanted.new_learner is not None
    again = _made_by(wanted.client_id)
    if again is not None:
        # The device's retry of a newcomer it already sent: the person it recorded then,
        # answered as the first try was (waitlisted, or checked in).
        waiting = db.session.scalar(
            sa.select(Registration).where(
                Registration.session_id == session.id,
                Registration.learner_id == again.id,
                Registration.status == RegistrationStatus.WAITLISTED,
            )
        )
        if waiting is not None:
            return CheckinOutcome("waitlisted", again, registration=waiting), wanted
        return None, wanted.model_copy(update={"learner_id": again.id, "new_learner": None})
    newcomer = wanted.new_learner.model_dump(exclude_none=True)
    # On record after all, and someone this actor may see: the ordinary path. Someone
    # else on record is not handed to them: a new record, and a coordinator decides.
    known = matches.known(newcomer, learner_visibility(actor))
    if known.seen is not None:
        return None, wanted.model_copy(update={"learner_id": known.seen.id, "new_learner": None})
    learner, registration = _enrol_walk_in(
        session, actor, wanted, newcomer=newcomer, unseen=known.unseen
    )
    return _after_walk_in(session, actor, wanted, learner, registration), wanted


def _made_by(client_id: str | None) -> Learner | None:
    if not client_id:
        return None
    return db.session.scalar(sa.select(Learner).where(Learner.client_id == client_id))


@atomic
def _enrol_walk_in(
    session: Session,
    actor: User,
    wanted: CheckinIn,
    *,
    learner: Learner | None = None,
    newcomer: dict[str, str] | None = None,
    unseen: list[Learner] | None = None,
) -> tuple[Learner, Registration]:
    """Register a walk-in (recording a newcomer first): both, or neither when refused."""
    if learner is None:
        learner = matches.record_new(
            newcomer or {}, actor, source=MatchSource.WALK_IN, unseen=unseen or []
        )
        learner.client_id = wanted.client_id
    # Both callers checked the door's hours first: they decide, not the sign-up's. A walk-in
    # recorded after the end (by whoever may record later) is registered after it.
    registration = register(
        session,
        learner,
        source=RegistrationSource.WALK_IN,
        actor=actor,
        waitlist=wanted.waitlist,
        override_capacity=wanted.override_capacity,
        after_end=True,
    )
    return learner, registration


def _after_walk_in(
    session: Session,
    actor: User,
    wanted: CheckinIn,
    learner: Learner,
    registration: Registration,
) -> CheckinOutcome:
    if registration.status == RegistrationStatus.WAITLISTED:
        return CheckinOutcome("waitlisted", learner, registration=registration)
    done = services.check_in(
        session,
        actor,
        learner_id=learner.id,
        client_id=wanted.client_id,
        scanned_at=wanted.scanned_at,
        method=CheckinMethod.WALK_IN,
    )
    return CheckinOutcome(done.result, done.learner, done.attendance, registration)


# ---------------------------------------------------------------- answers


def _counts(session: Session) -> CheckinCounts:
    counts = counts_for([session.id])[session.id]
    return CheckinCounts(
        registered=counts.registered,
        waitlisted=counts.waitlisted,
        checked_in=counts.checked_in,
        capacity=session.capacity,
    )


def _message(outcome: CheckinOutcome | quick.Answered) -> str:
    name = outcome.learner.name
    if outcome.result == "waitlisted":
        return _("%(name)sさんをキャンセル待ちに登録しました。", name=name)
    attendance = outcome.attendance
    # Checked in now or before: the attendance and its time are there.
    assert attendance is not None
    assert attendance.checked_in_at is not None
    time = format_time(attendance.checked_in_at)
    if outcome.result == "already_checked_in":
        return _("%(name)sさんは%(time)sに受付済みです。", name=name, time=time)
    if attendance.recorded_later:
        return _("%(name)sさんの出席を%(time)sとして後から記録しました。", name=name, time=time)
    if attendance.status == AttendanceStatus.LATE:
        return _("%(name)sさんを受付しました(%(time)s・遅刻)。", name=name, time=time)
    return _("%(name)sさんを受付しました(%(time)s)。", name=name, time=time)


def checkin_answer(session: Session, outcome: CheckinOutcome) -> tuple[dict[str, Any], int]:
    """The answer and its status: 200 for someone already checked in, else 201."""
    return door_answer(outcome, _counts(session))


def door_answer(
    outcome: CheckinOutcome | quick.Answered, counts: CheckinCounts
) -> tuple[dict[str, Any], int]:
    """The answer to a check-in as the full path or the quick one (app.checkin.quick) did it,
    with the session's counts after it."""
    status = 200 if outcome.result == "already_checked_in" else 201
    if isinstance(outcome, quick.Answered):
        return _quick_body(outcome, counts), status
    answer = CheckinOut(
        result=outcome.result,
        learner=DoorLearner.model_validate(outcome.learner),
        message=_message(outcome),
        counts=counts,
    )
    if outcome.attendance is not None:
        answer.attendance = AttendanceOut.model_validate(outcome.attendance)
        answer.checked_in_at = outcome.attendance.checked_in_at
        answer.status = AttendanceStatus(outcome.attendance.status)
    if outcome.registration is not None:
        answer.registration = WalkInRegistration.model_validate(outcome.registration)
    return answer.dump(), status


def _quick_body(outcome: quick.Answered, counts: CheckinCounts) -> dict[str, Any]:
    """CheckinOut's dump, written out for the busiest answer (a check-in, or one already
    recorded: never a walk-in's registration); tests/checkin/test_quick_door.py reads it back
    with CheckinOut."""
    seen, person = outcome.attendance, outcome.learner
    at = iso(seen.checked_in_at)
    return {
        "result": outcome.result,
        "learner": {"id": person.id, "name": person.name, "furigana": person.furigana},
        "message": _message(outcome),
        "counts": {
            "registered": counts.registered,
            "waitlisted": counts.waitlisted,
            "checked_in": counts.checked_in,
            "capacity": counts.capacity,
        },
        "attendance": {
            "id": seen.id,
            "registration_id": seen.registration_id,
            "session_id": seen.session_id,
            "learner_id": seen.learner_id,
            "status": seen.status,
            "checked_in_at": at,
            "method": seen.method,
            "recorded_later": seen.recorded_later,
            "client_id": seen.client_id,
        },
        "checked_in_at": at,
        "status": seen.status,
    }


def roster_answer(user: User, session: Session, *, for_page: bool = False) -> dict[str, Any]:
    """Everything a device needs to run the check-in page: the session, the counts, and
    every registered or waitlisted learner with their check-in and their cards' keyed
    hashes (app.checkin.device). The check-in page's copy (`for_page`) has neither phone
    numbers nor short codes: it stays on the phone."""
    roster = services.roster(session)
    skills = {s.id: s.key for s in session.course_version.skills}
    reached = services.reached_skills(session)
    key = device.door_key(session)
    rows = []
    for row in roster.rows:
        learner = DoorLearner.model_validate(row.learner)
        if not for_page and may_see(user, Field.PHONE, row.learner):
            learner = RosterLearner.model_validate(row.learner)
        cards_shown = may_see(user, Field.CARD, row.learner)
        active, revoked = device.card_keys(key, row.learner) if cards_shown else ([], [])
        rows.append(
            RosterRow(
                registration_id=row.registration.id,
                registration_status=RegistrationStatus(row.registration.status),
                learner=learner,
                status=AttendanceStatus(row.status) if row.status is not None else None,
                checked_in_at=row.attendance.checked_in_at if row.attendance else None,
                client_id=row.attendance.client_id if row.attendance else None,
                recorded_later=bool(row.attendance and row.attendance.recorded_later),
                short_code=row.short_code if cards_shown and not for_page else None,
                card_keys=active,
                revoked_keys=revoked,
                skills=sorted(skills[i] for i in reached.get(row.learner.id, ()) if i in skills),
            )
        )
    counts = CheckinCounts(
        registered=roster.registered,
        waitlisted=roster.waitlisted,
        checked_in=roster.checked_in,
        capacity=session.capacity,
    )
    return RosterOut(
        session=RosterSession.model_validate(session),
        counts=counts,
        rows=rows,
        door_key=device.door_key_text(key) if may_see(user, Field.CARD) else None,
        kept_until=device.kept_until(session),
    ).dump()


def roster_response(body: dict[str, Any]) -> ResponseBase:
    """The roster with an ETag of its bytes: a device that asks again with If-None-Match
    and has the same copy gets 304 and no body (its weak signal carries nothing)."""
    response = jsonify(body)
    response.add_etag()
    return response.make_conditional(request)


# ---------------------------------------------------------------- a device's queue


def check_in_batch(session: Session, actor: User, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Each item as the single door would take it, in order: one refused item leaves the
    others as they are. A refused item that carries a client_id is kept (DoorRefusal) for
    the coordinator's attendance page.

    The items the quick path accepts (app.checkin.quick: someone registered, not yet checked
    in, or already) are judged from one read of the batch's people and written together;
    the first item it does not take ends that run, is taken the full way in its own
    transaction, and the people are read again for the items after it."""
    read = [_read_item(raw) for raw in items]
    quick_batch = quick.Batch(actor, session, is_session_staff(actor, session))
    results: list[dict[str, Any]] = []
    start = 0
    while start < len(items):
        quick_batch.read([wanted for wanted in read[start:] if wanted is not None])
        now = utcnow()
        run: list[quick.Verdict] = []
        for wanted in read[start:]:
            verdict = quick_batch.judge(wanted, now) if wanted is not None else None
            if verdict is None:
                break
            run.append(verdict)
        if run:
            taken = items[start : start + len(run)]
            results.extend(_accept_run(session, actor, quick_batch, taken, run))
            start += len(run)
        if start < len(items):
            results.append(_batch_item(session, actor, items[start]))
            start += 1
    # CheckinBatchOut's dump: each item's answer is already the single door's JSON.
    return {"results": results}


def _read_item(raw: dict[str, Any]) -> CheckinIn | None:
    try:
        return CheckinIn.read(raw)
    except ServiceError:
        return None  # the full path answers it, with its refusal kept


def _client_id(raw: dict[str, Any]) -> str | None:
    sent_id = raw.get("client_id")
    return sent_id.strip()[:CLIENT_ID_MAX] if isinstance(sent_id, str) else None


def _accept_run(
    session: Session,
    actor: User,
    batch: quick.Batch,
    items: list[dict[str, Any]],
    run: list[quick.Verdict],
) -> list[dict[str, Any]]:
    """The quick path's run, written at once; each item the full way if it lost a race."""
    counts = _counts(session)
    done = batch.write(run)
    if done is None:
        return [_batch_item(session, actor, raw) for raw in items]
    results = []
    for raw, answered in zip(items, done, strict=True):
        if answered.result == "checked_in":
            counts = counts.model_copy(update={"checked_in": counts.checked_in + 1})
        body, status = door_answer(answered, counts)
        results.append({"client_id": _client_id(raw), "status": status, "answer": body})
    return results


def _batch_item(session: Session, actor: User, raw: dict[str, Any]) -> dict[str, Any]:
    """One item the full way, in its own transaction."""
    client_id = _client_id(raw)
    try:
        wanted = CheckinIn.read(raw)
        body, status = checkin_answer(session, check_in_or_walk_in(session, actor, wanted))
        return {"client_id": client_id, "status": status, "answer": body}
    except ServiceError as exc:
        db.session.rollback()
        if client_id:
            _keep_refusal(session, actor, raw, client_id, exc)
        return {"client_id": client_id, "status": exc.status, "error": exc.body()}


def _keep_refusal(
    session: Session, actor: User, raw: dict[str, Any], client_id: str, exc: ServiceError
) -> None:
    if db.session.scalar(sa.select(DoorRefusal.id).where(DoorRefusal.client_id == client_id)):
        return  # the same item refused again on a retry: kept once
    learner_id = exc.extra.get("learner_id")
    newcomer = raw.get("new_learner")
    name = newcomer.get("name") if isinstance(newcomer, dict) else None
    scanned = raw.get("scanned_at")
    try:
        scanned_at = parse_iso(scanned) if isinstance(scanned, str) else None
    except ValueError:
        scanned_at = None
    db.session.add(
        DoorRefusal(
            session_id=session.id,
            client_id=client_id,
            code=exc.code[:40],
            message=str(exc.message)[:500],
            learner_id=learner_id if isinstance(learner_id, int) else None,
            typed_name=clean(name)[:100] if isinstance(name, str) else None,
            scanned_at=scanned_at,
            recorded_by_id=actor.id,
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same item, refused at the same moment by another request


def refusals(session: Session) -> list[DoorRefusal]:
    return list(
        db.session.scalars(
            sa.select(DoorRefusal)
            .options(joinedload(DoorRefusal.learner))
            .where(DoorRefusal.session_id == session.id)
            .order_by(DoorRefusal.scanned_at, DoorRefusal.id)
        )
    )
