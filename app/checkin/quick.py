"""The door's quick path: a check-in that is simply accepted (or was already recorded),
judged from one SELECT and written with one INSERT.

Everything else goes the full way (app.checkin.door.check_in_or_walk_in over the ORM), which
judges the same request again and answers it: a refusal of any kind, a walk-in, a newcomer,
a recording after the end, an earlier scan from another device, a correction of an excused
or absent row, a race lost to another device. So the quick path only ever answers what the
full path would answer, with the same body; tests/checkin run through it.

Nothing is cached between requests. The token, its user, the session and whether the user
is on its staff are read by the same statement that finds the card, its learner, the
registration and any earlier check-in: a revoked or expired token, a deactivated user, a
staff change, a session cancelled or moved take effect on the very next request, in every
worker process alike.

New attendances are written by app.checkin.services.record_attendance_rows, the one place
the quick path writes them: one Core INSERT, then app.checkin.signals.attendances_recorded
for the areas above that keep something up to date on an attendance's insert (ORM flush
hooks do not see these rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from functools import cache, wraps
from typing import Any, cast

import sqlalchemy as sa
from flask import g, request
from sqlalchemy.exc import IntegrityError

from app.auth.models import ApiToken, Role, User
from app.auth.services import LAST_USE_PRECISION, token_hash
from app.checkin import device, services
from app.checkin.models import Attendance, AttendanceStatus, CheckinMethod
from app.checkin.schemas import CheckinCounts, CheckinIn
from app.errors import ServiceError
from app.extensions import db
from app.inputs import json_object
from app.people import cards
from app.people.models import Card, Learner, Registration, RegistrationStatus
from app.scheduling.models import Session, SessionStaff, SessionStatus
from app.timeutil import utcnow

PLANNERS = (Role.ADMIN, Role.COORDINATOR)


@dataclass(frozen=True)
class Door:
    """Who checks people in, at which session: the facts the door's rules read."""

    user_id: int
    role: str
    session_id: int
    status: str
    starts_at: datetime
    ends_at: datetime
    late_after_minutes: int
    capacity: int
    is_staff: bool
    partner_org_id: int | None

    @classmethod
    def of(cls, user: User, session: Session, is_staff: bool) -> Door:
        return cls(
            user_id=user.id,
            role=user.role,
            session_id=session.id,
            status=session.status,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            late_after_minutes=session.late_after_minutes,
            capacity=session.capacity,
            is_staff=is_staff,
            partner_org_id=session.partner_org_id,
        )

    @classmethod
    def read(cls, row: Any) -> Door:
        """From the single door's statement, whose columns bear the fields' names."""
        door = cls(**{f.name: getattr(row, f.name) for f in fields(cls)})
        return replace(door, is_staff=bool(door.is_staff))


@dataclass
class Person:
    """A learner as the door finds them: their cards, this session's registration and any
    check-in of it."""

    id: int
    name: str
    furigana: str
    anonymized: bool
    registration_id: int | None
    registration_status: str | None
    attendance: Seen | None
    cards: list[tuple[str, str, bool]] = field(default_factory=list)  # token, code, revoked


@dataclass
class Seen:
    """An attendance as the answer shows it (AttendanceOut reads these names)."""

    id: int
    registration_id: int
    session_id: int
    learner_id: int
    status: str
    checked_in_at: datetime | None
    method: str
    recorded_later: bool
    client_id: str | None


@dataclass
class Verdict:
    result: str  # checked_in (row to write) or already_checked_in (attendance)
    person: Person
    attendance: Seen | None = None
    row: dict[str, Any] | None = None


# ---------------------------------------------------------------- the statements

_t = cast(sa.Table, ApiToken.__table__)
_u = cast(sa.Table, User.__table__)
_s = cast(sa.Table, Session.__table__)
_st = cast(sa.Table, SessionStaff.__table__)
_c = cast(sa.Table, Card.__table__)
_l = cast(sa.Table, Learner.__table__)
_r = cast(sa.Table, Registration.__table__)
_a = cast(sa.Table, Attendance.__table__)

_PERSON = (
    _l.c.id.label("learner_id"),
    _l.c.name.label("learner_name"),
    _l.c.furigana,
    _l.c.anonymized_at,
    _c.c.token,
    _c.c.short_code,
    _c.c.revoked_at,
    _r.c.id.label("registration_id"),
    _r.c.status.label("registration_status"),
    _a.c.id.label("attendance_id"),
    _a.c.status.label("attendance_status"),
    _a.c.checked_in_at,
    _a.c.method,
    _a.c.recorded_later,
    _a.c.client_id,
)


