"""The calendars' tables: secret tokens in private feed URLs (revocable, one live token per
owner) and the written events every feed process shares."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.timeutil import UTCDateTime, utcnow


class FeedOwner(StrEnum):
    INSTRUCTOR = "instructor"  # a staff user who teaches (instructor or assistant)
    ORG = "org"  # a partner organization
    LEARNER = "learner"  # a learner, for the family member who keeps their calendar


class CalendarToken(Model):
    __tablename__ = "calendar_tokens"
    __table_args__ = (sa.Index("ix_calendar_tokens_owner", "owner_type", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(sa.String(16))
    owner_id: Mapped[int]
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StoredEvent(Model):
    """One written VEVENT, kept for every process and server that writes feeds
    (app.calendars.store). Keyed by a digest of everything its bytes are made of, the
    writer's version included, so a row is never wrong: it is only used or not."""

    __tablename__ = "calendar_events"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # Japan's date a feed last used it: rows unused for CALENDAR_EVENTS_KEEP_DAYS are pruned.
    used_on: Mapped[date] = mapped_column(sa.Date, index=True)
