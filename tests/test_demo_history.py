"""The demo city's past (demo.history): built once by demo-data, and believable.

The full city (`--scale city`, 20,000 sessions) is too slow for a test; a tiny city with the
same code stands in for it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.checkin.models import Attendance, SkillReached
from app.config import REPO_ROOT
from app.curricula.loader import load_directory
from app.extensions import db
from app.parsing import check_furigana, normalize_phone
from app.people import learners as learner_service
from app.people import registration as registrations
from app.people.cards import ensure_card
from app.people.models import Card, Learner, Registration
from app.scheduling.models import Session, Venue
from app.timeutil import japan_today, utcnow
from demo.data_history import SCALES, HistoryScale
from demo.history import build_history, history_period
from demo.world import DemoCityMissing

DEMO_DISTRICTS = {"中央地区", "緑が丘地区", "港南地区", "北部地区"}


@pytest.fixture
def demo_app(app, tmp_path):
    # Demo passwords go to the instance folder; a test must never touch the developer's.
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        load_directory(REPO_ROOT / "curricula")
    return app


def _demo_data(app, *args) -> str:
    result = app.test_cli_runner().invoke(args=["demo-data", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _history_counts() -> dict[str, int]:
    return {
        m.__tablename__: _count(m)
        for m in (Learner, Card, Session, Registration, Attendance, SkillReached)
    }


def _rows(sql: str) -> list:
    return db.session.execute(sa.text(sql), {"now": utcnow().replace(tzinfo=None)}).all()


def _this_monday():
    today = japan_today()
    return today - timedelta(days=today.weekday())


def test_a_fresh_demo_data_builds_this_years_past_and_a_second_run_adds_none(demo_app):
    first = _demo_data(demo_app)
    assert "過去の記録" in first
    with demo_app.app_context():
        built = _history_counts()
        assert built["learners"] == 800
        assert built["cards"] == 800
        monday = _this_monday()
        april = monday.replace(month=4, day=1) if monday.month >= 4 else None
        april = april or monday.replace(year=monday.year - 1, month=4, day=1)
        weeks = (monday - april).days / 7
        past = _count(Session, Session.starts_at < utcnow() - timedelta(days=7))
        if weeks >= 4:  # early in April there is hardly a past yet
            assert 10 * (weeks - 1) <= past <= 18 * (weeks + 1)
            assert 1_000 <= built["attendances"] <= 8 * past
        # Every learner signed up for something; most came back for another course.
        assert _count(Learner, ~Learner.id.in_(sa.select(Registration.learner_id))) == 0
        returning = _rows(
            """SELECT a.learner_id FROM attendances a JOIN sessions s ON s.id = a.session_id
                WHERE a.status IN ('present', 'late') GROUP BY a.learner_id
               HAVING count(DISTINCT s.course_version_id) > 1"""
        )
        assert len(returning) > 200

    second = _demo_data(demo_app)
    again = _demo_data(demo_app, "--scale", "city")
    with demo_app.app_context():
        assert _history_counts() == built
    assert "過去の記録(" not in second
    assert "空のデータベースで実行してください" in again


def test_the_past_keeps_every_rule_of_the_schedule_and_the_door(demo_app):
    _demo_data(demo_app)
    with demo_app.app_context():
        # No venue holds two classes at once, nor does any instructor or assistant teach two.
        assert not _rows(
            """SELECT a.id, b.id FROM sessions a JOIN sessions b
                 ON a.venue_id = b.venue_id AND a.id < b.id
                AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
              WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'"""
        )
        assert not _rows(
            """SELECT a.id, b.id FROM sessions a
                 JOIN session_staff x ON x.session_id = a.id
                 JOIN session_staff y ON y.user_id = x.user_id
                 JOIN sessions b ON b.id = y.session_id AND a.id < b.id
                WHERE a.starts_at < b.ends_at AND b.starts_at < a.ends_at
                  AND a.status <> 'cancelled' AND b.status <> 'cancelled'"""
        )
        # Each attendance belongs to a registered sign-up of the same class and person ...
        assert not _rows(
            """SELECT a.id FROM attendances a JOIN registrations r ON r.id = a.registration_id
                WHERE a.session_id <> r.session_id OR a.learner_id <> r.learner_id
                   OR r.status <> 'registered'"""
        )
        # ... and only classes that were held have any.
        assert not _rows(
            """SELECT a.id FROM attendances a JOIN sessions s ON s.id = a.session_id
                WHERE NOT (s.status = 'completed'
                           OR (s.status = 'scheduled' AND s.ends_at <= :now))"""
        )
        # Never more registered than seats; a waitlist only where the class is full.
        assert not _rows(
            """SELECT s.id FROM sessions s JOIN registrations r ON r.session_id = s.id
                GROUP BY s.id, s.capacity
               HAVING sum(CASE WHEN r.status = 'registered' THEN 1 ELSE 0 END) > s.capacity
                   OR (sum(CASE WHEN r.status = 'waitlisted' THEN 1 ELSE 0 END) > 0
                       AND sum(CASE WHEN r.status = 'registered' THEN 1 ELSE 0 END)
                           < s.capacity)"""
        )
        assert not _rows(
            """SELECT s.id FROM sessions s JOIN venues v ON v.id = s.venue_id
                WHERE s.capacity > v.capacity OR s.ends_at <= s.starts_at"""
        )
        # A skill is reached in a class of the course it belongs to.
        assert not _rows(
            """SELECT k.id FROM skills_reached k JOIN sessions s ON s.id = k.session_id
                 JOIN skills sk ON sk.id = k.skill_id
                WHERE sk.course_version_id <> s.course_version_id"""
        )
        # Nobody signs up before their record exists, nor is in two classes at once.
        assert not _rows(
            """SELECT r.id FROM registrations r JOIN learners l ON l.id = r.learner_id
                WHERE r.queued_at < l.created_at"""
        )
        assert not _rows(
            """SELECT a.id FROM registrations a JOIN sessions sa ON sa.id = a.session_id
                 JOIN registrations b ON b.learner_id = a.learner_id AND b.id > a.id
                 JOIN sessions sb ON sb.id = b.session_id
                WHERE sa.starts_at < sb.ends_at AND sb.starts_at < sa.ends_at
                  AND a.status <> 'cancelled' AND b.status <> 'cancelled'"""
        )
        # Every learner has exactly one working card.
        assert not _rows(
            """SELECT l.id FROM learners l LEFT JOIN cards c
                   ON c.learner_id = l.id AND c.revoked_at IS NULL
                GROUP BY l.id HAVING count(c.id) <> 1"""
        )
        # What was generated passes the rules a person typing it in would meet.
        for learner in db.session.scalars(sa.select(Learner)):
            assert check_furigana(learner.furigana) == learner.furigana
            assert normalize_phone(learner.phone) == learner.phone
            assert learner.birth_year is None or 1920 <= learner.birth_year <= 1990


