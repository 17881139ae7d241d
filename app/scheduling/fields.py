"""Reading session fields from the API's JSON or a form, each problem named by its field.

Raw values are what a person or a device sent: strings (maybe full-width), numbers, lists.
Everything is checked before anything is written, and every field error is reported at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from app.inputs import fits_db_int
from app.text import clean
from app.timeutil import OutOfRange, parse_iso


@dataclass
class FieldErrors:
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.errors)


def _whole_number(value: Any) -> int | None:
    """An int, or text of one (full-width digits too), that an integer column holds."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        number = int(clean(str(value)))
    except ValueError:
        return None
    return number if fits_db_int(number) else None


def read_int(
    raw: Mapping, name: str, errors: FieldErrors, *, minimum: int | None = None
) -> int | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    number = _whole_number(value)
    if number is None:
        errors.add(name, _("整数で入力してください。"))
        return None
    if minimum is not None and number < minimum:
        errors.add(name, _("%(n)d以上の数を入力してください。", n=minimum))
        return None
    return number


def read_int_list(raw: Mapping, name: str, errors: FieldErrors) -> list[int] | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        value = [part for part in clean(value).replace("、", ",").split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        errors.add(name, _("IDの一覧で指定してください。"))
        return None
    numbers: list[int] = []
    for item in value:
        number = _whole_number(item)
        if number is None:
            errors.add(name, _("IDの一覧で指定してください。"))
            return None
        numbers.append(number)
    return list(dict.fromkeys(numbers))


def read_time(raw: Mapping, name: str, errors: FieldErrors) -> datetime | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, datetime | str):
        errors.add(name, _("日時は 2026-04-01T10:00:00+09:00 の形式で入力してください。"))
        return None
    try:
        return parse_iso(value.isoformat() if isinstance(value, datetime) else clean(value))
    except OutOfRange as exc:
        errors.add(name, str(exc))
        return None
    except ValueError:
        errors.add(name, _("日時は 2026-04-01T10:00:00+09:00 の形式で入力してください。"))
        return None


def read_bool(raw: Mapping, name: str, errors: FieldErrors) -> bool | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = clean(str(value)).lower()
    if text in ("true", "1", "yes", "on", "y"):
        return True
    if text in ("false", "0", "no", "off", "n", ""):
        return False
    errors.add(name, _("true か false で指定してください。"))
    return None


def read_text(
    raw: Mapping, name: str, errors: FieldErrors, *, multiline: bool = False
) -> str | None:
    value: Any = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors.add(name, _("文字で入力してください。"))
        return None
    if multiline:  # keep the line breaks a coordinator typed in notes
        return "\n".join(clean(line) for line in str(value).strip().splitlines())
    return clean(str(value))
