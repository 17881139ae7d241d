"""Reading the audit log back: what a city's privacy officer or IT department asks of it
("who downloaded rosters last month?")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.core.models import AuditEntry
from app.extensions import db
from app.timeutil import iso, local_day_bounds


def entries(
    *, action: str | None = None, since: date | None = None, until: date | None = None
) -> Iterator[AuditEntry]:
    """Entries oldest first, from `since` to `until` (Japan's days, both included)."""
    statement = sa.select(AuditEntry).options(joinedload(AuditEntry.actor))
    if action:
        statement = statement.where(AuditEntry.action == action)
    if since:
        statement = statement.where(AuditEntry.at >= local_day_bounds(since)[0])
    if until:
        statement = statement.where(AuditEntry.at < local_day_bounds(until)[1])
    yield from db.session.scalars(
        statement.order_by(AuditEntry.at, AuditEntry.id).execution_options(yield_per=500)
    )


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": iso(entry.at),
        "actor": entry.actor.email if entry.actor else None,
        "action": entry.action,
        "subject": f"{entry.subject_type}:{entry.subject_id}",
        "details": entry.details,
    }
