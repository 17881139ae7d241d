"""Double bookings: venues with their setup buffer, instructors across venues."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.errors import Conflict
from app.extensions import db
from app.scheduling.models import Session
from app.scheduling.sessions import cancel_session, update_session
from app.timeutil import japan_today
from tests.conftest import at

DAY = japan_today() + timedelta(days=10)


def test_touching_sessions_without_buffer_are_not_a_conflict(make):
    venue = make.venue(buffer=0)
    make.session(venue=venue, day=DAY, start="10:00", end="11:00")
    second = make.session(venue=venue, day=DAY, start="11:00", end="12:00")
    assert second.id is not None


def test_overlapping_sessions_at_one_venue_are_refused_naming_the_other(make):
    venue = make.venue(buffer=0)
    first = make.session(venue=venue, day=DAY, start="10:00", end="11:00")
    with pytest.raises(Conflict) as refused:
        make.session(venue=venue, day=DAY, start="10:30", end="11:30")
    assert refused.value.code == "venue_conflict"
    assert refused.value.extra["session_id"] == first.id
    assert f"ID {first.id}" in refused.value.message


@pytest.mark.parametrize(
    ("start", "end"), [("11:00", "12:00"), ("11:14", "12:00"), ("08:00", "09:46")]
)
def test_setup_buffer_counts_before_and_after(make, start, end):
    venue = make.venue(buffer=15)
    make.session(venue=venue, day=DAY, start="10:00", end="11:00")
    with pytest.raises(Conflict) as refused:
        make.session(venue=venue, day=DAY, start=start, end=end)
    assert refused.value.code == "venue_conflict"


@pytest.mark.parametrize(("start", "end"), [("11:15", "12:00"), ("08:00", "09:45")])
def test_sessions_just_outside_the_buffer_fit(make, start, end):
    venue = make.venue(buffer=15)
    make.session(venue=venue, day=DAY, start="10:00", end="11:00")
    assert make.session(venue=venue, day=DAY, start=start, end=end).id


def test_cancelled_sessions_never_conflict(make):
    venue = make.venue()
    first = make.session(venue=venue, day=DAY)
    cancel_session(first, "講師の体調不良")
    assert make.session(venue=venue, day=DAY).id != first.id


def test_instructor_cannot_be_in_two_venues_at_once(make):
    teacher = make.user(role="instructor", name="山田花子")
    first = make.session(day=DAY, start="10:00", end="11:30", instructor_ids=[teacher.id])
    with pytest.raises(Conflict) as refused:
        make.session(day=DAY, start="11:00", end="12:00", assistant_ids=[teacher.id])
    assert refused.value.code == "instructor_conflict"
    assert refused.value.extra["session_id"] == first.id
    assert "山田花子" in refused.value.message


def test_instructor_in_back_to_back_sessions_is_fine(make):
    teacher = make.user(role="instructor")
    make.session(day=DAY, start="10:00", end="11:00", instructor_ids=[teacher.id])
    assert make.session(day=DAY, start="11:00", end="12:00", instructor_ids=[teacher.id]).id


def test_a_refused_session_writes_nothing(make):
    venue = make.venue(buffer=0)
    make.session(venue=venue, day=DAY)
    before = db.session.query(Session).count()
    with pytest.raises(Conflict):
        make.session(venue=venue, day=DAY)
    assert db.session.query(Session).count() == before


def test_moving_a_session_onto_another_is_refused(make):
    venue = make.venue(buffer=0)
    make.session(venue=venue, day=DAY, start="10:00", end="11:00")
    later = make.session(venue=venue, day=DAY, start="13:00", end="14:00")
    with pytest.raises(Conflict):
        update_session(later, {"starts_at": at(DAY, "10:30"), "ends_at": at(DAY, "11:30")})
    db.session.refresh(later)
    assert later.starts_at == at(DAY, "13:00")
