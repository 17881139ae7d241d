"""The Sheets sync end to end: gspread's real client over HTTP to a local Sheets API v4 server.

First sync, the round trip a partner does (type sign-ups, sync, read the answers), idempotence,
constant API calls at any size, dry runs and the one-sync-at-a-time lock.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from app.errors import Conflict
from app.extensions import db
from app.orgs.models import Organization
from app.people.models import Learner, Registration
from app.sheets.models import SheetLink, SignupImport, SyncRun
from app.sheets.sync import link_of, link_sheet, sync_org
from app.sheets.tables import (
    CLASSES,
    CLASSES_HEADER,
    ROSTER,
    ROSTER_HEADER,
    SIGNUPS,
    SIGNUPS_HEADER,
)
from app.timeutil import utcnow
from bench.sheets_sync import add_roster
from tests.sheets.conftest import signup

WRITE_ENDPOINTS = {
    "spreadsheets.batchUpdate",
    "values.update",
    "values.append",
    "values.clear",
    "values.batchUpdate",
    "values.batchClear",
}


def writes(server) -> list[str]:
    return [c.endpoint for c in server.call_log if c.endpoint in WRITE_ENDPOINTS]


def three_signups(partner):
    """The partner's three phone-in sign-ups; the third has a phone number too short."""
    basics = partner.sessions["basics"]
    return [
        signup(basics, name="山田 花子", furigana="やまだ はなこ", phone="090-1111-2222"),
        signup(basics, name="佐藤 一郎", furigana="さとう いちろう", phone="080-3333-4444"),
        signup(basics, name="鈴木 次郎", furigana="すずき じろう", phone="090-12-34"),
    ]


# ---------------------------------------------------------------- first sync


def test_first_sync_creates_the_three_worksheets_with_headers_and_text_columns(partner):
    report = partner.sync()

    assert report.outcome == "ok", report.error
    assert report.created_worksheets == [CLASSES, ROSTER, SIGNUPS]
    assert partner.server.sheet_titles(partner.key) == ["Sheet1", CLASSES, ROSTER, SIGNUPS]
    assert partner.sheet(CLASSES)[0] == CLASSES_HEADER
    assert partner.sheet(ROSTER) == [ROSTER_HEADER]
    assert partner.sheet(SIGNUPS) == [SIGNUPS_HEADER]
    # Phone and birth year are plain text below the header, so a typed 090… keeps its zero.
    phone = "ABCDEFGHIJ"[SIGNUPS_HEADER.index("電話番号")]
    birth = "ABCDEFGHIJ"[SIGNUPS_HEADER.index("生まれ年")]
    for cell in (f"{phone}2", f"{phone}500", f"{birth}2", f"{birth}900"):
        assert partner.server.sheet_format(partner.key, SIGNUPS, cell) == {"type": "TEXT"}
    assert partner.server.sheet_format(partner.key, SIGNUPS, "E2") is None
    partner.type_signups([signup(partner.sessions["basics"], phone="09012345678")])
    assert partner.stored(SIGNUPS)[1][SIGNUPS_HEADER.index("電話番号")] == "09012345678"


def test_classes_hold_this_organizations_sessions_from_30_days_back_to_90_ahead(partner):
    partner.sync()

    classes = partner.sheet(CLASSES)
    ids = [row[0] for row in classes[1:]]
    s = partner.sessions
    assert ids == [str(s["last_week"].id), str(s["basics"].id), str(s["line"].id)]
    assert str(s["other_org"].id) not in ids  # another organization's, the same day
    assert str(s["long_ago"].id) not in ids  # 40 days back
    assert str(s["far_ahead"].id) not in ids  # 100 days ahead
    basics = dict(zip(CLASSES_HEADER, classes[2], strict=True))
    assert basics["日付"] == partner.day.isoformat()
    assert (basics["開始"], basics["終了"]) == ("10:00", "11:00")
    assert (basics["講座"], basics["会場"], basics["定員"]) == (
        "スマートフォンの基本操作",
        "中央公民館",
        "20",
    )


