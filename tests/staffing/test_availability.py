"""Instructors' availability: the rule others ask (who is unavailable for a class, and why),
the page where it is kept, and its API.

Classes are written in Japan time (tests.conftest.at) on fixed days whose weekdays are known:
2026-12-07 is a Monday, 2026-12-08 a Tuesday.
"""

from __future__ import annotations

from datetime import date, time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.staffing.availability import (
    WeeklySlot,
    availability_summary,
    set_weekly_times,
    unavailable_reasons,
)
from app.staffing.models import UnavailableDate
from tests.conftest import at
from tests.querycount import count_queries

MONDAY = date(2026, 12, 7)
TUESDAY = date(2026, 12, 8)


def _slot(weekday: int, starts: str, ends: str) -> WeeklySlot:
    return WeeklySlot(weekday, time.fromisoformat(starts), time.fromisoformat(ends))


def _weekly(person, *slots: tuple[int, str, str]) -> None:
    set_weekly_times(person, [_slot(*s) for s in slots])


def _off(person, day: date, note: str = "") -> None:
    # Straight into the table: a test of the rule may mark a day already past.
    db.session.add(UnavailableDate(user_id=person.id, day=day, note=note))
    db.session.commit()


def _reasons(people, day: date, starts: str, ends: str, end_day: date | None = None):
    return unavailable_reasons([p.id for p in people], at(day, starts), at(end_day or day, ends))


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def teacher(make):
    return make.user("instructor", org=make.org(slug="npo-ours"), name="山田先生")


# ---------------------------------------------------------------- the rule


def test_an_unavailable_date_is_the_reason_with_its_note(make, teacher):
    _weekly(teacher, (0, "09:00", "17:00"))  # free that Monday by the week, but not that day
    _off(teacher, MONDAY, "通院")
    other = make.user("instructor")
    _off(other, MONDAY)

    reasons = _reasons([teacher, other], MONDAY, "10:00", "11:00")

    assert reasons == {
        teacher.id: "2026年12月7日(月) は都合が悪い日として登録されています(通院)",
        other.id: "2026年12月7日(月) は都合が悪い日として登録されています",
    }


def test_a_class_outside_the_weekly_times_says_what_they_are(make, teacher):
    _weekly(teacher, (0, "10:00", "16:00"), (2, "10:00", "16:00"))

    reasons = _reasons([teacher], TUESDAY, "10:00", "11:00")

    assert reasons == {teacher.id: "いつも教えられる時間(月・水 10:00–16:00)の外です"}


def test_inside_the_weekly_times_and_on_their_boundary_minutes_is_free(make, teacher):
    _weekly(teacher, (0, "10:00", "16:00"))

    assert _reasons([teacher], MONDAY, "10:00", "11:00") == {}
    assert _reasons([teacher], MONDAY, "15:00", "16:00") == {}
    assert teacher.id in _reasons([teacher], MONDAY, "09:59", "11:00")
    assert teacher.id in _reasons([teacher], MONDAY, "15:00", "16:01")
    assert teacher.id in _reasons([teacher], MONDAY, "16:00", "17:00")


def test_someone_who_keeps_no_weekly_times_is_not_unavailable(make, teacher):
    assert _reasons([teacher], MONDAY, "03:00", "04:00") == {}
    _off(teacher, TUESDAY)  # a date of another day says nothing of this one
    assert _reasons([teacher], MONDAY, "03:00", "04:00") == {}


def test_the_weekday_and_the_time_are_japans(make, teacher):
    """Tuesday 08:00 in Tokyo is Monday 23:00 in UTC: the Tuesday time is the one that counts."""
    _weekly(teacher, (1, "08:00", "12:00"))
    starts = at(TUESDAY, "08:00")
    assert starts.weekday() == 0  # still Monday in UTC
    assert unavailable_reasons([teacher.id], starts, at(TUESDAY, "09:30")) == {}
    _off(teacher, TUESDAY, "法事")
    assert "法事" in unavailable_reasons([teacher.id], starts, at(TUESDAY, "09:30"))[teacher.id]


def test_a_class_crossing_midnight_in_japan(make, teacher):
    _weekly(teacher, (0, "18:00", "23:59"), (1, "00:00", "06:00"))
    # 23:30 Monday to 00:30 Tuesday: in no single weekly time.
    assert teacher.id in _reasons([teacher], MONDAY, "23:30", "00:30", end_day=TUESDAY)
    # A class ending at midnight sharp touches only its own day.
    _off(teacher, TUESDAY, "旅行")
    assert "旅行" not in _reasons([teacher], MONDAY, "22:00", "00:00", end_day=TUESDAY).get(
        teacher.id, ""
    )
    # One crossing into the unavailable day is told of that day.
    reason = _reasons([teacher], MONDAY, "23:30", "00:30", end_day=TUESDAY)[teacher.id]
    assert reason == "2026年12月8日(火) は都合が悪い日として登録されています(旅行)"


def test_times_that_touch_are_one_span(make, teacher):
    _weekly(teacher, (0, "10:00", "12:00"), (0, "12:00", "16:00"))
    assert _reasons([teacher], MONDAY, "11:00", "13:00") == {}
    assert availability_summary([teacher.id]) == {teacher.id: "月 10:00–16:00"}


def test_the_summary_groups_the_weekdays_of_one_time(make, teacher):
    _weekly(teacher, (4, "13:00", "17:00"), (0, "10:00", "16:00"), (2, "10:00", "16:00"))
    nobody = make.user("instructor")
    assert availability_summary([teacher.id, nobody.id]) == {
        teacher.id: "月・水 10:00–16:00、金 13:00–17:00"
    }


def test_any_number_of_people_costs_two_queries(make, teacher):
    people = [make.user("instructor") for _ in range(5)]
    for i, person in enumerate(people):
        _weekly(person, (0, "10:00", "12:00"), (i % 7, "13:00", "15:00"))
        _off(person, TUESDAY)
    ids = [p.id for p in people]
    found: dict = {}
    assert count_queries(lambda: found.update(_reasons(people, MONDAY, "16:00", "17:00"))) <= 2
    assert set(found) == set(ids)
    assert count_queries(lambda: availability_summary(ids)) == 1
