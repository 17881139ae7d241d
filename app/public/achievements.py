"""What the program achieved this 年度, as residents and the council see it on the public page.

Only aggregates leave this module, and every published count goes through `publish`: a count
from 1 to 4 becomes "<5" here, in the service, so that no template, export or API built on it
can show a small cell by mistake. That holds for every cell, the session counts included:
sessions are not people, but the issue asks for no count under 5 in any cell, and a district
that held 2 sessions is a district where few people could have come.

Not done: secondary suppression. Where a table's rows add up to a published total, a single
"<5" row can sometimes be narrowed down from the others (the session counts by district add up
to the sessions held; distinct learners by district do not add up, since a learner may come in
two districts). The figures at stake are counts of sessions or bounds on learner counts, never
a person, so the page accepts that.

The satisfaction from the surveys after class is a mean, not a count: it is shown only when at
least 5 answers make it (with fewer, one answer could be read back from it), and never by
district or course here.

The page costs five queries whatever the size of the data: totals, districts, skills, upcoming,
survey answers. Its version (`page_version`, the ETag) costs two, and no counting: the data
version (app.reports.stored, one up in every transaction that changes what the page counts)
and the next moment the page changes by time alone (a session of the 年度 ends, so it is held;
a public session starts, so it leaves the upcoming list); with the day and the language.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.checkin.models import Attendance, SkillReached
from app.curricula.models import CourseVersion, Skill, in_locale
from app.extensions import db
from app.fiscal import FiscalYear
from app.reports.filters import PRESENT, ReportFilter
from app.reports.stored import data_version
from app.scheduling.models import Session, SessionStatus, Venue, held_clause
from app.surveys import results as surveys
from app.timeutil import local, utcnow

SMALLEST_SHOWN = 5  # counts from 1 to SMALLEST_SHOWN - 1 are published as "<5"
TOP_SKILLS = 10
UPCOMING = 10


@dataclass(frozen=True)
class Published:
    """A count as the public may see it: exact when 0 or at least 5, otherwise only "<5"."""

    exact: int | None  # None when suppressed: the number itself never leaves the service

    @property
    def suppressed(self) -> bool:
        return self.exact is None

    def __str__(self) -> str:
        return f"<{SMALLEST_SHOWN}" if self.exact is None else f"{self.exact:,}"


def publish(count: int) -> Published:
    return Published(None if 0 < count < SMALLEST_SHOWN else count)


@dataclass(frozen=True)
class DistrictRow:
    district: str
    sessions: Published
    learners: Published


@dataclass(frozen=True)
class SkillRow:
    label: str
    course: str
    learners: Published


@dataclass(frozen=True)
class UpcomingSession:
    """A public session to come: what a resident needs to go, nothing about who else goes."""

    id: int
    starts_at: datetime
    ends_at: datetime
    course: str
    venue: str
    address: str
    district: str


@dataclass(frozen=True)
class Achievements:
    year: FiscalYear
    as_of: datetime  # the moment the figures are counted up to
    sessions_held: Published
    learners: Published  # 実人数: distinct learners present or late
    attendances: Published  # 延べ人数
    districts: list[DistrictRow]
    skills: list[SkillRow]  # the most reached skills, most learners first
    upcoming: list[UpcomingSession]
    survey_answers: Published
    satisfaction: float | None  # mean of 1–5; None under SMALLEST_SHOWN answers


def _survey(period: ReportFilter, held: sa.ColumnElement[bool]) -> tuple[Published, float | None]:
    """How many answered, and the mean satisfaction when enough did to publish it."""
    found = surveys.summary(Session.id.in_(period.session_ids().where(held)))
    mean = found.satisfaction_mean
    shown = mean is not None and found.satisfaction_answered >= SMALLEST_SHOWN
    return publish(found.answers), (round(mean, 1) if shown and mean is not None else None)


def achievements(now: datetime | None = None) -> Achievements:
    """The current 年度's figures up to `now`, and the next public sessions after it."""
    now = now or utcnow()
    year = FiscalYear.of(now)
    whole_year = ReportFilter(first_day=year.first_day, last_day=year.last_day, year=year)
    held = held_clause(now)
    survey_answers, satisfaction = _survey(whole_year, held)
    return Achievements(
        year=year,
        as_of=now,
        **_totals(whole_year, held),
        districts=_districts(whole_year, held),
        skills=_skills(whole_year, held),
        upcoming=_upcoming(now),
        survey_answers=survey_answers,
        satisfaction=satisfaction,
    )