def test_first_sync_is_logged_with_its_calls(partner):
    report = partner.sync()

    (run,) = partner.runs()
    assert run.outcome == "ok"
    assert run.trigger == "button"
    assert run.started_by_id == partner.user.id
    assert run.rows_pushed == 3  # three Classes rows, no registrations yet
    assert run.api_calls == report.api_calls == partner.server.calls
    # metadata; no batchGet (nothing to read yet); one structural and one values write
    assert partner.server.calls_by_endpoint() == {
        "spreadsheets.get": 1,
        "spreadsheets.batchUpdate": 1,
        "values.batchUpdate": 1,
    }
    assert run.finished_at is not None
    assert run.duration_ms is not None
    assert link_of(partner.org).lock_token is None


# ---------------------------------------------------------------- the round trip


def test_push_then_pull_round_trip(synced):
    partner = synced
    partner.type_signups(three_signups(partner))

    report = partner.sync()

    assert report.outcome == "ok", report.error
    regs = partner.registrations()
    assert len(regs) == 2
    assert {r.source for r in regs} == {"partner"}
    assert {r.status for r in regs} == {"registered"}
    assert {r.session_id for r in regs} == {partner.sessions["basics"].id}
    names = {db.session.get(Learner, r.learner_id).name for r in regs}
    assert names == {"山田 花子", "佐藤 一郎"}
    assert partner.signup_status(2) == f"登録済 R-{regs[0].id}"
    assert partner.signup_status(3) == f"登録済 R-{regs[1].id}"
    refusal = partner.signup_status(4)
    # In plain Japanese: what is wrong, what is expected, and what was typed.
    assert refusal == "携帯電話の番号は11桁です(例: 090-1234-5678): 090-12-34"

    roster = partner.sheet(ROSTER)
    assert [row[0] for row in roster[1:]] == [f"R-{regs[0].id}", f"R-{regs[1].id}"]
    assert [row[4] for row in roster[1:]] == ["山田 花子", "佐藤 一郎"]
    assert {row[7] for row in roster[1:]} == {"登録済"}
    basics_row = next(
        r for r in partner.sheet(CLASSES) if r[0] == str(partner.sessions["basics"].id)
    )
    assert basics_row[CLASSES_HEADER.index("申込")] == "2"

    run = partner.runs()[-1]
    assert (run.outcome, run.rows_imported, run.rows_refused) == ("ok", 2, 1)
    assert run.refusals == [{"row": 4, "reason": refusal}]
    assert run.api_calls == partner.server.calls == 3
    assert partner.server.calls_by_endpoint() == {
        "spreadsheets.get": 1,
        "values.batchGet": 1,
        "values.batchUpdate": 1,
    }
    (write,) = [c for c in partner.server.call_log if c.endpoint == "values.batchUpdate"]
    assert write.body["valueInputOption"] == "RAW"


def test_reads_turn_numeric_parsing_off(synced):
    partner = synced
    partner.type_signups(three_signups(partner))

    partner.sync()

    (read,) = [c for c in partner.server.call_log if c.endpoint == "values.batchGet"]
    assert read.query["valueRenderOption"] == ["FORMATTED_VALUE"]
    assert sorted(read.query["ranges"]) == sorted(["'Classes'", "'Roster'", "'Signups'"])


# ---------------------------------------------------------------- idempotence


def test_a_second_sync_right_after_writes_nothing(synced):
    partner = synced
    partner.type_signups(three_signups(partner))
    partner.sync()
    before = {title: partner.stored(title) for title in (CLASSES, ROSTER, SIGNUPS)}
    counts = _counts()
    partner.server.reset_calls()

    report = partner.sync()

    assert report.outcome == "ok"
    assert (report.rows_imported, report.rows_pushed) == (0, 0)
    assert len(report.refusals) == 1  # the refused row is still refused, and still says why
    assert writes(partner.server) == []
    assert partner.server.calls_by_endpoint() == {"spreadsheets.get": 1, "values.batchGet": 1}
    assert {t: partner.stored(t) for t in before} == before
    assert _counts() == counts


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Learner, Registration, SignupImport)
    }