def test_the_dashboards_questions_have_answers(demo_app):
    _demo_data(demo_app)
    with demo_app.app_context():
        by_district = dict(_rows("SELECT district, count(*) FROM learners GROUP BY district"))
        assert set(by_district) >= DEMO_DISTRICTS
        assert all(by_district[d] >= 30 for d in DEMO_DISTRICTS)
        assert 0 < by_district.get(None, 0) < 80  # a few said no district
        kinds = dict(_rows("SELECT kind, count(*) FROM learners GROUP BY kind"))
        assert kinds["senior"] > 0.7 * sum(kinds.values())
        assert kinds["neighborhood_leader"] > 0
        assert kinds["supporter"] > 0

        waitlists = _rows(
            """SELECT c.slug, count(*) FROM registrations r
                 JOIN sessions s ON s.id = r.session_id
                 JOIN course_versions v ON v.id = s.course_version_id
                 JOIN courses c ON c.id = v.course_id
                WHERE r.status = 'waitlisted' AND s.starts_at > :now
                GROUP BY c.slug ORDER BY count(*) DESC"""
        )
        assert waitlists[0][0] == "mynumber-card"
        assert waitlists[0][1] >= 2 * waitlists[1][1]

        statuses = dict(_rows("SELECT status, count(*) FROM attendances GROUP BY status"))
        assert statuses["present"] > statuses["late"] > 0
        assert statuses["excused"] > 0
        assert statuses["absent"] > 0
        sources = dict(_rows("SELECT source, count(*) FROM registrations GROUP BY source"))
        assert {"phone", "public", "partner", "walk_in"} <= set(sources)
        cancelled = _rows(
            "SELECT cancel_reason FROM sessions WHERE status = 'cancelled' AND starts_at < :now"
        )
        assert len(cancelled) >= 3
        assert all(reason for (reason,) in cancelled)

        # The data stays usable: a new person signs up behind the waiting list of a full class.
        full = db.session.scalar(
            sa.select(Session)
            .join(Registration, Registration.session_id == Session.id)
            .where(Registration.status == "waitlisted", Session.starts_at > utcnow())
            .limit(1)
        )
        newcomer = learner_service.create_learner(
            {"name": "新井 花子", "furigana": "あらい はなこ"}
        )
        assert ensure_card(newcomer).short_code
        assert registrations.register(full, newcomer, source="phone").status == "waitlisted"


