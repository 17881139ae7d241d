"""Instructors' availability: the weekly times each can usually teach, the days they cannot.

What is kept is a hint for whoever staffs a class, never a rule: the requests' code warns when
someone marked unavailable is offered (unavailable_reasons), and nothing is refused for it.
Someone who keeps no weekly times has said nothing about their week: only their unavailable
dates count against them.

Times are Japan's wall clock (a weekly 10:00–16:00 is 10:00 in Tokyo whatever the server's
zone); classes are stored in UTC and compared here in Japan time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import Role, User
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.labels import WEEKDAY
from app.staffing.models import UnavailableDate, WeeklyAvailability
from app.templating import format_day
from app.text import clean
from app.timeutil import check_day, japan_today, local
from app.transaction import atomic

NOTE_MAX = 200  # UnavailableDate.note's width
MAX_WEEKLY = 50  # more rows than any week holds is a mistake, not a schedule
MAX_DATES = 400  # a year of days and more: the API's PUT never needs past this


# ---------------------------------------------------------------- whose availability


def may_manage(actor: User, person: User) -> bool:
    """Who keeps a person's availability: the instructor themself, their organization's
    partner users, and the planners."""
    if person.role != Role.INSTRUCTOR:
        return False
    if actor.role in (Role.ADMIN, Role.COORDINATOR):
        return True
    if actor.role == Role.PARTNER:
        return actor.org_id is not None and actor.org_id == person.org_id
    return actor.id == person.id


def instructor_for(actor: User, user_id: int) -> User:
    """The instructor or assistant whose availability `actor` may see and change.

    Anyone else answers 404 (not 403), so that a partner learns nothing of who works for
    another organization.
    """
    person = db.session.get(User, user_id)
    if person is None or not may_manage(actor, person):
        raise NotFound(_("講師・アシスタント(ID %(id)s)は見つかりません。", id=user_id))
    return person


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class WeeklySlot:
    """A weekly time as someone gave it; `row` (from 1) is where, for the messages."""

    weekday: int
    starts: time
    ends: time
    row: int = 0


@dataclass
class Availability:
    person: User
    weekly: list[WeeklyAvailability]
    dates: list[UnavailableDate]  # from `since` on, in date order

    @property
    def summary(self) -> str:
        return _summary(self.weekly)


def weekly_times(user_id: int) -> list[WeeklyAvailability]:
    return list(
        db.session.scalars(
            sa.select(WeeklyAvailability)
            .where(WeeklyAvailability.user_id == user_id)
            .order_by(WeeklyAvailability.weekday, WeeklyAvailability.starts, WeeklyAvailability.id)
        )
    )


def unavailable_dates(user_id: int, since: date | None = None) -> list[UnavailableDate]:
    """The person's unavailable dates from `since` (Japan's today) on: past ones are history
    that no longer matters for staffing."""
    since = since or japan_today()
    return list(
        db.session.scalars(
            sa.select(UnavailableDate)
            .where(UnavailableDate.user_id == user_id, UnavailableDate.day >= since)
            .order_by(UnavailableDate.day)
        )
    )


def availability_of(person: User, since: date | None = None) -> Availability:
    return Availability(person, weekly_times(person.id), unavailable_dates(person.id, since))


# ---------------------------------------------------------------- what others call


def _clock(t: time) -> str:
    return t.strftime("%H:%M")


def _merged(slots: Sequence[WeeklyAvailability]) -> dict[int, list[tuple[time, time]]]:
    """Each weekday's times, in order, those that touch joined (10–12 and 12–16 is 10–16)."""
    by_day: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for slot in sorted(slots, key=lambda s: (s.weekday, s.starts)):
        day = by_day[slot.weekday]
        if day and slot.starts <= day[-1][1]:
            day[-1] = (day[-1][0], max(day[-1][1], slot.ends))
        else:
            day.append((slot.starts, slot.ends))
    return by_day


def _summary(slots: Sequence[WeeklyAvailability]) -> str:
    """「月・水 10:00–16:00、金 13:00–17:00」: the weekdays that share a time, together."""
    days_of: dict[tuple[time, time], list[int]] = defaultdict(list)
    for weekday, times in _merged(slots).items():
        for span in times:
            days_of[span].append(weekday)
    parts = sorted(days_of.items(), key=lambda item: (min(item[1]), item[0]))
    return _("、").join(
        _(
            "%(days)s %(starts)s–%(ends)s",
            days=_("・").join(str(WEEKDAY[d]) for d in sorted(days)),
            starts=_clock(span[0]),
            ends=_clock(span[1]),
        )
        for span, days in parts
    )


def _weekly_of(user_ids: Collection[int]) -> dict[int, list[WeeklyAvailability]]:
    kept: dict[int, list[WeeklyAvailability]] = defaultdict(list)
    if user_ids:
        for slot in db.session.scalars(
            sa.select(WeeklyAvailability).where(WeeklyAvailability.user_id.in_(set(user_ids)))
        ):
            kept[slot.user_id].append(slot)
    return kept


