"""Filters and globals for Jinja: Japan-time formatting and labels."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import get_locale

from app.labels import WEEKDAY, label
from app.timeutil import local


def format_day(d: date) -> str:
    """A Japan date as people read it: 2026年12月24日(木), or Thu 24 Dec 2026."""
    if (locale := get_locale()) is not None and locale.language == "en":
        return d.strftime("%a %d %b %Y")
    return f"{d.year}年{d.month}月{d.day}日({WEEKDAY[d.weekday()]})"


def format_date(dt: datetime | date) -> str:
    """A moment's day in Japan, or a day as it is (a reply-by date)."""
    return format_day(local(dt).date() if isinstance(dt, datetime) else dt)


def format_time(dt: datetime) -> str:
    return local(dt).strftime("%H:%M")


def format_datetime(dt: datetime) -> str:
    return f"{format_date(dt)} {format_time(dt)}"


def format_count(value: int | float) -> str:
    """2250 → "2,250": counts read at a glance, as on the public page."""
    return f"{value:,}"


def _lang() -> str:
    locale = get_locale()
    return locale.language if locale else "ja"


def init_app(app: Flask) -> None:
    app.add_template_filter(format_date, "jdate")
    app.add_template_filter(format_day, "jday")
    app.add_template_filter(format_time, "jtime")
    app.add_template_filter(format_datetime, "jdatetime")
    app.add_template_filter(format_count, "thousands")
    app.add_template_global(label)
    app.add_template_global(_lang, "lang")
