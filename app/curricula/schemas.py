"""What the API writes about courses (app.schemas)."""

from __future__ import annotations

from typing import Annotated

from flask_babel import lazy_gettext as _l
from pydantic import Field, WithJsonSchema

from app.curricula.models import Audience, Track
from app.schemas import ApiOut, ApiQuery, QueryText, Time, query_number


class CourseQuery(ApiQuery):
    # Checked by the service (app.curricula.services.check_filters), which the pages share.
    track: Annotated[QueryText, WithJsonSchema({"enum": [t.value for t in Track]})] = None
    audience: Annotated[QueryText, WithJsonSchema({"enum": [a.value for a in Audience]})] = None


class VersionQuery(ApiQuery):
    invalid = _l("version を確認してください。")

    version: Annotated[
        int | None,
        query_number(_l("1以上の整数で指定してください。")),
        WithJsonSchema({"type": "integer", "minimum": 1}),
        Field(description="The version a session was planned with; default the current one"),
    ] = None


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
