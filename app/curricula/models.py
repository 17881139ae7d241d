"""Courses as loaded from curricula/: each change of a course file is a new version."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.timeutil import UTCDateTime, utcnow


class Track(StrEnum):
    BASIC = "basic"
    APPLIED = "applied"
    LEADER = "leader"
    SUPPORTER = "supporter"


class Audience(StrEnum):
    SENIOR = "senior"
    LEADER = "neighborhood_leader"
    SUPPORTER = "supporter"


class QuestionKind(StrEnum):
    """What a survey question asks for: each is typed in from paper as one key or a text."""

    SCALE = "scale"  # 1 (not at all) to 5 (very much)
    YES_NO = "yes_no"
    CHOICE = "choice"  # one of several
    TEXT = "text"


def in_locale(ja: str, en: str | None) -> str:
    """The English text when the person reads English and there is one, else the Japanese."""
    locale = get_locale()
    return en if (locale is not None and locale.language == "en" and en) else ja


class Course(Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    current_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("course_versions.id", use_alter=True)
    )

    current_version: Mapped[CourseVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    versions: Mapped[list[CourseVersion]] = relationship(
        back_populates="course",
        foreign_keys="CourseVersion.course_id",
        order_by="CourseVersion.version",
    )


class CourseVersion(Model):
    __tablename__ = "course_versions"
    __table_args__ = (sa.UniqueConstraint("course_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    title_ja: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(200))
    summary_ja: Mapped[str] = mapped_column(sa.Text, default="")
    summary_en: Mapped[str] = mapped_column(sa.Text, default="")
    track: Mapped[str] = mapped_column(sa.String(20))
    audience: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    duration_minutes: Mapped[int]
    prerequisites: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    materials: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    source_file: Mapped[str] = mapped_column(sa.String(255), default="")
    # The file's [[survey]] as loaded (course_file.QuestionSpec dumps); None: the default
    # survey. Kept with the version, so that answers read against the questions then asked.
    survey: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(back_populates="versions", foreign_keys=[course_id])
    skills: Mapped[list[Skill]] = relationship(
        back_populates="course_version", order_by="Skill.position", cascade="all, delete-orphan"
    )

    @property
    def slug(self) -> str:
        return self.course.slug

    @property
    def title(self) -> str:
        return in_locale(self.title_ja, self.title_en)

    @property
    def summary(self) -> str:
        return in_locale(self.summary_ja, self.summary_en)


class Skill(Model):
    __tablename__ = "skills"
    __table_args__ = (sa.UniqueConstraint("course_version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_version_id: Mapped[int] = mapped_column(sa.ForeignKey("course_versions.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    label_ja: Mapped[str] = mapped_column(sa.String(300))
    label_en: Mapped[str] = mapped_column(sa.String(300))
    position: Mapped[int]

    course_version: Mapped[CourseVersion] = relationship(back_populates="skills")

    @property
    def label(self) -> str:
        return in_locale(self.label_ja, self.label_en)
