"""The door: reading a check-in request, walk-ins, and the answers a device or the page gets.

The device API (app/checkin/api.py) and the check-in page's own cookie-and-CSRF endpoint
(app/checkin/routes.py) read the same body with `read_checkin`, act with
`check_in_or_walk_in` and answer with `checkin_json`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from app.auth.models import Role, User
from app.checkin import services
from app.checkin.counts import counts_for
from app.checkin.models import Attendance, AttendanceStatus, CheckinMethod
from app.errors import Conflict, Forbidden, ValidationError
from app.extensions import db
from app.people import matches
from app.people.models import (
    Learner,
    MatchSource,
    Registration,
    RegistrationSource,
    RegistrationStatus,
)
from app.people.privacy import Field, learner_visibility, may_see
from app.people.registration import register
from app.scheduling.models import Session
from app.templating import format_time
from app.timeutil import OutOfRange, iso, parse_iso
from app.transaction import atomic

CLIENT_ID_MAX = 64  # the column's width; a UUID is 36
DEVICE_METHODS = frozenset({CheckinMethod.QR, CheckinMethod.SCANNER, CheckinMethod.CODE})


@dataclass
class CheckinRequest:
    code: str | None = None
    learner_id: int | None = None
    client_id: str | None = None
    scanned_at: datetime | None = None
    method: str | None = None
    walk_in: bool = False
    waitlist: bool = False
    override_capacity: bool = False
    # Someone with no record at all, who walked in: recorded and registered on the spot.
    new_learner: dict[str, str] | None = None


NEWCOMER_FIELDS = ("name", "furigana", "phone")
# What the API document allows (additionalProperties: false): anything else is refused,
# so that a misspelt "walkin" is not silently a check-in without the walk-in.
CHECKIN_FIELDS = frozenset(
    {
        "code",
        "learner_id",
        "client_id",
        "scanned_at",
        "method",
        "walk_in",
        "waitlist",
        "override_capacity",
        "new_learner",
    }
)


def _flag(body: dict, name: str, fields: dict[str, str]) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        fields[name] = _("true か false で指定してください。")
        return False
    return value


def read_checkin(body: Any) -> CheckinRequest:
    """Check a check-in body; every bad field is named at once."""
    if not isinstance(body, dict):
        raise ValidationError(
            _("JSON オブジェクトを送ってください。"),
            fields={"body": _("JSON オブジェクトが必要です。")},
        )
    fields: dict[str, str] = {}
    for name in sorted(set(body) - CHECKIN_FIELDS):
        fields[name] = _("この項目は使えません。")
    wanted = CheckinRequest()
    code = body.get("code")
    if code is not None and not isinstance(code, str):
        fields["code"] = _("カードの番号は文字列で送ってください。")
    else:
        wanted.code = (code or "").strip() or None
    learner_id = body.get("learner_id")
    if learner_id is not None and (isinstance(learner_id, bool) or not isinstance(learner_id, int)):
        fields["learner_id"] = _("受講者IDは整数で送ってください。")
    else:
        wanted.learner_id = learner_id
    client_id = body.get("client_id")
    if client_id is not None and (not isinstance(client_id, str) or len(client_id) > CLIENT_ID_MAX):
        fields["client_id"] = _("client_id は%(n)d文字以内の文字列です。", n=CLIENT_ID_MAX)
    else:
        wanted.client_id = client_id
    scanned_at = body.get("scanned_at")
    if scanned_at is not None:
        try:
            if not isinstance(scanned_at, str):
                raise ValueError(scanned_at)
            wanted.scanned_at = parse_iso(scanned_at)
        except OutOfRange as exc:
            fields["scanned_at"] = str(exc)
        except ValueError:
            fields["scanned_at"] = _(
                "読み取った時刻は ISO 8601 で送ってください(例: 2026-12-01T10:02:00+09:00)。"
            )
    method = body.get("method")
    if method is not None:
        if not isinstance(method, str) or method not in DEVICE_METHODS:
            fields["method"] = _(
                "method は %(choices)s のいずれかです。", choices=", ".join(sorted(DEVICE_METHODS))
            )
        else:
            wanted.method = method
    wanted.walk_in = _flag(body, "walk_in", fields)
    wanted.waitlist = _flag(body, "waitlist", fields)
    wanted.override_capacity = _flag(body, "override_capacity", fields)
    newcomer = body.get("new_learner")
    if newcomer is not None:
        if (
            not isinstance(newcomer, dict)
            or set(newcomer) - set(NEWCOMER_FIELDS)
            or not all(isinstance(v, str | None) for v in newcomer.values())
        ):
            fields["new_learner"] = _(
                "new_learner は name・furigana・phone だけを持つオブジェクトです。"
            )
        elif not wanted.walk_in:
            fields["walk_in"] = _("新しい方の受付は walk_in: true で送ってください。")
        else:
            wanted.new_learner = {k: v for k, v in newcomer.items() if v is not None}
    if fields:
        raise ValidationError(_("受付の内容を確認してください。"), fields=fields)
    return wanted


@dataclass
class CheckinOutcome:
    result: str  # "checked_in" | "already_checked_in" | "waitlisted"
    learner: Learner
    attendance: Attendance | None = None
    registration: Registration | None = None


def check_in_or_walk_in(session: Session, actor: User, wanted: CheckinRequest) -> CheckinOutcome:
    """Check in; with `walk_in`, someone not registered is registered on the spot first
    (source walk_in), or put on the waitlist (`waitlist`), or registered beyond capacity by
    a coordinator (`override_capacity`, logged by the registration service)."""
    if wanted.override_capacity and actor.role not in (Role.ADMIN, Role.COORDINATOR):
        raise Forbidden(_("定員を超えての受付はコーディネーターだけができます。"))
    if wanted.new_learner is not None:
        services.require_check_in_rights(actor, session)
        services.check_window(session, actor)
        # On record after all, and someone this actor may see: the ordinary path. Someone
        # else on record is not handed to them: a new record, and a coordinator decides.
        known = matches.known(wanted.new_learner, learner_visibility(actor))
        if known.seen is not None:
            wanted = replace(wanted, learner_id=known.seen.id, new_learner=None)
        else:
            learner, registration = _enrol_walk_in(
                session, actor, wanted, newcomer=wanted.new_learner, unseen=known.unseen
            )
            return _after_walk_in(session, actor, wanted, learner, registration)
    try:
        done = services.check_in(
            session,
            actor,
            code=wanted.code,
            learner_id=wanted.learner_id,
            client_id=wanted.client_id,
            scanned_at=wanted.scanned_at,
            method=wanted.method,
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


@atomic
def _enrol_walk_in(
    session: Session,
    actor: User,
    wanted: CheckinRequest,
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
    registration = register(
        session,
        learner,
        source=RegistrationSource.WALK_IN,
        actor=actor,
        waitlist=wanted.waitlist,
        override_capacity=wanted.override_capacity,
    )
    return learner, registration


def _after_walk_in(
    session: Session,
    actor: User,
    wanted: CheckinRequest,
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


def learner_json(learner: Learner) -> dict:
    return {"id": learner.id, "name": learner.name, "furigana": learner.furigana}


def attendance_json(attendance: Attendance) -> dict:
    return {
        "id": attendance.id,
        "registration_id": attendance.registration_id,
        "session_id": attendance.session_id,
        "learner_id": attendance.learner_id,
        "status": attendance.status,
        "checked_in_at": iso(attendance.checked_in_at),
        "method": attendance.method,
        "recorded_later": attendance.recorded_later,
        "client_id": attendance.client_id,
    }


def counts_json(session: Session) -> dict:
    counts = counts_for([session.id])[session.id]
    return {
        "registered": counts.registered,
        "waitlisted": counts.waitlisted,
        "checked_in": counts.checked_in,
        "capacity": session.capacity,
    }


def _message(outcome: CheckinOutcome) -> str:
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


def checkin_json(session: Session, outcome: CheckinOutcome) -> tuple[dict, int]:
    body: dict[str, Any] = {
        "result": outcome.result,
        "learner": learner_json(outcome.learner),
        "message": _message(outcome),
        "counts": counts_json(session),
    }
    if outcome.attendance is not None:
        body["attendance"] = attendance_json(outcome.attendance)
        body["checked_in_at"] = iso(outcome.attendance.checked_in_at)
        body["status"] = outcome.attendance.status
    if outcome.registration is not None:
        body["registration"] = {
            "id": outcome.registration.id,
            "status": outcome.registration.status,
            "source": outcome.registration.source,
        }
    return body, 200 if outcome.result == "already_checked_in" else 201


def roster_json(user: User, session: Session, *, with_phone: bool = True) -> dict:
    """Everything a device needs to run the check-in page: the session, the counts, and
    every registered or waitlisted learner with their check-in."""
    roster = services.roster(session)
    skills = {s.id: s.key for s in session.course_version.skills}
    reached = services.reached_skills(session)
    rows = []
    for row in roster.rows:
        learner = learner_json(row.learner)
        if with_phone and may_see(user, Field.PHONE, row.learner):
            learner["phone"] = row.learner.phone
        rows.append(
            {
                "registration_id": row.registration.id,
                "registration_status": row.registration.status,
                "learner": learner,
                "status": row.status,
                "checked_in_at": iso(row.attendance.checked_in_at) if row.attendance else None,
                "recorded_later": bool(row.attendance and row.attendance.recorded_later),
                "short_code": row.short_code if may_see(user, Field.CARD, row.learner) else None,
                "skills": sorted(skills[i] for i in reached.get(row.learner.id, ()) if i in skills),
            }
        )
    return {
        "session": {
            "id": session.id,
            "course_title": session.course_version.title_ja,
            "venue": session.venue.name,
            "starts_at": iso(session.starts_at),
            "ends_at": iso(session.ends_at),
            "late_after_minutes": session.late_after_minutes,
            "status": session.status,
        },
        "counts": {
            "registered": roster.registered,
            "waitlisted": roster.waitlisted,
            "checked_in": roster.checked_in,
            "capacity": session.capacity,
        },
        "rows": rows,
    }


# ---------------------------------------------------------------- endpoints
