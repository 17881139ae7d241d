"""Reading one course file: TOML, then the model (course_file.py), then each problem as a
person reads it, naming the file and the field (`skills[2].id`, counted from 1 as a person
counts the `[[skills]]` blocks in a file).

`_MESSAGES` is the one table from an error type, pydantic's or ours, to its message.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from app.curricula.course_file import (
    MAX_DURATION,
    MIN_DURATION,
    CourseSpec,
    Title,
    names_in,
    problem_at,
)
from app.curricula.models import Audience, QuestionKind, Track


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file: where (file, and field or line) and what is expected."""

    file: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return _(
                "ファイル %(file)s: %(line)d行目: %(message)s",
                file=self.file,
                line=self.line,
                message=self.message,
            )
        if not self.field:
            return _("ファイル %(file)s: %(message)s", file=self.file, message=self.message)
        return _(
            "ファイル %(file)s: 項目 %(field)s: %(message)s",
            file=self.file,
            field=self.field,
            message=self.message,
        )


# ---------------------------------------------------------------- reading a file


@dataclass
class CourseFile:
    """What was read from one file; `spec` is None when the file itself has problems."""

    name: str
    slug: str | None = None
    prerequisites: list[str] = field(default_factory=list)
    spec: CourseSpec | None = None


def _read_toml(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    name = path.name
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(name, "", _("文字コードをUTF-8にして保存してください。"), line=line)
        )
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        detail = str(exc)
        where = re.search(r"\(at line (\d+), column (\d+)\)", detail)
        line = int(where.group(1)) if where else text.count("\n") + 1
        detail = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", detail)
        problems.append(
            Problem(
                name,
                "",
                _("TOMLとして読めません(%(detail)s)。書き方を確かめてください。", detail=detail),
                line=line,
            )
        )
        return None


def read_course_file(path: Path, problems: list[Problem]) -> CourseFile:
    """Read one file, adding its problems to `problems`."""
    result = CourseFile(name=path.name)
    data = _read_toml(path, problems)
    if data is None:
        return result
    errors: list[ErrorDetails] = []
    slug: str | None
    try:
        result.spec = CourseSpec.model_validate(data)
        slug, prerequisites = result.spec.slug, result.spec.prerequisites
    except ValidationError as exc:
        errors = exc.errors()
        slug, prerequisites = names_in(data)
    # The file's name is not in the file: checked here, listed with the slug's problems.
    if slug is not None and slug != path.stem:
        errors.append(problem_at(("slug",), "not_file_name", slug, slug=slug, stem=path.stem))
        result.spec = None
    result.slug = slug
    result.prerequisites = [p for p in prerequisites if p != slug]
    for error in sorted(errors, key=_place):
        problems.extend(Problem(path.name, where, message) for where, message in _messages(error))
    return result


# ---------------------------------------------------------------- where, and what to say


def _table(model: type[BaseModel] | None, name: str) -> type[BaseModel] | None:
    """The model of field `name`'s table (or of each table of its array), if it is one."""
    info = model.model_fields.get(name) if model else None
    kind = info.annotation if info else None
    if get_origin(kind) is list:
        kind = get_args(kind)[0]
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


def _keys_of_table_at(loc: tuple[int | str, ...]) -> list[str]:
    model: type[BaseModel] | None = CourseSpec
    for part in loc:
        if isinstance(part, str):
            model = _table(model, part)
    return _keys_in_file_order(model) if model else []


def _keys_in_file_order(model: type[BaseModel]) -> list[str]:
    # As TOML lays a file out: values first, then [tables], then [[arrays of tables]].
    def rank(name: str) -> int:
        if _table(model, name) is None:
            return 0
        return 2 if get_origin(model.model_fields[name].annotation) is list else 1

    return sorted(model.model_fields, key=rank)


