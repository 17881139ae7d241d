"""Figures added up ahead of time: one row per session of the counts the reports sum.

A row holds what does not depend on the moment the report is read (whether a session is held
depends on `now` and is decided when reading, from the session's own columns). Each row is
written by app.reports.stored in the same transaction as the change that alters it, and can be
rebuilt from the raw rows at any time (`flask --app app reports-rebuild`).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.timeutil import UTCDateTime


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
    # The day-before calls of its registered people (app.reports.call_figures says what each
    # means): counted here so that the dashboard never reads every call of a 年度.
    confirmed: Mapped[int] = mapped_column(default=0, server_default="0")
    confirmed_absent: Mapped[int] = mapped_column(default=0, server_default="0")
    not_reached: Mapped[int] = mapped_column(default=0, server_default="0")
    not_reached_absent: Mapped[int] = mapped_column(default=0, server_default="0")
    seats_passed: Mapped[int] = mapped_column(default=0, server_default="0")
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


class Visit(Model):
    """A learner present (or late) at a session, in order of each learner's visits: when the
    learner came before (any course, and this course), and the latest earlier visit of
    another course (`other_at`) with the largest such of the visits before (`other_max`).

    From these, a period's distinct learners, new learners, learners per course and learners of
    two courses or more are counts of rows, not of learners grouped (app.reports.visits)."""

    __tablename__ = "report_visits"
    __table_args__ = (sa.Index("ix_report_visits_starts_at", "starts_at", "prev_at"),)

    attendance_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attendances.id", ondelete="CASCADE"), primary_key=True
    )
    learner_id: Mapped[int] = mapped_column(index=True)
    session_id: Mapped[int] = mapped_column(index=True)
    course_id: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    prev_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    course_prev_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    other_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    other_max: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FirstReach(Model):
    """Where each learner first reached each skill (by key) of each course: the class the
    certificates' rule names (app.certificates.completions). A period counts a skill reached by
    a learner once, in the class of its first reaching, so that 年度 add up to the whole."""

    __tablename__ = "report_first_reaches"

    learner_id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )


class CourseCompletion(Model):
    """The class where a learner completed a course, by the certificates' rule (the 修了証's
    day): counted in the period of that class."""

    __tablename__ = "report_completions"

    learner_id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )


class SessionSkill(Model):
    """Per class and skill key, how many learners first reached it there (FirstReach added up:
    what the dashboard sums, a few rows a class instead of a row per learner and skill)."""

    __tablename__ = "report_session_skills"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    learners: Mapped[int]


class SessionCompletion(Model):
    """Per class and course, how many learners completed the course there (CourseCompletion
    added up)."""

    __tablename__ = "report_session_completions"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[int] = mapped_column(primary_key=True)
    learners: Mapped[int]
