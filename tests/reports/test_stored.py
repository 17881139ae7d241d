"""The stored per-session figures never disagree with the raw rows: after every kind of
correction (a check-in undone or corrected, attendance added late, a registration cancelled,
a session cancelled or moved across 年度, learners merged, a skill removed, rows written in
bulk) every figure counted from them equals the same figure counted from the raw rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.checkin import services as checkin
from app.checkin.models import Attendance, SkillReached
from app.extensions import db
from app.people import learners, registration
from app.people.models import ConfirmationCall, Learner, Registration
from app.reports import figures, reaches, stored, visits
from app.reports.filters import parse_filter
from app.reports.models import (
    CourseCompletion,
    FirstReach,
    SessionCompletion,
    SessionFigures,
    SessionSkill,
    Visit,
)
from app.scheduling.models import Session
from app.scheduling.sessions import cancel_session
from tests.reports import dataset
from tests.reports.dataset import NOW, TODAY

FILTERS = (
    {"year": "2024"},
    {"year": "2025"},
    {"year": "2026"},
    {"from": "2024-04-01", "to": "2027-03-31"},
    {"year": "2025", "district": "中央"},
    {"year": "2025", "partner": "npo-one"},
    {"year": "2025", "course": "course-a"},
    {"from": "2025-05-01", "to": "2026-04-30", "track": "applied"},
)


@pytest.fixture
def program(make):
    built = dataset.build()
    built.users["coordinator"] = make.user("coordinator")
    return built


def stored_rows() -> dict[int, tuple[int, ...]]:
    columns = [getattr(SessionFigures, name) for name in stored.COLUMNS]
    return {
        row[0]: tuple(row[1:])
        for row in db.session.execute(sa.select(SessionFigures.session_id, *columns))
    }


def raw_rows() -> dict[int, tuple[int, ...]]:
    return {
        row[0]: tuple(row[1:])
        for row in db.session.execute(sa.select(Session.id, *stored.session_counts(Session.id)))
    }


def stored_visits() -> set[tuple]:
    return {tuple(row) for row in db.session.execute(sa.select(*Visit.__table__.c))}


def raw_visits() -> set[tuple]:
    return {tuple(row) for row in db.session.execute(visits.visit_rows())}


KEPT_OUTCOMES = (FirstReach, CourseCompletion, SessionSkill, SessionCompletion)


def stored_outcomes() -> dict[str, set[tuple]]:
    return {
        model.__tablename__: {tuple(row) for row in db.session.execute(sa.select(model.__table__))}
        for model in KEPT_OUTCOMES
    }


def rebuilt_outcomes() -> dict[str, set[tuple]]:
    """The same tables written from nothing by the rule (in a savepoint, rolled back)."""
    with db.session.begin_nested() as savepoint:
        reaches.rebuild(db.session.connection())
        rebuilt = stored_outcomes()
        savepoint.rollback()
    return rebuilt


def assert_agree(program) -> None:
    """Every session's stored counts, each learner's visits, skills first reached and courses
    completed, and every figure of every filter, equal the raw ones."""
    assert stored_rows() == raw_rows()
    assert stored_visits() == raw_visits()
    assert stored_outcomes() == rebuilt_outcomes()
    for args in FILTERS:
        flt = parse_filter(args, program.users["coordinator"], today=TODAY)
        assert figures.compute(flt, now=NOW) == figures.compute(flt, now=NOW, raw=True), args


def test_the_stored_figures_start_equal_to_the_raw_rows(program):
    assert len(stored_rows()) == len(program.sessions)
    assert_agree(program)
    # and they are not all zeros: s2 had L1 and L2 (late) present, L4 registered and no show
    s2 = stored_rows()[program.sessions["s2"].id]
    assert dict(zip(stored.COLUMNS, s2, strict=True)) == {
        "present": 2,
        "registered": 5,
        "waitlisted": 1,
        "no_show": 2,
        "instructors": 1,
        "assistants": 0,
        # nobody called yet: all five registered are "not reached", the three who did not
        # come among them (L3 excused, L4, L5)
        "confirmed": 0,
        "confirmed_absent": 0,
        "not_reached": 5,
        "not_reached_absent": 3,
        "seats_passed": 0,
    }


def _of(model, program, session: str, learner: str):
    """The attendance or registration of `learner` at `session`."""
    found = db.session.scalar(
        sa.select(model).where(
            model.session_id == program.sessions[session].id,
            model.learner_id == program.learners[learner].id,
        )
    )
    assert found is not None
    return found


def _attendance(program, session: str, learner: str) -> Attendance:
    return _of(Attendance, program, session, learner)


def _registration(program, session: str, learner: str) -> Registration:
    return _of(Registration, program, session, learner)


def test_a_check_in_undone_and_one_corrected(program):
    db.session.delete(_attendance(program, "s2", "L1"))
    db.session.commit()
    assert_agree(program)
    coordinator = program.users["coordinator"]
    checkin.set_status(
        program.sessions["s2"], _registration(program, "s2", "L5"), "present", coordinator
    )
    assert_agree(program)
    checkin.set_status(
        program.sessions["s5"], _registration(program, "s5", "L7"), "absent", coordinator
    )
    assert_agree(program)


def test_attendance_added_late_and_a_registration_cancelled(program):
    reg = _registration(program, "s2", "L4")
    db.session.add(
        Attendance(
            registration=reg,
            session_id=reg.session_id,
            learner_id=reg.learner_id,
            status="present",
            method="search",
            recorded_later=True,
        )
    )
    db.session.commit()
    assert_agree(program)
    registration.cancel(_registration(program, "s3", "L2"))  # L6 moves up from the waitlist
    db.session.commit()
    assert_agree(program)


def test_a_class_under_way_counts_only_once_it_is_over(program):
    """L2 is checked in at s7 while it runs (not held yet): for 2026 they count from s6 only,
    and L9, whose first visit it is, not at all."""
    s7 = program.sessions["s7"]
    for learner in ("L2", "L9"):
        reg = Registration(
            session=s7, learner=program.learners[learner], status="registered", source="phone"
        )
        db.session.add(reg)
        db.session.add(
            Attendance(
                registration=reg,
                session_id=s7.id,
                learner_id=reg.learner.id,
                status="present",
                method="search",
            )
        )
    db.session.commit()
    assert_agree(program)
    flt = parse_filter({"year": "2026"}, program.users["coordinator"], today=TODAY)
    assert figures.compute(flt, now=NOW).distinct_learners == 1  # L2, at s6


def test_a_session_cancelled_and_one_moved_across_the_fiscal_year(program):
    cancel_session(program.sessions["s3"], "会場の都合")
    assert_agree(program)
    s5 = program.sessions["s5"]  # 2026-03-31 23:00 in 2025 -> 2026-04-02, in 2026
    s5.starts_at += timedelta(days=2)
    s5.ends_at += timedelta(days=2)
    db.session.commit()
    assert_agree(program)


def test_learners_merged(program):
    # L2 and L3 are one person: their registrations, attendance and skills become L2's.
    learners.merge(program.learners["L2"], program.learners["L3"], program.users["coordinator"])
    db.session.commit()
    assert db.session.get(Learner, program.learners["L3"].id) is None
    assert_agree(program)


def test_a_skill_removed_and_staff_changed(program):
    removed = db.session.scalar(
        sa.select(SkillReached).where(SkillReached.learner_id == program.learners["L1"].id)
    )
    db.session.delete(removed)
    staff = program.sessions["s5"].staff[0]
    db.session.delete(staff)
    db.session.commit()
    assert_agree(program)


def test_rows_written_in_bulk_are_counted_too(program):
    """The demo city writes its past with Core INSERTs through the session; a merge moves
    rows with UPDATE statements: neither passes the ORM's flush."""
    s6 = program.sessions["s6"]
    new = db.session.scalar(
        sa.insert(Registration)
        .values(
            session_id=s6.id,
            learner_id=program.learners["L9"].id,
            status="registered",
            source="phone",
        )
        .returning(Registration.id)
    )
    db.session.execute(
        sa.insert(Attendance.__table__),
        [
            {
                "registration_id": new,
                "session_id": s6.id,
                "learner_id": program.learners["L9"].id,
                "status": "present",
                "method": "search",
                "recorded_later": False,
                "created_at": NOW,
            }
        ],
    )
    assert_agree(program)
    db.session.execute(
        sa.update(Attendance)
        .where(Attendance.learner_id == program.learners["L8"].id)
        .values(status="absent")
    )
    assert_agree(program)
    db.session.execute(sa.delete(Registration).where(Registration.status == "waitlisted"))
    assert_agree(program)
    db.session.commit()
    assert_agree(program)


