"""Test support: small course files written as TOML, and what the database holds."""

from __future__ import annotations

import json
from copy import deepcopy
from pathlib import Path

import sqlalchemy as sa

from app.curricula.models import Course, CourseVersion
from app.extensions import db


def course(slug: str, **changes) -> dict:
    """A valid course; keyword arguments replace top-level keys."""
    data = {
        "slug": slug,
        "version": 1,
        "track": "basic",
        "audience": ["senior"],
        "duration_minutes": 60,
        "prerequisites": [],
        "materials": ["ご自分のスマートフォン(ない方は貸出機あり)"],
        "title": {"ja": f"講座 {slug}", "en": f"Course {slug}"},
        "summary": {"ja": "練習します。", "en": "Practice."},
        "skills": [
            {"id": "first-skill", "ja": "電源を入れられる", "en": "Turns the phone on"},
            {"id": "second-skill", "ja": "文字を入力できる", "en": "Types text"},
        ],
    }
    data.update(deepcopy(changes))
    return data


def without(data: dict, dotted: str) -> dict:
    """A copy of `data` without one key, e.g. "title.ja" or "skills.1.en" (0-based)."""
    data = deepcopy(data)
    *parents, last = dotted.split(".")
    target = data
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    del target[last]
    return data


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table: a survey question's choices
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def to_toml(data: dict) -> str:
    lines: list[str] = []
    tables: list[tuple[str, dict]] = []
    arrays: list[tuple[str, list[dict]]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays.append((key, value))
        else:
            lines.append(f"{key} = {_value(value)}")
    for key, table in tables:
        lines += ["", f"[{key}]"] + [f"{k} = {_value(v)}" for k, v in table.items()]
    for key, items in arrays:
        for item in items:
            lines += ["", f"[[{key}]]"] + [f"{k} = {_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


def write(directory: Path, *courses: dict, name: str | None = None) -> Path:
    """Write each course as <slug>.toml (or `name` for a single course) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    for data in courses:
        (directory / (name or f"{data['slug']}.toml")).write_text(to_toml(data), encoding="utf-8")
    return directory


def course_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Course.id))) or 0


def version_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(CourseVersion.id))) or 0


def loaded(slug: str) -> Course | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Course).where(Course.slug == slug))
