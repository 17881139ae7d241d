"""The sessions and learners behind a figure of the dashboard.

Each figure links here with the same filter it was counted under, plus what narrows it
(`state=held`, `only=single`, `facet=district:中央`...), and these lists use the very
expressions the figures use (app.reports.figures), so a list is as long as its figure.
A page of a list costs a fixed number of queries, whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from app.checkin.models import Attendance, SkillReached
from app.curricula.models import Course, CourseVersion, Skill
from app.errors import ValidationError
from app.extensions import db
from app.labels import label
from app.people.models import Learner
from app.reports.figures import (
    AGE_BANDS,
    NEW_LEARNERS,
    RETURNING_LEARNERS,
    UNKNOWN,
    age_band,
    attended,
    attended_learner_ids,
    birth_years_of,
    came_before,
    meets_rule,
    session_facts,
)
from app.reports.filters import ReportFilter, cancelled_clause
from app.scheduling.models import Session, SessionStaff, meets_rule_clause
from app.scheduling.queries import Page

PER_PAGE = 50
STATES = ("held", "cancelled", "planned")
ONLY = ("single", "rule_met", "rule_unmet", "waitlisted", "no_show")


def _page_of(count_query: sa.Select, page: int) -> tuple[int, int]:
    """The total, and the page asked for kept within the pages there are."""
    total = db.session.scalar(count_query) or 0
    return total, min(max(page, 1), Page([], total, 1, PER_PAGE).pages)


# ---------------------------------------------------------------- sessions


@dataclass
class SessionRow:
    session: Session
    state: str
    present: int
    registered: int
    waitlisted: int
    no_show: int
    rule_met: bool


def session_rows(
    flt: ReportFilter, now: datetime, state: str | None, only: str | None, page: int
) -> Page:
    if state and state not in STATES:
        raise ValidationError(_("状態が正しくありません。"), fields={"state": ", ".join(STATES)})
    if only and only not in ONLY:
        raise ValidationError(_("絞り込みが正しくありません。"), fields={"only": ", ".join(ONLY)})
    facts = session_facts(flt, now).subquery()
    where: list[sa.ColumnElement[bool]] = []
    if state:
        where.append(facts.c.state == state)
    met = meets_rule_clause(facts.c.present, facts.c.instructors, facts.c.assistants)
    where += {
        None: [],
        "single": [facts.c.state == "held", facts.c.present == 1],
        "rule_met": [facts.c.state == "held", met],
        "rule_unmet": [facts.c.state == "held", sa.not_(met)],
        "waitlisted": [facts.c.state != "cancelled", facts.c.waitlisted > 0],
        "no_show": [facts.c.state == "held", facts.c.no_show > 0],
    }[only]
    total, page = _page_of(sa.select(sa.func.count()).select_from(facts).where(*where), page)
    rows = db.session.execute(
        sa.select(Session, facts)
        .join(facts, facts.c.id == Session.id)
        .where(*where)
        .options(
            joinedload(Session.course_version),
            joinedload(Session.venue),
            joinedload(Session.partner_org),
            selectinload(Session.staff).joinedload(SessionStaff.user),
        )
        .order_by(Session.starts_at, Session.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return Page(
        [
            SessionRow(
                row.Session,
                row.state,
                row.present,
                row.registered,
                row.waitlisted,
                row.no_show,
                meets_rule(row),
            )
            for row in rows
        ],
        total,
        page,
        PER_PAGE,
    )


# ---------------------------------------------------------------- learners


@dataclass
class LearnerRow:
    learner: Learner
    attendances: int
    age_band: str


def describe_facet(facet: str) -> str:
    """The facet in words, for the page's heading."""
    name, _sep, value = facet.partition(":")
    if name == "all":
        return _("出席した受講者(実人数)")
    if name == "new":
        return str(NEW_LEARNERS)
    if name == "returning":
        return str(RETURNING_LEARNERS)
    if name == "further":
        return _("2つ以上のコースに出席した受講者")
    if name == "district":
        return _("地区: %(value)s", value=value or _("不明"))
    if name == "age":
        return _("年代: %(value)s", value=label("age_band", value))
    if name == "kind":
        return _("区分: %(value)s", value=label("learner_kind", value))
    if name == "device":
        return _("端末: %(value)s", value=label("device", value) if value else _("不明"))
    if name == "skill":
        return _("できるようになったこと: %(value)s", value=value)
    if name == "completed":
        return _("コースのすべてを修了: %(value)s", value=value)
    return facet


def _facet_condition(flt: ReportFilter, now: datetime, facet: str) -> sa.ColumnElement[bool]:
    name, _sep, value = facet.partition(":")
    if name == "all":
        return sa.true()
    if name in ("new", "returning"):
        start, _end = flt.bounds()
        before = came_before(start, Learner.id)
        return sa.not_(before) if name == "new" else before
    if name == "district":
        return Learner.district.is_(None) if value == UNKNOWN else Learner.district == value
    if name == "device":
        return Learner.device.is_(None) if value == UNKNOWN else Learner.device == value
    if name == "kind":
        return Learner.kind == value
    if name == "age" and value in AGE_BANDS:
        years = birth_years_of(value, flt.last_day)
        if years is None:
            return Learner.birth_year.is_(None)
        first, last = years
        clauses: list[sa.ColumnElement[bool]] = [Learner.birth_year.is_not(None)]
        if first is not None:
            clauses.append(Learner.birth_year >= first)
        if last is not None:
            clauses.append(Learner.birth_year <= last)
        return sa.and_(*clauses)
    if name == "further":
        return Learner.id.in_(
            attended(flt, now, Attendance.learner_id)
            .group_by(Attendance.learner_id)
            .having(sa.func.count(sa.distinct(CourseVersion.course_id)) >= 2)
        )
    if name in ("skill", "completed"):
        course_slug, _sep, key = value.partition("/")
        reached = (
            flt.sessions(SkillReached.learner_id)
            .join(SkillReached, SkillReached.session_id == Session.id)
            .join(Skill, Skill.id == SkillReached.skill_id)
            .join(Course, Course.id == CourseVersion.course_id)
            .where(sa.not_(cancelled_clause()), Course.slug == course_slug)
        )
        if name == "skill":
            return Learner.id.in_(reached.where(Skill.key == key))
        required = (
            sa.select(sa.func.count(Skill.id))
            .join(Course, Course.current_version_id == Skill.course_version_id)
            .where(Course.slug == course_slug)
            .scalar_subquery()
        )
        return Learner.id.in_(
            reached.group_by(SkillReached.learner_id).having(
                sa.func.count(sa.distinct(Skill.key)) >= required
            )
        )
    raise ValidationError(_("絞り込みが正しくありません。"), fields={"facet": facet})


def learner_rows(flt: ReportFilter, now: datetime, facet: str, page: int) -> Page:
    condition = _facet_condition(flt, now, facet or "all")
    counts = (
        attended(flt, now, Attendance.learner_id, sa.func.count().label("attendances"))
        .group_by(Attendance.learner_id)
        .subquery()
    )
    where = [Learner.id.in_(attended_learner_ids(flt, now)), condition]
    total, page = _page_of(sa.select(sa.func.count(Learner.id)).where(*where), page)
    rows = db.session.execute(
        sa.select(Learner, sa.func.coalesce(counts.c.attendances, 0))
        .outerjoin(counts, counts.c.learner_id == Learner.id)
        .where(*where)
        .order_by(Learner.furigana_key, Learner.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return Page(
        [
            LearnerRow(learner, attendances, age_band(learner.birth_year, flt.last_day))
            for learner, attendances in rows
        ],
        total,
        page,
        PER_PAGE,
    )
