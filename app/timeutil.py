"""Time rules: store UTC, show Asia/Tokyo, read what people type as Japan time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

TOKYO = ZoneInfo("Asia/Tokyo")
# The dates the app takes from people and devices. Wide enough for any class, report or
# scan; narrow enough that arithmetic never leaves the calendar (year 1 in Japan is year 0
# in UTC, 9999-12-31 has no next day) and that Tokyo has its modern offset (before 1888 its
# local mean time was +09:18:59).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


class OutOfRange(ValueError):
    """A date or time outside FIRST_DAY..LAST_DAY; the message says the range."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "%(first)sから%(last)sまでの日付にしてください。",
                first=FIRST_DAY.isoformat(),
                last=LAST_DAY.isoformat(),
            )
        )


def check_day(day: date) -> date:
    """The day itself, or OutOfRange."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise OutOfRange()
    return day


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in Python, naive UTC in the database.

    SQLite has no time zones; storing naive UTC on both databases keeps one code path
    and comparisons correct everywhere.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def japan_today() -> date:
    """Japan's date now: the app's "today", whatever the machine's clock zone (UTC in CI,
    where from 15:00 the date already differs)."""
    return local(utcnow()).date()


def local(dt: datetime) -> datetime:
    return dt.astimezone(TOKYO)


def from_local(day: date, clock: time) -> datetime:
    """A date and time typed by a person in Japan, as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=TOKYO).astimezone(UTC)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    start = from_local(day, time(0, 0))
    return start, from_local(date.fromordinal(day.toordinal() + 1), time(0, 0))


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 with the Japan offset, as the API promises."""
    return local(dt).isoformat() if dt else None


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 time; a time without offset is taken as Japan time.

    ValueError when it is not one; OutOfRange (a ValueError) when its day, as written, is
    outside FIRST_DAY..LAST_DAY.
    """
    dt = datetime.fromisoformat(text)
    check_day(dt.date())
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=TOKYO)
    return dt.astimezone(UTC)
