"""The learner's way through the program, on the demo city: the day-before calls, the family
contacts, the surveys after class and the courses completed (issue 16), so that someone trying
the demo finds each of them with something in it.

- Tomorrow's class (Japan time) is full, with people waiting for a seat; a few of its calls
  are made, the rest are to make; some of its learners have a family contact, two of them
  with consent and an e-mail, whose reminder two days before goes through the outbox (the
  worker sends it; the call list then shows it went). A call a few days ahead already passed
  a seat to the waitlist.
- The held classes of the last weeks have their calls (all four outcomes, and people never
  reached) and their surveys (paper and phone answers, satisfaction varying by course);
  this week's papers are left to type in.
- A few learners reached the first skills of スマホ基本 in one class and the rest in the
  latest: they have a completion, and a certificate naming the next course.

Through the services the pages use (registration, calls, family contacts, survey sheets and
answers, attendance, skills), so the data obeys their rules. The one exception is the past's
calls: the call service takes calls only for classes not yet over, so those are written as
rows, as demo.history writes the past, keeping the service's rules itself (a 欠席 is a
cancelled registration, every call after its sign-up and before its class).

Only the demo's own venues get these: at --scale city the thousands of other classes would
make the build slow and show nothing more.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import User
from app.checkin.models import CAME, Attendance, AttendanceStatus, SkillReached
from app.checkin.paper import walk_in_after_the_end
from app.checkin.services import set_skills
from app.curricula.models import Course, CourseVersion, QuestionKind, Skill
from app.curricula.survey import Question
from app.extensions import db
from app.people.confirmation_jobs import queue_family_reminders
from app.people.confirmations import record_call, save_family_contact
from app.people.models import (
    CallOutcome,
    ConfirmationCall,
    Learner,
    LearnerKind,
    Registration,
    RegistrationSource,
    RegistrationStatus,
)
from app.people.registration import register
from app.scheduling.models import (
    Session,
    SessionStaff,
    SessionStatus,
    StaffRole,
    Venue,
    held_clause,
)
from app.surveys.services import (
    PaperRow,
    answer_by_phone,
    questions_for,
    save_papers,
    sheets_for_print,
)
from app.timeutil import from_local, japan_today, local, local_day_bounds, utcnow
from app.transaction import atomic
from demo.data_city import VENUES
from demo.data_journey import (
    CALL_NOTES,
    CALL_ODDS_CAME,
    CALL_ODDS_NOT_CAME,
    CALL_WEEKS,
    CANCEL_NOTES,
    CANCELLED_BY_CALL,
    COMMENT_SHARE,
    COMMENTS,
    COMPLETERS,
    COMPLETION_COURSE,
    COURSE_COMMENTS,
    FAMILIES,
    FAMILY_CONSENT_EMAIL,
    FAMILY_CONSENT_PHONE,
    FAMILY_GIVEN,
    FAMILY_RELATIONS,
    FIRST_CLASS_SKILLS,
    JOURNEY_SEED,
    NAMED_SHARE,
    NUMBERED_SHARE,
    PAPER_SHARE,
    PHONE_SHARE,
    SATISFACTION,
    SATISFACTION_DEFAULT,
    SECOND_TRY,
    SOMEONE_TO_ASK,
    SURVEY_WEEKS,
    TOMORROW_CALLS,
    TOMORROW_FAMILIES,
    TOMORROW_MIN_CAPACITY,
    TOMORROW_WAITLIST,
)


@dataclass
class JourneyReport:
    waiting_tomorrow: int = 0
    calls: int = 0
    families: int = 0
    survey_answers: int = 0
    completions: int = 0

    def summary(self) -> str:
        return _(
            "前日確認の電話%(calls)s件(明日の講座のキャンセル待ち%(waiting)d人)、"
            "ご家族の連絡先%(families)d件、アンケート回答%(answers)s件、"
            "スマホ基本を2回の講座で修了した人%(completions)d人。",
            calls=f"{self.calls:,}",
            waiting=self.waiting_tomorrow,
            families=self.families,
            answers=f"{self.survey_answers:,}",
            completions=self.completions,
        )


def _monday() -> date:
    today = japan_today()
    return today - timedelta(days=today.weekday())


def _demo_venues() -> sa.ColumnElement[bool]:
    return Session.venue_id.in_(
        sa.select(Venue.id).where(Venue.slug.in_([str(v["slug"]) for v in VENUES]))
    )


def _weeks_before_this_one(weeks: int) -> tuple[datetime, datetime]:
    monday = _monday()
    return from_local(monday - timedelta(weeks=weeks), time(0, 0)), from_local(monday, time(0, 0))


def _held_between(start: datetime, end: datetime) -> list[Session]:
    return list(
        db.session.scalars(
            sa.select(Session)
            .where(
                _demo_venues(),
                held_clause(utcnow()),
                Session.starts_at >= start,
                Session.starts_at < end,
            )
            .order_by(Session.starts_at, Session.id)
        )
    )


def _pick(rng: random.Random, odds: dict[str, float]) -> str | None:
    roll = rng.random()
    for outcome, share in odds.items():
        if roll < share:
            return outcome
        roll -= share
    return None


# ---------------------------------------------------------------- tomorrow's class


def tomorrows_class() -> Session | None:
    """The biggest class planned for tomorrow (Japan time) at the demo's venues."""
    start, end = local_day_bounds(japan_today() + timedelta(days=1))
    return db.session.scalar(
        sa.select(Session)
        .where(
            _demo_venues(),
            Session.status == SessionStatus.SCHEDULED,
            Session.starts_at >= start,
            Session.starts_at < end,
            Session.capacity >= TOMORROW_MIN_CAPACITY,
        )
        .order_by(Session.capacity.desc(), Session.starts_at, Session.id)
        .limit(1)
    )