def _place(error: ErrorDetails) -> tuple[int, ...]:
    """Problems are listed field by field in the model's order, a table's unknown keys first."""
    place: list[int] = []
    model: type[BaseModel] | None = CourseSpec
    for part in error["loc"]:
        if isinstance(part, int):
            place.append(part)
            continue
        names = list(model.model_fields) if model else []
        place.append(names.index(part) + 1 if part in names else 0)
        model = _table(model, part)
    return tuple(place)


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part + 1}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return _("真偽値")
    if isinstance(value, int):
        return _("整数")
    if isinstance(value, float):
        return _("小数")
    if isinstance(value, str):
        return _("文字列")
    if isinstance(value, list):
        return _("配列")
    if isinstance(value, dict):
        return _("表")
    return _("日付・時刻")


_TEXT = {"ja": _l("日本語の文"), "en": _l("英語の文")}

# What a field holds, as its messages say it: "必須の項目です。<this> を書いてください。"
_EXPECTED = {
    "slug": _l("英小文字・数字・ハイフンのスラッグ"),
    "version": _l("1以上の整数"),
    "title.ja": _TEXT["ja"],
    "title.en": _TEXT["en"],
    "summary.ja": _TEXT["ja"],
    "summary.en": _TEXT["en"],
    "track": _l("講座の種類(%(choices)s)", choices=", ".join(Track)),
    "audience": _l("対象(%(choices)s)", choices=", ".join(Audience)),
    "duration_minutes": _l("%(low)d〜%(high)dの整数(分)", low=MIN_DURATION, high=MAX_DURATION),
    "prerequisites": _l("前提コースのスラッグ"),
    "materials": _l("持ち物・会場で用意するもの"),
    "skills.id": _l("スキルID(英小文字・数字・ハイフン)"),
    "skills.ja": _l("できるようになることの日本語の説明"),
    "skills.en": _l("できるようになることの英語の説明"),
    "survey.id": _l("質問ID(英小文字・数字・ハイフン)"),
    "survey.kind": _l("質問の種類(%(choices)s)", choices=", ".join(QuestionKind)),
    "survey.ja": _l("質問の日本語の文"),
    "survey.en": _l("質問の英語の文"),
    "survey.choices.ja": _l("選択肢の日本語"),
    "survey.choices.en": _l("選択肢の英語"),
}


def _found(error: ErrorDetails, expected: Any) -> dict[str, Any]:
    """For a message naming what the field holds and what the file has there instead."""
    return {"expected": expected, "actual": _type_name(error["input"])}


def _empty(error: ErrorDetails, expected: Any) -> str:
    return _("空にはできません。%(expected)s を書いてください。", expected=expected)


def _out_of_range(error: ErrorDetails, expected: Any) -> str:
    return _(
        "%(expected)s を書いてください(今は %(value)d)。", expected=expected, value=error["input"]
    )


