"""What the API reads and writes about an instructor's availability (app.schemas)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time
from typing import Annotated, Any, Self

from flask_babel import lazy_gettext as _l
from pydantic import BeforeValidator, Field, PlainSerializer, StrictInt, WithJsonSchema
from pydantic import ValidationError as PydanticError

from app.errors import ValidationError
from app.inputs import DB_INT_MAX, DB_INT_MIN
from app.scheduling.forms import parse_local_time
from app.schemas import ApiIn, ApiOut, CleanText, Day, _why
from app.text import clean
from app.timeutil import check_day

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NOT_A_CLOCK = _l("時刻は 10:00 の形式で入力してください。")
_NOT_A_DAY = _l("日付は 2026-04-01 の形式で入力してください。")


def _clock(value: Any) -> time:
    # As the page reads it: 10:00, 10時30分, １０：００.
    read = parse_local_time(value) if isinstance(value, str) else None
    if read is None:
        raise ValueError(_NOT_A_CLOCK)
    return read


def _day(value: Any) -> date:
    text = clean(value) if isinstance(value, str) else ""
    if not _ISO_DAY.fullmatch(text):
        raise ValueError(_NOT_A_DAY)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(_NOT_A_DAY) from None
    return check_day(day)


def _hh_mm(value: time) -> str:
    return value.strftime("%H:%M")


ClockIn = Annotated[
    time,
    BeforeValidator(_clock),
    WithJsonSchema({"type": "string", "examples": ["10:00"]}),
]
ClockOut = Annotated[
    time,
    PlainSerializer(_hh_mm, return_type=str),
    WithJsonSchema({"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}$"}),
]
DayIn = Annotated[
    date,
    BeforeValidator(_day),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-12-24"]}),
]


class WeeklyTimeIn(ApiIn):
    weekday: Annotated[StrictInt, Field(ge=DB_INT_MIN, le=DB_INT_MAX)] = Field(
        description="0 = Monday … 6 = Sunday"
    )
    starts: ClockIn = Field(description="Japan wall-clock time, HH:MM")
    ends: ClockIn


class UnavailableDateIn(ApiIn):
    day: DayIn = Field(description="A Japan date, today or later")
    note: CleanText = ""


class AvailabilityIn(ApiIn):
    """PUT: the whole of it. `weekly` replaces every weekly time (empty: none kept, so only
    the dates count); `unavailable_dates` replaces those from today on."""

    invalid = _l("教えられる日時を確認してください。")

    weekly: list[WeeklyTimeIn] = Field(max_length=1000)
    unavailable_dates: list[UnavailableDateIn] = Field(max_length=10000)

    @classmethod
    def read(cls, data: Mapping[str, Any], context: dict[str, Any] | None = None) -> Self:
        """As ApiIn.read, but a problem inside a row is named by its row and field
        (weekly-1-starts), as the service and the page name them."""
        try:
            return cls.model_validate(data, context=context)
        except PydanticError as exc:
            fields: dict[str, str] = {}
            for error in exc.errors(include_url=False):
                name = "-".join(str(part) for part in error["loc"]) or "body"
                fields.setdefault(name, _why(error, None))
            raise ValidationError(str(cls.invalid), fields=fields) from None


class WeeklyTimeOut(ApiOut):
    weekday: int = Field(description="0 = Monday … 6 = Sunday")
    starts: ClockOut
    ends: ClockOut


class UnavailableDateOut(ApiOut):
    id: int
    day: Day
    note: str


class AvailabilityOut(ApiOut):
    user_id: int
    name: str
    summary: str = Field(description="The weekly times in words (「月・水 10:00–16:00」)")
    weekly: list[WeeklyTimeOut]
    unavailable_dates: list[UnavailableDateOut] = Field(description="From today on")
