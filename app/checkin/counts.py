"""How many came: registered, waitlisted and checked-in numbers per session, counted together
because the session page, the door, the public list and the partners' sheets all show them
side by side. Here, not in app.people: checked in is this area's row."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from app.checkin.models import Attendance
from app.extensions import db
from app.people.models import Registration, RegistrationStatus


@dataclass
class Counts:
    registered: int = 0
    waitlisted: int = 0
    checked_in: int = 0


def counts_for(session_ids: Iterable[int]) -> dict[int, Counts]:
    """Registered, waitlisted and checked-in numbers for many sessions in one query."""
    ids = list(session_ids)
    result = {sid: Counts() for sid in ids}
    if not ids:
        return result
    checked_in = sa.func.count(Attendance.checked_in_at)
    rows = db.session.execute(
        sa.select(Registration.session_id, Registration.status, sa.func.count(), checked_in)
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(
            Registration.session_id.in_(ids),
            Registration.status != RegistrationStatus.CANCELLED,
        )
        .group_by(Registration.session_id, Registration.status)
    )
    for session_id, status, number, arrived in rows:
        if status == RegistrationStatus.REGISTERED:
            result[session_id].registered = number
            result[session_id].checked_in = arrived
        elif status == RegistrationStatus.WAITLISTED:
            result[session_id].waitlisted = number
    return result