def availability_summary(user_ids: Collection[int]) -> dict[int, str]:
    """A short text of each person's weekly times (「月・水 10:00–16:00」), for beside their
    names on a request form or a board. People who keep none are left out. One query."""
    return {user_id: _summary(slots) for user_id, slots in _weekly_of(user_ids).items()}


def _inside(times: list[tuple[time, time]], starts: time, ends: time) -> bool:
    return any(low <= starts and ends <= high for low, high in times)


def unavailable_reasons(
    user_ids: Collection[int], starts_at: datetime, ends_at: datetime
) -> dict[int, str]:
    """Why each person marked unavailable for a class from `starts_at` to `ends_at` (aware
    UTC) is so, as one translated sentence; people free then, or who keep no weekly times and
    no unavailable date on its days, are left out. Two queries for any number of people.

    A class is within someone's week when it is inside one of their times of its weekday, in
    Japan time, its ends included (a 10:00–16:00 person can teach 15:00–16:00). A class that
    crosses midnight in Japan is inside no weekly time, and an unavailable date on either of
    its days counts.
    """
    return unavailable_reasons_each(user_ids, [(starts_at, ends_at)])[0]


def _days_of(starts_at: datetime, ends_at: datetime) -> list[date]:
    starts, ends = local(starts_at), local(ends_at)
    # A class ending at midnight sharp does not touch the next day.
    last_day = (ends - timedelta(microseconds=1)).date() if ends > starts else starts.date()
    # A class lasts hours; the bound keeps a wrong end from asking of years of days.
    span = min((last_day - starts.date()).days, 31)
    return [starts.date() + timedelta(days=n) for n in range(span + 1)]


def unavailable_reasons_each(
    user_ids: Collection[int], times: Sequence[tuple[datetime, datetime]]
) -> list[dict[int, str]]:
    """unavailable_reasons for each of several classes' times, in the same two queries: a
    partner's page of requests, a series on the request form."""
    if not user_ids or not times:
        return [{} for _ in times]
    people = set(user_ids)
    all_days = {day for starts_at, ends_at in times for day in _days_of(starts_at, ends_at)}
    off_days: dict[tuple[int, date], UnavailableDate] = {
        (row.user_id, row.day): row
        for row in db.session.scalars(
            sa.select(UnavailableDate).where(
                UnavailableDate.user_id.in_(people), UnavailableDate.day.in_(all_days)
            )
        )
    }
    weekly = _weekly_of(people)
    merged = {user_id: _merged(slots) for user_id, slots in weekly.items()}
    answers = []
    for starts_at, ends_at in times:
        days = _days_of(starts_at, ends_at)
        starts, ends = local(starts_at), local(ends_at)
        reasons: dict[int, str] = {}
        for user_id in people:
            row = next((off_days[(user_id, d)] for d in days if (user_id, d) in off_days), None)
            if row is not None:
                reasons[user_id] = (
                    _(
                        "%(date)s は都合が悪い日として登録されています(%(note)s)",
                        date=format_day(row.day),
                        note=row.note,
                    )
                    if row.note
                    else _(
                        "%(date)s は都合が悪い日として登録されています", date=format_day(row.day)
                    )
                )
                continue
            if user_id not in weekly:
                continue
            slots_today = merged[user_id].get(starts.weekday(), [])
            # Midnight as an end is the day's end, which no weekly time (at most 23:59) holds.
            end = ends.time() if ends.time() != time(0) else time.max
            if not (len(days) == 1 and _inside(slots_today, starts.time(), end)):
                reasons[user_id] = _(
                    "いつも教えられる時間(%(times)s)の外です", times=_summary(weekly[user_id])
                )
        answers.append(reasons)
    return answers


# ---------------------------------------------------------------- changing


def _field(slot: WeeklySlot, name: str) -> str:
    # The form's own field names (weekly-0-starts), so a page puts each reason beside its box.
    return f"weekly-{slot.row - 1}-{name}"