def _counts_columns(session_id: Any) -> tuple[sa.Label[Any], ...]:
    """Registered, waitlisted and checked in, as app.checkin.counts counts them."""
    regs = _r.alias("counted")
    came = _a.alias("counted_in")

    def how_many(status: str) -> sa.ScalarSelect:
        return (
            sa.select(sa.func.count())
            .select_from(regs)
            .where(regs.c.session_id == session_id, regs.c.status == status)
            .scalar_subquery()
        )

    checked_in = (
        sa.select(sa.func.count(came.c.checked_in_at))
        .select_from(regs.join(came, came.c.registration_id == regs.c.id))
        .where(regs.c.session_id == session_id, regs.c.status == RegistrationStatus.REGISTERED)
        .scalar_subquery()
    )
    return (
        how_many(RegistrationStatus.REGISTERED).label("registered"),
        how_many(RegistrationStatus.WAITLISTED).label("waitlisted"),
        checked_in.label("checked_in"),
    )


def _with_registration(joined: Any, session_id: Any) -> Any:
    return joined.outerjoin(
        _r, sa.and_(_r.c.session_id == session_id, _r.c.learner_id == _l.c.id)
    ).outerjoin(_a, _a.c.registration_id == _r.c.id)


@cache
def _single(by: str) -> sa.Select:
    """One statement for a single check-in: the token's user, the session and its staff,
    the counts, and the person by card token, short code or learner id."""
    session_id: sa.BindParameter[int] = sa.bindparam("session_id")
    joined = _t.join(_u, _u.c.id == _t.c.user_id).outerjoin(_s, _s.c.id == session_id)
    if by == "learner":
        joined = joined.outerjoin(_l, _l.c.id == sa.bindparam("learner_id")).outerjoin(
            _c, _c.c.learner_id == _l.c.id
        )
    else:
        card = _c.c.token if by == "token" else _c.c.short_code
        joined = joined.outerjoin(_c, card == sa.bindparam("code")).outerjoin(
            _l, _l.c.id == _c.c.learner_id
        )
    is_staff = sa.exists().where(_st.c.session_id == _s.c.id, _st.c.user_id == _u.c.id)
    return (
        sa.select(
            _u.c.id.label("user_id"),
            _u.c.role,
            _u.c.active,
            _t.c.id.label("token_id"),
            _t.c.last_used_at,
            _s.c.id.label("session_id"),
            _s.c.status,
            _s.c.starts_at,
            _s.c.ends_at,
            _s.c.late_after_minutes,
            _s.c.capacity,
            _s.c.partner_org_id,
            is_staff.label("is_staff"),
            *_counts_columns(session_id),
            *_PERSON,
        )
        .select_from(_with_registration(joined, session_id))
        .where(
            _t.c.token_hash == sa.bindparam("token_hash"),
            _t.c.revoked_at.is_(None),
            sa.or_(_t.c.expires_at.is_(None), _t.c.expires_at > sa.bindparam("now")),
        )
    )


@cache
def _many() -> sa.Select:
    """The people of a batch at once: by card tokens, short codes and learner ids."""
    session_id: sa.BindParameter[int] = sa.bindparam("session_id")
    joined = _with_registration(_c.join(_l, _l.c.id == _c.c.learner_id), session_id)
    return (
        sa.select(*_PERSON)
        .select_from(joined)
        .where(
            sa.or_(
                _c.c.token.in_(sa.bindparam("tokens", expanding=True)),
                _c.c.short_code.in_(sa.bindparam("codes", expanding=True)),
                _c.c.learner_id.in_(sa.bindparam("learner_ids", expanding=True)),
            )
        )
    )


def _card_lookup(code: str | None) -> tuple[str, str] | None:
    """(token or code, the value stored) for a scanned or typed code, as cards.find_card."""
    value = cards.normalize_code(code)
    if value.startswith(cards.TOKEN_PREFIX) and len(value) > cards.SHORT_CODE_LENGTH + 2:
        return "token", value
    if len(value) == cards.SHORT_CODE_LENGTH:
        return "code", f"{value[:2]}-{value[2:]}"
    return None


# ---------------------------------------------------------------- the judge


def _plain(wanted: CheckinIn) -> bool:
    """Only a check-in of someone on record; a walk-in or a newcomer goes the full way."""
    return not (
        wanted.walk_in or wanted.waitlist or wanted.override_capacity or wanted.new_learner
    ) and bool(wanted.code or wanted.learner_id is not None)