# Each error type, pydantic's or ours (course_file.py's), as the message a person reads; each
# function gets the error and what its field holds (_EXPECTED).
_MESSAGES: dict[str, Callable[[ErrorDetails, Any], str]] = {
    "extra_forbidden": lambda e, expected: _(
        "「%(key)s」という項目は使えません。使える項目は %(allowed)s です。",
        key=e["loc"][-1],
        allowed=", ".join(_keys_of_table_at(e["loc"][:-1])),
    ),
    "missing": lambda e, expected: _(
        "必須の項目です。%(expected)s を書いてください。", expected=expected
    ),
    "string_type": lambda e, expected: _(
        "%(expected)s を文字列で書いてください(今は%(actual)s)。", **_found(e, expected)
    ),
    "empty": _empty,
    "too_short": _empty,
    "too_long": lambda e, expected: _("%(n)d文字以内にしてください。", n=e["ctx"]["limit"]),
    "int_type": lambda e, expected: _(
        "%(expected)s を書いてください(今は%(actual)s)。", **_found(e, expected)
    ),
    "greater_than_equal": _out_of_range,
    "less_than_equal": _out_of_range,
    "list_type": lambda e, expected: _(
        "文字列の配列(%(expected)s)を書いてください(今は%(actual)s)。", **_found(e, expected)
    ),
    "model_type": lambda e, expected: _(
        "[%(table)s] の表に ja と en を書いてください(今は%(actual)s)。",
        table=e["loc"][-1],
        **_found(e, expected),
    ),
    "repeated": lambda e, expected: _("「%(value)s」が2回書かれています。", **e["ctx"]),
    "not_allowed": lambda e, expected: _(
        "「%(value)s」は使えません。%(choices)s のいずれかです。", **e["ctx"]
    ),
    "slug_shape": lambda e, expected: _(
        "スラッグ「%(slug)s」は英小文字・数字・ハイフンだけで書いてください(例: smartphone-basics)。",
        slug=e["ctx"]["value"],
    ),
    "not_file_name": lambda e, expected: _(
        "スラッグ「%(slug)s」がファイル名と違います。ファイル名を %(slug)s.toml にするか、"
        "slug を「%(stem)s」にしてください。",
        **e["ctx"],
    ),
    "self_prerequisite": lambda e, expected: _(
        "自分自身(%(slug)s)を前提コースにはできません。", **e["ctx"]
    ),
    "skills_not_tables": lambda e, expected: _(
        "[[skills]] の表(id, ja, en)の並びで書いてください。"
    ),
    "skills_empty": lambda e, expected: _(
        "スキルを1つ以上書いてください([[skills]] に id, ja, en)。"
    ),
    "skill_id_shape": lambda e, expected: _(
        "スキルID「%(id)s」は英小文字・数字・ハイフンだけで書いてください(例: power-and-unlock)。",
        id=e["ctx"]["value"],
    ),
    "survey_not_tables": lambda e, expected: _(
        "[[survey]] の表(id, kind, ja, en)の並びで書いてください。"
    ),
    "survey_size": lambda e, expected: _(
        "アンケートの質問は%(low)d〜%(high)d問にしてください(今は%(n)d問)。"
        "書かないと、標準のアンケートになります。",
        **e["ctx"],
    ),
    "question_id_shape": lambda e, expected: _(
        "質問ID「%(id)s」は英小文字・数字・ハイフンだけで書いてください(例: satisfaction)。",
        id=e["ctx"]["value"],
    ),
    "question_id_repeated": lambda e, expected: _(
        "質問ID「%(id)s」が重複しています(survey[%(first)d] と同じです)。",
        id=e["ctx"]["value"],
        first=e["ctx"]["first"],
    ),
    "choices_count": lambda e, expected: _(
        'kind = "choice" の質問には choices を%(low)d〜%(high)d個書いてください(今は%(n)d個)。',
        **e["ctx"],
    ),
    "choices_not_for_kind": lambda e, expected: _(
        'choices は kind = "choice" の質問だけに書けます(この質問は %(of)s)。',
        **e["ctx"],
    ),
    "skill_id_repeated": lambda e, expected: _(
        "スキルID「%(id)s」が重複しています(skills[%(first)d] と同じです)。"
        "コースの中でスキルIDは1つずつ違うものにしてください。",
        id=e["ctx"]["value"],
        first=e["ctx"]["first"],
    ),
}


def _messages(error: ErrorDetails) -> list[tuple[str, str]]:
    """The problems one error makes, each as (field path, message)."""
    loc, kind = error["loc"], error["type"]
    name = ".".join(part for part in loc if isinstance(part, str))
    if kind == "missing" and name == "title":
        # Both lines, so that the person sees the table's two keys to write.
        message = _("必須の項目です。[%(table)s] に ja と en を書いてください。", table=name)
        return [(f"{name}.{lang}", message) for lang in _keys_in_file_order(Title)]
    if kind == "missing" and name == "skills":
        message = _("必須の項目です。[[skills]] でスキル(id, ja, en)を1つ以上書いてください。")
    elif isinstance(loc[-1], int) and kind in ("string_type", "empty"):
        message = _("空でない文字列を書いてください。")  # an item of a list of strings
    else:
        message = _MESSAGES[kind](error, _EXPECTED.get(name))
    return [(_path(loc), message)]
