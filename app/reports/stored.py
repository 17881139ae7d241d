"""The per-session figures (app.reports.models.SessionFigures), kept equal to the raw rows.

The counts of a session are written by one rule, `session_counts`: the raw-row computation
(app.reports.figures.session_facts_raw) and the stored rows are both made by it, so that they
can only disagree if a change is missed — and none is:

- an ORM change (a check-in, undone or corrected; a registration made, cancelled or moved; a
  staff member added or removed; a session added or edited; a skill reached or a survey
  answer, which only move the revision) is heard in `after_flush`, where the touched
  sessions' rows are counted again, on the flush's own connection, in its transaction;
- a statement that writes many rows at once through the session (`sa.update(Attendance)` in a
  learner merge, `sa.delete(...)`, the demo city's bulk INSERTs) is heard in `do_orm_execute`:
  the sessions its WHERE reaches are read before it runs, and counted again after.

A rolled-back change rolls its counts back with it. `rebuild()` counts every session again
(`flask --app app reports-rebuild`); nothing else writes the table.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

from app.checkin import signals as checkin_signals
from app.checkin.models import CAME, Attendance, AttendanceStatus, SkillReached
from app.curricula.models import Course, CourseVersion, Skill
from app.extensions import db
from app.people.models import CallOutcome, ConfirmationCall, Registration, RegistrationStatus
from app.reports import reaches, visits
from app.reports.chunked import CHUNK, values_where_in
from app.reports.filters import PRESENT
from app.reports.models import DataVersion, SessionFigures
from app.scheduling.models import Session, SessionStaff, StaffRole, Venue
from app.surveys.models import SurveyAnswer


def session_counts(session_id: Any) -> list[sa.Label]:
    """The counts of the session `session_id` (a column or value), each labelled by the
    SessionFigures column it fills: the one place these rules are written."""

    def count_of(model: type, *where: sa.ColumnElement[bool]) -> sa.ScalarSelect:
        return sa.select(sa.func.count()).select_from(model).where(*where).scalar_subquery()

    came_or_excused = (
        sa.select(Attendance.id)
        .where(
            Attendance.registration_id == Registration.id,
            Attendance.status != AttendanceStatus.ABSENT,
        )
        .exists()
    )
    registered = sa.and_(
        Registration.session_id == session_id,
        Registration.status == RegistrationStatus.REGISTERED,
    )
    return [
        count_of(
            Attendance, Attendance.session_id == session_id, Attendance.status.in_(PRESENT)
        ).label("present"),
        count_of(Registration, registered).label("registered"),
        count_of(
            Registration,
            Registration.session_id == session_id,
            Registration.status == RegistrationStatus.WAITLISTED,
        ).label("waitlisted"),
        count_of(Registration, registered, sa.not_(came_or_excused)).label("no_show"),
        count_of(
            SessionStaff,
            SessionStaff.session_id == session_id,
            SessionStaff.role == StaffRole.INSTRUCTOR,
        ).label("instructors"),
        count_of(
            SessionStaff,
            SessionStaff.session_id == session_id,
            SessionStaff.role == StaffRole.ASSISTANT,
        ).label("assistants"),
        *call_counts(session_id, registered),
    ]


def call_counts(session_id: Any, registered: sa.ColumnElement[bool]) -> list[sa.Label]:
    """What the day-before calls of the session's registrations found (the definitions are
    app.reports.call_figures'): a registration's outcome is its last call's."""
    last_outcome = (
        sa.select(ConfirmationCall.outcome)
        .where(ConfirmationCall.registration_id == Registration.id)
        .order_by(ConfirmationCall.recorded_at.desc(), ConfirmationCall.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    absent = ~(
        sa.select(Attendance.id)
        .where(Attendance.registration_id == Registration.id, Attendance.status.in_(CAME))
        .exists()
    )
    confirmed = last_outcome == CallOutcome.ATTENDING
    not_reached = sa.or_(
        last_outcome.is_(None),
        last_outcome.in_([CallOutcome.NO_ANSWER, CallOutcome.MESSAGE_LEFT]),
    )

    def registrations(*where: sa.ColumnElement[bool]) -> sa.ScalarSelect:
        return (
            sa.select(sa.func.count())
            .select_from(Registration)
            .where(registered, *where)
            .scalar_subquery()
        )

    passed = (
        sa.select(sa.func.count())
        .select_from(ConfirmationCall)
        .join(Registration, Registration.id == ConfirmationCall.registration_id)
        .where(Registration.session_id == session_id, ConfirmationCall.promoted_id.is_not(None))
        .scalar_subquery()
    )
    return [
        registrations(confirmed).label("confirmed"),
        registrations(confirmed, absent).label("confirmed_absent"),
        registrations(not_reached).label("not_reached"),
        registrations(not_reached, absent).label("not_reached_absent"),
        passed.label("seats_passed"),
    ]


CALL_COLUMNS = (
    "confirmed",
    "confirmed_absent",
    "not_reached",
    "not_reached_absent",
    "seats_passed",
)
COLUMNS = (
    "present",
    "registered",
    "waitlisted",
    "no_show",
    "instructors",
    "assistants",
    *CALL_COLUMNS,
)


@functools.cache
def _recount_statements() -> tuple[sa.Update, sa.Insert]:
    """The UPDATE of sessions' rows and the INSERT of missing ones, built once: on the door's
    path, building these dozen subqueries again took four times as long as running them."""
    table = cast(sa.Table, SessionFigures.__table__)
    ids: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
    counts = {label.name: label.element for label in session_counts(table.c.session_id)}
    update = (
        sa.update(table)
        .where(table.c.session_id.in_(ids))
        .values(**counts, revision=table.c.revision + 1)
    )
    insert = sa.insert(table).from_select(
        ["session_id", *COLUMNS],
        sa.select(Session.id, *session_counts(Session.id)).where(
            Session.id.in_(ids), _without_figures()
        ),
    )
    return update, insert


def refresh(connection: sa.Connection, session_ids: Iterable[int]) -> None:
    """Count the given sessions again, their revisions one up: one UPDATE and one
    INSERT … SELECT (of sessions without a row yet) per chunk. A deleted session's row goes
    with it (ON DELETE CASCADE)."""
    update, insert = _recount_statements()
    ids = sorted({int(i) for i in session_ids if i is not None})
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        updated = connection.execute(update, {"ids": chunk})
        if updated.rowcount == len(chunk):
            continue  # every session had its row
        connection.execute(insert, {"ids": chunk})


def rebuild() -> int:
    """Count every session again (in the caller's transaction); the number of rows written."""
    table = cast(sa.Table, SessionFigures.__table__)
    connection = db.session.connection()
    connection.execute(sa.delete(table))
    connection.execute(
        sa.insert(table).from_select(
            ["session_id", *COLUMNS], sa.select(Session.id, *session_counts(Session.id))
        )
    )
    visits.rebuild(connection)
    reaches.rebuild(connection)
    bump_version(connection)
    return db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0


def bump_version(connection: sa.Connection) -> None:
    table = cast(sa.Table, DataVersion.__table__)
    moved = connection.execute(
        sa.update(table).where(table.c.id == 1).values(version=table.c.version + 1)
    )
    if moved.rowcount == 0:  # a database made without the migrations (the tests')
        connection.execute(sa.insert(table).values(id=1, version=1))


def data_version() -> int:
    return db.session.scalar(sa.select(DataVersion.version).where(DataVersion.id == 1)) or 0


# ---------------------------------------------------------------- hearing every change

# The tables whose rows the counts read, and the column naming each row's session.
# Skills reached and survey answers change no count, but what the public page shows: their
# session's revision goes up.
_MODELS = (Attendance, Registration, SessionStaff, SkillReached, SurveyAnswer)
_SESSION_OF: dict[str, str] = {
    **{model.__tablename__: "session_id" for model in _MODELS},
    Session.__tablename__: "id",
}


# A day-before call names its registration, not its session: found through it.
_CALLS = ConfirmationCall.__tablename__


def _sessions_of_registrations(connection: sa.Connection, ids: Iterable[Any]) -> set[int]:
    return values_where_in(connection, Registration.session_id, Registration.id, ids)


def _registrations_of_call(row: Any) -> set[int]:
    if not isinstance(row, ConfirmationCall):
        return set()
    history = sa.inspect(row).attrs.registration_id.history
    return {row.registration_id, *(history.deleted or ())}


def _sessions_of_object(row: Any) -> set[int]:
    if isinstance(row, Session):
        return {row.id}
    if not isinstance(row, _MODELS):
        return set()
    touched = {row.session_id}
    history = sa.inspect(cast(Any, row)).attrs.session_id.history
    touched.update(history.deleted or ())  # moved from another session
    return touched


# What the figures show besides: names of venues, courses and skills (the version only).
_NAMED = (Venue, Course, CourseVersion, Skill)


_LEARNERS_KEY = "report_per_learner"
_MOVING = ("starts_at", "course_version_id")  # what orders a learner's visits, and their course

# The stores kept per learner, each beside the raw model whose rows name the learner: a
# learner's visits are written again when their attendance changes, their skills first
# reached and courses completed when a skill they reached does; both when a class of theirs
# moves or goes.
_PER_LEARNER: tuple[tuple[type[Any], Any], ...] = ((Attendance, visits), (SkillReached, reaches))


def _no_learners() -> dict[Any, set[Any]]:
    return {store: set() for _model, store in _PER_LEARNER}


def _refresh_learners(connection: sa.Connection, learners: dict[Any, set[Any]]) -> None:
    for store, ids in learners.items():
        ids.discard(None)
        if ids:
            store.refresh(connection, ids)


def _learners_of_sessions(connection: sa.Connection, ids: Iterable[int]) -> dict[Any, set[Any]]:
    ids = list(ids)
    return {store: store.learners_of_sessions(connection, ids) for _model, store in _PER_LEARNER}


def _merge(into: dict[Any, set[Any]], more: dict[Any, set[Any]]) -> None:
    for store, ids in more.items():
        into[store] |= ids


def _learners_of_object(row: Any) -> dict[Any, set[Any]]:
    found = _no_learners()
    for model, store in _PER_LEARNER:
        if isinstance(row, model):
            history = sa.inspect(row).attrs.learner_id.history
            found[store] = {row.learner_id, *(history.deleted or ())}
    return found


@sa.event.listens_for(OrmSession, "before_flush")
def _note_moving_sessions(session: OrmSession, _flush: Any, _instances: Any) -> None:
    """The learners of a session about to move, change course or go: the order of their
    visits and reaches changes. Read now, while its attendance and skills are still there."""
    moving = [
        row.id
        for row in (*session.dirty, *session.deleted)
        if isinstance(row, Session)
        and row.id is not None
        and (
            row in session.deleted
            or any(sa.inspect(row).attrs[name].history.has_changes() for name in _MOVING)
        )
    ]
    if moving:
        noted = session.info.setdefault(_LEARNERS_KEY, _no_learners())
        _merge(noted, _learners_of_sessions(session.connection(), moving))


@sa.event.listens_for(OrmSession, "after_flush")
def _count_flushed(session: OrmSession, _flush: Any) -> None:
    touched: set[int] = set()
    learners = session.info.pop(_LEARNERS_KEY, None) or _no_learners()
    named = False
    called: set[int] = set()
    for row in (*session.new, *session.dirty, *session.deleted):
        touched |= _sessions_of_object(row)
        _merge(learners, _learners_of_object(row))
        called |= _registrations_of_call(row)
        named = named or isinstance(row, _NAMED)
    if called:
        touched |= _sessions_of_registrations(session.connection(), called)
    if touched:
        refresh(session.connection(), touched)
    _refresh_learners(session.connection(), learners)
    if touched or named:
        bump_version(session.connection())


def _target_table(state: ORMExecuteState) -> sa.Table | None:
    statement = state.statement
    table = getattr(statement, "table", None)
    if isinstance(table, sa.Table) and (table.name in _SESSION_OF or table.name == _CALLS):
        return table
    return None


def _count_calls_statement(state: ORMExecuteState, table: sa.Table) -> Any:
    """Calls written many at once (the demo's past calls): their registrations' sessions are
    counted again, those named before the statement and those after."""
    statement = cast(Any, state.statement)
    connection = state.session.connection()
    params: Any = state.parameters
    rows: list[Any] = params if isinstance(params, list) else [params] if params else []
    registrations: set[Any] = {row.get("registration_id") for row in rows}
    if not state.is_insert:
        where = statement.whereclause
        chosen = sa.select(table.c.registration_id)
        registrations.update(
            connection.scalars(chosen.where(where) if where is not None else chosen)
        )
    result = state.invoke_statement()
    for key, value in (getattr(statement, "_values", None) or {}).items():
        if getattr(key, "key", key) == "registration_id":
            registrations.add(getattr(value, "value", None))
    touched = _sessions_of_registrations(connection, registrations)
    if touched:
        refresh(connection, touched)
        bump_version(connection)
    return result


@sa.event.listens_for(OrmSession, "do_orm_execute")
def _count_statement(state: ORMExecuteState) -> Any:
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    table = _target_table(state)
    if table is None:
        return None
    if table.name == _CALLS:
        return _count_calls_statement(state, table)
    column = table.c[_SESSION_OF[table.name]]
    # An INSERT, UPDATE or DELETE (is_insert/is_update/is_delete above): a DML statement.
    statement = cast(Any, state.statement)
    connection = state.session.connection()
    params: Any = state.parameters
    rows: list[Any] = params if isinstance(params, list) else [params] if params else []
    touched: set[Any] = set()
    learners = _no_learners()
    missing = False
    for model, store in _PER_LEARNER:
        if table.name == model.__tablename__ and not state.is_insert:
            where = statement.whereclause
            chosen = sa.select(table.c.learner_id)
            learners[store].update(
                connection.scalars(chosen.where(where) if where is not None else chosen)
            )
    if (
        table.name == Session.__tablename__
        and state.is_delete
        and statement.whereclause is not None
    ):
        gone = connection.scalars(sa.select(table.c.id).where(statement.whereclause))
        _merge(learners, _learners_of_sessions(connection, gone))
    if state.is_insert:
        touched.update(row.get(column.key) for row in rows)
        missing = not rows or None in touched  # ids the database gives: found below
    elif statement.whereclause is not None:
        touched.update(connection.scalars(sa.select(column).where(statement.whereclause)))
    elif rows:  # an update of many rows by primary key, each with its values
        ids = [row["id"] for row in rows if "id" in row]
        touched.update(connection.scalars(sa.select(column).where(table.c.id.in_(ids))))
        touched.update(row.get(column.key) for row in rows)
    else:
        touched.update(connection.scalars(sa.select(column)))
    result = state.invoke_statement()
    for key, value in (getattr(statement, "_values", None) or {}).items():
        if getattr(key, "key", key) == column.key:  # moved to a session, or made with one
            found = getattr(value, "value", None)
            touched.add(found)
            missing = missing or found is None
    touched.discard(None)
    if missing:
        touched.update(connection.scalars(sa.select(Session.id).where(_without_figures())))
    if touched:
        refresh(connection, touched)
    _merge(learners, _learners_of_statement(state, table, touched, rows))
    _refresh_learners(connection, learners)
    bump_version(connection)
    return result


def _learners_of_statement(
    state: ORMExecuteState, table: sa.Table, sessions: set[int], rows: list
) -> dict[Any, set[Any]]:
    """The learners whose kept rows a bulk statement changed (besides those read before it
    ran): named in the attendance or skills it wrote, or of the sessions it moved."""
    found = _no_learners()
    for model, store in _PER_LEARNER:
        if table.name == model.__tablename__:
            found[store].update(row.get("learner_id") for row in rows)
            for key, value in (getattr(state.statement, "_values", None) or {}).items():
                if getattr(key, "key", key) == "learner_id":
                    found[store].add(getattr(value, "value", None))
    if table.name == Session.__tablename__ and not state.is_insert:
        _merge(found, _learners_of_sessions(state.session.connection(), sessions))
    return found


def _without_figures() -> sa.ColumnElement[bool]:
    table = cast(sa.Table, SessionFigures.__table__)
    return ~sa.select(table.c.session_id).where(table.c.session_id == Session.id).exists()


@checkin_signals.attendances_recorded.connect
def _count_quick_check_ins(
    _sender: Any, rows: list[dict[str, Any]], session_ids: list[int], **_facts: Any
) -> None:
    """The door's quick path writes its check-ins with one Core INSERT, which neither flush
    nor do_orm_execute hears: counted here, before its commit, in its transaction."""
    connection = db.session.connection()
    refresh(connection, session_ids)
    visits.refresh(connection, {row["learner_id"] for row in rows})
    bump_version(connection)