def _person(rows: Sequence[Any], session_id: int) -> Person | None:
    first = rows[0]
    if first.learner_id is None:
        return None
    seen = None
    if first.attendance_id is not None:
        seen = Seen(
            id=first.attendance_id,
            registration_id=first.registration_id,
            session_id=session_id,
            learner_id=first.learner_id,
            status=first.attendance_status,
            checked_in_at=first.checked_in_at,
            method=first.method,
            recorded_later=first.recorded_later,
            client_id=first.client_id,
        )
    person = Person(
        id=first.learner_id,
        name=first.learner_name,
        furigana=first.furigana,
        anonymized=first.anonymized_at is not None,
        registration_id=first.registration_id,
        registration_status=first.registration_status,
        attendance=seen,
    )
    for row in rows:
        if row.token is not None:
            person.cards.append((row.token, row.short_code, row.revoked_at is not None))
    return person


def judge(
    door: Door, person: Person | None, wanted: CheckinIn, now: datetime, key: bytes
) -> Verdict | None:
    """What the full path would do, when it is to accept (or to answer already checked in);
    None for anything else. The same rules as services.check_in, in the same order."""
    if not (door.role in PLANNERS or door.is_staff):
        return None  # Forbidden
    if door.status == SessionStatus.CANCELLED or person is None or person.anonymized:
        return None
    at = min(wanted.scanned_at, now) if wanted.scanned_at else now
    if at < door.starts_at - services.OPENS_BEFORE_START or at > door.ends_at:
        return None  # not open yet, or recorded later
    if wanted.code:
        wanted_code = cards.normalize_code(wanted.code)
        card = next((c for c in person.cards if wanted_code in (c[0], c[1].replace("-", ""))), None)
        if card is None or card[2]:
            return None  # unknown or revoked
        found_by = CheckinMethod.QR if card[0] == wanted_code else CheckinMethod.CODE
    elif wanted.card_key is not None:
        sent = wanted.card_key.strip().lower()
        active = {
            device.card_key(key, code)
            for token, short, revoked in person.cards
            if not revoked
            for code in (token, short)
        }
        if sent not in active:
            return None  # revoked_card or unknown_code
        found_by = CheckinMethod.CODE
    else:
        found_by = CheckinMethod.SEARCH
    # A registered learner of this session is one its staff (and the planners) may see.
    if person.registration_status != RegistrationStatus.REGISTERED:
        return None  # not_registered
    assert person.registration_id is not None
    existing = person.attendance
    if existing is not None:
        if existing.checked_in_at is None or _earlier(existing, at, wanted):
            return None  # a correction, or an earlier scan: the full path updates the row
        return Verdict("already_checked_in", person, attendance=existing)
    late = at > door.starts_at + timedelta(minutes=door.late_after_minutes)
    row = {
        "registration_id": person.registration_id,
        "session_id": door.session_id,
        "learner_id": person.id,
        "status": AttendanceStatus.LATE if late else AttendanceStatus.PRESENT,
        "checked_in_at": at,
        "received_at": now,
        "method": wanted.method or found_by,
        "client_id": wanted.client_id,
        "recorded_by_id": door.user_id,
        "recorded_later": False,
    }
    return Verdict("checked_in", person, row=row)


def _earlier(existing: Seen, at: datetime, wanted: CheckinIn) -> bool:
    return (
        wanted.scanned_at is not None
        and wanted.client_id is not None
        and wanted.client_id != existing.client_id
        and not existing.recorded_later
        and existing.checked_in_at is not None
        and at < existing.checked_in_at
    )


def _seen(row: dict[str, Any]) -> Seen:
    return Seen(
        id=row["id"],
        registration_id=row["registration_id"],
        session_id=row["session_id"],
        learner_id=row["learner_id"],
        status=row["status"],
        checked_in_at=row["checked_in_at"],
        method=row["method"],
        recorded_later=row["recorded_later"],
        client_id=row["client_id"],
    )


@dataclass
class Answered:
    """A verdict written: the outcome the door's answer is made from."""

    result: str
    learner: Person
    attendance: Seen
    registration: None = None  # only a walk-in (the full path) registers someone


def _write(door: Door, verdicts: list[Verdict]) -> list[Answered] | None:
    """Write the accepted ones (one transaction); None when another device won a race or a
    client_id was used before (the full path then says which)."""
    rows = [v.row for v in verdicts if v.row is not None]
    try:
        orgs = {door.session_id: door.partner_org_id}
        written = iter(services.record_attendance_rows(rows, orgs) if rows else ())
        services.commit_keeping()
    except IntegrityError:
        db.session.rollback()
        return None
    answered = []
    for verdict in verdicts:
        seen = _seen(next(written)) if verdict.row is not None else verdict.attendance
        assert seen is not None
        answered.append(Answered(verdict.result, verdict.person, seen))
    return answered


# ---------------------------------------------------------------- the single door


