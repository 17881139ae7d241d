"""The planning rules at their edges: the 1:4 rule, touching times, closures, series limits.

Each test sits exactly where a rule changes its answer (4 and 5 learners per staff member,
a session ending as another starts), so that a rule moved by one — `>` for `>=`, 4 for 5 —
fails a test. Fixtures use distinct ids for people and sessions, so that a rule naming the
wrong one of them is caught. `make mutation` checks that these tests catch such changes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from app.errors import Conflict, ValidationError
from app.extensions import db
from app.scheduling.models import LEARNERS_PER_STAFF, Closure, Session
from app.scheduling.series import create_series, update_series_from
from app.scheduling.sessions import cancel_session, create_session, update_session
from app.timeutil import japan_today, local, utcnow
from tests.conftest import at

DAY = japan_today() + timedelta(days=10)


def _staffed(make, capacity, instructors=1, assistants=0) -> Session:
    people = [make.user(role="instructor") for _ in range(instructors + assistants)]
    return make.session(
        venue=make.venue(capacity=max(capacity, 20)),
        day=DAY,
        capacity=capacity,
        instructor_ids=[p.id for p in people[:instructors]],
        assistant_ids=[p.id for p in people[instructors:]],
    )


# ---------------------------------------------------------------- the 1:4 rule


def test_the_rule_is_four_learners_per_staff_member():
    assert LEARNERS_PER_STAFF == 4


def test_one_to_four_counts_assistants(make):
    # One instructor and one assistant may take 8 learners: both count as staff.
    assert _staffed(make, capacity=8, instructors=1, assistants=1).warnings == []
    assert _staffed(make, capacity=9, instructors=1, assistants=1).warnings == ["understaffed"]


def test_one_to_four_holds_at_exactly_four_learners_per_staff_member(make):
    assert _staffed(make, capacity=4).warnings == []


def test_one_to_four_warns_at_five_learners_per_staff_member(make):
    assert _staffed(make, capacity=5).warnings == ["understaffed"]


def test_one_to_four_with_two_instructors_at_the_edge(make):
    assert _staffed(make, capacity=8, instructors=2).warnings == []
    assert _staffed(make, capacity=9, instructors=2).warnings == ["understaffed"]


def test_assistants_alone_are_enough_staff_but_no_instructor(make):
    session = _staffed(make, capacity=4, instructors=0, assistants=1)
    assert session.warnings == ["no_instructor"]
    assert session.instructors == []
    assert [u.id for u in session.assistants] == [session.staff[0].user_id]


def test_instructors_and_assistants_are_told_apart(make):
    session = _staffed(make, capacity=12, instructors=2, assistants=1)
    roles = {s.user_id: s.role for s in session.staff}
    assert {u.id for u in session.instructors} == {i for i, r in roles.items() if r == "instructor"}
    assert {u.id for u in session.assistants} == {i for i, r in roles.items() if r == "assistant"}
    assert len(session.instructors) == 2
    assert len(session.assistants) == 1


def test_a_cancelled_session_has_no_staffing_warnings(make):
    session = _staffed(make, capacity=10, instructors=0)
    assert session.warnings == ["no_instructor", "understaffed"]
    cancel_session(session, "会場の都合")
    assert session.is_cancelled
    assert session.warnings == []


def test_a_scheduled_session_is_not_cancelled(make):
    assert make.session(day=DAY).is_cancelled is False


# ---------------------------------------------------------------- touching times


def _people(make, n):
    """n instructors, after a few other users, so that no person's id equals a session's."""
    for _ in range(3):
        make.user(role="coordinator")
    return [make.user(role="instructor", name=f"講師{i}") for i in range(n)]


def test_an_instructors_session_just_before_an_existing_one_is_fine(make):
    (teacher,) = _people(make, 1)
    make.session(day=DAY, start="10:00", end="11:00", instructor_ids=[teacher.id])
    earlier = make.session(day=DAY, start="09:00", end="10:00", instructor_ids=[teacher.id])
    assert earlier.id is not None


def test_an_instructors_session_overlapping_by_a_minute_from_before_is_refused(make):
    (teacher,) = _people(make, 1)
    make.session(day=DAY, start="10:00", end="11:00", instructor_ids=[teacher.id])
    with pytest.raises(Conflict) as refused:
        make.session(day=DAY, start="09:00", end="10:01", instructor_ids=[teacher.id])
    assert refused.value.code == "instructor_conflict"


def test_a_session_just_before_another_at_the_same_venue_without_buffer_is_fine(make):
    venue = make.venue(buffer=0)
    make.session(venue=venue, day=DAY, start="10:00", end="11:00")
    assert make.session(venue=venue, day=DAY, start="09:00", end="10:00").id


def test_the_clash_names_the_other_session_and_the_person_who_clashes(make):
    free, busy = _people(make, 2)
    # Sessions first that clash with nothing, so that ids of sessions and people differ.
    make.session(day=DAY, start="13:00", end="14:00", instructor_ids=[free.id])
    make.session(day=DAY + timedelta(days=1), start="10:00", end="11:00")
    existing = make.session(day=DAY, start="10:00", end="11:00", instructor_ids=[busy.id])
    assert existing.id not in (free.id, busy.id)
    with pytest.raises(Conflict) as refused:
        make.session(day=DAY, start="10:30", end="11:30", instructor_ids=[free.id, busy.id])
    assert refused.value.code == "instructor_conflict"
    assert refused.value.extra["session_id"] == existing.id
    assert busy.name in refused.value.message
    assert free.name not in refused.value.message
    assert f"ID {existing.id}" in refused.value.message
    assert [c["session_id"] for c in refused.value.extra["conflicts"]] == [existing.id]


def test_the_venue_clash_names_the_session_at_that_venue(make):
    venue, other_venue = make.venue(buffer=0), make.venue(buffer=0)
    make.session(venue=other_venue, day=DAY, start="10:00", end="11:00")
    existing = make.session(venue=venue, day=DAY, start="10:00", end="11:00")
    with pytest.raises(Conflict) as refused:
        make.session(venue=venue, day=DAY, start="10:59", end="12:00")
    assert refused.value.code == "venue_conflict"
    assert refused.value.extra["session_id"] == existing.id
    assert venue.name in refused.value.message


# ---------------------------------------------------------------- closures


def _closure(venue, start, end) -> Closure:
    closure = Closure(
        venue_id=venue.id,
        uid=f"edge-{start}-{end}@dekiru.test",
        summary="点検",
        starts_at=at(DAY, start),
        ends_at=at(DAY, end),
    )
    db.session.add(closure)
    db.session.commit()
    return closure


def test_a_session_ending_as_a_closure_starts_is_fine(make):
    venue = make.venue(buffer=0)
    _closure(venue, "13:00", "17:00")
    assert make.session(venue=venue, day=DAY, start="12:00", end="13:00").id


def test_a_session_starting_as_a_closure_ends_is_fine(make):
    venue = make.venue(buffer=0)
    _closure(venue, "09:00", "12:00")
    assert make.session(venue=venue, day=DAY, start="12:00", end="13:00").id


def test_a_session_reaching_a_minute_into_a_closure_is_refused_naming_it(make):
    venue = make.venue(buffer=0)
    _closure(venue, "09:00", "12:00")  # another closure first: ids differ
    closure = _closure(venue, "13:00", "17:00")
    with pytest.raises(Conflict) as refused:
        make.session(venue=venue, day=DAY, start="12:00", end="13:01")
    assert refused.value.code == "venue_closed"
    assert refused.value.extra["closure_id"] == closure.id
    assert "点検" in refused.value.message


def test_a_closure_of_another_venue_does_not_close_this_one(make):
    venue, other = make.venue(buffer=0), make.venue(buffer=0)
    _closure(other, "09:00", "17:00")
    assert make.session(venue=venue, day=DAY, start="10:00", end="11:00").id


# ---------------------------------------------------------------- length of a session


def test_a_session_of_exactly_twelve_hours_is_allowed(make):
    assert make.session(day=DAY, start="08:00", end="20:00").id


def test_a_session_a_minute_over_twelve_hours_is_refused(make):
    with pytest.raises(ValidationError) as refused:
        make.session(day=DAY, start="08:00", end="20:01")
    assert "ends_at" in refused.value.fields


def test_a_session_ending_as_it_starts_is_refused(make):
    with pytest.raises(ValidationError) as refused:
        make.session(day=DAY, start="10:00", end="10:00")
    assert "ends_at" in refused.value.fields


def test_capacity_may_equal_the_venue_but_not_exceed_it(make):
    venue = make.venue(capacity=12)
    assert make.session(venue=venue, day=DAY, capacity=12).capacity == 12
    with pytest.raises(ValidationError) as refused:
        make.session(venue=venue, day=DAY + timedelta(days=1), capacity=13)
    assert "capacity" in refused.value.fields


# ---------------------------------------------------------------- series


def _series(make, buffer=15, venue=None, **rule):
    course, venue = make.course(), venue or make.venue(buffer=buffer)
    raw = {
        "course": course.slug,
        "venue_id": venue.id,
        "starts_at": at(DAY, "10:00"),
        "ends_at": at(DAY, "11:00"),
        "capacity": 4,
        "weekdays": [DAY.weekday()],
    }
    raw.update(rule)
    return create_series(raw)


def test_a_series_of_exactly_104_sessions_is_created(make):
    sessions = _series(make, count=104)
    assert len(sessions) == 104
    assert local(sessions[-1].starts_at).date() == DAY + timedelta(weeks=103)


def test_a_series_of_105_sessions_is_refused(make):
    with pytest.raises(ValidationError) as refused:
        _series(make, count=105)
    assert "count" in refused.value.fields
    assert db.session.query(Session).count() == 0


def test_a_series_running_three_years_is_refused_not_cut_short(make):
    with pytest.raises(ValidationError) as refused:
        _series(make, until=(DAY + timedelta(weeks=156)).isoformat())
    assert "count" in refused.value.fields
    assert db.session.query(Session).count() == 0


def test_a_series_until_a_day_takes_that_day(make):
    sessions = _series(make, until=(DAY + timedelta(weeks=2)).isoformat())
    assert [local(s.starts_at).date() for s in sessions] == [
        DAY,
        DAY + timedelta(weeks=1),
        DAY + timedelta(weeks=2),
    ]


def test_a_this_and_later_edit_keeps_each_sessions_course_version(make):
    sessions = _series(make, count=3)
    course = sessions[0].course_version.course
    planned_with = sessions[0].course_version_id
    # The curriculum gets a new version after the series was planned.
    newer = make.course_version(
        course, 2, "スマートフォンの基本操作(改訂)", title_en="Smartphone basics (revised)"
    )
    # The last one was re-planned on its own since, with the newer version.
    sessions[2].course_version = newer
    db.session.commit()

    edited = update_series_from(sessions[1], {"notes": "持ち物: スマートフォン"})

    assert [s.id for s in edited] == [sessions[1].id, sessions[2].id]
    assert [s.course_version_id for s in edited] == [planned_with, newer.id]
    assert {s.notes for s in edited} == {"持ち物: スマートフォン"}
    assert sessions[0].notes == ""


# ---------------------------------------------------------------- reading a plan


def _raw(make, **extra):
    course, venue = make.course(), make.venue(capacity=10)
    raw = {
        "course": course.slug,
        "venue_id": venue.id,
        "starts_at": at(DAY, "10:00"),
        "ends_at": at(DAY, "11:00"),
    }
    raw.update(extra)
    return raw


def _refused_fields(raw) -> set[str]:
    before = db.session.query(Session).count()
    with pytest.raises(ValidationError) as refused:
        create_session(raw)
    assert db.session.query(Session).count() == before
    return set(refused.value.fields)


def test_a_capacity_of_one_is_allowed_and_zero_is_not(make):
    assert create_session(_raw(make, capacity=1)).capacity == 1
    assert _refused_fields(_raw(make, capacity=0)) == {"capacity"}


def test_without_a_capacity_the_session_takes_the_venues(make):
    assert create_session(_raw(make)).capacity == 10


def test_without_a_venue_or_a_time_each_missing_field_is_named(make):
    raw = _raw(make, capacity=4)
    del raw["venue_id"], raw["starts_at"]
    assert _refused_fields(raw) == {"venue_id", "starts_at"}
    assert _refused_fields({**_raw(make), "ends_at": None}) == {"ends_at"}


def test_an_unknown_field_or_course_or_venue_is_named(make):
    assert _refused_fields(_raw(make, colour="red")) == {"colour"}
    assert _refused_fields(_raw(make, course="no-such-course")) == {"course"}
    assert _refused_fields(_raw(make, venue_id=9999, capacity=4)) == {"venue_id"}
    assert _refused_fields({**_raw(make), "course": ""}) == {"course"}


def test_the_delivery_type_is_one_of_the_known_ones(make):
    assert create_session(_raw(make)).delivery_type == "regional"
    assert create_session(_raw(make, delivery_type="dispatch")).delivery_type == "dispatch"
    assert _refused_fields(_raw(make, delivery_type="online-ish")) == {"delivery_type"}


def test_a_partner_is_an_organization_but_not_the_city(make):
    npo, city = make.org(kind="npo"), make.org(kind="municipality")
    assert create_session(_raw(make, partner_org=npo.slug)).partner_org_id == npo.id
    assert _refused_fields(_raw(make, partner_org=city.slug)) == {"partner_org"}
    assert _refused_fields(_raw(make, partner_org="nobody")) == {"partner_org"}


def test_staff_are_active_instructors_and_never_both_roles(make):
    teacher, coordinator = make.user("instructor"), make.user("coordinator")
    gone = make.user("instructor")
    gone.active = False
    db.session.commit()
    assert _refused_fields(_raw(make, instructor_ids=[coordinator.id])) == {"instructor_ids"}
    assert _refused_fields(_raw(make, assistant_ids=[gone.id])) == {"assistant_ids"}
    assert _refused_fields(_raw(make, instructor_ids=[teacher.id], assistant_ids=[teacher.id])) == {
        "assistant_ids"
    }
    session = create_session(_raw(make, assistant_ids=[teacher.id]))
    assert [u.id for u in session.assistants] == [teacher.id]


def test_public_unless_said_otherwise(make):
    assert create_session(_raw(make)).public is True
    assert create_session(_raw(make, public=False)).public is False


def test_a_new_session_is_scheduled_and_cannot_start_cancelled_or_completed(make):
    assert create_session(_raw(make)).status == "scheduled"
    assert _refused_fields(_raw(make, status="cancelled")) == {"status"}
    assert _refused_fields(_raw(make, status="completed")) == {"status"}
    assert _refused_fields(_raw(make, status="postponed")) == {"status"}


def test_a_session_is_cancelled_only_by_cancelling_it_with_a_reason(make):
    session = make.session(day=DAY)
    with pytest.raises(ValidationError) as refused:
        update_session(session, {"status": "cancelled"})
    assert set(refused.value.fields) == {"status"}
    db.session.refresh(session)
    assert session.status == "scheduled"


def test_notes_keep_their_line_breaks(make):
    session = create_session(_raw(make, notes="持ち物:\nスマートフォン\n老眼鏡"))
    assert session.notes == "持ち物:\nスマートフォン\n老眼鏡"


def test_a_session_is_completed_only_once_it_ended(make):
    session = make.session(day=DAY)
    with pytest.raises(ValidationError) as refused:
        update_session(session, {"status": "completed"})
    assert set(refused.value.fields) == {"status"}


def test_a_session_may_be_marked_completed_at_its_very_end(make):
    session = make.session(day=DAY)
    with time_machine.travel(session.ends_at, tick=False):
        assert update_session(session, {"status": "completed"}).status == "completed"


def test_saving_a_session_unchanged_does_not_mark_it_changed(make):
    teacher = make.user("instructor")
    session = make.session(day=DAY, instructor_ids=[teacher.id])
    before = session.updated_at
    with time_machine.travel(utcnow() + timedelta(hours=1), tick=False):
        update_session(session, {"notes": session.notes})
    db.session.expire_all()
    assert db.session.get(Session, session.id).updated_at == before


def test_a_refusal_names_the_first_clash_and_lists_them_all(make):
    venue = make.venue(buffer=0)
    second_week = make.session(
        venue=venue, day=DAY + timedelta(weeks=1), start="10:30", end="11:30"
    )
    third_week = make.session(venue=venue, day=DAY + timedelta(weeks=2), start="10:30", end="11:30")
    with pytest.raises(Conflict) as refused:
        _series(make, venue=venue, count=3)
    assert refused.value.extra["session_id"] == second_week.id
    assert [c["session_id"] for c in refused.value.extra["conflicts"]] == [
        second_week.id,
        third_week.id,
    ]


# ---------------------------------------------------------------- calendar apps see changes


def test_moving_a_session_raises_its_calendar_sequence_and_notes_do_not(make):
    session = make.session(day=DAY)
    assert session.ical_sequence == 0
    update_session(session, {"notes": "筆記用具"})
    assert session.ical_sequence == 0
    update_session(session, {"starts_at": at(DAY, "10:30"), "ends_at": at(DAY, "11:30")})
    assert session.ical_sequence == 1
    update_session(session, {"venue_id": make.venue().id})
    assert session.ical_sequence == 2
    update_session(session, {"ends_at": at(DAY, "12:00")})  # the end alone
    assert session.ical_sequence == 3
    cancel_session(session, "講師の都合")
    assert session.ical_sequence == 4


def test_cancelling_a_session_never_moved_raises_its_sequence_to_one(make):
    session = make.session(day=DAY)
    cancel_session(session, "講師の都合")
    assert session.ical_sequence == 1


def test_changing_only_the_staff_marks_the_session_changed(make):
    teacher = make.user("instructor")
    session = make.session(day=DAY)
    before = session.updated_at
    update_session(session, {"instructor_ids": [teacher.id]})
    assert session.updated_at > before
    assert [u.id for u in session.instructors] == [teacher.id]


def test_cancelling_needs_a_written_reason_and_a_scheduled_session(make):
    session = make.session(day=DAY)
    for reason in (None, "  ", 5):
        with pytest.raises(ValidationError):
            cancel_session(session, reason)
    cancel_session(session, " 台風 ")
    assert (session.status, session.cancel_reason) == ("cancelled", "台風")
    with pytest.raises(Conflict) as refused:
        cancel_session(session, "もう一度")
    assert refused.value.code == "not_scheduled"
    with pytest.raises(Conflict) as refused:
        update_session(session, {"notes": "x"})
    assert refused.value.code == "session_cancelled"


# ---------------------------------------------------------------- the series rule


def _series_refused(make, **rule) -> set[str]:
    before = db.session.query(Session).count()
    with pytest.raises(ValidationError) as refused:
        _series(make, **rule)
    assert db.session.query(Session).count() == before
    return set(refused.value.fields)


def test_weekdays_run_from_zero_monday_to_six_sunday(make):
    sunday = DAY + timedelta(days=(6 - DAY.weekday()))
    sessions = _series(make, weekdays=[0, 6], until=(sunday + timedelta(days=1)).isoformat())
    assert {local(s.starts_at).weekday() for s in sessions} <= {0, 6}
    assert local(sessions[-1].starts_at).date() == sunday + timedelta(days=1)
    assert _series_refused(make, weekdays=[7], count=2) == {"weekdays"}
    assert _series_refused(make, weekdays=[-1], count=2) == {"weekdays"}
    assert _series_refused(make, weekdays=[], count=2) == {"weekdays"}


def test_a_series_ends_by_a_date_or_a_count_not_both_nor_neither(make):
    until = (DAY + timedelta(weeks=1)).isoformat()
    assert _series_refused(make) == {"until"}
    assert _series_refused(make, until=until, count=2) == {"count"}
    assert _series_refused(make, count=0) == {"count"}
    assert _series_refused(make, until="2027-02-30") == {"until"}


def test_a_series_may_end_on_its_first_day_but_not_before(make):
    assert len(_series(make, until=DAY.isoformat())) == 1
    assert _series_refused(make, until=(DAY - timedelta(days=1)).isoformat()) == {"until"}


def test_a_count_of_one_is_one_session(make):
    assert len(_series(make, count=1)) == 1


def test_a_this_and_later_edit_to_another_course_gives_each_that_courses_version(make):
    first, second, third = _series(make, count=3)
    other = make.course(title="タブレット入門")
    edited = update_series_from(second, {"course": other.slug})
    assert {s.course_version_id for s in edited} == {other.current_version_id}
    assert first.course_version_id != other.current_version_id


def test_a_this_and_later_edit_that_puts_two_of_its_sessions_together_is_refused(make):
    # A setup time longer than the sessions: the clash is seen through the time itself.
    first, second, third = _series(make, buffer=120, count=3)
    # The second was moved on its own to the third's day, in the afternoon...
    third_day = local(third.starts_at).date()
    update_session(second, {"starts_at": at(third_day, "14:00"), "ends_at": at(third_day, "15:00")})
    # ...so giving all of them one clock time puts the second and the third together.
    with pytest.raises(Conflict) as refused:
        update_series_from(first, {"starts_at": at(DAY, "10:30"), "ends_at": at(DAY, "11:30")})
    assert refused.value.code == "venue_conflict"
    db.session.expire_all()
    assert local(db.session.get(Session, third.id).starts_at).strftime("%H:%M") == "10:00"


def test_a_this_and_later_move_carries_the_day_and_the_clock_through(make):
    first, second, third = _series(make, count=3)
    moved = update_series_from(
        second,
        {
            "starts_at": at(DAY + timedelta(weeks=1, days=1), "13:00"),
            "ends_at": at(DAY + timedelta(weeks=1, days=1), "14:30"),
        },
    )
    assert [(local(s.starts_at).date(), local(s.starts_at).strftime("%H:%M")) for s in moved] == [
        (DAY + timedelta(weeks=1, days=1), "13:00"),
        (DAY + timedelta(weeks=2, days=1), "13:00"),
    ]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=90) for s in moved)
    assert local(first.starts_at).strftime("%H:%M") == "10:00"


def test_closed_days_are_refused_or_skipped_and_nothing_else(make):
    assert _series_refused(make, count=2, on_closed="ignore") == {"on_closed"}