def _busy_during(session: Session) -> sa.Select:
    """The learners signed up (or waiting) for a class at the time of `session`, itself too:
    nobody is in two classes at once."""
    return (
        sa.select(Registration.learner_id)
        .join(Session, Session.id == Registration.session_id)
        .where(
            Registration.status != RegistrationStatus.CANCELLED,
            Session.starts_at < session.ends_at,
            Session.ends_at > session.starts_at,
        )
    )


def _free_learners(session: Session, rng: random.Random, count: int) -> list[Learner]:
    """Seniors not signed up for this class nor for any other at its time."""
    overlapping = _busy_during(session)
    ids = list(
        db.session.scalars(
            sa.select(Learner.id)
            .where(
                Learner.kind == LearnerKind.SENIOR,
                Learner.anonymized_at.is_(None),
                Learner.phone.is_not(None),
                Learner.id.not_in(overlapping),
            )
            .order_by(Learner.id)
        )
    )
    chosen = rng.sample(ids, min(count, len(ids)))
    return [db.session.get_one(Learner, i) for i in chosen]


def _registrations(session: Session, status: str) -> list[Registration]:
    return list(
        db.session.scalars(
            sa.select(Registration)
            .join(Learner, Learner.id == Registration.learner_id)
            .where(Registration.session_id == session.id, Registration.status == status)
            .order_by(Learner.furigana_key, Registration.id)
        )
    )


def _fill_tomorrow(session: Session, rng: random.Random, coordinator: User) -> int:
    """Sign up people by phone until the class is full and TOMORROW_WAITLIST wait."""
    seats = session.capacity - len(_registrations(session, RegistrationStatus.REGISTERED))
    waiting = len(_registrations(session, RegistrationStatus.WAITLISTED))
    wanted = max(0, seats) + max(0, TOMORROW_WAITLIST - waiting)
    for learner in _free_learners(session, rng, wanted):
        register(session, learner, source=RegistrationSource.PHONE, actor=coordinator)
    return len(_registrations(session, RegistrationStatus.WAITLISTED))


def _call_tomorrow(session: Session, caller: User) -> int:
    registered = _registrations(session, RegistrationStatus.REGISTERED)
    for registration, outcome in zip(registered, TOMORROW_CALLS, strict=False):
        record_call(registration, {"outcome": outcome, "note": ""}, caller)
    return min(len(registered), len(TOMORROW_CALLS))


