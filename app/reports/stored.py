"""The per-session figures (app.reports.models.SessionFigures), kept equal to the raw rows.

The counts of a session are written by one rule, `session_counts`: the raw-row computation
(app.reports.figures.session_facts_raw) and the stored rows are both made by it, so that they
can only disagree if a change is missed — and none is:

- an ORM change (a check-in, undone or corrected; a registration made, cancelled or moved; a
  staff member added or removed; a session added) is heard in `after_flush`, where the touched
  sessions' rows are counted again, on the flush's own connection, in its transaction;
- a statement that writes many rows at once through the session (`sa.update(Attendance)` in a
  learner merge, `sa.delete(...)`, the demo city's bulk INSERTs) is heard in `do_orm_execute`:
  the sessions its WHERE reaches are read before it runs, and counted again after.

A rolled-back change rolls its counts back with it. `rebuild()` counts every session again
(`flask --app app reports-rebuild`); nothing else writes the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

from app.checkin.models import Attendance, AttendanceStatus
from app.extensions import db
from app.people.models import Registration, RegistrationStatus
from app.reports.filters import PRESENT
from app.reports.models import SessionFigures
from app.scheduling.models import Session, SessionStaff, StaffRole

CHUNK = 500  # session ids per statement (SQLite's limit on bound parameters is far above)


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
    ]


COLUMNS = ("present", "registered", "waitlisted", "no_show", "instructors", "assistants")


def refresh(connection: sa.Connection, session_ids: Iterable[int]) -> None:
    """Count the given sessions again: one DELETE and one INSERT … SELECT per chunk."""
    table = SessionFigures.__table__
    ids = sorted({int(i) for i in session_ids if i is not None})
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        connection.execute(sa.delete(table).where(table.c.session_id.in_(chunk)))
        connection.execute(
            sa.insert(table).from_select(
                ["session_id", *COLUMNS],
                sa.select(Session.id, *session_counts(Session.id)).where(Session.id.in_(chunk)),
            )
        )


def rebuild() -> int:
    """Count every session again (in the caller's transaction); the number of rows written."""
    table = SessionFigures.__table__
    connection = db.session.connection()
    connection.execute(sa.delete(table))
    connection.execute(
        sa.insert(table).from_select(
            ["session_id", *COLUMNS], sa.select(Session.id, *session_counts(Session.id))
        )
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0


# ---------------------------------------------------------------- hearing every change

# The tables whose rows the counts read, and the column naming each row's session.
_SESSION_OF: dict[str, str] = {
    Attendance.__tablename__: "session_id",
    Registration.__tablename__: "session_id",
    SessionStaff.__tablename__: "session_id",
    Session.__tablename__: "id",
}
_MODELS = (Attendance, Registration, SessionStaff)


def _sessions_of_object(row: Any) -> set[int]:
    if isinstance(row, Session):
        return {row.id}
    if not isinstance(row, _MODELS):
        return set()
    touched = {row.session_id}
    history = sa.inspect(row).attrs.session_id.history
    touched.update(history.deleted or ())  # moved from another session
    return touched


@sa.event.listens_for(OrmSession, "after_flush")
def _count_flushed(session: OrmSession, _flush: Any) -> None:
    touched: set[int] = set()
    for row in (*session.new, *session.dirty, *session.deleted):
        touched |= _sessions_of_object(row)
    if touched:
        refresh(session.connection(), touched)


def _target_table(state: ORMExecuteState) -> sa.Table | None:
    statement = state.statement
    table = getattr(statement, "table", None)
    if isinstance(table, sa.Table) and table.name in _SESSION_OF:
        return table
    return None


@sa.event.listens_for(OrmSession, "do_orm_execute")
def _count_statement(state: ORMExecuteState) -> Any:
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    table = _target_table(state)
    if table is None:
        return None
    column = table.c[_SESSION_OF[table.name]]
    statement = state.statement
    connection = state.session.connection()
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    touched: set[Any] = set()
    missing = False
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
        touched.update(connection.scalars(_sessions_without_figures()))
    if touched:
        refresh(connection, touched)
    return result


def _sessions_without_figures() -> sa.Select:
    table = SessionFigures.__table__
    return sa.select(Session.id).where(
        ~sa.select(table.c.session_id).where(table.c.session_id == Session.id).exists()
    )