@dataclass(frozen=True)
class Actor:
    """Who the quick path served, for the request's log line (app.logs reads g.api_user)."""

    id: int
    is_authenticated: bool = True


def quick_single(
    session_id: int, allowed: Iterable[str], answer: Callable[[Answered, CheckinCounts], Any]
) -> Any | None:
    """The answer to POST /api/v1/sessions/<id>/checkins when it is a plain acceptance (or
    already checked in), else None."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        wanted = CheckinIn.read(json_object())
    except ServiceError:
        return None
    if not _plain(wanted):
        return None
    params: dict[str, Any] = {"session_id": session_id}
    if wanted.code:
        lookup = _card_lookup(wanted.code)
        if lookup is None:
            return None
        by, params["code"] = lookup
    else:
        by, params["learner_id"] = "learner", wanted.learner_id
    now = utcnow()
    params |= {"token_hash": token_hash(token.strip()), "now": now}
    rows = db.session.connection().execute(_single(by), params).all()
    first = rows[0] if rows else None
    if first is None or not first.active or first.role not in allowed or first.session_id is None:
        db.session.rollback()
        return None  # 401, 403 or 404: the full path says which
    door = Door.read(first)
    verdict = judge(door, _person(rows, session_id), wanted, now, device.door_key_for(session_id))
    if verdict is None:
        db.session.rollback()
        return None
    if first.last_used_at is None or now - first.last_used_at >= LAST_USE_PRECISION:
        db.session.execute(sa.update(_t).where(_t.c.id == first.token_id).values(last_used_at=now))
    done = _write(door, [verdict])
    if done is None:
        return None
    g.api_user = Actor(first.user_id)
    counts = CheckinCounts(
        registered=first.registered,
        waitlisted=first.waitlisted,
        checked_in=first.checked_in + (verdict.row is not None),
        capacity=door.capacity,
    )
    return answer(done[0], counts)


def quick_first(
    try_quick: Callable[..., Any | None],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Put over `api_roles`: the quick path first, with the roles the view admits; the view
    (its authentication, its rules) for whatever the quick path does not answer."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        allowed = vars(view)["allowed_roles"]

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            quick = try_quick(allowed, **kwargs)
            return quick if quick is not None else view(*args, **kwargs)

        return wrapper

    return decorate


# ---------------------------------------------------------------- a device's queue


class Batch:
    """A batch's items judged in order against what the database held before the batch and
    what the batch itself accepted: the people read at once, the accepted written at once."""

    def __init__(self, actor: User, session: Session, is_staff: bool):
        self.door = Door.of(actor, session, is_staff)
        self.key = device.door_key(session)
        self.people: dict[tuple[str, Any], Person] = {}
        self.touched: set[int] = set()  # learners an item of this run is about
        self.client_ids: set[str] = set()

    def read(self, items: list[CheckinIn]) -> None:
        tokens: list[str] = []
        codes: list[str] = []
        learner_ids: list[int] = []
        for wanted in items:
            if wanted.code:
                lookup = _card_lookup(wanted.code)
                if lookup is not None:
                    (tokens if lookup[0] == "token" else codes).append(lookup[1])
            elif wanted.learner_id is not None:
                learner_ids.append(wanted.learner_id)
        self.people.clear()
        self.touched.clear()
        self.client_ids.clear()
        if not (tokens or codes or learner_ids):
            return
        rows = db.session.connection().execute(
            _many(),
            {
                "session_id": self.door.session_id,
                "tokens": tokens,
                "codes": codes,
                "learner_ids": learner_ids,
            },
        )
        by_learner: dict[int, list[Any]] = {}
        for row in rows:
            by_learner.setdefault(row.learner_id, []).append(row)
        for learner_rows in by_learner.values():
            person = _person(learner_rows, self.door.session_id)
            assert person is not None
            self.people["learner", person.id] = person
            for token, short, _revoked in person.cards:
                self.people["token", token] = person
                self.people["code", short] = person

    def judge(self, wanted: CheckinIn, now: datetime) -> Verdict | None:
        if not _plain(wanted):
            return None
        if wanted.code:
            lookup = _card_lookup(wanted.code)
            person = self.people.get(lookup) if lookup else None
        else:
            person = self.people.get(("learner", wanted.learner_id))
        # A second item about the same person, or a client_id sent twice: the full path
        # judges it after the first is written.
        if person is None or person.id in self.touched or wanted.client_id in self.client_ids:
            return None
        verdict = judge(self.door, person, wanted, now, self.key)
        if verdict is not None:
            self.touched.add(person.id)
            if wanted.client_id:
                self.client_ids.add(wanted.client_id)
        return verdict

    def write(self, verdicts: list[Verdict]) -> list[Answered] | None:
        return _write(self.door, verdicts)
