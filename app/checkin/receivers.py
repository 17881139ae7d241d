"""Check-in's answers to what the areas below it ask (app.signals): attendance and skills
reached are this area's rows, so a merge of two learner records moves them here, and the
session page shows the door's counts and link from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.auth.access import is_planner
from app.auth.models import User
from app.checkin.counts import counts_for
from app.checkin.models import CAME, Attendance, SkillReached
from app.checkin.services import derived_status, may_check_in
from app.curricula.models import CourseVersion, Skill
from app.extensions import db
from app.people import signals as people_signals
from app.people.models import Learner, Registration, RegistrationStatus
from app.people.privacy import roster_sessions
from app.scheduling import signals as scheduling_signals
from app.scheduling.models import Session
from app.transaction import rowcount


@people_signals.attended_registrations.connect
def _attended(learner_ids: list[int], **_kwargs: object) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(Attendance.registration_id).where(Attendance.learner_id.in_(learner_ids))
        )
    )


@people_signals.registration_dropping.connect
def _drop_attendance(registration: Registration, **_kwargs: object) -> None:
    db.session.execute(sa.delete(Attendance).where(Attendance.registration_id == registration.id))


@people_signals.learner_merging.connect
def _move_records(keep: Learner, *, other: Learner, **_kwargs: object) -> dict[str, int]:
    attendances = rowcount(
        db.session.execute(
            sa.update(Attendance)
            .where(Attendance.learner_id == other.id)
            .values(learner_id=keep.id)
        )
    )
    have = set(
        db.session.scalars(
            sa.select(SkillReached.skill_id).where(SkillReached.learner_id == keep.id)
        )
    )
    skills = 0
    for reached in db.session.scalars(
        sa.select(SkillReached).where(SkillReached.learner_id == other.id)
    ):
        # A skill both records reached is kept once, with the learner that stays.
        if reached.skill_id in have:
            db.session.delete(reached)
        else:
            reached.learner_id = keep.id
            skills += 1
    return {"attendances": attendances, "skills": skills}


@people_signals.merge_previewed.connect
def _preview(keep: Learner, *, other: Learner, **_kwargs: object) -> dict[str, int]:
    def count(statement: sa.Select) -> int:
        return db.session.scalar(statement) or 0

    kept_skills = sa.select(SkillReached.skill_id).where(SkillReached.learner_id == keep.id)
    return {
        "attendances": count(
            sa.select(sa.func.count(Attendance.id)).where(Attendance.learner_id == other.id)
        ),
        "skills": count(
            sa.select(sa.func.count(SkillReached.id)).where(SkillReached.learner_id == other.id)
        ),
        "skills_already_kept": count(
            sa.select(sa.func.count(SkillReached.id)).where(
                SkillReached.learner_id == other.id, SkillReached.skill_id.in_(kept_skills)
            )
        ),
    }


@scheduling_signals.session_page_shown.connect
def _door(session: Session, *, user: User, **_kwargs: object) -> dict[str, object]:
    return {
        "counts": counts_for([session.id])[session.id],
        "can_check_in": may_check_in(user, session),
    }


@scheduling_signals.came_counted.connect
def _came(_sender: object, **_kwargs: object) -> sa.ColumnElement[int]:
    return (
        sa.select(sa.func.count(Attendance.id))
        .where(Attendance.session_id == Session.id, Attendance.status.in_(CAME))
        .correlate(Session)
        .scalar_subquery()
    )


@dataclass
class CourseSkills:
    title: str
    skills: list[tuple[Skill, SkillReached]] = field(default_factory=list)


@people_signals.learner_page_shown.connect
def _learner_record(
    learner: Learner, *, user: User, registrations: list[Registration], **_kwargs: object
) -> dict[str, Any]:
    """A learner's attendance at the classes their page lists, each with its derived status
    (none for a class that does not count: waitlisted or cancelled, and not attended), and
    the skills they reached, grouped by course, where the person looking may see them."""
    attendance = {
        a.registration_id: a
        for a in db.session.scalars(
            sa.select(Attendance).where(
                Attendance.registration_id.in_([r.id for r in registrations])
            )
        )
    }
    statuses = {}
    for reg in registrations:
        came = attendance.get(reg.id)
        if reg.status == RegistrationStatus.REGISTERED or came is not None:
            statuses[reg.id] = derived_status(reg.session, came)
    return {"attendance": attendance, "statuses": statuses, "skills": _skills(user, learner)}


def _skills(user: User, learner: Learner) -> list[CourseSkills]:
    statement = (
        sa.select(SkillReached, Skill)
        .join(Skill, Skill.id == SkillReached.skill_id)
        .options(joinedload(Skill.course_version).joinedload(CourseVersion.course))
        .where(SkillReached.learner_id == learner.id)
        .order_by(Skill.course_version_id, Skill.position)
    )
    if not is_planner(user):
        statement = statement.where(SkillReached.session_id.in_(roster_sessions(user)))
    by_course: dict[int, CourseSkills] = {}
    for reached, skill in db.session.execute(statement):
        course = skill.course_version.course
        group = by_course.setdefault(course.id, CourseSkills(skill.course_version.title))
        group.skills.append((skill, reached))
    return sorted(by_course.values(), key=lambda g: g.title)
