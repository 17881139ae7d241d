"""Planning the demo city's past classes: which class is held where, when and by whom, week
by week, and how many sign up for each.

No venue, instructor or assistant is in two classes at once (the venue's setup time
included), classes already in the database block the calendar as the generated ones do, and
capacity stays within the venue's; a class's seats, waitlist and drop-outs are sized here and
filled with people by demo.learners.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa

from app.extensions import db
from app.fiscal import FiscalYear
from app.people.models import Registration
from app.scheduling.models import Session, SessionStaff, SessionStatus, StaffRole
from app.timeutil import from_local, local, utcnow
from demo.data_history import (
    CANCEL_REASONS,
    CANCELLED_SHARE,
    DROPOUT_SHARE,
    OVERSUBSCRIBED,
    POPULAR,
    ROW_RATE,
    SEASON,
    SLOT_STARTS,
    WEEKDAY_WEIGHTS,
    HistoryScale,
    Team,
)
from demo.world import CourseInfo, Place, World

T = TypeVar("T")

# ---------------------------------------------------------------- the calendar's days


def _closed(day: date) -> bool:
    """Sundays, 年末年始 and お盆: no classes."""
    if day.weekday() == 6:
        return True
    if (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3):
        return True
    return day.month == 8 and 13 <= day.day <= 16


def _weeks(first: date, last: date) -> list[list[date]]:
    """The open days from first to last, grouped by week."""
    weeks: dict[date, list[date]] = {}
    day = first
    while day <= last:
        if not _closed(day):
            weeks.setdefault(day - timedelta(days=day.weekday()), []).append(day)
        day += timedelta(days=1)
    return list(weeks.values())


def pick(rng: random.Random, weighted: dict[T, float]) -> T:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _round(rng: random.Random, value: float) -> int:
    """Round up with the probability of the fraction: totals stay right on average."""
    whole = math.floor(value)
    return whole + (1 if rng.random() < value - whole else 0)


def _overlaps(busy: list[tuple[datetime, datetime]], start, end, buffer: timedelta) -> bool:
    return any(s < end + buffer and start < e + buffer for s, e in busy)


# ---------------------------------------------------------------- planning the classes


@dataclass(slots=True)
class Plan:
    """A class to fill with people: one generated here, or one the demo planned already."""

    id: int
    place: Place
    course: CourseInfo
    starts_at: datetime
    ends_at: datetime
    capacity: int
    status: str
    partner_id: int | None
    instructors: list[int]
    assistants: list[int] = field(default_factory=list)
    team: Team | None = None
    cancel_reason: str | None = None
    held: bool = False
    upcoming: bool = False
    base: float = 0.0  # how many would sign up, before calibration
    seats: int = 0
    waitlist: int = 0
    dropouts: int = 0


class Calendar:
    """Who and what is busy when: venues (with their setup time) and staff."""

    def __init__(self) -> None:
        self.venues: dict[tuple[int, date], list[tuple[datetime, datetime]]] = defaultdict(list)
        self.people: dict[tuple[int, date], list[tuple[datetime, datetime]]] = defaultdict(list)

    def venue_free(self, place: Place, day: date, start: datetime, end: datetime) -> bool:
        return not _overlaps(self.venues.get((place.venue_id, day), []), start, end, place.buffer)

    def person_free(self, user_id: int, day: date, start: datetime, end: datetime) -> bool:
        return not _overlaps(self.people.get((user_id, day), []), start, end, timedelta(0))

    def book(self, venue_id: int | None, staff: Iterable[int], day: date, start, end) -> None:
        if venue_id is not None:
            self.venues[(venue_id, day)].append((start, end))
        for user_id in staff:
            self.people[(user_id, day)].append((start, end))


def existing_sessions(first: datetime, world: World, calendar: Calendar) -> list[Plan]:
    """Sessions already in the database from the first day on: they block the calendar;
    those without any registration yet are returned to be filled."""
    places = {p.venue_id: p for p in world.places}
    courses = {c.version_id: c for c in world.courses.values()}
    staff: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for session_id, user_id, role in db.session.execute(
        sa.select(SessionStaff.session_id, SessionStaff.user_id, SessionStaff.role)
        .join(Session, Session.id == SessionStaff.session_id)
        .where(Session.ends_at > first)
    ):
        staff[session_id].append((user_id, role))
    registered = set(
        db.session.scalars(
            sa.select(Registration.session_id)
            .join(Session, Session.id == Registration.session_id)
            .where(Session.ends_at > first)
            .distinct()
        )
    )
    now = utcnow()
    plans = []
    for s in db.session.execute(
        sa.select(
            Session.id,
            Session.venue_id,
            Session.course_version_id,
            Session.starts_at,
            Session.ends_at,
            Session.capacity,
            Session.status,
            Session.partner_org_id,
        )
        .where(Session.ends_at > first)
        .order_by(Session.starts_at, Session.id)
    ):
        people = [user_id for user_id, _role in staff[s.id]]
        if s.status != SessionStatus.CANCELLED:
            day = local(s.starts_at).date()
            calendar.book(s.venue_id, people, day, s.starts_at, s.ends_at)
        place, course = places.get(s.venue_id), courses.get(s.course_version_id)
        if s.id in registered or place is None or course is None:
            continue
        plans.append(
            Plan(
                id=s.id,
                place=place,
                course=course,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                capacity=s.capacity,
                status=s.status,
                partner_id=s.partner_org_id,
                instructors=[u for u, role in staff[s.id] if role == StaffRole.INSTRUCTOR],
                assistants=[u for u, role in staff[s.id] if role == StaffRole.ASSISTANT],
                held=s.status != SessionStatus.CANCELLED and s.ends_at <= now,
                upcoming=s.ends_at > now,
            )
        )
    return plans


class Planner:
    """Lays out the past classes week by week, without a venue or a person booked twice."""

    def __init__(self, rng: random.Random, world: World, calendar: Calendar, scale: HistoryScale):
        self.rng, self.world, self.calendar, self.scale = rng, world, calendar, scale
        self.place_weights = {i: p.weight for i, p in enumerate(world.places) if p.teams}

    def plan(self, first: date, last: date, next_id: int) -> list[Plan]:
        weeks = _weeks(first, last)
        counts = self._counts_per_week(weeks, FiscalYear.of_day(first).year)
        plans: list[Plan] = []
        for days, count in zip(weeks, counts, strict=True):
            for _n in range(count):
                plan = self._place_one(days, next_id + len(plans))
                if plan is not None:
                    plans.append(plan)
        return plans

    def _counts_per_week(self, weeks: list[list[date]], first_year: int) -> list[int]:
        rng, scale = self.rng, self.scale
        years = max(1, scale.fiscal_years - 1)

        def weight(days: list[date]) -> float:
            # Programs grow: the oldest 年度 had about 60% of this year's classes.
            growth = 0.6 + 0.4 * (FiscalYear.of_day(days[0]).year - first_year) / years
            return len(days) / 6 * SEASON[days[0].month] * growth

        if scale.sessions is None:
            low, high = scale.sessions_per_week
            return [
                _round(rng, rng.randint(low, high) * len(days) / 6 * SEASON[days[0].month])
                for days in weeks
            ]
        weights = [weight(days) for days in weeks]
        total = sum(weights) or 1.0
        return [_round(rng, scale.sessions * w / total) for w in weights]

    def _place_one(self, days: list[date], session_id: int) -> Plan | None:
        rng, world = self.rng, self.world
        day_weights = {d: WEEKDAY_WEIGHTS[d.weekday()] for d in days}
        for _attempt in range(20):
            place = world.places[pick(rng, self.place_weights)]
            day = pick(rng, day_weights)
            team = rng.choices(place.teams, weights=[t.weight for t in place.teams])[0]
            courses = {s: w for s, w in team.courses.items() if s in world.courses}
            if not courses:
                continue
            course = world.courses[pick(rng, courses)]
            start = from_local(day, rng.choice(SLOT_STARTS))
            end = start + course.duration
            if not self.calendar.venue_free(place, day, start, end):
                continue
            instructor = self._free_staff(team.staff[:1], day, start, end, 1)
            if not instructor:
                continue
            self.calendar.book(place.venue_id, instructor, day, start, end)
            return self._plan(session_id, place, team, course, start, end, instructor)
        return None

    def _plan(self, session_id, place, team, course, start, end, instructors) -> Plan:
        rng = self.rng
        cancelled = rng.random() < CANCELLED_SHARE
        if place.counter:
            capacity = min(place.capacity, rng.choice((1, 2, 2)))
        else:
            shares = (0.6, 0.75, 0.9, 1.0) if self.scale.attendances else (0.4, 0.5, 0.6, 0.75)
            capacity = max(1, min(place.capacity, round(place.capacity * rng.choice(shares))))
        return Plan(
            id=session_id,
            place=place,
            course=course,
            starts_at=start,
            ends_at=end,
            capacity=capacity,
            status=SessionStatus.CANCELLED if cancelled else SessionStatus.COMPLETED,
            partner_id=self.world.orgs.get(team.partner) if team.partner else None,
            instructors=instructors,
            team=team,
            cancel_reason=rng.choice(CANCEL_REASONS) if cancelled else None,
            held=not cancelled,
            base=demand(rng, place, capacity, course),
        )

    def _free_staff(self, orgs: Sequence[str], day, start, end, count: int, taken=()) -> list[int]:
        chosen: list[int] = []
        for org in orgs:
            pool = self.world.staff.get(org, [])
            for user_id in self.rng.sample(pool, len(pool)):
                if len(chosen) >= count:
                    return chosen
                if (
                    user_id not in taken
                    and user_id not in chosen
                    and self.calendar.person_free(user_id, day, start, end)
                ):
                    chosen.append(user_id)
        return chosen

    def add_assistants(self, plans: list[Plan]) -> None:
        """Staff by sign-ups, as coordinators do: mostly one person per four learners."""
        rng = self.rng
        for plan in plans:
            if plan.place.counter or plan.team is None:
                continue
            needed = max(0, math.ceil(plan.seats / 4) - len(plan.instructors))
            if rng.random() > 0.8:  # short of hands that day
                needed = rng.randint(0, max(0, needed - 1))
            if needed == 0:
                continue
            day = local(plan.starts_at).date()
            chosen = self._free_staff(
                plan.team.staff, day, plan.starts_at, plan.ends_at, needed, plan.instructors
            )
            self.calendar.book(None, chosen, day, plan.starts_at, plan.ends_at)
            plan.assistants = chosen


def demand(rng: random.Random, place: Place, capacity: int, course: CourseInfo) -> float:
    """How many would sign up for this class (before the city-wide calibration)."""
    if place.counter:
        return 2.0 if capacity >= 2 and rng.random() < 0.45 else 1.0
    return capacity * max(0.15, rng.gauss(0.68, 0.22)) * course.popularity


def seats_for(plan: Plan, factor: float) -> tuple[int, int]:
    """Registered seats and waitlist for this demand scaled by factor."""
    # A shop's counter has its own small demand; halls scale with the city's.
    wanted = round(plan.base) if plan.place.counter else max(1, round(plan.base * factor))
    seats = min(plan.capacity, wanted)
    popular = plan.course.popularity >= POPULAR
    return seats, min(wanted - seats, 8) if popular and wanted > plan.capacity else 0


def size_classes(rng: random.Random, plans: list[Plan], attendances: int | None) -> None:
    """Seats, waitlists and drop-outs; with a target, class sizes scaled to meet it."""
    factor = 1.0
    halls = [p for p in plans if p.held and not p.place.counter]
    if attendances is not None and halls:
        fixed = sum(round(p.base) for p in plans if p.held and p.place.counter)
        target = max(len(halls), attendances / ROW_RATE - fixed)
        for _step in range(30):
            total = sum(seats_for(p, factor)[0] for p in halls)
            if abs(total - target) <= target * 0.001:
                break
            factor *= target / total
    for plan in plans:
        plan.seats, plan.waitlist = seats_for(plan, factor)
        plan.dropouts = sum(1 for _n in range(plan.seats) if rng.random() < DROPOUT_SHARE)


def size_upcoming(rng: random.Random, plan: Plan, today: date) -> None:
    """Sign-ups for a class still to come: the sooner, the fuller; some courses booked out."""
    wanted = OVERSUBSCRIBED.get(plan.course.slug)
    if plan.status == SessionStatus.CANCELLED:
        plan.seats = round(plan.capacity * 0.4)
    elif wanted is not None:
        plan.seats, plan.waitlist = plan.capacity, rng.randint(*wanted)
    else:
        weeks_ahead = max(0, (local(plan.starts_at).date() - today).days // 7)
        share = max(0.15, 0.95 - 0.12 * weeks_ahead) * rng.uniform(0.75, 1.15)
        plan.seats = max(0, min(plan.capacity, round(plan.capacity * share)))
        if plan.seats == plan.capacity and rng.random() < 0.3:
            plan.waitlist = rng.randint(1, 2)
    plan.dropouts = sum(1 for _n in range(plan.seats) if rng.random() < DROPOUT_SHARE / 2)