def _pass_a_seat(tomorrow: Session | None, caller: User) -> int:
    """A 欠席 on a full class a few days ahead: the first waitlisted took the seat."""
    after = local_day_bounds(japan_today() + timedelta(days=2))[0]
    waiting = (
        sa.select(Registration.session_id)
        .where(Registration.status == RegistrationStatus.WAITLISTED)
        .scalar_subquery()
    )
    session = db.session.scalar(
        sa.select(Session)
        .where(
            _demo_venues(),
            Session.status == SessionStatus.SCHEDULED,
            Session.starts_at >= after,
            Session.id.in_(waiting),
            Session.id != (tomorrow.id if tomorrow else 0),
        )
        .order_by(Session.starts_at, Session.id)
        .limit(1)
    )
    if session is None:
        return 0
    registered = _registrations(session, RegistrationStatus.REGISTERED)
    if not registered:
        return 0
    record_call(registered[-1], {"outcome": CallOutcome.CANCELLED, "note": CANCEL_NOTES[0]}, caller)
    return 1


# ---------------------------------------------------------------- family contacts


def _family_raw(rng: random.Random, learner: Learner, consent: bool, email: bool) -> dict:
    surname = learner.name.split(" ")[0]
    return {
        "name": f"{surname} {rng.choice(FAMILY_GIVEN)}",
        "relation": rng.choice(FAMILY_RELATIONS),
        "phone": f"090-{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}",
        "email": f"kazoku.{learner.id}@mail.example.jp" if email else "",
        "consent": consent,
    }


def _families(rng: random.Random, tomorrow: Session | None, coordinator: User) -> int:
    """Family contacts as a coordinator types them in from the sign-up: for some of the
    learners with a class coming at the demo's venues, and three of tomorrow's class."""
    keep: list[tuple[Learner, bool, bool]] = []
    if tomorrow is not None:
        registered = _registrations(tomorrow, RegistrationStatus.REGISTERED)
        # Not those already called: the reminder is what makes a call unneeded.
        chosen = registered[len(TOMORROW_CALLS) :][:TOMORROW_FAMILIES]
        keep += [(r.learner, i < 2, i < 2) for i, r in enumerate(chosen)]
    taken = {learner.id for learner, _c, _e in keep}
    coming = sorted(
        set(
            db.session.scalars(
                sa.select(Registration.learner_id)
                .join(Session, Session.id == Registration.session_id)
                .where(
                    _demo_venues(),
                    Session.status == SessionStatus.SCHEDULED,
                    Session.starts_at > utcnow(),
                    Registration.status != RegistrationStatus.CANCELLED,
                )
            )
        )
        - taken
    )
    for learner_id in rng.sample(coming, min(FAMILIES, len(coming))):
        roll = rng.random()
        consent = roll < FAMILY_CONSENT_EMAIL + FAMILY_CONSENT_PHONE
        keep.append((db.session.get_one(Learner, learner_id), consent, roll < FAMILY_CONSENT_EMAIL))
    for learner, consent, email in keep:
        save_family_contact(learner, _family_raw(rng, learner, consent, email), coordinator)
    return len(keep)


# ---------------------------------------------------------------- the past's calls


def _call(registration: Registration, outcome: str, when: datetime, note: str, by: int) -> dict:
    return {
        "registration_id": registration.id,
        "outcome": outcome,
        "note": note,
        "recorded_by_id": by,
        "recorded_at": when,
        "promoted_id": None,
    }


def _past_calls(rng: random.Random, callers: list[int]) -> int:
    """The calls of the held classes of the last CALL_WEEKS weeks, as rows (see the module's
    doc): the day before each class, between 10:00 and 18:00."""
    start, _monday = _weeks_before_this_one(CALL_WEEKS)
    sessions = {s.id: s for s in _held_between(start, utcnow())}
    came = set(
        db.session.scalars(
            sa.select(Attendance.registration_id).where(
                Attendance.session_id.in_(sessions), Attendance.status.in_(CAME)
            )
        )
    )
    rows: list[dict] = []
    for registration in db.session.scalars(
        sa.select(Registration)
        .where(
            Registration.session_id.in_(sessions),
            Registration.status.in_((RegistrationStatus.REGISTERED, RegistrationStatus.CANCELLED)),
            Registration.source != RegistrationSource.WALK_IN,
        )
        .order_by(Registration.id)
    ):
        session = sessions[registration.session_id]
        day_before = local(session.starts_at).date() - timedelta(days=1)
        at = from_local(day_before, time(10, 0)) + timedelta(minutes=rng.uniform(0, 480))
        if registration.status == RegistrationStatus.CANCELLED:
            cancelled_at = registration.cancelled_at
            if (
                cancelled_at is not None
                and cancelled_at >= session.starts_at - timedelta(days=2)
                and cancelled_at > registration.created_at
                and rng.random() < CANCELLED_BY_CALL
            ):
                note = rng.choice(CANCEL_NOTES)
                by = rng.choice(callers)
                rows.append(_call(registration, CallOutcome.CANCELLED, cancelled_at, note, by))
            continue
        if registration.created_at >= at:
            continue  # signed up after the calls were made
        outcome = _pick(rng, CALL_ODDS_CAME if registration.id in came else CALL_ODDS_NOT_CAME)
        if outcome is None:
            continue  # never reached by a call
        note = rng.choice(CALL_NOTES) if rng.random() < 0.1 else ""
        if outcome == CallOutcome.ATTENDING and rng.random() < SECOND_TRY:
            rows.append(_call(registration, CallOutcome.NO_ANSWER, at, "", rng.choice(callers)))
            at += timedelta(hours=rng.uniform(1, 4))
        rows.append(_call(registration, outcome, at, note, rng.choice(callers)))
    if rows:
        db.session.execute(sa.insert(ConfirmationCall), rows)
    return len(rows)


