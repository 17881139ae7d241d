"""Who completed which course, and when: read from the skills reached, never stored.

A course is completed in the class where a learner has, by then, reached every skill of the
version that class teaches: in that class or in earlier ones, whichever version those taught.
A skill is the same skill in every version of its course when its key is the same (the
curricula keep keys across revisions), so a revision that only rewords changes nothing, and
one that adds a skill asks for it of those who finish in its classes; a learner who completed
an earlier version keeps that completion. Its day is that class's. Nothing is stored: unticking
a skill in the grid takes the completion away, ticking it again gives it back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.auth.access import is_planner
from app.auth.models import User
from app.checkin.models import SkillReached
from app.curricula.models import Course, CourseVersion, Skill
from app.errors import NotFound
from app.extensions import db
from app.people.models import Learner, Registration, RegistrationStatus
from app.people.privacy import roster_sessions
from app.scheduling.models import Session
from app.timeutil import local


@dataclass(frozen=True)
class Completion:
    learner_id: int
    version: CourseVersion  # the version the class taught, whose every skill was reached
    session: Session  # the class where the last of them was reached

    @property
    def course(self) -> Course:
        return self.version.course

    @property
    def completed_on(self) -> date:
        return local(self.session.starts_at).date()


# (when the class began, its id): the order in which skills were reached.
Reached = tuple[datetime, int]


@dataclass
class _Record:
    """One learner's skills of one course: when each key was first reached, and every class
    that recorded one, with the version it taught."""

    first: dict[str, Reached] = field(default_factory=dict)
    classes: set[tuple[Reached, int]] = field(default_factory=set)


def reached_rows(learner_ids: Iterable[int] | sa.Select) -> sa.Select:
    """What these learners reached: (learner, course, version, key, class start, class id)."""
    return (
        sa.select(
            SkillReached.learner_id,
            CourseVersion.course_id,
            Skill.course_version_id,
            Skill.key,
            Session.starts_at,
            Session.id,
        )
        .join(Skill, Skill.id == SkillReached.skill_id)
        .join(CourseVersion, CourseVersion.id == Skill.course_version_id)
        .join(Session, Session.id == SkillReached.session_id)
        .where(SkillReached.learner_id.in_(learner_ids))
    )


def records_of(rows: Iterable[Any]) -> dict[tuple[int, int], _Record]:
    """(learner, course) → what they reached of it, from `reached_rows`."""
    records: dict[tuple[int, int], _Record] = defaultdict(_Record)
    for learner_id, course_id, version_id, key, starts_at, session_id in rows:
        record = records[(learner_id, course_id)]
        when = (starts_at, session_id)
        if key not in record.first or when < record.first[key]:
            record.first[key] = when
        record.classes.add((when, version_id))
    return records


def version_keys(course_ids: Iterable[int]) -> sa.Select:
    """(course, version, key) of every skill of these courses."""
    return (
        sa.select(CourseVersion.course_id, Skill.course_version_id, Skill.key)
        .join(CourseVersion, CourseVersion.id == Skill.course_version_id)
        .where(CourseVersion.course_id.in_(list(course_ids)))
    )


def versions_of(rows: Iterable[Any]) -> dict[int, dict[int, set[str]]]:
    """course → version id → the keys of its skills (versions without skills left out: they
    cannot be completed by ticking), from `version_keys`."""
    keys: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for course_id, version_id, key in rows:
        keys[course_id][version_id].add(key)
    return keys


def completed_in(
    records: dict[tuple[int, int], _Record], versions: dict[int, dict[int, set[str]]]
) -> list[tuple[int, int, int, Reached]]:
    """(learner, course, version, the class) of each course completed: the rule, in one place."""
    found = []
    for (learner_id, course_id), record in records.items():
        for when, version_id in sorted(record.classes):
            keys = versions[course_id].get(version_id)
            if keys and all(k in record.first and record.first[k] <= when for k in keys):
                found.append((learner_id, course_id, version_id, when))
                break
    return found


def completions_of(learner_ids: Iterable[int]) -> dict[int, list[Completion]]:
    """learner id → the courses they completed, earliest first. Four queries, however many
    learners and courses."""
    ids = list(set(learner_ids))
    if not ids:
        return {}
    records = records_of(db.session.execute(reached_rows(ids)))
    courses = {course_id for _learner, course_id in records}
    versions = versions_of(db.session.execute(version_keys(courses)))
    found = [
        (learner_id, version_id, when)
        for learner_id, _course, version_id, when in completed_in(records, versions)
    ]
    if not found:
        return {}
    loaded_versions = {
        v.id: v
        for v in db.session.scalars(
            sa.select(CourseVersion)
            .options(joinedload(CourseVersion.course))
            .where(CourseVersion.id.in_({version_id for _l, version_id, _w in found}))
        )
    }
    sessions = {
        s.id: s
        for s in db.session.scalars(
            sa.select(Session)
            .options(joinedload(Session.venue))
            .where(Session.id.in_({when[1] for _l, _v, when in found}))
        )
    }
    result: dict[int, list[Completion]] = defaultdict(list)
    for learner_id, version_id, when in sorted(found, key=lambda f: (f[2], f[1])):
        result[learner_id].append(
            Completion(learner_id, loaded_versions[version_id], sessions[when[1]])
        )
    return dict(result)


def visible_to(user: User, completions: list[Completion]) -> list[Completion]:
    """Those `user` may know of: planners all; other staff those completed in a class whose
    people they may read (a partner never learns what another partner's class recorded)."""
    if is_planner(user) or not completions:
        return completions
    readable = set(
        db.session.scalars(
            sa.select(Session.id).where(
                Session.id.in_({c.session.id for c in completions}),
                Session.id.in_(roster_sessions(user)),
            )
        )
    )
    return [c for c in completions if c.session.id in readable]


def completion_of(user: User, learner: Learner, slug: str) -> Completion:
    """The learner's completion of the course `slug`, as `user` may see it; NotFound else."""
    for completion in visible_to(user, completions_of([learner.id]).get(learner.id, [])):
        if completion.course.slug == slug:
            return completion
    raise NotFound(
        _(
            "%(name)sさんが修了した講座(%(course)s)は見つかりません。",
            name=learner.name,
            course=slug,
        )
    )


def completed_at(session: Session) -> list[tuple[Learner, Completion]]:
    """The registered learners of `session` who completed its course in this very class (the
    certificates to hand out at its end), in furigana order."""
    learners = list(
        db.session.scalars(
            sa.select(Learner)
            .join(Registration, Registration.learner_id == Learner.id)
            .where(
                Registration.session_id == session.id,
                Registration.status == RegistrationStatus.REGISTERED,
                # Nobody to name once the retention rule removed who it was.
                Learner.anonymized_at.is_(None),
            )
            .order_by(Learner.furigana_key, Learner.id)
        )
    )
    found = completions_of([learner.id for learner in learners])
    course_id = session.course_version.course_id
    return [
        (learner, completion)
        for learner in learners
        for completion in found.get(learner.id, [])
        if completion.course.id == course_id and completion.session.id == session.id
    ]
