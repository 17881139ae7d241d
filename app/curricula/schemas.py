"""What the API writes about courses (app.schemas)."""

from __future__ import annotations

from pydantic import Field

from app.curricula.models import Track
from app.schemas import ApiOut, Time


class SkillOut(ApiOut):
    id: str = Field(validation_alias="key")
    ja: str = Field(validation_alias="label_ja")
    en: str = Field(validation_alias="label_en")


class CourseOut(ApiOut):
    """One version of a course."""

    slug: str
    version: int
    title_ja: str
    title_en: str
    summary_ja: str
    summary_en: str
    track: Track
    audience: list[str]
    duration_minutes: int
    prerequisites: list[str]
    materials: list[str]
    skills: list[SkillOut]


class CourseList(ApiOut):
    items: list[CourseOut]


class VersionOut(ApiOut):
    version: int
    loaded_at: Time
    source_file: str


class CourseDetail(CourseOut):
    """The version asked for, with the course's current version number and every version."""

    current_version: int
    versions: list[VersionOut]