def _outcomes(program, args: dict) -> tuple[dict[str, int], int]:
    flt = parse_filter(args, program.users["coordinator"], today=TODAY)
    a = next(o for o in figures.compute(flt, now=NOW).outcomes if o.slug == "course-a")
    return {line.key: line.reached for line in a.skills}, a.completed


def test_a_skill_counts_where_first_reached_and_a_course_where_completed(program):
    """L1 reaches a1 in 年度 2024 (s1) and a2 in 2025 (s2, where a1 is no longer ticked): a1
    counts in 2024 only, and the course — finished over two classes across 年度 — in 2025,
    as the certificate says; the years add up to the whole."""
    l1, a1 = program.learners["L1"], program.skills["a1"]
    # (A skill is reached once: moved from s2 to s1.)
    db.session.execute(
        sa.update(SkillReached)
        .where(SkillReached.learner_id == l1.id, SkillReached.skill_id == a1.id)
        .values(session_id=program.sessions["s1"].id)
    )
    db.session.commit()
    assert_agree(program)
    assert _outcomes(program, {"year": "2024"}) == ({"a1": 1, "a2": 0}, 0)
    assert _outcomes(program, {"year": "2025"}) == ({"a1": 2, "a2": 1}, 1)  # L2, L3; L1
    whole = _outcomes(program, {"from": "2024-04-01", "to": "2027-03-31"})
    assert whole == ({"a1": 3, "a2": 1}, 1)
    # Unticked at s1: L1 has not reached a1 anywhere, the course is not done.
    db.session.execute(
        sa.delete(SkillReached).where(SkillReached.session_id == program.sessions["s1"].id)
    )
    db.session.commit()
    assert_agree(program)
    assert _outcomes(program, {"year": "2025"}) == ({"a1": 2, "a2": 1}, 0)


