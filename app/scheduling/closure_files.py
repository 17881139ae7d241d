"""Reading a closed-days iCalendar file (national holidays, maintenance days, 年末年始): the
file is read whole and every event's recurrences (RRULE, RDATE, EXDATE) are expanded over a
window around today, each occurrence a block of closed time. Storing them is
app.scheduling.closures'.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import recurring_ical_events
from flask_babel import gettext as _

from app.errors import ValidationError
from app.text import clean
from app.timeutil import TOKYO, from_local

MAX_FILE_BYTES = 2 * 1024 * 1024
# A daily rule over the whole window is about 1,500 rows; far more is a rule gone wrong
# (an hourly RRULE), not a list of closed days.
MAX_OCCURRENCES = 5000
YEARS_BACK = 1
YEARS_AHEAD = 3
UID_LENGTH = 255
SUMMARY_LENGTH = 300
MIDNIGHT = time(0, 0)


@dataclass(frozen=True)
class ClosureBlock:
    """One occurrence of a closed time, in UTC."""

    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime
    all_day: bool


@dataclass
class ClosureFile:
    """What a file holds: its events (by UID) and their occurrences inside the window."""

    events: int
    uids: set[str]
    blocks: list[ClosureBlock]


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, fields={"file": message})


def _short(exc: Exception) -> str:
    text = clean(str(exc)) or type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def window_around(today: date) -> tuple[date, date]:
    """The days closures are stored for: from a year ago to three years ahead."""
    return _years_from(today, -YEARS_BACK), _years_from(today, YEARS_AHEAD)


def parse_calendar(data: bytes, source: str) -> icalendar.Calendar:
    """The file as a calendar, or a ValidationError saying what is wrong with it."""
    name = source or _("アップロードしたファイル")
    if len(data) > MAX_FILE_BYTES:
        raise _invalid(
            _(
                "ファイル「%(name)s」は大きすぎます(%(limit)dMBまで)。",
                name=name,
                limit=MAX_FILE_BYTES // (1024 * 1024),
            )
        )
    if not data.strip():
        raise _invalid(_("ファイル「%(name)s」は空です。", name=name))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid(
            _(
                "ファイル「%(name)s」の文字コードが UTF-8 ではありません。"
                "iCalendar(.ics)は UTF-8 で保存してください。",
                name=name,
            )
        ) from None
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first.upper() != "BEGIN:VCALENDAR":
        raise _invalid(
            _(
                "ファイル「%(name)s」は iCalendar(.ics)ではありません。"
                "1行目が BEGIN:VCALENDAR ではなく「%(line)s」です。",
                name=name,
                line=first[:60],
            )
        )
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise _invalid(
            _(
                "ファイル「%(name)s」を iCalendar として読めません(%(why)s)。",
                name=name,
                why=_short(exc),
            )
        ) from None
    if not calendar.walk("VEVENT"):
        raise _invalid(_("ファイル「%(name)s」に予定(VEVENT)が1件もありません。", name=name))
    return calendar


def _text(component, prop: str) -> str:
    value = component.get(prop)
    return clean(str(value)) if value is not None else ""


def _describe_event(event) -> str:
    summary = _text(event, "SUMMARY") or _("(件名なし)")
    uid = _text(event, "UID")
    return _("「%(summary)s」(UID %(uid)s)", summary=summary, uid=uid) if uid else summary


def _check_event(event, name: str) -> None:
    if "DTSTART" not in event:
        raise _invalid(
            _(
                "ファイル「%(name)s」の予定%(event)sに開始日時(DTSTART)がありません。",
                name=name,
                event=_describe_event(event),
            )
        )
    for prop in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        if prop in event:
            try:
                event[prop].dt  # noqa: B018 - reading it is the check
            except ValueError as exc:
                raise _invalid(
                    _(
                        "ファイル「%(name)s」の予定%(event)sの %(prop)s が読めません(%(why)s)。",
                        name=name,
                        event=_describe_event(event),
                        prop=prop,
                        why=_short(exc),
                    )
                ) from None
    if "DTEND" in event and _utc(event["DTEND"].dt) < _utc(event["DTSTART"].dt):
        # recurring-ical-events would quietly swap them; a typo should be fixed at the source.
        raise _invalid(
            _(
                "ファイル「%(name)s」の予定%(event)sは終了(DTEND)が開始より前です。",
                name=name,
                event=_describe_event(event),
            )
        )


def _uid_of(event) -> str:
    """The event's UID; one made from its summary and start when it has none, so that
    importing the same file again still finds (and replaces) the same rows."""
    uid = _text(event, "UID")
    if uid and len(uid) <= UID_LENGTH:
        return uid
    if uid:
        digest = hashlib.sha256(uid.encode()).hexdigest()[:32]
        return f"{uid[: UID_LENGTH - 33]}~{digest}"
    start = event["DTSTART"].dt
    basis = f"{_text(event, 'SUMMARY')}|{start.isoformat()}"
    return "no-uid-" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def _utc(moment: date | datetime) -> datetime:
    if not isinstance(moment, datetime):
        return from_local(moment, MIDNIGHT)
    if moment.tzinfo is None:  # a floating time: the venue's clock, which is Japan's
        moment = moment.replace(tzinfo=TOKYO)
    return moment.astimezone(UTC)


def _block(occurrence, uid: str) -> ClosureBlock:
    start, end = occurrence.start, occurrence.end
    summary = (_text(occurrence, "SUMMARY") or _("休館"))[:SUMMARY_LENGTH]
    if not isinstance(start, datetime):
        # A DATE event: whole days in Japan, DTEND exclusive; without DTEND, that one day.
        last = end if isinstance(end, date) and not isinstance(end, datetime) else None
        if last is None or last <= start:
            last = start + timedelta(days=1)
        return ClosureBlock(uid, summary, _utc(start), _utc(last), all_day=True)
    return ClosureBlock(uid, summary, _utc(start), _utc(end), all_day=False)


def _too_many(name: str) -> ValidationError:
    return _invalid(
        _(
            "ファイル「%(name)s」はくり返しが多すぎます(期間内に%(n)d件を超えます)。"
            "くり返しの規則(RRULE)を確かめてください。",
            name=name,
            n=MAX_OCCURRENCES,
        )
    )


def _expand_event(events: list, timezones: list, window: tuple[date, date], name: str):
    """Occurrences of one UID (the series and its overridden instances) inside the window."""
    calendar = icalendar.Calendar()
    for component in [*timezones, *events]:
        calendar.add_component(component)
    uid = _text(events[0], "UID")
    end = from_local(window[1], MIDNIGHT)
    count = 0
    try:
        for occurrence in recurring_ical_events.of(calendar).after(window[0]):
            block = _block(occurrence, uid)
            if block.starts_at >= end:
                break  # occurrences come in order of start
            count += 1
            if count > MAX_OCCURRENCES:
                raise _too_many(name)
            if _text(occurrence, "STATUS").upper() == "CANCELLED":
                continue
            yield block
    except (ValueError, KeyError, TypeError) as exc:
        raise _invalid(
            _(
                "ファイル「%(name)s」の予定%(event)sの日時やくり返し(RRULE)を展開できません"
                "(%(why)s)。",
                name=name,
                event=_describe_event(events[0]),
                why=_short(exc),
            )
        ) from None


def read_closures(data: bytes, source: str, window: tuple[date, date]) -> ClosureFile:
    """Every closed time the file names between window[0] and window[1] (Japan dates)."""
    name = source or _("アップロードしたファイル")
    calendar = parse_calendar(data, source)
    timezones = calendar.walk("VTIMEZONE")
    by_uid: dict[str, list] = {}
    events = calendar.walk("VEVENT")
    for event in events:
        _check_event(event, name)
        uid = _uid_of(event)
        # Occurrences carry the UID they were expanded from, so an event without one gets it.
        event.pop("UID", None)
        event.add("UID", uid)
        by_uid.setdefault(uid, []).append(event)
    blocks: list[ClosureBlock] = []
    for group in by_uid.values():
        blocks.extend(_expand_event(group, timezones, window, name))
        if len(blocks) > MAX_OCCURRENCES:
            raise _too_many(name)
    blocks.sort(key=lambda b: (b.starts_at, b.uid))
    return ClosureFile(events=len(events), uids=set(by_uid), blocks=blocks)
