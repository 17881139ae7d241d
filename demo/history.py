"""Past activity for the demo city: learners, the classes already held, sign-ups, attendance.

The reports need a past to report on. `build_history("demo")` adds this 年度 so far to the
demo city (若葉市) — about fifteen classes a week at its six venues, 800 learners — and
sign-ups for its planned classes, with one or two courses clearly over-subscribed.
`build_history("city")` builds a city of 700,000 over five 年度 instead: twelve districts,
about 20,000 classes, 60,000 learners and 500,000 attendance records.

The rows are written with bulk INSERTs in chunks (demo.rows), not through the services: the
services write a row at a time, and a city is a few million rows. So the generators keep,
themselves, the rules the services and the schema keep: demo.planning those of the calendar
(no venue or person in two classes at once, capacity, waitlists only on full classes),
demo.learners those of the people (one seat per learner and class, attendance only on classes
held, a skill reached once, an active card each). Ids are given explicitly (PostgreSQL's
sequences are moved past them at the end) so that no row has to be read back.

Deterministic: one `random.Random(seed)`, made here and passed to each generator, makes every
choice. Only card tokens and short codes come from the card module's own generators
(`secrets`): they open a learner's record and must never be predictable, demo or not.

This module is the build (one transaction) and its report; what the past is made of is in
demo.data_history and demo.data_people.
"""

from __future__ import annotations

import random
import time as stopwatch
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from flask_babel import gettext as _

from app.fiscal import FiscalYear
from app.people.models import RegistrationStatus
from app.scheduling.models import Session, SessionStaff, SessionStatus, StaffRole
from app.timeutil import from_local, japan_today, utcnow
from app.transaction import atomic
from demo.data_city import BRING_PHONE
from demo.data_history import NOTES, SCALES, HistoryScale
from demo.learners import People
from demo.planning import (
    Calendar,
    Plan,
    Planner,
    demand,
    existing_sessions,
    seats_for,
    size_classes,
    size_upcoming,
)
from demo.rows import Rows, move_sequences_past_ids, next_ids
from demo.world import DemoCityMissing, add_city_places, load_world


def _session_rows(plans: list[Plan], rng: random.Random, rows: Rows) -> None:
    for plan in plans:
        team = plan.team
        assert team is not None
        notes = NOTES.get(team.delivery, "")
        if not notes and not team.public:
            notes = "自治会の役員向け(会員限定)。"
        elif not notes and rng.random() < 0.5:
            notes = BRING_PHONE
        cancelled = plan.status == SessionStatus.CANCELLED
        rows.add(
            Session,
            {
                "id": plan.id,
                "course_version_id": plan.course.version_id,
                "venue_id": plan.place.venue_id,
                "starts_at": plan.starts_at,
                "ends_at": plan.ends_at,
                "capacity": plan.capacity,
                "delivery_type": team.delivery,
                "partner_org_id": plan.partner_id,
                "public": team.public,
                "notes": notes,
                "status": plan.status,
                "cancel_reason": plan.cancel_reason,
                "series_id": None,
                "late_after_minutes": 10,
                "ical_sequence": 1 if cancelled else 0,
                "created_at": plan.starts_at - timedelta(days=rng.randint(21, 75)),
                "updated_at": plan.ends_at if not cancelled else plan.starts_at - timedelta(days=2),
            },
        )
        for user_id in plan.instructors:
            rows.add(
                SessionStaff,
                {"session_id": plan.id, "user_id": user_id, "role": StaffRole.INSTRUCTOR},
            )
        for user_id in plan.assistants:
            rows.add(
                SessionStaff,
                {"session_id": plan.id, "user_id": user_id, "role": StaffRole.ASSISTANT},
            )


# ---------------------------------------------------------------- the report


@dataclass
class HistoryReport:
    scale: str
    first_day: date
    last_day: date
    organizations: int = 0
    users: int = 0
    venues: int = 0
    sessions: int = 0
    cancelled: int = 0
    session_staff: int = 0
    learners: int = 0
    registrations: int = 0
    waitlisted: int = 0
    cancelled_registrations: int = 0
    attendances: int = 0
    skills_reached: int = 0
    upcoming_registrations: int = 0
    upcoming_waitlisted: int = 0
    by_year: dict[int, tuple[int, int]] = field(default_factory=dict)  # 年度: (held, attendances)
    seconds: float = 0.0

    def summary(self) -> str:
        return _(
            "過去の記録(%(first)s〜%(last)s): 講座%(sessions)s件(うち中止%(cancelled)s件)、"
            "受講者%(learners)s人、申込%(registrations)s件(うちキャンセル待ち%(waitlisted)s件)、"
            "出欠%(attendances)s件、到達スキル%(skills)s件。"
            "予定の講座への申込%(upcoming)s件(うちキャンセル待ち%(upcoming_waitlisted)s件)。",
            first=self.first_day.isoformat(),
            last=self.last_day.isoformat(),
            sessions=f"{self.sessions:,}",
            cancelled=f"{self.cancelled:,}",
            learners=f"{self.learners:,}",
            registrations=f"{self.registrations:,}",
            waitlisted=f"{self.waitlisted:,}",
            attendances=f"{self.attendances:,}",
            skills=f"{self.skills_reached:,}",
            upcoming=f"{self.upcoming_registrations:,}",
            upcoming_waitlisted=f"{self.upcoming_waitlisted:,}",
        )

    def details(self) -> list[str]:
        """More lines for a city: what was added, each 年度, and the time it took."""
        lines = []
        if self.organizations or self.venues or self.users:
            lines.append(
                _(
                    "追加: 団体%(orgs)d、会場%(venues)d、スタッフ%(users)d人(ログインは作っていません)。",
                    orgs=self.organizations,
                    venues=self.venues,
                    users=self.users,
                )
            )
        for year, (held, attendances) in sorted(self.by_year.items()):
            lines.append(
                _(
                    "%(year)d年度: 実施%(held)s件、出欠%(attendances)s件",
                    year=year,
                    held=f"{held:,}",
                    attendances=f"{attendances:,}",
                )
            )
        lines.append(_("所要時間: %(seconds).1f秒", seconds=self.seconds))
        return [f"  {line}" for line in lines]


