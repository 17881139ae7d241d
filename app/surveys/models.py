"""The survey after class: the printed sheets (each with its own token) and the answers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.scheduling.models import Session
from app.timeutil import UTCDateTime, utcnow


class AnswerSource(StrEnum):
    PAPER = "paper"  # typed in from a returned sheet
    PHONE = "phone"  # answered by the learner through the sheet's QR


class SurveySheet(Model):
    """One printed sheet of a session's survey. Not tied to a learner: the survey is anonymous;
    the token only lets the holder of that sheet answer once on a phone."""

    __tablename__ = "survey_sheets"
    __table_args__ = (sa.UniqueConstraint("session_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id"), index=True)
    number: Mapped[int]  # printed on the sheet, from 1
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[Session] = relationship()


class SurveyAnswer(Model):
    """One learner's answers to one session's survey (the questions of its course version)."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id"), index=True)
    # At most one answer per sheet: a sheet answered on a phone cannot be typed in again.
    sheet_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_sheets.id"), unique=True)
    source: Mapped[str] = mapped_column(sa.String(10))
    # Question id -> answer: 1–5 for a scale, true/false for yes/no, the choice's number
    # (from 1) for a choice, the text for a free text. A question left blank is left out.
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    name: Mapped[str] = mapped_column(sa.String(100), default="")  # only if the learner wrote one
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[Session] = relationship()
    sheet: Mapped[SurveySheet | None] = relationship()
