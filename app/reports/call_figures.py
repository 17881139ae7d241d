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

Two queries, whatever the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.checkin.models import CAME, Attendance
from app.extensions import db
from app.people.models import CallOutcome, ConfirmationCall, Registration, RegistrationStatus
from app.reports.filters import ReportFilter, cancelled_clause
from app.scheduling.models import Session, held_clause

NOT_REACHED = (None, CallOutcome.NO_ANSWER, CallOutcome.MESSAGE_LEFT)


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


def count(flt: ReportFilter, now: datetime) -> CallFigures:
    last_outcome = (
        sa.select(ConfirmationCall.outcome)
        .where(ConfirmationCall.registration_id == Registration.id)
        .order_by(ConfirmationCall.recorded_at.desc(), ConfirmationCall.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    came = (
        sa.select(Attendance.id)
        .where(Attendance.registration_id == Registration.id, Attendance.status.in_(CAME))
        .exists()
    )
    per_registration = (
        flt.sessions(last_outcome.label("outcome"), came.label("came"))
        .join(Registration, Registration.session_id == Session.id)
        .where(held_clause(now), Registration.status == RegistrationStatus.REGISTERED)
        .subquery()
    )
    result = CallFigures()
    for outcome, came_, number in db.session.execute(
        sa.select(per_registration.c.outcome, per_registration.c.came, sa.func.count()).group_by(
            per_registration.c.outcome, per_registration.c.came
        )
    ):
        absent = number if not came_ else 0
        result.registrations += number
        if outcome == CallOutcome.ATTENDING:
            result.confirmed += number
            result.confirmed_absent += absent
        elif outcome in NOT_REACHED:
            result.not_reached += number
            result.not_reached_absent += absent
    result.seats_passed = (
        db.session.scalar(
            flt.sessions(sa.func.count(ConfirmationCall.id))
            .join(Registration, Registration.session_id == Session.id)
            .join(ConfirmationCall, ConfirmationCall.registration_id == Registration.id)
            .where(sa.not_(cancelled_clause()), ConfirmationCall.promoted_id.is_not(None))
        )
        or 0
    )
    return result