# ---------------------------------------------------------------- building


def history_period(
    scale: HistoryScale, today: date, until: date | None = None
) -> tuple[date, date]:
    """From April 1 of the first 年度 to `until` (default: yesterday).

    The 年度 are counted back from the last day of history, not from today: in the first
    days of April (or when the demo's plan starts on a Monday still in March) the new 年度
    has no past yet, and the demo keeps the whole of the one before instead of none at all.
    """
    last = until or today - timedelta(days=1)
    first = FiscalYear(FiscalYear.of_day(last).year - (scale.fiscal_years - 1)).first_day
    return first, last


@atomic
def build_history(
    scale: str | HistoryScale = "demo",
    seed: int = 1,
    today: date | None = None,
    until: date | None = None,
) -> HistoryReport:
    """Build past classes, learners and their records on the demo city, in one transaction.

    Classes are made from April 1 of the scale's first 年度 to `until` (default: the day
    before `today`); the demo passes the day before its own plan starts. Needs the demo city
    (its organizations, staff and venues) and the curricula. Adds to whatever is there:
    classes already planned that nobody signed up for yet get sign-ups (and attendance when
    they are over); nothing already there is changed.
    """
    began = stopwatch.perf_counter()
    scale = SCALES[scale] if isinstance(scale, str) else scale
    today = today or japan_today()
    first, last = history_period(scale, today, until)
    rng = random.Random(seed)
    report = HistoryReport(scale.name, first, last)
    load_world(city=False)  # refuses early, before adding anything, without the demo city
    if scale.city:
        report.organizations, report.venues, report.users = add_city_places(rng)
    world = load_world(scale.city)
    if not world.coordinators:
        raise DemoCityMissing(_("コーディネーターがいません。先に demo-data を実行してください。"))

    calendar = Calendar()
    existing = existing_sessions(from_local(first, time(0, 0)), world, calendar)
    ids = next_ids()
    planner = Planner(rng, world, calendar, scale)
    plans = planner.plan(first, last, ids[Session]) if first <= last else []
    ids[Session] += len(plans)
    size_classes(rng, plans, scale.attendances)
    planner.add_assistants(plans)
    past = sorted(
        plans + [p for p in existing if not p.upcoming],
        key=lambda p: (p.starts_at, p.id),
    )
    for plan in existing:
        if plan.upcoming:
            size_upcoming(rng, plan, today)
        elif plan.held or plan.status == SessionStatus.CANCELLED:
            plan.base = demand(rng, plan.place, plan.capacity, plan.course)
            plan.seats, plan.waitlist = seats_for(plan, 1.0)
    upcoming = [p for p in existing if p.upcoming]

    rows = Rows()
    _session_rows(plans, rng, rows)
    people = People(rng, world, rows, ids)
    upcoming_seats = sum(p.seats + p.waitlist + p.dropouts for p in upcoming)
    # Some people sign up for a coming class as their very first: they have not come yet.
    newcomers = min(scale.learners // 10, round(upcoming_seats * 0.15))
    people.phase(past, scale.learners - newcomers)
    newcomers += people.fresh_left
    people.phase(upcoming, newcomers)
    people.learners_without_classes(people.fresh_left, utcnow())
    rows.flush()
    move_sequences_past_ids()

    report.sessions = len(plans)
    report.cancelled = sum(1 for p in plans if p.status == SessionStatus.CANCELLED)
    report.session_staff = rows.written[SessionStaff]
    report.learners = people.counts["learners"]
    report.registrations = people.counts["registrations"]
    report.waitlisted = people.counts[RegistrationStatus.WAITLISTED]
    report.cancelled_registrations = people.counts[RegistrationStatus.CANCELLED]
    report.attendances = people.counts["attendances"]
    report.skills_reached = people.counts["skills_reached"]
    report.upcoming_registrations = people.counts["upcoming"]
    report.upcoming_waitlisted = people.counts["upcoming_waitlisted"]
    report.by_year = {year: (held, n) for year, (held, n) in people.by_year.items()}
    report.seconds = stopwatch.perf_counter() - began
    return report
