"""The paper roster (受付名簿) typed in after the class.

With no network at the door, people are ticked on the printed sheet and walk-ins are written
on its blank lines. Afterwards the whole sheet is typed in at once: a status for each
registered learner (and for the waitlisted, who are on the sheet too: one who came is given
the seat), and for each walk-in a record (the one on file when its author may see it, else a
new one that a coordinator may merge: app.people.matches), a registration (walk_in) and an
attendance. Beyond capacity when that is what happened in the room, logged as an override.

Everything is marked recorded later (method recorded_later), at the time the rule gives
(app.checkin.services.unseen_arrival), not the time of typing. It saves in one transaction:
a line that cannot be saved is named with its reason, and nothing is saved.

Who: coordinators and admins at any time after the end; the session's instructors and
assistants for PAPER_ROSTER_DAYS after it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import User
from app.checkin import services
from app.checkin.models import Attendance, AttendanceStatus
from app.errors import Conflict, Forbidden, ValidationError
from app.extensions import db
from app.people import learners, matches
from app.people.models import (
    Learner,
    MatchSource,
    Registration,
    RegistrationSource,
    RegistrationStatus,
)
from app.people.privacy import learner_visibility
from app.people.registration import register, seat
from app.scheduling.models import Session
from app.timeutil import utcnow
from app.transaction import atomic

PaperState = Literal["cancelled", "not_over", "open"]
# The columns of the sheet: a registered learner came, came late, or did not come (excused is
# a coordinator's, on the attendance page); a walk-in written down came.
TICKS = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.ABSENT)
WALK_IN_TICKS = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


@dataclass
class WalkInLine:
    """A line of the sheet written by someone who was not registered, as typed."""

    name: str = ""
    furigana: str = ""
    phone: str = ""
    birth_year: str = ""
    status: str = AttendanceStatus.PRESENT

    def learner_raw(self) -> dict[str, str]:
        """What is known of the person, as a learner's fields (empty ones left out)."""
        raw = {
            "name": self.name,
            "furigana": self.furigana,
            "phone": self.phone,
            "birth_year": self.birth_year,
        }
        return {k: v for k, v in raw.items() if v.strip()}

    def is_blank(self) -> bool:
        """Nothing written: a line the sheet did not use (its status alone says nothing)."""
        return not self.learner_raw()


@dataclass
class PaperSaved:
    changed: int = 0  # people on the list whose status changed
    seated: int = 0  # of those, people on the waitlist who came (now registered)
    walk_ins: int = 0  # walk-ins registered and marked
    new_learners: int = 0  # walk-ins recorded as new learners
    to_confirm: int = 0  # of those, how many may be someone on record (a coordinator decides)


class PaperRosterRefused(ValidationError):
    """Lines that cannot be saved, each with why; nothing was saved. `ticks` maps a
    registration's id to its line's problem, `walk_ins` a walk-in line's index (from 0, as
    sent) to its problems by field (name, furigana, phone, birth_year, status)."""

    def __init__(self, ticks: dict[int, str], walk_ins: dict[int, dict[str, str]]) -> None:
        rows = ", ".join(str(i + 1) for i in sorted(walk_ins))
        if ticks and walk_ins:
            message = _(
                "申し込んでいる人の出欠と、当日参加の%(rows)s行目を直してください。"
                "まだ何も保存していません。",
                rows=rows,
            )
        elif walk_ins:
            message = _(
                "当日参加の%(rows)s行目を直してください。まだ何も保存していません。", rows=rows
            )
        else:
            message = _("申し込んでいる人の出欠を直してください。まだ何も保存していません。")
        super().__init__(
            message,
            fields={
                **{f"registration-{i}": why for i, why in ticks.items()},
                **{
                    f"walk_in-{i}-{name}": why
                    for i, problems in walk_ins.items()
                    for name, why in problems.items()
                },
            },
        )
        self.ticks = ticks
        self.walk_ins = walk_ins


# ---------------------------------------------------------------- who, and when


def paper_state(session: Session, actor: User) -> PaperState:
    """Whether the sheet may be typed in now: 'open' after the end; 'not_over' before it (the
    page says when it opens); 'cancelled'. Forbidden for anyone who may not record it: who
    may not check people in to this session, and its staff once PAPER_ROSTER_DAYS passed."""
    services.require_check_in_rights(actor, session)
    if session.is_cancelled:
        return "cancelled"
    if utcnow() <= session.ends_at:
        return "not_over"
    if not services.may_record_later(actor, session):
        raise Forbidden(services.too_late_message())
    return "open"


def _require_open(session: Session, actor: User) -> None:
    state = paper_state(session, actor)
    if state == "cancelled":
        raise Conflict("session_not_open", _("この講座は中止になりました。"))
    if state == "not_over":
        raise Conflict("session_not_over", _("紙の名簿の入力は、講座が終わってからです。"))


# ---------------------------------------------------------------- saving the sheet