def test_fixing_a_refused_row_imports_only_that_row(synced):
    partner = synced
    partner.type_signups(three_signups(partner))
    partner.sync()
    first_two = [r.id for r in partner.registrations()]
    phone_column = "ABCDEFGHIJ"[SIGNUPS_HEADER.index("電話番号")]
    partner.server.set_values(partner.key, SIGNUPS, [["090-1234-5678"]], start=f"{phone_column}4")

    fixed = partner.sync()
    again = partner.sync()

    assert (fixed.rows_imported, len(fixed.refusals)) == (1, 0)
    regs = partner.registrations()
    assert [r.id for r in regs[:2]] == first_two
    assert len(regs) == 3
    assert partner.signup_status(4) == f"登録済 R-{regs[2].id}"
    assert partner.signup_status(2) == f"登録済 R-{first_two[0]}"
    assert (again.rows_imported, again.rows_pushed, again.refusals) == (0, 0, [])
    assert len(partner.registrations()) == 3
    assert len(partner.sheet(ROSTER)) == 1 + 3


def test_editing_an_imported_row_does_not_import_it_again(synced):
    partner = synced
    partner.type_signups(three_signups(partner)[:1])
    partner.sync()
    (reg,) = partner.registrations()
    # The partner changes the name in a row Dekiru already took in; its status stays.
    name_column = "ABCDEFGHIJ"[SIGNUPS_HEADER.index("お名前")]
    partner.server.set_values(partner.key, SIGNUPS, [["山田 はな子"]], start=f"{name_column}2")

    report = partner.sync()

    assert report.rows_imported == 0
    assert [r.id for r in partner.registrations()] == [reg.id]
    assert partner.signup_status(2) == f"登録済 R-{reg.id}"


# ---------------------------------------------------------------- cost at size


def _roster_org(make, sheets_server, slug, sessions, per_session):
    org = make.org(slug=slug)
    course = make.course(slug=f"{slug}-course")
    venue = make.venue(capacity=60)
    add_roster(
        org,
        course.current_version,
        venue,
        sessions=sessions,
        per_session=per_session,
    )
    key = sheets_server.create_spreadsheet(slug)
    link_sheet(org, key)
    return org, key


def test_a_10000_row_roster_takes_as_many_api_calls_as_a_10_row_one(
    make, sheets_app, sheets_server
):
    small, small_key = _roster_org(make, sheets_server, "npo-small", sessions=1, per_session=10)
    big, big_key = _roster_org(make, sheets_server, "npo-big", sessions=250, per_session=40)

    calls = {}
    for org, key in ((small, small_key), (big, big_key)):
        sheets_server.reset_calls()
        first = sync_org(org)
        # The partner types three sign-ups, then syncs again: pull, write back, push again.
        session_id = sheets_server.get_values(key, CLASSES)[1][0]
        sheets_server.set_values(
            key,
            SIGNUPS,
            [[session_id, "", "", "", f"新規{n}", "しんき", f"070-0000-000{n}"] for n in range(3)],
            start="A2",
        )
        second = sync_org(org)
        assert (first.outcome, second.outcome) == ("ok", "ok"), (first.error, second.error)
        assert second.rows_imported == 3
        calls[org.slug] = (first.api_calls, second.api_calls, sheets_server.calls_by_endpoint())

    assert len(sheets_server.get_values(big_key, ROSTER)) == 1 + 10_000 + 3
    assert len(sheets_server.get_values(small_key, ROSTER)) == 1 + 10 + 3
    assert calls["npo-big"] == calls["npo-small"]
    # metadata + structural write + values write; then metadata + batchGet + values write
    assert calls["npo-big"][:2] == (3, 3)


