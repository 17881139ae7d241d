"""The door's rules at their edges: the opening minute, the grace limit, the end, corrections,
two phones scanning one card at once, a device reusing its client_id.

The clock is frozen where a rule changes its answer (exactly 60 minutes before the start,
exactly at the grace limit), so that a rule moved by one — `<=` for `<`, 59 for 60 — fails a
test. `make mutation` checks that these tests catch such changes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy import event

from app.checkin import services
from app.checkin.models import Attendance, AttendanceStatus, CheckinMethod
from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.people.models import Registration
from app.people.registration import cancel, register
from app.templating import format_time
from app.timeutil import utcnow
from tests.checkin.support import attendance_rows, audit, learner, minute, open_session
from tests.querycount import counting_queries

PRESENT, LATE, ABSENT, EXCUSED = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.ABSENT,
    AttendanceStatus.EXCUSED,
)


@pytest.fixture
def frozen():
    """The clock stopped at a whole minute (a day ahead, so that every session is to come)."""
    instant = minute(utcnow()) + timedelta(days=1)
    with time_machine.travel(instant, tick=False) as traveller:
        yield traveller


def _door(make, *, starts_in_minutes, length_minutes=60, capacity=4):
    teacher = make.user("instructor", name="講師 一郎")
    session = open_session(
        make,
        started_minutes_ago=-starts_in_minutes,
        length_minutes=length_minutes,
        capacity=capacity,
        instructor_ids=[teacher.id],
    )
    return session, teacher


def _registered(session, name="山田 花子", furigana="やまだ はなこ"):
    person = learner(name, furigana)
    register(session, person, source="phone")
    return person


def _registered_before_the_end(session, frozen, *name):
    """Registered a minute before the end (registration closes at the end), the clock back."""
    now = utcnow()
    frozen.move_to(session.ends_at - timedelta(minutes=1))
    person = _registered(session, *name)
    frozen.move_to(now)
    return person


def _code(person) -> str:
    return person.active_card.token


# ---------------------------------------------------------------- the opening


def test_check_in_opens_exactly_sixty_minutes_before(make, frozen):
    session, teacher = _door(make, starts_in_minutes=60)
    hanako = _registered(session)
    result = services.check_in(session, teacher, code=_code(hanako))
    assert result.result == "checked_in"
    assert result.attendance.status == PRESENT
    assert result.attendance.checked_in_at == utcnow()


def test_check_in_is_refused_a_second_before_it_opens(make, frozen):
    session, teacher = _door(make, starts_in_minutes=60)
    hanako = _registered(session)
    frozen.shift(timedelta(seconds=-1))
    with pytest.raises(Conflict) as refused:
        services.check_in(session, teacher, code=_code(hanako))
    assert refused.value.code == "session_not_open"
    # The refusal says when the door opens: the start less 60 minutes.
    assert format_time(session.starts_at - timedelta(minutes=60)) in refused.value.message
    assert format_time(session.starts_at + timedelta(minutes=60)) not in refused.value.message
    assert attendance_rows(session) == []


def test_the_door_opens_sixty_minutes_before_the_start():
    assert timedelta(minutes=60) == services.OPENS_BEFORE_START


def test_the_answer_to_a_check_in_is_read_without_going_back_to_the_database(make, frozen):
    # The busiest request of the day: what it answers (time, status, name) is what it wrote,
    # not reloaded row by row after the commit.
    session, teacher = _door(make, starts_in_minutes=-5)
    hanako = _registered(session)
    result = services.check_in(session, teacher, code=_code(hanako))
    with counting_queries() as statements:
        shown = (
            result.attendance.status,
            result.attendance.checked_in_at,
            result.attendance.method,
            result.learner.name,
        )
    assert shown[0] == PRESENT
    assert shown[3] == "山田 花子"
    assert statements == []


# ---------------------------------------------------------------- late


def test_the_grace_of_a_new_session_is_ten_minutes(make):
    assert _door(make, starts_in_minutes=30)[0].late_after_minutes == 10


def test_arriving_exactly_at_the_grace_limit_is_on_time(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-10)
    hanako = _registered(session)
    assert utcnow() == session.starts_at + timedelta(minutes=session.late_after_minutes)
    result = services.check_in(session, teacher, code=_code(hanako))
    assert result.attendance.status == PRESENT


def test_arriving_a_second_after_the_grace_limit_is_late(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-10)
    hanako = _registered(session)
    frozen.shift(timedelta(seconds=1))
    result = services.check_in(session, teacher, code=_code(hanako))
    assert result.attendance.status == LATE


def test_a_scan_time_sent_by_the_device_decides_late_or_not(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-30)
    hanako, taro = _registered(session), _registered(session, "佐藤 太郎", "さとう たろう")
    limit = session.starts_at + timedelta(minutes=session.late_after_minutes)
    on_time = services.check_in(session, teacher, code=_code(hanako), scanned_at=limit)
    late = services.check_in(
        session, teacher, code=_code(taro), scanned_at=limit + timedelta(seconds=1)
    )
    assert (on_time.attendance.status, on_time.attendance.checked_in_at) == (PRESENT, limit)
    assert late.attendance.status == LATE


def test_a_scan_time_in_the_future_counts_as_now(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-5)
    hanako = _registered(session)
    result = services.check_in(
        session, teacher, code=_code(hanako), scanned_at=utcnow() + timedelta(hours=2)
    )
    assert result.attendance.checked_in_at == utcnow()
    assert result.attendance.status == PRESENT


# ---------------------------------------------------------------- the end


def test_staff_check_in_until_the_very_end(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-60, length_minutes=60)
    hanako = _registered_before_the_end(session, frozen)
    assert utcnow() == session.ends_at
    result = services.check_in(session, teacher, code=_code(hanako))
    assert result.result == "checked_in"
    assert result.attendance.recorded_later is False
    assert result.attendance.method == CheckinMethod.QR


def test_after_the_end_the_sessions_staff_record_it_later_for_seven_days(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-60, length_minutes=60)
    hanako = _registered_before_the_end(session, frozen)
    taro = _registered_before_the_end(session, frozen, "佐藤 太郎", "さとう たろう")
    assert services.PAPER_ROSTER_DAYS == 7
    frozen.move_to(session.ends_at + timedelta(days=7))
    result = services.check_in(session, teacher, code=_code(hanako))
    assert result.attendance.recorded_later is True
    assert result.attendance.method == CheckinMethod.RECORDED_LATER
    # The arrival time is unknown: recorded later is present, never late, at the start.
    assert result.attendance.status == PRESENT
    assert result.attendance.checked_in_at == session.starts_at

    frozen.shift(timedelta(seconds=1))
    with pytest.raises(Conflict) as refused:
        services.check_in(session, teacher, code=_code(taro))
    assert refused.value.code == "session_not_open"
    result = services.check_in(session, make.user("coordinator"), code=_code(taro))
    assert result.attendance.recorded_later is True


# ---------------------------------------------------------------- corrections


def _registration(session, person):
    return db.session.scalar(
        sa.select(Registration).where(
            Registration.session_id == session.id,
            Registration.learner_id == person.id,
        )
    )


def test_a_correction_for_a_waitlisted_person_is_refused(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-5, capacity=1)
    _registered(session)
    waiting = _registered(session, "佐藤 太郎", "さとう たろう")
    registration = _registration(session, waiting)
    assert registration.status == "waitlisted"
    with pytest.raises(NotFound):
        services.set_status(session, registration, PRESENT, make.user("coordinator"))
    assert attendance_rows(session) == []


def test_a_correction_through_another_sessions_registration_is_refused(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-5)
    other, _other_teacher = _door(make, starts_in_minutes=-5)
    person = _registered(other)
    with pytest.raises(NotFound):
        services.set_status(session, _registration(other, person), PRESENT, teacher)
    assert attendance_rows(session) == attendance_rows(other) == []


def test_a_correction_to_present_during_the_session_is_now_and_not_later(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-20)
    hanako = _registered(session)
    attendance = services.set_status(session, _registration(session, hanako), PRESENT, teacher)
    assert attendance.checked_in_at == utcnow()
    assert attendance.recorded_later is False
    assert attendance.method == CheckinMethod.RECORDED_LATER


def test_a_correction_to_present_after_the_end_is_at_the_start_and_later(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-120, length_minutes=60)
    hanako = _registered_before_the_end(session, frozen)
    attendance = services.set_status(
        session, _registration(session, hanako), PRESENT, make.user("coordinator")
    )
    # Not the time of typing, nor the end: the start, as every attendance recorded later.
    assert attendance.checked_in_at == session.starts_at
    assert attendance.recorded_later is True
    (entry,) = audit("attendance.changed")
    assert (entry.details["before"], entry.details["after"]) == (ABSENT, PRESENT)
    taro = _registered_before_the_end(session, frozen, "佐藤 太郎", "さとう たろう")
    late = services.set_status(
        session, _registration(session, taro), LATE, make.user("coordinator")
    )
    assert late.checked_in_at == session.starts_at + timedelta(minutes=10)


def test_a_correction_at_the_very_end_is_not_recorded_later(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-60, length_minutes=60)
    hanako = _registered_before_the_end(session, frozen)
    assert utcnow() == session.ends_at
    attendance = services.set_status(session, _registration(session, hanako), PRESENT, teacher)
    assert attendance.recorded_later is False
    assert attendance.checked_in_at == session.ends_at


def test_after_a_check_in_later_commits_see_what_others_changed(make, frozen):
    # A check-in keeps its own rows through its commit (to answer without reloading), and
    # puts the usual rule back: what another request changes is read afresh afterwards.
    session, teacher = _door(make, starts_in_minutes=-5)
    hanako = _registered(session)
    attendance = services.check_in(session, teacher, code=_code(hanako)).attendance
    with db.engine.begin() as other_request:
        other_request.execute(
            sa.update(Attendance).where(Attendance.id == attendance.id).values(status=LATE)
        )
    db.session.commit()
    assert attendance.status == LATE


def test_a_correction_to_absent_clears_the_check_in_time(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-5)
    hanako = _registered(session)
    services.check_in(session, teacher, code=_code(hanako))
    attendance = services.set_status(session, _registration(session, hanako), ABSENT, teacher)
    assert attendance.status == ABSENT
    assert attendance.checked_in_at is None
    (entry,) = audit("attendance.changed")
    assert (entry.details["before"], entry.details["after"]) == (PRESENT, ABSENT)


def test_a_correction_to_late_keeps_the_arrival_time(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-5)
    hanako = _registered(session)
    arrived = services.check_in(session, teacher, code=_code(hanako)).attendance.checked_in_at
    frozen.shift(timedelta(minutes=30))
    attendance = services.set_status(session, _registration(session, hanako), LATE, teacher)
    assert attendance.checked_in_at == arrived


def test_a_correction_to_the_same_status_changes_and_logs_nothing(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-5)
    hanako = _registered(session)
    services.check_in(session, teacher, code=_code(hanako))
    services.set_status(session, _registration(session, hanako), PRESENT, teacher)
    assert audit("attendance.changed") == []


def test_only_a_coordinator_marks_an_excused_absence(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-5)
    hanako = _registered(session)
    registration = _registration(session, hanako)
    with pytest.raises(Forbidden):
        services.set_status(session, registration, EXCUSED, teacher)
    attendance = services.set_status(session, registration, EXCUSED, make.user("coordinator"))
    assert attendance.status == EXCUSED
    assert attendance.checked_in_at is None


def test_after_the_end_a_registration_without_check_in_is_absent(make, frozen):
    session, _teacher = _door(make, starts_in_minutes=-120, length_minutes=60)
    assert services.derived_status(session, None) == ABSENT
    frozen.move_to(session.ends_at - timedelta(seconds=1))
    assert services.derived_status(session, None) is None
    frozen.move_to(session.ends_at)
    assert services.derived_status(session, None) == ABSENT


# ---------------------------------------------------------------- two phones, one card


def test_two_phones_scanning_one_card_at_once_record_one_attendance(make, frozen, app):
    session, teacher = _door(make, starts_in_minutes=-5)
    hanako = _registered(session)
    registration = _registration(session, hanako)
    other_phone_at = utcnow() - timedelta(seconds=3)
    won: list[bool] = []

    def the_other_phone_wins(db_session, _context, _instances):
        # The other phone's request commits its check-in between this request's look-up
        # and its insert: a real write on a connection of its own.
        if won or not any(isinstance(o, Attendance) for o in db_session.new):
            return
        won.append(True)
        with db.engine.begin() as conn:
            conn.execute(
                sa.insert(Attendance).values(
                    registration_id=registration.id,
                    session_id=session.id,
                    learner_id=hanako.id,
                    status=PRESENT,
                    checked_in_at=other_phone_at,
                    method=CheckinMethod.QR,
                    client_id="phone-b-1",
                    recorded_by_id=teacher.id,
                    recorded_later=False,
                )
            )

    event.listen(db.session(), "before_flush", the_other_phone_wins)
    try:
        result = services.check_in(session, teacher, code=_code(hanako), client_id="phone-a-1")
    finally:
        event.remove(db.session(), "before_flush", the_other_phone_wins)

    assert won, "the other phone never wrote"

    assert result.result == "already_checked_in"
    assert result.attendance.client_id == "phone-b-1"
    rows = attendance_rows(session)
    assert [(r.client_id, r.checked_in_at) for r in rows] == [("phone-b-1", other_phone_at)]


def test_a_client_id_reused_for_another_person_is_refused(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-5)
    hanako, taro = _registered(session), _registered(session, "佐藤 太郎", "さとう たろう")
    services.check_in(session, teacher, code=_code(hanako), client_id="phone-a-7")
    with pytest.raises(Conflict) as refused:
        services.check_in(session, teacher, code=_code(taro), client_id="phone-a-7")
    assert refused.value.code == "client_id_reused"
    assert [r.learner_id for r in attendance_rows(session)] == [hanako.id]


def test_a_retry_with_the_same_client_id_answers_the_first_check_in(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-5)
    hanako = _registered(session)
    first = services.check_in(session, teacher, code=_code(hanako), client_id="phone-a-8")
    frozen.shift(timedelta(minutes=3))
    again = services.check_in(session, teacher, code=_code(hanako), client_id="phone-a-8")
    assert (first.result, again.result) == ("checked_in", "already_checked_in")
    assert again.attendance.id == first.attendance.id
    assert again.attendance.checked_in_at == first.attendance.checked_in_at


# ---------------------------------------------------------------- not registered


def test_a_waitlisted_person_at_the_door_is_told_they_are_waiting(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-5, capacity=1)
    _registered(session)
    waiting = _registered(session, "佐藤 太郎", "さとう たろう")
    with pytest.raises(Conflict) as refused:
        services.check_in(session, teacher, code=_code(waiting))
    assert refused.value.code == "not_registered"
    assert "キャンセル待ち" in refused.value.message
    assert refused.value.extra["registration_status"] == "waitlisted"
    assert refused.value.extra["can_walk_in"] is False


def test_a_cancelled_person_at_the_door_is_told_they_are_not_registered(make, frozen):
    session, teacher = _door(make, starts_in_minutes=-5, capacity=2)
    person = _registered(session)
    cancel(_registration(session, person))
    with pytest.raises(Conflict) as refused:
        services.check_in(session, teacher, code=_code(person))
    assert "申し込まれていません" in refused.value.message
    assert "キャンセル待ち" not in refused.value.message
    assert refused.value.extra["registration_status"] == "cancelled"
    assert refused.value.extra["can_walk_in"] is True


def test_another_session_is_named_only_while_it_has_not_ended(make, frozen):
    here, _teacher = _door(make, starts_in_minutes=-5)
    coordinator = make.user("coordinator")
    other, _other_teacher = _door(make, starts_in_minutes=-30, length_minutes=60)
    person = _registered(other)
    frozen.move_to(other.ends_at - timedelta(seconds=1))
    with pytest.raises(Conflict) as refused:
        services.check_in(here, coordinator, code=_code(person))
    assert refused.value.extra["other_session_id"] == other.id
    assert "別の講座" in refused.value.message

    frozen.move_to(other.ends_at)  # that one is over now: nothing to point to
    with pytest.raises(Conflict) as refused:
        services.check_in(here, coordinator, code=_code(person))
    assert refused.value.extra["other_session_id"] is None
    assert "申し込まれていません" in refused.value.message


# ---------------------------------------------------------------- the roster


def test_the_roster_lists_the_registered_first_then_the_waitlist_each_by_furigana(make, frozen):
    session, _teacher = _door(make, starts_in_minutes=-5, capacity=2)
    for name, furigana in (
        ("渡辺 花", "わたなべ はな"),
        ("伊藤 一", "いとう はじめ"),
        ("安藤 愛", "あんどう あい"),  # first in the あいうえお order, but waitlisted
        ("上野 海", "うえの うみ"),  # waitlisted too
    ):
        _registered(session, name, furigana)

    rows = services.roster(session).rows

    assert [(r.learner.furigana, r.registration.status) for r in rows] == [
        ("いとう はじめ", "registered"),
        ("わたなべ はな", "registered"),
        ("あんどう あい", "waitlisted"),
        ("うえの うみ", "waitlisted"),
    ]
    # The waitlisted have no attendance state; the registered have theirs.
    assert [r.status for r in rows] == [None, None, None, None]