@atomic
def save_paper_roster(
    session: Session,
    actor: User,
    ticks: Mapping[int, str],
    walk_ins: Sequence[WalkInLine],
) -> PaperSaved:
    """Save the sheet: `ticks` maps registration ids to the status ticked (those left out,
    and those unchanged, stay as they are); `walk_ins` are the lines of the blank rows (blank
    ones are skipped). All of it, or nothing (PaperRosterRefused)."""
    _require_open(session, actor)
    changes, tick_problems = _read_ticks(session, ticks)
    lines, line_problems = _read_lines(walk_ins)
    if tick_problems or line_problems:
        raise PaperRosterRefused(tick_problems, line_problems)

    saved = PaperSaved()
    for registration, status in changes:
        if registration.status == RegistrationStatus.WAITLISTED:
            seat(registration, actor)
            saved.seated += 1
        services.set_status(session, registration, status, actor)
        saved.changed += 1
    written: dict[int, int] = {}  # learner id → the line that registered them
    for index, line in lines:
        learner = _learner_of(line, actor, saved)
        if learner.id in written:
            line_problems[index] = {"name": _("%(n)d行目と同じ方です。", n=written[learner.id] + 1)}
            continue
        try:
            walk_in_after_the_end(session, actor, learner, line.status)
        except Conflict as refusal:  # already_registered: on this session's list already
            why = _("%(why)s 上の一覧で出欠を選んでください。", why=refusal.message)
            line_problems[index] = {"name": why}
            continue
        written[learner.id] = index
        saved.walk_ins += 1
    if line_problems:
        raise PaperRosterRefused({}, line_problems)
    return saved


def _read_ticks(
    session: Session, ticks: Mapping[int, str]
) -> tuple[list[tuple[Registration, str]], dict[int, str]]:
    """The statuses that change, and each bad tick's problem. The waitlisted are on the
    sheet too: one ticked as there is seated (and marked), one left absent stays waiting."""
    listed = {
        r.id: r
        for r in db.session.scalars(
            sa.select(Registration).where(
                Registration.session_id == session.id,
                Registration.status.in_(
                    [RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED]
                ),
            )
        )
    }
    attendances = {
        a.registration_id: a
        for a in db.session.scalars(
            sa.select(Attendance).where(Attendance.session_id == session.id)
        )
    }
    changes, problems = [], {}
    for registration_id, status in ticks.items():
        registration = listed.get(registration_id)
        if registration is None:
            problems[registration_id] = _("この講座に申し込んでいる人ではありません。")
            continue
        if status == services.derived_status(session, attendances.get(registration_id)):
            continue
        if status not in TICKS:
            problems[registration_id] = _("出席・遅刻・欠席のどれかを選んでください。")
            continue
        changes.append((registration, status))
    return changes, problems


def _read_lines(
    walk_ins: Sequence[WalkInLine],
) -> tuple[list[tuple[int, WalkInLine]], dict[int, dict[str, str]]]:
    """The walk-in lines to save, and each bad line's problems by field: every line is
    checked before anything is written, so that one answer names them all."""
    lines, problems = [], {}
    for index, line in enumerate(walk_ins):
        if line.is_blank():
            continue
        wrong: dict[str, str] = {}
        try:
            learners.read_learner(line.learner_raw())
        except ValidationError as exc:
            wrong.update(exc.fields)
        if line.status not in WALK_IN_TICKS:
            wrong["status"] = _("出席か遅刻を選んでください。")
        if wrong:
            problems[index] = wrong
        else:
            lines.append((index, line))
    return lines, problems


def _learner_of(line: WalkInLine, actor: User, saved: PaperSaved) -> Learner:
    """Who a walk-in line is, as the door decides it (app.checkin.door): someone on record
    whom `actor` may see is that record; anyone else is a new one, left for a coordinator to
    compare with the records it may be."""
    raw = line.learner_raw()
    known = matches.known(raw, learner_visibility(actor))
    if known.seen is not None:
        return known.seen
    saved.new_learners += 1
    saved.to_confirm += bool(known.unseen)
    return matches.record_new(raw, actor, source=MatchSource.WALK_IN, unseen=known.unseen)


def walk_in_after_the_end(session: Session, actor: User, learner: Learner, status: str) -> None:
    # They were in the room: registered after the end, beyond capacity if need be (logged
    # as an override by the registration service).
    registration = register(
        session,
        learner,
        source=RegistrationSource.WALK_IN,
        actor=actor,
        waitlist=False,
        override_capacity=True,
        after_end=True,
    )
    services.set_status(session, registration, status, actor)


def may_use(user: User, session: Session) -> bool:
    """Whether `user` may type this session's sheet in, now or once it ends: the pages link
    to it for them (before the end it says when it opens)."""
    return (
        not session.is_cancelled
        and services.may_check_in(user, session)
        and services.may_record_later(user, session)
    )
