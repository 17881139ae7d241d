"""Retention: learners nobody has seen for RETENTION_YEARS are anonymized (figures kept),
old audit entries and sync logs are deleted, in one run that is itself logged. Explicit
dates throughout: the machine's date plays no part."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
import sqlalchemy as sa
import time_machine

from app.calendars.models import CalendarToken, FeedOwner
from app.checkin.models import Attendance
from app.core.models import AuditEntry, record
from app.extensions import db
from app.maintenance.retention import RETENTION_RUN, run_retention, years_before
from app.people.cards import issue_card
from app.people.learners import create_learner, search
from app.people.models import Card, Learner, Registration
from app.people.registration import cancel, register
from app.sheets.models import SignupImport, SyncRun
from tests.conftest import login, make_app

LONG_AGO = datetime.fromisoformat("2025-04-10T10:00:00+09:00")  # 6 years before TODAY
LAST_YEAR = datetime.fromisoformat("2030-05-20T10:00:00+09:00")
TODAY = date(2031, 6, 1)
NOW = datetime.fromisoformat("2031-06-01T03:00:00+09:00")  # Japan's 1 June, UTC's 31 May


def _learner(n: int, **extra) -> Learner:
    raw = {
        "name": f"山田{n}",
        "furigana": "やまだ" + "あいうえおかきくけこ"[n],
        "phone": f"090-0000-000{n}",
        "birth_year": "1948",
        "district": "中央",
        "consent": True,
    }
    raw.update(extra)
    learner = create_learner(raw)
    issue_card(learner)
    return learner


@pytest.fixture
def people(make):
    """gone: signed up and came six years ago, nothing since. back: signed up six years
    ago, came back last year. cancelled: registered long ago, cancelled last year. new: made
    last year, never registered. future: made long ago, registered for a session to come."""
    coordinator = make.user("coordinator")
    with time_machine.travel(LONG_AGO, tick=False):
        old_session = make.session()
        gone = _learner(1, notes="耳が遠い。娘さん 080-1111-2222", phone2="03-1234-5678")
        gone.needs_hearing = True
        db.session.add(
            CalendarToken(owner_type=FeedOwner.LEARNER, owner_id=gone.id, token="feed-of-gone")
        )
        back = _learner(2)
        cancelled = _learner(3)
        future = _learner(4)
        for who in (gone, back, cancelled):
            registration = register(old_session, who, source="phone")
        db.session.add(
            Attendance(
                registration_id=db.session.scalar(
                    sa.select(Registration.id).where(Registration.learner_id == gone.id)
                ),
                session_id=old_session.id,
                learner_id=gone.id,
                status="present",
                checked_in_at=LONG_AGO,
                method="qr",
            )
        )
        db.session.commit()
        record("ancient.thing", "learner", gone.id)
        db.session.commit()
    with time_machine.travel(LAST_YEAR, tick=False):
        new = _learner(5)
        recent_session = make.session()
        register(recent_session, back, source="phone")
        cancel(registration, coordinator)  # cancelled's registration (the last one made)
        with time_machine.travel(datetime.fromisoformat("2031-07-01T10:00:00+09:00")):
            coming = make.session()
        register(coming, future, source="phone")
    return {
        "coordinator": coordinator,
        "gone": gone.id,
        "back": back.id,
        "cancelled": cancelled.id,
        "new": new.id,
        "future": future.id,
    }


def _get(learner_id: int) -> Learner:
    db.session.expire_all()
    return db.session.get_one(Learner, learner_id)


def test_a_learner_nobody_has_seen_for_five_years_is_anonymized_figures_kept(app, people, client):
    gone = _get(people["gone"])
    code = gone.active_card.short_code
    with time_machine.travel(NOW, tick=False):
        report = run_retention()
    assert report.today == TODAY  # Japan's day, though UTC's is still 31 May
    assert report.learners_before == date(2026, 6, 1)
    assert report.learners_anonymized == 1
    assert (report.cards_revoked, report.feeds_revoked) == (1, 1)

    gone = _get(people["gone"])
    assert gone.anonymized_at is not None
    assert gone.name == "削除済み"
    assert (gone.stored_name, gone.furigana, gone.furigana_key, gone.notes) == ("", "", "", "")
    assert (gone.phone, gone.phone2, gone.phone_key) == (None, None, None)
    assert gone.needs_hearing is False
    assert (gone.birth_year, gone.district) == (1948, "中央")  # figures for the reports
    assert all(card.revoked_at is not None for card in gone.cards)
    feed = db.session.scalar(sa.select(CalendarToken).where(CalendarToken.token == "feed-of-gone"))
    assert feed.revoked_at is not None
    # Registrations and attendance stay: past reports still count this person.
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Registration.id)).where(Registration.learner_id == gone.id)
        )
        == 1
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Attendance.id)).where(Attendance.learner_id == gone.id)
        )
        == 1
    )

    for name in ("back", "cancelled", "new", "future"):
        kept = _get(people[name])
        assert kept.anonymized_at is None, name
        assert kept.name.startswith("山田"), name
        assert kept.active_card is not None, name

    coordinator = people["coordinator"]
    assert {found.id for found in search(coordinator, "山田")} == {
        people[n] for n in ("back", "cancelled", "new", "future")
    }
    assert search(coordinator, "やまだあ") == []
    assert search(coordinator, code) == []
    assert search(coordinator, "090-0000-0001") == []

    login(client, coordinator)
    page = client.get(f"/learners/{people['gone']}").get_data(as_text=True)
    assert "削除済み" in page
    assert "山田1" not in page
    assert "080-1111-2222" not in page

    with time_machine.travel(NOW, tick=False):
        assert run_retention().learners_anonymized == 0  # once is enough


def test_old_audit_entries_and_sync_logs_go_and_the_run_is_logged(app, make, people):
    org = make.org()
    with time_machine.travel(datetime.fromisoformat("2031-02-01T10:00:00+09:00"), tick=False):
        old_run = SyncRun(org_id=org.id, trigger="cli", outcome="ok")
        db.session.add(old_run)
        db.session.flush()
        imported = SignupImport(
            org_id=org.id, fingerprint="f" * 64, status_text="登録済", sync_run_id=old_run.id
        )
        db.session.add(imported)
        db.session.commit()
    with time_machine.travel(datetime.fromisoformat("2031-05-01T10:00:00+09:00"), tick=False):
        recent_run = SyncRun(org_id=org.id, trigger="cli", outcome="ok")
        db.session.add(recent_run)
        db.session.commit()
    ancient = db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.at < datetime(2026, 1, 1, tzinfo=NOW.tzinfo)
        )
    )
    assert ancient >= 1
    total = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))

    with time_machine.travel(NOW, tick=False):
        report = run_retention()

    assert report.audit_entries_deleted == ancient
    assert report.sync_runs_deleted == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == total - ancient + 1
    assert [r.id for r in db.session.scalars(sa.select(SyncRun))] == [recent_run.id]
    kept = db.session.scalar(sa.select(SignupImport))
    assert (kept.fingerprint, kept.sync_run_id) == ("f" * 64, None)  # still never imported twice
    run = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == RETENTION_RUN))
    assert run.details["learners_anonymized"] == 1
    assert run.details["audit_entries_deleted"] == ancient
    assert run.details["sync_runs_deleted"] == 1
    assert run.details["learners_before"] == "2026-06-01"


def test_dry_run_counts_the_same_and_changes_nothing(app, people, runner):
    tables = (Learner, Card, CalendarToken, AuditEntry, SyncRun)

    def state():
        db.session.expire_all()
        return [
            [
                tuple(row)
                for row in db.session.execute(sa.select(*t.__table__.columns).order_by(t.id))
            ]
            for t in tables
        ]

    before = state()
    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(args=["retention", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    would = json.loads(result.output)
    assert would["dry_run"] is True
    assert would["learners_anonymized"] == 1
    assert state() == before

    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    assert "1 人を匿名化" in result.output
    assert "2026-06-01" in result.output
    assert _get(people["gone"]).anonymized_at is not None


def test_the_periods_come_from_the_environment_and_are_checked(
    app, database, people, tmp_path, monkeypatch
):
    monkeypatch.setenv("RETENTION_YEARS", "10")
    same_database = make_app(database, tmp_path)  # the app fixture's database, new config
    with time_machine.travel(NOW, tick=False):
        result = same_database.test_cli_runner().invoke(args=["retention", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["learners_before"] == "2021-06-01"
    assert report["learners_anonymized"] == 0

    monkeypatch.setenv("AUDIT_RETENTION_YEARS", "0")
    with time_machine.travel(NOW, tick=False):
        result = make_app(database, tmp_path).test_cli_runner().invoke(args=["retention"])
    assert result.exit_code == 1
    assert "AUDIT_RETENTION_YEARS" in result.output
    assert _get(people["gone"]).anonymized_at is None
    with same_database.app_context():
        db.engine.dispose()


def test_years_before_keeps_the_day_and_leap_days_fall_back():
    assert years_before(date(2031, 6, 1), 5) == date(2026, 6, 1)
    assert years_before(date(2028, 2, 29), 5) == date(2023, 2, 28)
