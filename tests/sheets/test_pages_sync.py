"""The sheet on the organization page: linking it, "Sync now" (a queued job, run here as a
worker would) against the local Sheets API server, the job followed until it is done, the
sync log with its counts and refusals, and who may do what."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.people.models import Registration
from app.sheets.models import SheetLink, SyncRun
from app.sheets.sync import link_sheet
from app.sheets.tables import SIGNUPS, SIGNUPS_HEADER
from app.timeutil import japan_today, utcnow
from tests.conftest import login, run_jobs
from tests.sheets.sheets_api_server import SheetsAPIServer

KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"


@pytest.fixture
def api_server():
    with SheetsAPIServer() as server:
        yield server
    assert server.internal_errors == []


@pytest.fixture
def world(make, app, api_server):
    app.config.update(
        SHEETS_API_URL=api_server.url,
        SHEETS_ACCESS_TOKEN="t",
        SHEETS_CREDENTIALS=None,
        SHEETS_BACKOFF_BASE=0.001,
        SHEETS_MAX_ATTEMPTS=5,
    )
    ours = make.org(slug="npo-ours", name="NPOつなぐ")
    theirs = make.org(slug="npo-theirs", name="NPOほか")
    session = make.session(
        course=make.course(title="スマートフォンの基本操作"),
        day=japan_today() + timedelta(days=6),
        capacity=10,
        partner_org=ours.slug,
    )
    return {
        "server": api_server,
        "ours": ours,
        "theirs": theirs,
        "session": session,
        "partner": make.user("partner", org=ours, name="つなぐ担当"),
        "other_partner": make.user("partner", org=theirs),
        "coordinator": make.user("coordinator"),
        "instructor": make.user("instructor", org=ours),
    }


def _signup_rows(session_id: int) -> list[list[str]]:
    """Two sign-ups as a partner types them: one good, one with a phone number too short."""
    good = [str(session_id), "", "", "", "山田 花子", "やまだ はなこ", "090-1111-2222", "1948", ""]
    bad = [str(session_id), "", "", "", "佐藤 一郎", "さとう いちろう", "090-12-34", "1950", ""]
    return [SIGNUPS_HEADER, good, bad]


def _follow(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _sync_now(client, app, org_id: int) -> str:
    """Press 「今すぐ同期」, let a worker run what it queued, and open the page it came back to."""
    response = client.post(f"/orgs/{org_id}/sync")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    run_jobs(app, scheduled=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _log_row(page: str, run_id: int) -> str:
    found = re.search(rf'<tr id="run-{run_id}">(.*?)</tr>', page, re.S)
    assert found, f"run {run_id} is not in the log"
    return found.group(1)


def _count(row: str, name: str) -> str:
    found = re.search(rf'data-count="{name}">\s*(\d+)', row)
    return found.group(1) if found else ""


def _runs() -> list[SyncRun]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SyncRun).order_by(SyncRun.id)))


# ---------------------------------------------------------------- linking


def test_a_partner_links_their_spreadsheet_by_its_url(world, client):
    login(client, world["partner"])
    url = f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0"

    page = _follow(
        client, client.post(f"/orgs/{world['ours'].id}/sheet", data={"spreadsheet": url})
    )

    assert "つなぎました" in page
    assert f"<code>{KEY}</code>" in page
    assert f'href="https://docs.google.com/spreadsheets/d/{KEY}/edit"' in page
    link = db.session.scalar(sa.select(SheetLink).where(SheetLink.org_id == world["ours"].id))
    assert link.spreadsheet_key == KEY
    assert link.linked_by_id == world["partner"].id


@pytest.mark.parametrize(
    "typed", ["https://example.com/spreadsheets/x", "not a key", "", "https://docs.google.com/"]
)
def test_a_bad_url_is_refused_beside_the_field(typed, world, client):
    login(client, world["partner"])

    response = client.post(f"/orgs/{world['ours'].id}/sheet", data={"spreadsheet": typed})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(r'id="spreadsheet-error">([^<]*)<', page)
    assert error
    assert "https://docs.google.com/spreadsheets/d/" in error.group(1)
    assert db.session.scalar(sa.select(sa.func.count(SheetLink.id))) == 0


def test_nobody_links_or_syncs_another_organizations_sheet(world, client):
    link_sheet(world["theirs"], KEY)
    login(client, world["partner"])
    theirs = world["theirs"].id
    assert client.post(f"/orgs/{theirs}/sheet", data={"spreadsheet": KEY}).status_code == 404
    assert client.post(f"/orgs/{theirs}/sync").status_code == 404
    assert world["server"].calls == 0


def test_instructors_may_neither_link_nor_sync(world, client):
    login(client, world["instructor"])
    ours = world["ours"].id
    assert client.post(f"/orgs/{ours}/sheet", data={"spreadsheet": KEY}).status_code == 403
    assert client.post(f"/orgs/{ours}/sync").status_code == 403


# ---------------------------------------------------------------- Sync now


def test_sync_now_shows_the_run_in_the_log_with_its_counts_and_refusals(world, client, app):
    server, ours = world["server"], world["ours"]
    key = server.create_spreadsheet(
        "NPOつなぐ", sheets={SIGNUPS: _signup_rows(world["session"].id)}
    )
    link_sheet(ours, key)
    login(client, world["partner"])

    before = client.get(f"/orgs/{ours.id}").get_data(as_text=True)
    assert 'id="sync-button"' in before
    page = _sync_now(client, app, ours.id)

    [run] = _runs()
    assert (run.outcome, run.trigger, run.started_by_id) == ("ok", "button", world["partner"].id)
    assert run.rows_imported == 1
    assert run.rows_refused == 1
    assert run.api_calls == server.calls
    assert "同期しました" in page
    assert "取り込んだ申込 1" in page
    row = _log_row(page, run.id)
    assert _count(row, "imported") == "1"
    assert _count(row, "refused") == "1"
    assert _count(row, "pushed") == str(run.rows_pushed)
    assert run.rows_pushed >= 2
    assert _count(row, "api_calls") == str(server.calls)
    assert "つなぐ担当" in row
    assert "成功" in row
    reason = run.refusals[0]["reason"]
    assert run.refusals[0]["row"] == 3
    assert "090-12-34" in reason
    assert f"3行目: {reason}" in row
    # The sheet tells the partner the same, next to the row.
    signups = server.get_values(key, SIGNUPS, render="FORMATTED_VALUE")
    assert signups[1][-1].startswith("登録済 R-")
    assert signups[2][-1] == reason
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1


def test_each_runs_refusals_have_a_page_of_their_own(world, client, app):
    key = world["server"].create_spreadsheet(
        "NPOつなぐ", sheets={SIGNUPS: _signup_rows(world["session"].id)}
    )
    link_sheet(world["ours"], key)
    login(client, world["coordinator"])
    _sync_now(client, app, world["ours"].id)
    [run] = _runs()

    page = client.get(f"/orgs/{world['ours'].id}/sync-runs/{run.id}").get_data(as_text=True)

    assert f"3行目: {run.refusals[0]['reason']}" in page
    assert "「今すぐ同期」ボタン" in page
    assert client.get(f"/orgs/{world['theirs'].id}/sync-runs/{run.id}").status_code == 404
    login(client, world["other_partner"])
    assert client.get(f"/orgs/{world['ours'].id}/sync-runs/{run.id}").status_code == 404


def test_a_sync_while_another_holds_the_lock_waits_and_runs_after_it(world, client, app):
    link = link_sheet(world["ours"], world["server"].create_spreadsheet("NPOつなぐ"))
    link.lock_token, link.locked_at = "held-by-another-sync", utcnow()
    db.session.commit()
    login(client, world["partner"])

    response = client.post(f"/orgs/{world['ours'].id}/sync")
    run_jobs(app)  # the first attempt finds the lock taken: it waits for a later attempt
    page = client.get(response.headers["Location"]).get_data(as_text=True)

    assert "この団体の同期は実行中です" in page
    assert "同期を再試行します" in page
    assert _runs() == []
    assert world["server"].calls == 0
    link.lock_token = link.locked_at = None  # the other sync ends
    db.session.commit()
    run_jobs(app, scheduled=True)
    [run] = _runs()
    assert run.outcome == "ok"


def test_a_failed_sync_is_shown_as_failed_with_its_reason(world, client, app):
    app.config["SHEETS_MAX_ATTEMPTS"] = 2
    link_sheet(world["ours"], world["server"].create_spreadsheet("NPOつなぐ"))
    world["server"].fail_next(10, 500)
    login(client, world["coordinator"])

    page = _sync_now(client, app, world["ours"].id)

    # Google's 500s may pass: the job tried JOB_ATTEMPTS times, each run in the log.
    runs = _runs()
    assert len(runs) == app.config["JOB_ATTEMPTS"]
    run = runs[-1]
    assert {r.outcome for r in runs} == {"failed"}
    assert run.api_calls == 2
    assert "同期できませんでした" in page
    row = _log_row(page, run.id)
    assert "失敗" in row
    assert run.error in row
    assert "500" in run.error


def test_sync_now_without_a_linked_sheet_says_so(world, client):
    login(client, world["partner"])
    page = client.get(f"/orgs/{world['ours'].id}").get_data(as_text=True)
    assert 'id="sync-button"' not in page
    assert "まだつながっていません" in page

    page = _follow(client, client.post(f"/orgs/{world['ours'].id}/sync"))

    assert "スプレッドシートがつながっていません" in page
    assert _runs() == []


def test_instructors_may_not_read_the_sync_log(world, client, app):
    link_sheet(world["ours"], world["server"].create_spreadsheet("NPOつなぐ"))
    login(client, world["coordinator"])
    _sync_now(client, app, world["ours"].id)
    [run] = _runs()
    login(client, world["instructor"])
    assert client.get(f"/orgs/{world['ours'].id}/sync-runs/{run.id}").status_code == 403
