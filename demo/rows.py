"""Rows of the demo city's past waiting to be written: bulk INSERTs in chunks, in foreign-key
order, with ids given explicitly.

The services write a row at a time, and a city is a few million rows. Giving ids here means
no row has to be read back; PostgreSQL's sequences are moved past them at the end.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa

from app.checkin.models import Attendance, SkillReached
from app.extensions import db
from app.people.models import Card, Learner, Registration
from app.scheduling.models import Session, SessionStaff

CHUNK = 5_000


class Rows:
    """Rows waiting to be inserted, written in chunks in foreign-key order."""

    ORDER = (Learner, Card, Session, SessionStaff, Registration, Attendance, SkillReached)

    def __init__(self) -> None:
        self.pending: dict[type, list[dict[str, Any]]] = {m: [] for m in self.ORDER}
        self.written: dict[type, int] = dict.fromkeys(self.ORDER, 0)

    def add(self, model: type, row: dict[str, Any]) -> None:
        self.pending[model].append(row)

    def size(self) -> int:
        return sum(len(rows) for rows in self.pending.values())

    def flush(self) -> None:
        for model in self.ORDER:
            rows = self.pending[model]
            table = cast(sa.Table, model.__table__)  # (a mapped class's: a Table)
            # Core's executemany: the ORM's bulk path splits rows by which values are None.
            for start in range(0, len(rows), CHUNK):
                db.session.execute(sa.insert(table), rows[start : start + CHUNK])
            self.written[model] += len(rows)
            rows.clear()


def next_ids() -> dict[type, int]:
    return {
        model: (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1
        for model in (Learner, Card, Session, Registration, Attendance, SkillReached)
    }


def move_sequences_past_ids() -> None:
    """Ids were given explicitly; PostgreSQL's sequences must not hand them out again."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in (Learner, Card, Session, Registration, Attendance, SkillReached):
        table = model.__tablename__
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )
