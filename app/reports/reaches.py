"""Skills first reached and courses completed (app.reports.models: FirstReach, CourseCompletion
per learner; SessionSkill, SessionCompletion per class), kept equal to the raw rows.

The rule is the certificates' (app.certificates.completions: `records_of`, `completed_in`):
a learner reaches a skill (a key of a course) first in the earliest class that recorded it,
and completes a course in the first class by which every skill of the version it teaches was
reached. The dashboard counts each in the period of that class, so a skill reached again in a
later 年度 is not counted again, and a course finished over two classes across 年度 counts in
the 年度 of the second: the years add up to the whole, as a certificate is given once.

A learner's rows are written again, in the same transaction, whenever a skill they reached is
added, removed or moved, or a class they reached one in moves (app.reports.stored hears
these); then the per-class counts of every class their rows named, before or after, are added
up again from the per-learner rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import sqlalchemy as sa

from app.certificates import completions as rule
from app.checkin.models import SkillReached
from app.reports.chunked import CHUNK, values_where_in
from app.reports.models import CourseCompletion, FirstReach, SessionCompletion, SessionSkill


def _table(model: type[Any]) -> sa.Table:
    return cast(sa.Table, model.__table__)


def refresh(connection: sa.Connection, learner_ids: Iterable[int]) -> None:
    """Write these learners' first reaches and completions again, and the per-class counts of
    every class they name."""
    ids = sorted({int(i) for i in learner_ids if i is not None})
    firsts, done = _table(FirstReach), _table(CourseCompletion)
    classes: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for table in (firsts, done):
            classes |= values_where_in(connection, table.c.session_id, table.c.learner_id, chunk)
            connection.execute(sa.delete(table).where(table.c.learner_id.in_(chunk)))
        classes |= _write(connection, chunk)
    recount(connection, classes)


def outcome_rows(
    execute: Any, learner_ids: Iterable[int] | sa.Select
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """These learners' first reaches and completions by the certificates' rule, as rows of
    FirstReach and CourseCompletion, read with `execute` (a connection's or the session's)."""
    records = rule.records_of(execute(rule.reached_rows(learner_ids)))
    if not records:
        return [], []
    courses = {course_id for _learner, course_id in records}
    versions = rule.versions_of(execute(rule.version_keys(courses)))
    first_rows = [
        {"learner_id": learner, "course_id": course, "key": key, "session_id": when[1]}
        for (learner, course), record in records.items()
        for key, when in record.first.items()
    ]
    done_rows = [
        {"learner_id": learner, "course_id": course, "session_id": when[1]}
        for learner, course, _version, when in rule.completed_in(records, versions)
    ]
    return first_rows, done_rows


def _write(connection: sa.Connection, learner_ids: list[int]) -> set[int]:
    first_rows, done_rows = outcome_rows(connection.execute, learner_ids)
    if first_rows:
        connection.execute(sa.insert(_table(FirstReach)), first_rows)
    if done_rows:
        connection.execute(sa.insert(_table(CourseCompletion)), done_rows)
    return {row["session_id"] for row in first_rows}


def recount(connection: sa.Connection, session_ids: Iterable[int]) -> None:
    """Add up the per-class counts of these classes again from the per-learner rows."""
    ids = sorted({int(i) for i in session_ids if i is not None})
    for start in range(0, len(ids), CHUNK):
        _add_up(connection, ids[start : start + CHUNK])


def _add_up(connection: sa.Connection, session_ids: list[int] | None) -> None:
    """The per-class counts of these classes (of all when None), one DELETE and one
    INSERT … SELECT each."""
    for per_class, per_learner, keys in (
        (_table(SessionSkill), _table(FirstReach), ("course_id", "key")),
        (_table(SessionCompletion), _table(CourseCompletion), ("course_id",)),
    ):
        gone = sa.delete(per_class)
        counted = per_learner.c.session_id
        group = [counted, *(per_learner.c[k] for k in keys)]
        added = sa.select(*group, sa.func.count()).group_by(*group)
        if session_ids is not None:
            gone = gone.where(per_class.c.session_id.in_(session_ids))
            added = added.where(counted.in_(session_ids))
        connection.execute(gone)
        connection.execute(
            sa.insert(per_class).from_select(["session_id", *keys, "learners"], added)
        )


def rebuild(connection: sa.Connection) -> None:
    """Every learner's rows and every class's counts again, from the raw rows."""
    for model in (SessionSkill, SessionCompletion, FirstReach, CourseCompletion):
        connection.execute(sa.delete(_table(model)))
    learners = sorted(set(connection.scalars(sa.select(SkillReached.learner_id).distinct())))
    for start in range(0, len(learners), CHUNK):
        _write(connection, learners[start : start + CHUNK])
    _add_up(connection, None)


def learners_of_sessions(connection: sa.Connection, session_ids: Iterable[int]) -> set[int]:
    """Who reached a skill in these classes."""
    return values_where_in(
        connection, SkillReached.learner_id, SkillReached.session_id, session_ids
    )
