"""The dashboard's figures for one ReportFilter, in a fixed number of queries.

Definitions (the same everywhere: dashboard, exports, API, public page):
- A session counts in the period its start falls in (Japan time). It is *held* when marked
  completed or still scheduled and over, *planned* when scheduled and not over, *cancelled*.
- An attendance (延べ) is a present or late check-in at a held session; excused and absent are
  not. Distinct learners (実人数) count each person once, however many sessions they came to.
- A learner is *new* when they had never attended before the period began, else *returning*.
- A no-show is a registration (not waitlisted, not cancelled) on a held session without a
  present, late or excused attendance; excused absences are not no-shows.
- The 1:4 rule is met when the learners present are at most four per instructor or assistant
  and the session had an instructor (app.scheduling.models.staffing_warnings, the one rule).
- Reach (district, age, kind, device) is about the learners who attended; age is taken at the
  end of the period from the birth year.
- A skill is *reached* by a learner once, in the class where they first reached it; a course
  is *completed* once, in the class of the certificate (app.certificates.completions, the one
  rule): a period counts those whose class falls in it, so 年度 add up to the whole.

One query gathers a line of facts per session (about as many rows as sessions in the
period), its counts read from the per-session figures stored ahead of time
(app.reports.stored); everything about sessions is summed from it in Python. Learners are
counted in the database: for a period alone from each learner's stored visits
(app.reports.visits), under any other filter by grouped queries over attendance. Skills
reached and completions are sums of stored per-class counts (app.reports.reaches).
`compute(..., raw=True)` counts everything from the
raw rows: the stored figures must always give the same (tests/reports/test_stored.py). The
number of queries never depends on the data.

Longer than the ~500 lines a module keeps to, on purpose: the definitions above, the shapes
they fill and the queries that compute them are one subject, read together; apart, a
definition would sit away from the query that is its meaning.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import User
from app.checkin.models import Attendance, SkillReached
from app.curricula.models import Course, CourseVersion, Skill
from app.extensions import db
from app.labels import label
from app.orgs.models import Organization
from app.people.models import Learner, LearnerKind
from app.reports import call_figures, reaches, stored, visits
from app.reports.call_figures import CallFigures
from app.reports.filters import PRESENT, ReportFilter, cancelled_clause
from app.reports.models import SessionCompletion, SessionFigures, SessionSkill, Visit
from app.reports.sql import local_month, minutes_between
from app.scheduling.models import (
    Session,
    SessionStaff,
    StaffRole,
    Venue,
    held_clause,
    staffing_warnings,
)
from app.timeutil import utcnow

AGE_BANDS = ("under_60", "60_69", "70_79", "80_plus", "unknown")
KINDS = tuple(LearnerKind)
UNKNOWN = ""  # the key of a line for "not recorded" (no district, no device)


def age_band(birth_year: int | None, on: date) -> str:
    if birth_year is None:
        return "unknown"
    age = on.year - birth_year
    if age < 60:
        return "under_60"
    if age < 70:
        return "60_69"
    if age < 80:
        return "70_79"
    return "80_plus"


def birth_years_of(band: str, on: date) -> tuple[int | None, int | None] | None:
    """The birth years (first, last; None = open) of an age band; None for 'unknown'."""
    return {
        "under_60": (on.year - 59, None),
        "60_69": (on.year - 69, on.year - 60),
        "70_79": (on.year - 79, on.year - 70),
        "80_plus": (None, on.year - 80),
    }.get(band)


# ---------------------------------------------------------------- the shapes of the figures


# What new and returning count, said where they are shown (dashboard, exports, drill-down):
# "以前から来ている 0" beside hundreds who came read as "nobody came back", when it only meant
# that nobody had come before the period began.
NEW_LEARNERS = _l("この期間に初めて来た受講者")
RETURNING_LEARNERS = _l("この期間より前にも来ていた受講者")


@dataclass
class Counts:
    held: int = 0
    cancelled: int = 0
    planned: int = 0

    @property
    def total(self) -> int:
        return self.held + self.cancelled + self.planned

    def add(self, state: str) -> None:
        setattr(self, state, getattr(self, state) + 1)


@dataclass
class SessionLine:
    """Sessions of one month, course, venue...: `changes` narrows the filter to them."""

    key: str
    label: str
    counts: Counts = field(default_factory=Counts)
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass
class CountLine:
    """A number of learners (or registrations, hours...) with its share of a whole."""

    key: str
    label: str
    count: int
    whole: int = 0
    facet: str | None = None  # the learners behind it: /reports/learners?facet=...
    changes: dict[str, Any] = field(default_factory=dict)  # or the sessions behind it

    @property
    def share(self) -> float | None:
        return self.count / self.whole if self.whole else None


@dataclass
class DistrictLine:
    district: str
    label: str
    by_kind: dict[str, int]
    total: int


@dataclass
class SkillLine:
    key: str
    label: str
    reached: int
    attendees: int

    @property
    def share(self) -> float | None:
        return self.reached / self.attendees if self.attendees else None


@dataclass
class CourseOutcome:
    slug: str
    title: str
    attendees: int
    completed: int
    skills: list[SkillLine]


@dataclass
class StaffHours:
    org_id: int | None
    org_name: str
    instructor_minutes: int = 0
    assistant_minutes: int = 0

    @property
    def instructor_hours(self) -> float:
        return round(self.instructor_minutes / 60, 1)

    @property
    def assistant_hours(self) -> float:
        return round(self.assistant_minutes / 60, 1)


@dataclass
class Figures:
    filter: ReportFilter
    now: datetime
    sessions: Counts = field(default_factory=Counts)
    by_month: list[SessionLine] = field(default_factory=list)
    by_course: list[SessionLine] = field(default_factory=list)
    by_track: list[SessionLine] = field(default_factory=list)
    by_delivery: list[SessionLine] = field(default_factory=list)
    by_partner: list[SessionLine] = field(default_factory=list)
    by_venue: list[SessionLine] = field(default_factory=list)
    # attendance
    attendances: int = 0
    distinct_learners: int = 0
    new_learners: int = 0
    single_learner_sessions: int = 0
    # demand
    seats: int = 0  # capacity of the sessions not cancelled
    seats_taken: int = 0  # registrations on them
    registered_held: int = 0  # registrations on held sessions
    no_shows: int = 0
    waitlist_by_course: list[CountLine] = field(default_factory=list)
    # staffing
    rule_met: int = 0
    staff_hours: list[StaffHours] = field(default_factory=list)
    # reach
    by_district: list[DistrictLine] = field(default_factory=list)
    by_age_band: list[CountLine] = field(default_factory=list)
    by_kind: list[CountLine] = field(default_factory=list)
    by_device: list[CountLine] = field(default_factory=list)
    # outcomes
    outcomes: list[CourseOutcome] = field(default_factory=list)
    further_course: int = 0  # learners who attended two courses or more
    # the day-before call (its definitions: app.reports.call_figures)
    calls: CallFigures = field(default_factory=CallFigures)

    @property
    def returning_learners(self) -> int:
        return self.distinct_learners - self.new_learners

    @property
    def avg_learners_per_session(self) -> float | None:
        held = self.sessions.held
        return round(self.attendances / held, 2) if held else None

    @property
    def single_learner_share(self) -> float | None:
        held = self.sessions.held
        return self.single_learner_sessions / held if held else None

    @property
    def capacity_filled(self) -> float | None:
        return self.seats_taken / self.seats if self.seats else None

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.registered_held if self.registered_held else None

    @property
    def rule_met_share(self) -> float | None:
        held = self.sessions.held
        return self.rule_met / held if held else None

    @property
    def longest_waitlist(self) -> CountLine | None:
        return self.waitlist_by_course[0] if self.waitlist_by_course else None


# ---------------------------------------------------------------- what each session was


def session_facts(flt: ReportFilter, now: datetime, *, raw: bool = False) -> sa.Select:
    """One row per session of the filter with what the figures need (and the drill-down).

    The counts come from the stored per-session figures (app.reports.stored), or with `raw`
    from the raw rows by the same rule: the two must always agree (tests/reports/test_stored).
    """
    held = held_clause(now)
    state = sa.case((cancelled_clause(), "cancelled"), (held, "held"), else_="planned").label(
        "state"
    )
    described = (
        Session.id,
        state,
        local_month(Session.starts_at).label("month"),
        CourseVersion.course_id,
        CourseVersion.track,
        Session.delivery_type,
        Session.partner_org_id,
        Session.venue_id,
        Session.capacity,
    )
    if raw:
        return flt.sessions(*described, *stored.session_counts(Session.id))
    counts = [getattr(SessionFigures, name) for name in stored.COLUMNS]
    return flt.sessions(*described, *counts).join(
        SessionFigures, SessionFigures.session_id == Session.id
    )


def meets_rule(row: Any) -> bool:
    """A line of `session_facts` meets the staffing rule (app.scheduling.models, the one
    place the rule is written): those who came once held, the seats before."""
    return not staffing_warnings(
        held=row.state == "held",
        capacity=row.capacity,
        came=row.present,
        instructors=row.instructors,
        assistants=row.assistants,
    )


# ---------------------------------------------------------------- names for keys


@dataclass
class Names:
    courses: dict[int, tuple[str, str]]  # id -> (slug, title)
    orgs: dict[int, tuple[str, str]]
    venues: dict[int, tuple[str, str]]


def _names() -> Names:
    courses = {
        course_id: (slug, version.title)
        for course_id, slug, version in db.session.execute(
            sa.select(Course.id, Course.slug, CourseVersion).join(
                CourseVersion, CourseVersion.id == Course.current_version_id
            )
        )
    }
    orgs = {
        org_id: (slug, name)
        for org_id, slug, name in db.session.execute(
            sa.select(Organization.id, Organization.slug, Organization.name)
        )
    }
    venues = {
        venue_id: (slug, name)
        for venue_id, slug, name in db.session.execute(sa.select(Venue.id, Venue.slug, Venue.name))
    }
    return Names(courses, orgs, venues)


# ---------------------------------------------------------------- computing


# What each part of the figures costs to count: a page asks only for the parts it shows.
SESSIONS, ATTENDANCE, REACH, OUTCOMES, STAFFING, CALLS = (
    "sessions",
    "attendance",
    "reach",
    "outcomes",
    "staffing",
    "calls",
)
EVERY_PART = frozenset({SESSIONS, ATTENDANCE, REACH, OUTCOMES, STAFFING, CALLS})


def compute(
    flt: ReportFilter,
    now: datetime | None = None,
    parts: frozenset[str] = EVERY_PART,
    *,
    raw: bool = False,
) -> Figures:
    """The figures of `parts` (all by default); the others keep their empty values.

    With `raw`, every figure is counted from the raw rows, none from the stored figures: what
    the tests compare the stored figures with, and the bench's reference.
    """
    now = now or utcnow()
    figures = Figures(filter=flt, now=now)
    names = _names()
    if SESSIONS in parts:
        _sum_sessions(figures, names, raw)
    if ATTENDANCE in parts:
        _count_attendance(figures, raw)
    if REACH in parts:
        _count_reach(figures, raw)
    if OUTCOMES in parts:
        _count_outcomes(figures, names, raw)
    if STAFFING in parts:
        _count_staff_hours(figures, names)
    if CALLS in parts:
        figures.calls = call_figures.count(flt, now, raw=raw)
    return figures


def _sum_sessions(figures: Figures, names: Names, raw: bool) -> None:
    flt = figures.filter
    by_month = {month.strftime("%Y-%m"): Counts() for month in flt.months}
    groups: dict[str, dict[Any, Counts]] = defaultdict(lambda: defaultdict(Counts))
    waitlist: dict[int, int] = defaultdict(int)
    for row in db.session.execute(session_facts(flt, figures.now, raw=raw)):
        state = row.state
        figures.sessions.add(state)
        if row.month in by_month:
            by_month[row.month].add(state)
        for kind, key in (
            ("course", row.course_id),
            ("track", row.track),
            ("delivery", row.delivery_type),
            ("partner", row.partner_org_id),
            ("venue", row.venue_id),
        ):
            if key is not None:
                groups[kind][key].add(state)
        if state == "cancelled":
            continue
        figures.seats += row.capacity
        figures.seats_taken += row.registered
        if row.waitlisted:
            waitlist[row.course_id] += row.waitlisted
        if state != "held":
            continue
        figures.attendances += row.present
        figures.registered_held += row.registered
        figures.no_shows += row.no_show
        if row.present == 1:
            figures.single_learner_sessions += 1
        if meets_rule(row):
            figures.rule_met += 1

    figures.by_month = [
        SessionLine(
            month.strftime("%Y-%m"),
            _("%(year)d年%(month)d月", year=month.year, month=month.month),
            by_month[month.strftime("%Y-%m")],
            {"month": month},
        )
        for month in flt.months
    ]

    def lines(kind: str, describe) -> list[SessionLine]:
        made = []
        for key, counts in groups[kind].items():
            line_key, line_label, changes = describe(key)
            made.append(SessionLine(line_key, line_label, counts, changes))
        return sorted(made, key=lambda ln: (-ln.counts.total, ln.label))

    def course(course_id: int) -> tuple[str, str]:
        return names.courses.get(course_id, (str(course_id), "?"))

    figures.by_course = lines(
        "course", lambda key: (course(key)[0], course(key)[1], {"course": course(key)[0]})
    )
    figures.by_track = lines("track", lambda key: (key, label("track", key), {"track": key}))
    figures.by_delivery = lines(
        "delivery", lambda key: (key, label("delivery_type", key), {"delivery": key})
    )
    figures.by_partner = lines(
        "partner",
        lambda key: (*names.orgs.get(key, ("", "?")), {"partner": names.orgs.get(key, ("",))[0]}),
    )
    figures.by_venue = lines(
        "venue",
        lambda key: (*names.venues.get(key, ("", "?")), {"venue": names.venues.get(key, ("",))[0]}),
    )
    total_waiting = sum(waitlist.values())
    figures.waitlist_by_course = sorted(
        (
            CountLine(
                course(course_id)[0],
                course(course_id)[1],
                count,
                total_waiting,
                changes={"course": course(course_id)[0]},
            )
            for course_id, count in waitlist.items()
        ),
        key=lambda ln: (-ln.count, ln.label),
    )


def attended(flt: ReportFilter, now: datetime, *columns: Any, only: Any = None) -> sa.Select:
    """Present or late attendances at the held sessions of the filter (of the learners
    `only` selects, when given)."""
    found = (
        flt.sessions(*columns)
        .join(Attendance, Attendance.session_id == Session.id)
        .where(held_clause(now), Attendance.status.in_(PRESENT))
    )
    return found if only is None else found.where(Attendance.learner_id.in_(only))


def attended_learner_ids(flt: ReportFilter, now: datetime) -> sa.Select:
    return attended(flt, now, Attendance.learner_id).distinct()


# ---------------------------------------------------------------- learners, from their visits


def from_visits(flt: ReportFilter, raw: bool) -> bool:
    """A period and nothing else: its learner figures are counted from the stored visits
    (app.reports.visits), which know each learner's previous visit, but not by venue, course
    or partner; any other filter counts them from the raw rows."""
    narrowed = (flt.course, flt.track, flt.delivery, flt.partner, flt.venue, flt.district)
    return not raw and all(value is None or value == "" for value in narrowed)


def visited_not_held(flt: ReportFilter, now: datetime) -> sa.Select:
    """Learners with a visit in the period at a session not held (cancelled, or not over):
    few, and counted from the raw rows; the visits count all the others."""
    start, end = flt.bounds()
    not_held = sa.select(Session.id).where(
        Session.starts_at >= start, Session.starts_at < end, sa.not_(held_clause(now))
    )
    return sa.select(Visit.learner_id).where(Visit.session_id.in_(not_held)).distinct()


def _visits(flt: ReportFilter, now: datetime, *columns: Any) -> sa.Select:
    start, end = flt.bounds()
    return sa.select(*columns).where(
        *visits.in_period(start, end), Visit.learner_id.not_in(visited_not_held(flt, now))
    )


def attending_ids(
    flt: ReportFilter, now: datetime, raw: bool
) -> sa.Select[Any] | sa.CompoundSelect:
    """Each learner present or late at a held session of the filter, once."""
    if not from_visits(flt, raw):
        return attended_learner_ids(flt, now)
    start, _end = flt.bounds()
    return sa.union_all(
        _visits(flt, now, Visit.learner_id).where(visits.first_in_period(start)),
        attended(flt, now, Attendance.learner_id, only=visited_not_held(flt, now)).distinct(),
    )


def came_before(start: datetime, learner_id: Any) -> sa.Exists:
    """The learner was present or late at a session that started before `start`."""
    earlier = sa.orm.aliased(Attendance)
    earlier_session = sa.orm.aliased(Session)
    return (
        sa.select(earlier.id)
        .join(earlier_session, earlier_session.id == earlier.session_id)
        .where(
            earlier.learner_id == learner_id,
            earlier.status.in_(PRESENT),
            earlier_session.starts_at < start,
        )
        .exists()
    )


def _count_attendance(figures: Figures, raw: bool) -> None:
    """実人数, new learners and learners in two courses or more: from the visits when the
    filter is a period only (and from attendance for the few learners the visits cannot
    tell), else in one pass over attendance."""
    flt, now = figures.filter, figures.now
    start, _end = flt.bounds()
    stored = from_visits(flt, raw)
    per_learner = (
        attended(
            flt,
            now,
            Attendance.learner_id,
            sa.func.count(sa.distinct(CourseVersion.course_id)).label("courses"),
            only=visited_not_held(flt, now) if stored else None,
        )
        .group_by(Attendance.learner_id)
        .subquery()
    )
    total, returning, further = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(
                sa.func.sum(sa.case((came_before(start, per_learner.c.learner_id), 1), else_=0)),
                0,
            ),
            sa.func.coalesce(sa.func.sum(sa.case((per_learner.c.courses >= 2, 1), else_=0)), 0),
        ).select_from(per_learner)
    ).one()
    figures.distinct_learners = int(total)
    figures.new_learners = int(total) - int(returning)
    figures.further_course = int(further)
    if not stored:
        return

    def rows(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    first, new, second = db.session.execute(
        _visits(
            flt,
            now,
            rows(visits.first_in_period(start)),
            rows(Visit.prev_at.is_(None)),
            rows(visits.second_course_in_period(start)),
        )
    ).one()
    figures.distinct_learners += int(first)
    figures.new_learners += int(new)
    figures.further_course += int(second)


def _count_reach(figures: Figures, raw: bool) -> None:
    flt, now = figures.filter, figures.now
    on = flt.last_day
    districts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(KINDS, 0))
    ages: dict[str, int] = dict.fromkeys(AGE_BANDS, 0)
    kinds: dict[str, int] = dict.fromkeys(KINDS, 0)
    devices: dict[str, int] = defaultdict(int)
    rows = db.session.execute(
        sa.select(
            Learner.district, Learner.kind, Learner.device, Learner.birth_year, sa.func.count()
        )
        .where(Learner.id.in_(attending_ids(flt, now, raw)))
        .group_by(Learner.district, Learner.kind, Learner.device, Learner.birth_year)
    )
    for district, kind, device, birth_year, count in rows:
        district_counts = districts[district or UNKNOWN]
        district_counts[kind] = district_counts.get(kind, 0) + count
        ages[age_band(birth_year, on)] += count
        kinds[kind] = kinds.get(kind, 0) + count
        devices[device or UNKNOWN] += count
    whole = figures.distinct_learners
    figures.by_district = sorted(
        (
            DistrictLine(district, district or _("不明"), by_kind, sum(by_kind.values()))
            for district, by_kind in districts.items()
        ),
        key=lambda ln: (ln.district == UNKNOWN, -ln.total, ln.district),
    )
    figures.by_age_band = [
        CountLine(band, label("age_band", band), ages[band], whole, facet=f"age:{band}")
        for band in AGE_BANDS
    ]
    figures.by_kind = [
        CountLine(kind, label("learner_kind", kind), count, whole, facet=f"kind:{kind}")
        for kind, count in kinds.items()
    ]
    figures.by_device = sorted(
        (
            CountLine(
                device,
                label("device", device) if device else _("不明"),
                count,
                whole,
                facet=f"device:{device}",
            )
            for device, count in devices.items()
        ),
        key=lambda ln: (ln.key == UNKNOWN, -ln.count),
    )


def _attendees_by_course(flt: ReportFilter, now: datetime, raw: bool) -> dict[int, int]:
    stored = from_visits(flt, raw)
    raw_rows = attended(
        flt,
        now,
        CourseVersion.course_id,
        sa.func.count(sa.distinct(Attendance.learner_id)),
        only=visited_not_held(flt, now) if stored else None,
    ).group_by(CourseVersion.course_id)
    if not stored:
        return dict(db.session.execute(raw_rows).all())
    start, _end = flt.bounds()
    from_rows = (
        _visits(flt, now, Visit.course_id, sa.func.count())
        .where(visits.first_of_course_in_period(start))
        .group_by(Visit.course_id)
    )
    both = sa.union_all(raw_rows, from_rows).subquery()
    columns = list(both.c)
    return dict(
        db.session.execute(
            sa.select(columns[0], sa.func.sum(columns[1])).group_by(columns[0])
        ).all()
    )


def _reached_and_completed(
    flt: ReportFilter, raw: bool
) -> tuple[dict[int, dict[str, int]], dict[int, int]]:
    """Per course, the learners who first reached each skill key, and who completed it, in the
    filter's classes (app.reports.reaches says why first): from the stored per-class counts,
    or with `raw` by the same rule over the raw rows (app.reports.reaches.outcome_rows)."""
    skill_counts: dict[int, dict[str, int]] = defaultdict(dict)
    completed: dict[int, int] = defaultdict(int)
    not_cancelled = sa.not_(cancelled_clause())
    if raw:
        in_filter = set(db.session.scalars(flt.sessions(Session.id).where(not_cancelled)))
        first_rows, done_rows = reaches.outcome_rows(
            db.session.execute, sa.select(SkillReached.learner_id)
        )
        for row in first_rows:
            if row["session_id"] in in_filter:
                course = skill_counts[row["course_id"]]
                course[row["key"]] = course.get(row["key"], 0) + 1
        for row in done_rows:
            if row["session_id"] in in_filter:
                completed[row["course_id"]] += 1
        return skill_counts, completed
    for course_id, key, count in db.session.execute(
        flt.sessions(SessionSkill.course_id, SessionSkill.key, sa.func.sum(SessionSkill.learners))
        .join(SessionSkill, SessionSkill.session_id == Session.id)
        .where(not_cancelled)
        .group_by(SessionSkill.course_id, SessionSkill.key)
    ):
        skill_counts[course_id][key] = int(count)
    for course_id, count in db.session.execute(
        flt.sessions(SessionCompletion.course_id, sa.func.sum(SessionCompletion.learners))
        .join(SessionCompletion, SessionCompletion.session_id == Session.id)
        .where(not_cancelled)
        .group_by(SessionCompletion.course_id)
    ):
        completed[course_id] = int(count)
    return skill_counts, completed


def _count_outcomes(figures: Figures, names: Names, raw: bool) -> None:
    flt, now = figures.filter, figures.now
    attendees = {
        course_id: int(count) for course_id, count in _attendees_by_course(flt, now, raw).items()
    }
    skill_counts, completed = _reached_and_completed(flt, raw)
    # The skills each course asks for today (its current version), in their order.
    current_skills: dict[int, list[Skill]] = defaultdict(list)
    for course_id, skill in db.session.execute(
        sa.select(Course.id, Skill)
        .join(Skill, Skill.course_version_id == Course.current_version_id)
        .order_by(Course.id, Skill.position)
    ):
        current_skills[course_id].append(skill)
    outcomes = []
    for course_id in set(attendees) | set(skill_counts):
        slug, title = names.courses.get(course_id, (str(course_id), "?"))
        count = attendees.get(course_id, 0)
        skills = [
            SkillLine(skill.key, skill.label, skill_counts[course_id].get(skill.key, 0), count)
            for skill in current_skills.get(course_id, [])
        ]
        outcomes.append(CourseOutcome(slug, title, count, completed.get(course_id, 0), skills))
    figures.outcomes = sorted(outcomes, key=lambda o: (-o.attendees, o.title))


def _count_staff_hours(figures: Figures, names: Names) -> None:
    flt, now = figures.filter, figures.now
    minutes = sa.func.sum(minutes_between(Session.starts_at, Session.ends_at))
    rows = db.session.execute(
        flt.sessions(User.org_id, SessionStaff.role, minutes)
        .join(SessionStaff, SessionStaff.session_id == Session.id)
        .join(User, User.id == SessionStaff.user_id)
        .where(held_clause(now))
        .group_by(User.org_id, SessionStaff.role)
    )
    by_org: dict[int | None, StaffHours] = {}
    for org_id, role, total in rows:
        hours = by_org.setdefault(
            org_id,
            StaffHours(org_id, names.orgs.get(org_id, ("", _("所属なし")))[1]),
        )
        if role == StaffRole.INSTRUCTOR:
            hours.instructor_minutes += int(total or 0)
        else:
            hours.assistant_minutes += int(total or 0)
    figures.staff_hours = sorted(
        by_org.values(), key=lambda h: -(h.instructor_minutes + h.assistant_minutes)
    )
