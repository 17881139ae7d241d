"""What the day-before call (前日確認, app.people.confirmations) did, for the dashboard.

Definitions (the same on the dashboard and in the API):
- The registrations counted are those of held sessions in the filter (registered, neither
  waitlisted nor cancelled: the ones the no-show rate counts); a registration's outcome is its
  last call (by time, then by record), none when it was never called.
- *Confirmed*: the last call found 参加 (attending). *Not reached*: never called, or the last
  call was 不在 (no answer) or 伝言 (message left).
- Absent: no present or late attendance (app.checkin.models.CAME). Excused counts as absent
  here, unlike the no-show rate: the question is whether a confirmed seat was used.
- Seats passed on: calls that gave the seat to someone waitlisted (ConfirmationCall.promoted_id),
  on the filter's sessions that were not cancelled (held or still planned).

One query, whatever the data: the counts are kept per session (app.reports.stored).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.reports import stored
from app.reports.filters import ReportFilter, cancelled_clause
from app.reports.models import SessionFigures
from app.scheduling.models import Session, held_clause


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class CallFigures:
    registrations: int = 0  # registered at held sessions
    confirmed: int = 0
    confirmed_absent: int = 0
    not_reached: int = 0
    not_reached_absent: int = 0
    seats_passed: int = 0

    @property
    def confirmed_share(self) -> float | None:
        return _share(self.confirmed, self.registrations)

    @property
    def confirmed_no_show_rate(self) -> float | None:
        return _share(self.confirmed_absent, self.confirmed)

    @property
    def not_reached_no_show_rate(self) -> float | None:
        return _share(self.not_reached_absent, self.not_reached)


def count(flt: ReportFilter, now: datetime, *, raw: bool = False) -> CallFigures:
    """One query: the stored per-session counts (app.reports.stored.call_counts, the one place
    these rules are written) added up, or with `raw` the same counts from the raw rows."""
    if raw:
        counts = {label.name: label.element for label in stored.session_counts(Session.id)}
    else:
        counts = {name: getattr(SessionFigures, name) for name in stored.COLUMNS}
    held = held_clause(now)

    def total(name: str, where: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
        return sa.func.coalesce(sa.func.sum(sa.case((where, counts[name]), else_=0)), 0)

    query = flt.sessions(
        total("registered", held),
        *(total(name, held) for name in stored.CALL_COLUMNS[:4]),
        total("seats_passed", sa.not_(cancelled_clause())),
    )
    if not raw:
        query = query.join(SessionFigures, SessionFigures.session_id == Session.id)
    return CallFigures(*(int(value) for value in db.session.execute(query).one()))
