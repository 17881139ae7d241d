"""Figures added up ahead of time: one row per session of the counts the reports sum.

A row holds what does not depend on the moment the report is read (whether a session is held
depends on `now` and is decided when reading, from the session's own columns). Each row is
written by app.reports.stored in the same transaction as the change that alters it, and can be
rebuilt from the raw rows at any time (`flask --app app reports-rebuild`).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model


class SessionFigures(Model):
    __tablename__ = "report_session_figures"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    present: Mapped[int]  # attendances present or late
    registered: Mapped[int]  # registrations not waitlisted, not cancelled
    waitlisted: Mapped[int]
    no_show: Mapped[int]  # registered without a present, late or excused attendance
    instructors: Mapped[int]
    assistants: Mapped[int]
    # Goes up by one each time the session's row is counted again: on any change to the
    # session, its attendance, registrations, staff, skills reached or survey answers. What
    # a page shows of these sessions is the same while their revisions are (app.public).
    revision: Mapped[int] = mapped_column(default=1, server_default="1")


class DataVersion(Model):
    """One row, one number: up by one in every transaction that changes a session, its
    attendance, registrations, staff, skills reached or survey answers, a venue or a course.
    Whatever is counted from them is the same while it is: a version for caches and ETags."""

    __tablename__ = "report_data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]