# ---------------------------------------------------------------- dry run


def test_dry_run_reports_what_would_change_and_writes_nothing(synced):
    partner = synced
    partner.type_signups(three_signups(partner))
    before = partner.stored(SIGNUPS)
    runs = len(partner.runs())
    counts = _counts()

    report = partner.sync(dry=True)

    assert report.dry_run
    assert report.outcome == "ok"
    assert report.rows_imported == 2
    assert [r["row"] for r in report.refusals] == [4]
    assert "090-12-34" in report.refusals[0]["reason"]
    assert report.rows_pushed == 3 + 2  # Classes' counts change, and two Roster rows appear
    assert report.run_id is None
    assert writes(partner.server) == []
    assert partner.stored(SIGNUPS) == before
    assert _counts() == counts
    assert len(partner.runs()) == runs
    assert link_of(partner.org).lock_token is None

    real = partner.sync()
    assert (real.rows_imported, len(real.refusals)) == (2, 1)
    assert partner.signup_status(2).startswith("登録済 R-")


def test_dry_run_on_a_new_spreadsheet_names_the_worksheets_it_would_create(partner):
    report = partner.sync(dry=True)

    assert report.created_worksheets == [CLASSES, ROSTER, SIGNUPS]
    assert partner.server.sheet_titles(partner.key) == ["Sheet1"]
    assert writes(partner.server) == []
    assert partner.runs() == []


# ---------------------------------------------------------------- one sync at a time


def test_two_syncs_of_one_organization_never_run_at_once(synced):
    partner = synced
    partner.type_signups(three_signups(partner))
    partner.server.latency = 0.3  # the first sync is still talking to Sheets…
    app = current_app._get_current_object()
    outcome = {}

    def first_sync():
        with app.app_context():
            org = db.session.get(Organization, partner.org.id)
            outcome["report"] = sync_org(org, trigger="cli")

    thread = threading.Thread(target=first_sync)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while partner.server.calls == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert partner.server.calls > 0

        with pytest.raises(Conflict) as refused:  # …when a second one is started
            sync_org(partner.org, actor=partner.user, trigger="button")
    finally:
        thread.join(timeout=30)

    assert refused.value.code == "sync_running"
    assert "実行中" in refused.value.message
    assert outcome["report"].outcome == "ok"
    assert len(partner.registrations()) == 2
    db.session.expire_all()
    assert [r.trigger for r in partner.runs()][-1] == "cli"
    assert link_of(partner.org).lock_token is None
    partner.server.latency = 0
    assert partner.sync().rows_imported == 0


def _hold_lock(org, minutes_ago: int) -> None:
    db.session.execute(
        sa.update(SheetLink)
        .where(SheetLink.org_id == org.id)
        .values(
            lock_token="held-by-another-process",
            locked_at=utcnow() - timedelta(minutes=minutes_ago),
        )
    )
    db.session.commit()


def test_a_sync_holding_the_lock_refuses_another(synced):
    partner = synced
    _hold_lock(partner.org, minutes_ago=14)
    runs = len(partner.runs())

    with pytest.raises(Conflict) as refused:
        partner.sync()

    assert refused.value.code == "sync_running"
    assert partner.server.calls == 0
    assert len(partner.runs()) == runs


def test_a_lock_older_than_15_minutes_is_taken_over(synced):
    partner = synced
    partner.type_signups(three_signups(partner))
    _hold_lock(partner.org, minutes_ago=16)

    report = partner.sync()

    assert report.outcome == "ok"
    assert report.rows_imported == 2
    assert link_of(partner.org).lock_token is None


def test_the_run_log_is_shared_by_button_and_cli(synced):
    partner = synced
    partner.sync(trigger="cli", actor=None)

    run = db.session.scalar(sa.select(SyncRun).order_by(SyncRun.id.desc()))
    assert (run.trigger, run.started_by_id, run.outcome) == ("cli", None, "ok")