def page_version(now: datetime, locale: str) -> str:
    """What the page shows at `now` in `locale` is the same as long as this is."""
    start, end = FiscalYear.of(now).bounds()
    scheduled = Session.status == SessionStatus.SCHEDULED
    next_end = (
        sa.select(sa.func.min(Session.ends_at))
        .where(
            scheduled, Session.ends_at > now, Session.starts_at >= start, Session.starts_at < end
        )
        .scalar_subquery()
    )
    next_start = (
        sa.select(sa.func.min(Session.starts_at))
        .where(scheduled, Session.public.is_(True), Session.starts_at > now)
        .scalar_subquery()
    )
    ends, starts = db.session.execute(sa.select(next_end, next_start)).one()
    key = f"{data_version()}|{locale}|{local(now).date()}|{ends}|{starts}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _present_at_session() -> sa.ColumnElement[bool]:
    return sa.and_(Attendance.session_id == Session.id, Attendance.status.in_(PRESENT))


def _totals(period: ReportFilter, held: sa.ColumnElement[bool]) -> dict[str, Published]:
    # Left join: a held session that nobody attended still counts as held.
    sessions, attendances, learners = db.session.execute(
        period.sessions(
            sa.func.count(sa.distinct(Session.id)),
            sa.func.count(Attendance.id),
            sa.func.count(sa.distinct(Attendance.learner_id)),
        )
        .outerjoin(Attendance, _present_at_session())
        .where(held)
    ).one()
    return {
        "sessions_held": publish(sessions),
        "attendances": publish(attendances),
        "learners": publish(learners),
    }


def _districts(period: ReportFilter, held: sa.ColumnElement[bool]) -> list[DistrictRow]:
    sessions = sa.func.count(sa.distinct(Session.id))
    rows = db.session.execute(
        period.sessions(Venue.district, sessions, sa.func.count(sa.distinct(Attendance.learner_id)))
        .outerjoin(Attendance, _present_at_session())
        .where(held)
        .group_by(Venue.district)
        .order_by(sessions.desc(), Venue.district)
    ).all()
    return [
        DistrictRow(district=district, sessions=publish(n_sessions), learners=publish(n_learners))
        for district, n_sessions, n_learners in rows
    ]


def _skills(period: ReportFilter, held: sa.ColumnElement[bool]) -> list[SkillRow]:
    """The skills most learners reached at this 年度's sessions.

    A skill is its key within a course: a course's new version keeps its skills, and a
    learner who reached one under either version is counted once.
    """
    learners = sa.func.count(sa.distinct(SkillReached.learner_id))
    label_ja, label_en = sa.func.max(Skill.label_ja), sa.func.max(Skill.label_en)
    rows = db.session.execute(
        period.sessions(
            label_ja,
            label_en,
            sa.func.max(CourseVersion.title_ja),
            sa.func.max(CourseVersion.title_en),
            learners,
        )
        .join(SkillReached, SkillReached.session_id == Session.id)
        .join(Skill, Skill.id == SkillReached.skill_id)
        .where(held)
        .group_by(CourseVersion.course_id, Skill.key)
        .order_by(learners.desc(), label_ja)
        .limit(TOP_SKILLS)
    ).all()
    return [
        SkillRow(
            label=in_locale(skill_ja, skill_en),
            course=in_locale(course_ja, course_en),
            learners=publish(count),
        )
        for skill_ja, skill_en, course_ja, course_en, count in rows
    ]


def _upcoming(now: datetime) -> list[UpcomingSession]:
    """The next public sessions not cancelled, from any 年度: in March, April's are news."""
    rows = db.session.execute(
        sa.select(
            Session.id,
            Session.starts_at,
            Session.ends_at,
            CourseVersion.title_ja,
            CourseVersion.title_en,
            Venue.name,
            Venue.address,
            Venue.district,
        )
        .join(CourseVersion, CourseVersion.id == Session.course_version_id)
        .join(Venue, Venue.id == Session.venue_id)
        .where(
            Session.public.is_(True),
            Session.status == SessionStatus.SCHEDULED,
            Session.starts_at > now,
        )
        .order_by(Session.starts_at, Session.id)
        .limit(UPCOMING)
    ).all()
    return [
        UpcomingSession(
            id=row.id,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            course=in_locale(row.title_ja, row.title_en),
            venue=row.name,
            address=row.address,
            district=row.district,
        )
        for row in rows
    ]
