"""Secret tokens in private calendar feed URLs: revocable, one live token per owner."""

from __future__ import annotations

from datetime import datetime
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