# ---------------------------------------------------------------- surveys


def _cells(
    rng: random.Random, questions: list[Question], mean: float, comments: tuple[str, ...]
) -> dict[str, str]:
    """One sheet as typed in: digits for scales and choices, y/n, the comment's text."""
    cells: dict[str, str] = {}
    for q in questions:
        if q.kind == QuestionKind.SCALE:
            cells[q.id] = str(min(5, max(1, round(rng.gauss(mean, 0.8)))))
        elif q.kind == QuestionKind.YES_NO:
            cells[q.id] = "y" if rng.random() < SOMEONE_TO_ASK else "n"
        elif q.kind == QuestionKind.CHOICE and q.choices:
            if rng.random() < 0.9:  # some leave it blank
                cells[q.id] = str(rng.randint(1, len(q.choices)))
        elif q.kind == QuestionKind.TEXT and rng.random() < COMMENT_SHARE:
            cells[q.id] = rng.choice(comments)
    return cells


def _surveys(rng: random.Random, coordinator: User) -> int:
    """Answers for the held classes of the last SURVEY_WEEKS weeks before this one: the
    sheets printed, a share of the papers typed in by the class's instructor, a few
    answered on a phone."""
    start, end = _weeks_before_this_one(SURVEY_WEEKS)
    sessions = _held_between(start, end)
    ids = [s.id for s in sessions]
    came: dict[int, list[str]] = defaultdict(list)
    for session_id, name in db.session.execute(
        sa.select(Attendance.session_id, Learner.name)
        .join(Learner, Learner.id == Attendance.learner_id)
        .where(Attendance.session_id.in_(ids), Attendance.status.in_(CAME))
        .order_by(Attendance.id)
    ):
        came[session_id].append(name)
    instructors = dict(
        db.session.execute(
            sa.select(SessionStaff.session_id, sa.func.min(SessionStaff.user_id))
            .where(SessionStaff.session_id.in_(ids), SessionStaff.role == StaffRole.INSTRUCTOR)
            .group_by(SessionStaff.session_id)
        ).all()
    )
    slugs = dict(
        db.session.execute(
            sa.select(Session.id, Course.slug)
            .join(CourseVersion, CourseVersion.id == Session.course_version_id)
            .join(Course, Course.id == CourseVersion.course_id)
            .where(Session.id.in_(ids))
        ).all()
    )
    answered = 0
    for session in sessions:
        names = came.get(session.id)
        if not names:
            continue
        questions = questions_for(session)
        slug = slugs[session.id]
        mean = SATISFACTION.get(slug, SATISFACTION_DEFAULT)
        comments = COMMENTS + COURSE_COMMENTS.get(slug, ())
        sheets = sheets_for_print(session)
        rng.shuffle(sheets)
        phone = sum(rng.random() < PHONE_SHARE for _n in names)
        paper = min(sum(rng.random() < PAPER_SHARE for _n in names), len(sheets) - phone)
        for sheet in sheets[:phone]:
            answer_by_phone(sheet, _cells(rng, questions, mean, comments))
        rows = [
            PaperRow(
                line=line,
                sheet=str(sheet.number) if rng.random() < NUMBERED_SHARE else "",
                name=rng.choice(names) if rng.random() < NAMED_SHARE else "",
                cells=_cells(rng, questions, mean, comments),
            )
            for line, sheet in enumerate(sheets[phone : phone + paper], start=1)
        ]
        entered_by = db.session.get(User, instructors.get(session.id, 0)) or coordinator
        answered += phone + (save_papers(session, entered_by, rows) if rows else 0)
    return answered