def test_a_small_city_gets_the_size_it_asked_for(demo_app):
    _demo_data(demo_app)
    with demo_app.app_context():
        before = _history_counts()
        scale = HistoryScale(
            "tiny", fiscal_years=2, learners=600, sessions=200, attendances=5_000, city=True
        )
        report = build_history(scale, seed=3)
        after = _history_counts()

        assert report.learners == after["learners"] - before["learners"] == 600
        assert 180 <= report.sessions == after["sessions"] - before["sessions"] <= 220
        assert 4_500 <= report.attendances == after["attendances"] - before["attendances"]
        assert report.attendances <= 5_500
        assert len(report.by_year) == 2

        # Twelve districts with two to four venues each, and learners in every one of them.
        venues = dict(_rows("SELECT district, count(*) FROM venues GROUP BY district"))
        assert len(venues) == 12
        assert all(2 <= n <= 4 for n in venues.values())
        with_learners = {d for (d,) in _rows("SELECT DISTINCT district FROM learners")}
        assert set(venues) <= with_learners
        assert not _rows(
            """SELECT a.id FROM sessions a JOIN sessions b
                 ON a.venue_id = b.venue_id AND a.id < b.id
                AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
              WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'"""
        )
        assert _count(Venue) == 6 + report.venues

        # Rows added afterwards through the services get ids of their own.
        learner = learner_service.create_learner({"name": "後 一人", "furigana": "あと ひとり"})
        assert learner.id > after["learners"]
        assert ensure_card(learner).id > after["cards"]


def test_without_the_demo_city_the_history_says_what_to_run_and_adds_nothing(demo_app):
    with demo_app.app_context():
        with pytest.raises(DemoCityMissing) as refused:
            build_history("city")
        assert "flask --app app demo-data" in refused.value.message
        assert _count(Venue) == 0
        assert _count(Learner) == 0


def test_in_the_first_days_of_april_the_past_is_the_whole_last_nendo():
    """The 年度 of the history are counted back from its last day: on 1 April the new 年度
    has no past yet, and the demo shows the year just ended instead of nothing."""
    two_years = HistoryScale("tiny", fiscal_years=2, learners=10)
    assert history_period(two_years, date(2027, 4, 1)) == (date(2025, 4, 1), date(2027, 3, 31))
    assert history_period(two_years, date(2027, 4, 2)) == (date(2026, 4, 1), date(2027, 4, 1))
    # The demo's plan starts on Monday 29 March; its past ends the Sunday before.
    demo = SCALES["demo"]
    assert history_period(demo, date(2027, 4, 1), until=date(2027, 3, 28)) == (
        date(2026, 4, 1),
        date(2027, 3, 28),
    )