def _call(program, session: str, learner: str, outcome: str, minutes: int, **more):
    return ConfirmationCall(
        registration_id=_registration(program, session, learner).id,
        outcome=outcome,
        recorded_at=NOW - timedelta(days=400, minutes=-minutes),
        **more,
    )


def _calls_of(program, session: str) -> dict[str, int]:
    row = stored_rows()[program.sessions[session].id]
    return dict(zip(stored.COLUMNS, row, strict=True))


def test_the_day_before_calls_and_their_corrections(program):
    """A registration's outcome is its last call: a second call changes what counts, a call
    moved to another registration or deleted moves its count, calls written in bulk too."""
    db.session.add_all(
        [
            _call(program, "s2", "L1", "attending", 1),  # came
            _call(program, "s2", "L4", "attending", 2),  # did not
            _call(program, "s2", "L5", "no_answer", 3),
            _call(program, "s2", "L5", "message_left", 4),
            _call(program, "s2", "L3", "no_answer", 5),
            _call(
                program,
                "s2",
                "L3",
                "attending",
                6,
                promoted_id=_registration(program, "s2", "L6").id,
            ),
        ]
    )
    db.session.commit()
    assert_agree(program)
    s2 = _calls_of(program, "s2")
    assert (s2["confirmed"], s2["confirmed_absent"]) == (3, 2)  # L1, L4, L3 (excused)
    assert (s2["not_reached"], s2["not_reached_absent"]) == (2, 1)  # L2 never called, L5
    assert s2["seats_passed"] == 1
    # Written in bulk: a call for L2, then one of L4's moved to s6's L2, then L5's deleted.
    db.session.execute(
        sa.insert(ConfirmationCall),
        [
            {
                "registration_id": _registration(program, "s2", "L2").id,
                "outcome": "attending",
                "note": "",
                "recorded_at": NOW - timedelta(days=399),
            }
        ],
    )
    assert _calls_of(program, "s2")["confirmed"] == 4
    assert_agree(program)
    db.session.execute(
        sa.update(ConfirmationCall)
        .where(ConfirmationCall.registration_id == _registration(program, "s2", "L4").id)
        .values(registration_id=_registration(program, "s6", "L2").id)
    )
    assert _calls_of(program, "s6")["confirmed"] == 1
    assert_agree(program)
    db.session.execute(
        sa.delete(ConfirmationCall).where(
            ConfirmationCall.registration_id == _registration(program, "s2", "L5").id
        )
    )
    assert_agree(program)
    db.session.commit()
    assert _calls_of(program, "s2")["not_reached"] == 2  # L4 (its call gone) and L5
    assert_agree(program)


def test_a_change_rolled_back_rolls_its_counts_back(program):
    before = stored_rows()
    db.session.delete(_attendance(program, "s5", "L3"))
    db.session.flush()
    assert stored_rows() != before  # counted in the same transaction
    db.session.rollback()
    assert stored_rows() == before == raw_rows()


def test_a_new_session_has_its_row_and_rebuild_counts_every_session(program):
    s7 = program.sessions["s7"]
    copy = Session(
        course_version_id=s7.course_version_id,
        venue_id=s7.venue_id,
        starts_at=s7.starts_at + timedelta(days=7),
        ends_at=s7.ends_at + timedelta(days=7),
        capacity=4,
    )
    db.session.add(copy)
    db.session.commit()
    assert stored_rows()[copy.id] == (0,) * len(stored.COLUMNS)
    db.session.execute(sa.text("DELETE FROM report_session_figures"))  # written around the app
    assert stored.rebuild() == len(program.sessions) + 1
    assert_agree(program)
