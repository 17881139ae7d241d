"""What a course file (curricula/<slug>.toml) may hold: a pydantic model of the file.

Strict, as TOML gives values (no "1" for 1), with no unknown keys, every text cleaned as it is
stored. pydantic finds every problem of a file at once; the validators here raise our own
error types (`_problem`), which reading.py turns, like pydantic's, into the messages people
read. Positions in pydantic's places count from 0; the messages count from 1.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    field_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from app.curricula.models import Audience, QuestionKind, Track
from app.text import clean

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 64
MAX_TITLE_LENGTH = 200
MAX_SKILL_LENGTH = 300
MIN_DURATION, MAX_DURATION = 15, 480
# The bounds: a survey short enough for a senior to finish on paper after class.
MIN_QUESTIONS, MAX_QUESTIONS = 3, 8
MIN_CHOICES, MAX_CHOICES = 2, 9  # a choice is typed in as one digit on the entry grid
MAX_QUESTION_LENGTH = 300
MAX_CHOICE_LENGTH = 100


# ---------------------------------------------------------------- the checks of one value


def _problem(kind: str, **context: Any) -> PydanticCustomError:
    # The message is written later, from the kind and the field (reading.py's _MESSAGES):
    # pydantic's own message is the bare kind, so no text from a file is formatted as one.
    return PydanticCustomError(kind, kind, context)


def problem_at(loc: tuple[int | str, ...], kind: str, given: Any, **context: Any) -> ErrorDetails:
    """One problem of `kind` at `loc`, as pydantic lists its own."""
    return ErrorDetails(type=kind, loc=loc, msg="", input=given, ctx=context)


def _problems(errors: list[ErrorDetails]) -> ValidationError:
    """Several problems raised at once from one validator; pydantic prefixes their places."""
    return ValidationError.from_exception_data(
        "CourseSpec",
        [
            InitErrorDetails(
                type=_problem(e["type"], **e.get("ctx", {})), loc=e["loc"], input=e["input"]
            )
            for e in errors
        ],
    )


def _long_text(value: str) -> str:
    # Summaries may have line breaks; keep them, but normalise widths and trim each line.
    lines = unicodedata.normalize("NFKC", value).splitlines()
    return "\n".join(line.strip() for line in lines).strip()


def _filled(value: str) -> str:
    if not value:
        raise _problem("empty")
    return value


def _at_most(limit: int) -> AfterValidator:
    # On the cleaned text, which is what is stored (max_length would measure the file's).
    def check(value: str) -> str:
        if len(value) > limit:
            raise _problem("too_long", limit=limit)
        return value

    return AfterValidator(check)


def _slug_shaped(kind: str) -> AfterValidator:
    def check(value: str) -> str:
        if not SLUG.match(value):
            raise _problem(kind, value=value)
        return value

    return AfterValidator(check)


def _one_of(choices: type[StrEnum]) -> AfterValidator:
    def check(value: str) -> str:
        if value not in set(choices):
            raise _problem("not_allowed", value=value, choices=", ".join(choices))
        return value

    return AfterValidator(check)


def _each_one_of(choices: type[StrEnum]) -> AfterValidator:
    def check(values: list[str]) -> list[str]:
        wrong = [
            problem_at((i,), "not_allowed", value, value=value, choices=", ".join(choices))
            for i, value in enumerate(values)
            if value not in set(choices)
        ]
        if wrong:
            raise _problems(wrong)
        return values

    return AfterValidator(check)


def _valid(adapter: TypeAdapter[Any], value: Any) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def _no_repeats(
    key: Callable[[Any], str | None], kind: str, where: tuple[int | str, ...] = ()
) -> WrapValidator:
    """Name every item that repeats an earlier one (by `key`, None for an item without a
    valid one), next to whatever else is wrong with the list's items: every problem at once."""

    def check(values: Any, handler: Callable[[Any], Any]) -> Any:
        try:
            result, errors = handler(values), []
        except ValidationError as exc:
            if not isinstance(values, list):
                raise
            result, errors = None, exc.errors()
        first: dict[str, int] = {}
        for i, item in enumerate(values):
            value = key(item)
            if value is None:
                continue
            if value in first:
                errors.append(
                    problem_at((i, *where), kind, item, value=value, first=first[value] + 1)
                )
            else:
                first[value] = i
        if errors:
            raise _problems(errors)
        return result

    return WrapValidator(check)


Line = Annotated[str, AfterValidator(clean), AfterValidator(_filled)]
Slug = Annotated[Line, _at_most(MAX_SLUG_LENGTH), _slug_shaped("slug_shape")]
Item = Line  # of a list: a string, not empty once cleaned

_ITEM = TypeAdapter(Item)


Items = Annotated[list[Item], _no_repeats(lambda item: _valid(_ITEM, item), "repeated")]


# ---------------------------------------------------------------- the file


class _Table(BaseModel):
    # What TOML gives is what we check: no "1" for 1, no unknown keys.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Title(_Table):
    # Titles are one line and fit their column.
    ja: Annotated[Line, _at_most(MAX_TITLE_LENGTH)]
    en: Annotated[Line, _at_most(MAX_TITLE_LENGTH)]


class Summary(_Table):
    # Summaries are free text with line breaks, and may be left out.
    ja: Annotated[str, AfterValidator(_long_text)] = ""
    en: Annotated[str, AfterValidator(_long_text)] = ""


SkillId = Annotated[Line, _at_most(MAX_SLUG_LENGTH), _slug_shaped("skill_id_shape")]
_SKILL_ID = TypeAdapter(SkillId)