# ---------------------------------------------------------------- completions


def _completions(rng: random.Random, coordinator: User) -> int:
    """COMPLETERS learners of earlier スマホ基本 classes: their first skills marked there,
    then in the latest held one (which they came back to) the rest."""
    classes = list(
        db.session.scalars(
            sa.select(Session)
            .join(CourseVersion, CourseVersion.id == Session.course_version_id)
            .join(Course, Course.id == CourseVersion.course_id)
            .where(_demo_venues(), held_clause(utcnow()), Course.slug == COMPLETION_COURSE)
            .order_by(Session.starts_at.desc(), Session.id.desc())
        )
    )
    # The class they came back to must have seats for them: a walk-in never takes a class
    # past its capacity, nor ahead of people still waiting for it.
    at = next((i for i, s in enumerate(classes) if _room_for(s, COMPLETERS)), None)
    if at is None or at == len(classes) - 1:
        return 0
    latest, earlier = classes[at], classes[at + 1 :]
    overlapping = _busy_during(latest)
    done = 0
    for first in earlier:
        if done == COMPLETERS:
            break
        candidates = list(
            db.session.scalars(
                sa.select(Registration)
                .join(Attendance, Attendance.registration_id == Registration.id)
                .where(
                    Registration.session_id == first.id,
                    Registration.status == RegistrationStatus.REGISTERED,
                    Attendance.status.in_(CAME),
                    Registration.learner_id.not_in(overlapping),
                    # Nothing of the course reached in a third class: two classes, no more.
                    Registration.learner_id.not_in(
                        sa.select(SkillReached.learner_id)
                        .join(Skill, Skill.id == SkillReached.skill_id)
                        .join(CourseVersion, CourseVersion.id == Skill.course_version_id)
                        .join(Course, Course.id == CourseVersion.course_id)
                        .where(
                            Course.slug == COMPLETION_COURSE, SkillReached.session_id != first.id
                        )
                    ),
                )
                .order_by(Registration.id)
            )
        )
        if not candidates:
            continue
        registration = rng.choice(candidates)
        learner_id = registration.learner_id
        first_skills = _skill_ids(first)[:FIRST_CLASS_SKILLS]
        set_skills(first, [learner_id], {learner_id: set(first_skills)}, coordinator)
        learner = db.session.get_one(Learner, learner_id)
        walk_in_after_the_end(latest, coordinator, learner, AttendanceStatus.PRESENT)
        set_skills(latest, [learner_id], {learner_id: set(_skill_ids(latest))}, coordinator)
        done += 1
    return done


def _room_for(session: Session, people: int) -> bool:
    if _registrations(session, RegistrationStatus.WAITLISTED):
        return False
    registered = len(_registrations(session, RegistrationStatus.REGISTERED))
    return registered + people <= session.capacity


def _skill_ids(session: Session) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Skill.id)
            .where(Skill.course_version_id == session.course_version_id)
            .order_by(Skill.position)
        )
    )


# ---------------------------------------------------------------- the whole


@atomic
def build_journey(people: dict[str, User]) -> JourneyReport:
    """Calls, family contacts, surveys and completions on the demo city, in one transaction.
    Run once, with the city's past (demo.city calls it after demo.history)."""
    rng = random.Random(JOURNEY_SEED)
    report = JourneyReport()
    coordinator, caller = people["sato"], people["takahashi"]
    callers = [people[k].id for k in ("sato", "takahashi", "yamamoto", "kato")]
    tomorrow = tomorrows_class()
    if tomorrow is not None:
        report.waiting_tomorrow = _fill_tomorrow(tomorrow, rng, coordinator)
    report.families = _families(rng, tomorrow, coordinator)
    if tomorrow is not None:
        report.calls += _call_tomorrow(tomorrow, caller)
    report.calls += _pass_a_seat(tomorrow, caller)
    report.calls += _past_calls(rng, callers)
    report.survey_answers = _surveys(rng, coordinator)
    report.completions = _completions(rng, coordinator)
    # The reminders due (two days before) go to the outbox when the worker runs these.
    queue_family_reminders()
    return report