def check_weekly(slots: Sequence[WeeklySlot]) -> list[WeeklySlot]:
    """The slots numbered (row from 1 where none was given), or ValidationError naming each
    wrong row's field: an unknown weekday, an end not after the start, two times of one
    weekday that overlap (a mistake: one of them is not what was meant)."""
    numbered = [
        s if s.row else WeeklySlot(s.weekday, s.starts, s.ends, i + 1) for i, s in enumerate(slots)
    ]
    errors: dict[str, str] = {}
    if len(numbered) > MAX_WEEKLY:
        errors["weekly"] = _("教えられる時間は%(n)d行までです。", n=MAX_WEEKLY)
    kept: list[WeeklySlot] = []
    for slot in numbered:
        if not 0 <= slot.weekday <= 6:
            errors[_field(slot, "weekday")] = _("曜日は月曜日から日曜日の中から選んでください。")
        elif slot.ends <= slot.starts:
            errors[_field(slot, "ends")] = _("終わりの時刻は始まりの時刻より後にしてください。")
        elif clash := next(
            (
                k
                for k in kept
                if k.weekday == slot.weekday and k.starts < slot.ends and slot.starts < k.ends
            ),
            None,
        ):
            errors[_field(slot, "starts")] = _(
                "%(other)d行目と時間が重なっています。", other=clash.row
            )
        else:
            kept.append(slot)
    if errors:
        raise ValidationError(_("教えられる時間を確認してください。"), fields=errors)
    return numbered


@atomic
def set_weekly_times(person: User, slots: Sequence[WeeklySlot]) -> list[WeeklyAvailability]:
    """Replace the person's weekly times with `slots`, all or nothing (none: nothing known)."""
    slots = check_weekly(slots)
    db.session.execute(sa.delete(WeeklyAvailability).where(WeeklyAvailability.user_id == person.id))
    made = [
        WeeklyAvailability(user_id=person.id, weekday=s.weekday, starts=s.starts, ends=s.ends)
        for s in slots
    ]
    db.session.add_all(made)
    return made


def _check_date(day: date, note: str, today: date, prefix: str = "") -> tuple[date, str]:
    """The day and its cleaned note, or the reasons keyed by field (`prefix` for a list's row)."""
    errors: dict[str, str] = {}
    try:
        check_day(day)
    except ValueError as exc:
        errors[f"{prefix}day"] = str(exc)
    else:
        if day < today:
            errors[f"{prefix}day"] = _(
                "今日(%(today)s)より前の日は登録できません。", today=today.isoformat()
            )
    note = clean(note)
    if len(note) > NOTE_MAX:
        errors[f"{prefix}note"] = _("メモは%(n)d文字以内で入力してください。", n=NOTE_MAX)
    if errors:
        raise ValidationError(_("都合が悪い日を確認してください。"), fields=errors)
    return day, note


@atomic
def add_unavailable_date(
    person: User, day: date, note: str = "", today: date | None = None
) -> UnavailableDate:
    """Mark a day (today or later) the person cannot teach; marking it again changes its note."""
    day, note = _check_date(day, note, today or japan_today())
    row = db.session.scalar(
        sa.select(UnavailableDate).where(
            UnavailableDate.user_id == person.id, UnavailableDate.day == day
        )
    )
    if row is None:
        row = UnavailableDate(user_id=person.id, day=day)
        db.session.add(row)
    row.note = note
    return row


@atomic
def remove_unavailable_date(person: User, date_id: int) -> UnavailableDate:
    row = db.session.get(UnavailableDate, date_id)
    if row is None or row.user_id != person.id:
        raise NotFound(_("都合が悪い日(ID %(id)s)は見つかりません。", id=date_id))
    db.session.delete(row)
    return row


@atomic
def set_unavailable_dates(
    person: User, dates: Sequence[tuple[date, str]], today: date | None = None
) -> list[UnavailableDate]:
    """Replace the person's unavailable dates from today on (past ones stay as they were)."""
    today = today or japan_today()
    errors: dict[str, str] = {}
    if len(dates) > MAX_DATES:
        errors["unavailable_dates"] = _("都合が悪い日は%(n)d日までです。", n=MAX_DATES)
    checked: dict[date, str] = {}
    for i, (day, note) in enumerate(dates):
        prefix = f"unavailable_dates-{i}-"
        try:
            day, note = _check_date(day, note, today, prefix)
        except ValidationError as exc:
            errors.update(exc.fields)
            continue
        if day in checked:
            errors[f"{prefix}day"] = _("%(date)s が2回あります。", date=day.isoformat())
        checked[day] = note
    if errors:
        raise ValidationError(_("都合が悪い日を確認してください。"), fields=errors)
    db.session.execute(
        sa.delete(UnavailableDate).where(
            UnavailableDate.user_id == person.id, UnavailableDate.day >= today
        )
    )
    made = [UnavailableDate(user_id=person.id, day=d, note=n) for d, n in sorted(checked.items())]
    db.session.add_all(made)
    return made


@atomic
def set_availability(
    person: User, slots: Sequence[WeeklySlot], dates: Sequence[tuple[date, str]]
) -> None:
    """Both at once (the API's PUT): every problem of either named, nothing half-saved."""
    errors: dict[str, str] = {}
    for change in (
        lambda: set_weekly_times(person, slots),
        lambda: set_unavailable_dates(person, dates),
    ):
        try:
            change()
        except ValidationError as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationError(_("教えられる日時を確認してください。"), fields=errors)