class SkillSpec(_Table):
    id: SkillId
    ja: Annotated[Line, _at_most(MAX_SKILL_LENGTH)]
    en: Annotated[Line, _at_most(MAX_SKILL_LENGTH)]


def _skill_tables(value: Any) -> Any:
    if not isinstance(value, list) or not all(isinstance(s, dict) for s in value):
        raise _problem("skills_not_tables")
    if not value:
        raise _problem("skills_empty")
    return value


def _skill_id(table: dict[str, Any]) -> str | None:
    return _valid(_SKILL_ID, table["id"]) if "id" in table else None


QuestionId = Annotated[Line, _at_most(MAX_SLUG_LENGTH), _slug_shaped("question_id_shape")]
_QUESTION_ID = TypeAdapter(QuestionId)


class ChoiceSpec(_Table):
    ja: Annotated[Line, _at_most(MAX_CHOICE_LENGTH)]
    en: Annotated[Line, _at_most(MAX_CHOICE_LENGTH)]


class QuestionSpec(_Table):
    """One question of the survey after class ([[survey]]); `choices` only for kind choice."""

    id: QuestionId
    kind: Annotated[Line, _one_of(QuestionKind)]
    ja: Annotated[Line, _at_most(MAX_QUESTION_LENGTH)]
    en: Annotated[Line, _at_most(MAX_QUESTION_LENGTH)]
    choices: list[ChoiceSpec] = []

    @field_validator("choices")
    @classmethod
    def _choices_fit_the_kind(
        cls, values: list[ChoiceSpec], info: ValidationInfo
    ) -> list[ChoiceSpec]:
        kind = info.data.get("kind")  # there when the kind itself is valid
        if kind == QuestionKind.CHOICE and not MIN_CHOICES <= len(values) <= MAX_CHOICES:
            raise _problem("choices_count", low=MIN_CHOICES, high=MAX_CHOICES, n=len(values))
        if kind is not None and kind != QuestionKind.CHOICE and values:
            raise _problem("choices_not_for_kind", of=kind)
        return values


def _question_id(table: dict[str, Any]) -> str | None:
    return _valid(_QUESTION_ID, table["id"]) if "id" in table else None


def _survey_tables(value: Any) -> Any:
    if not isinstance(value, list) or not all(isinstance(q, dict) for q in value):
        raise _problem("survey_not_tables")
    if not MIN_QUESTIONS <= len(value) <= MAX_QUESTIONS:
        raise _problem("survey_size", low=MIN_QUESTIONS, high=MAX_QUESTIONS, n=len(value))
    return value


class CourseSpec(_Table):
    """A course file's content, every field checked and normalised."""

    # In the order a file's problems are listed; the file itself lays them out as TOML must
    # (values, then [tables], then [[arrays of tables]]: _keys_in_file_order).
    slug: Slug
    version: Annotated[int, Field(ge=1)]
    title: Title
    summary: Summary = Summary()
    track: Annotated[Line, _one_of(Track)]
    audience: Annotated[Items, Field(min_length=1), _each_one_of(Audience)]
    duration_minutes: Annotated[int, Field(ge=MIN_DURATION, le=MAX_DURATION)]
    prerequisites: Items = []
    materials: Items = []
    # pydantic runs the last-listed before-validator first: tables, before the skills in them.
    skills: Annotated[
        list[SkillSpec],
        _no_repeats(_skill_id, "skill_id_repeated", ("id",)),
        BeforeValidator(_skill_tables),
    ]
    # Left out: the default survey (app.curricula.survey). Never validated when left out.
    survey: Annotated[
        list[QuestionSpec],
        _no_repeats(_question_id, "question_id_repeated", ("id",)),
        BeforeValidator(_survey_tables),
    ] = []

    @field_validator("prerequisites")
    @classmethod
    def _not_itself(cls, values: list[str], info: ValidationInfo) -> list[str]:
        slug = info.data.get("slug")  # there when the slug itself is valid
        if slug in values:
            raise _problems(
                [problem_at((values.index(slug),), "self_prerequisite", slug, slug=slug)]
            )
        return values

    def content_hash(self) -> str:
        # The flat shape of the first loader's hashes: the same file keeps the same hash.
        canonical = {
            "slug": self.slug,
            "version": self.version,
            "title_ja": self.title.ja,
            "title_en": self.title.en,
            "summary_ja": self.summary.ja,
            "summary_en": self.summary.en,
            "track": self.track,
            "audience": self.audience,
            "duration_minutes": self.duration_minutes,
            "prerequisites": self.prerequisites,
            "materials": self.materials,
            "skills": [skill.model_dump() for skill in self.skills],
        }
        if self.survey:
            # Only when there is one: a file without a survey keeps the hash it was loaded with.
            canonical["survey"] = self.survey_data()
        text = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def survey_data(self) -> list[dict[str, Any]] | None:
        """The survey as stored with the version (None: the default survey)."""
        return [q.model_dump() for q in self.survey] or None


_SLUG_ALONE = TypeAdapter(Slug)
_PREREQUISITES_ALONE = TypeAdapter(Items)


def names_in(data: dict[str, Any]) -> tuple[str | None, list[str]]:
    """A refused file's slug and prerequisites, each as far as it is valid on its own: the
    directory's checks (one course per slug, prerequisites that exist, no cycles) still see
    them, so that one load lists every problem at once."""
    slug = _valid(_SLUG_ALONE, data.get("slug"))
    return slug, _valid(_PREREQUISITES_ALONE, data.get("prerequisites", [])) or []
