"""`flask --app app link-sheet` and `flask --app app sync-sheets`, as cron or a timer runs them,
against the local Sheets API server."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.people.models import Registration
from app.sheets.models import SheetLink, SignupImport, SyncRun
from app.sheets.sync import link_sheet
from app.sheets.tables import SIGNUPS, SIGNUPS_HEADER
from app.timeutil import japan_today, utcnow
from tests.sheets.sheets_api_server import SheetsAPIServer

KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
WRITES = {
    "spreadsheets.batchUpdate",
    "values.update",
    "values.append",
    "values.clear",
    "values.batchUpdate",
    "values.batchClear",
}


@pytest.fixture
def api_server():
    with SheetsAPIServer() as server:
        yield server
    assert server.internal_errors == []


@pytest.fixture
def orgs(make, app, api_server):
    """Two linked partners (one with sign-ups typed in its sheet) and one without a sheet."""
    app.config.update(
        SHEETS_API_URL=api_server.url,
        SHEETS_ACCESS_TOKEN="t",
        SHEETS_CREDENTIALS=None,
        SHEETS_BACKOFF_BASE=0.001,
        SHEETS_MAX_ATTEMPTS=5,
    )
    busy, quiet = make.org(slug="npo-busy"), make.org(slug="npo-quiet")
    make.org(slug="npo-unlinked")
    session = make.session(
        day=japan_today() + timedelta(days=4), capacity=10, partner_org=busy.slug
    )
    rows = [
        SIGNUPS_HEADER,
        [str(session.id), "", "", "", "山田 花子", "やまだ はなこ", "090-1111-2222", "", ""],
        [str(session.id), "", "", "", "佐藤 一郎", "さとう いちろう", "090-12-34", "", ""],
    ]
    busy_key = api_server.create_spreadsheet("busy", sheets={SIGNUPS: rows})
    link_sheet(busy, busy_key)
    link_sheet(quiet, api_server.create_spreadsheet("quiet"))
    return {"busy": busy, "quiet": quiet, "busy_key": busy_key, "server": api_server}


def _runs() -> list[SyncRun]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SyncRun).order_by(SyncRun.id)))


def _lines(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


# ---------------------------------------------------------------- link-sheet


def test_link_sheet_takes_a_url_and_keeps_its_key(make, runner):
    org = make.org(slug="npo-tsunagu")
    url = f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0"

    result = runner.invoke(args=["link-sheet", "npo-tsunagu", url])

    assert result.exit_code == 0, result.output
    assert KEY in result.output
    db.session.expire_all()
    link = db.session.scalar(sa.select(SheetLink).where(SheetLink.org_id == org.id))
    assert link.spreadsheet_key == KEY


def test_link_sheet_names_an_unknown_organization(make, runner):
    result = runner.invoke(args=["link-sheet", "no-such-org", KEY])
    assert result.exit_code == 1
    assert "No organization with slug no-such-org" in result.output


def test_link_sheet_refuses_a_bad_key_and_links_nothing(make, runner):
    make.org(slug="npo-tsunagu")
    result = runner.invoke(args=["link-sheet", "npo-tsunagu", "https://example.com/sheet"])
    assert result.exit_code == 1
    assert "https://docs.google.com/spreadsheets/d/" in result.output
    assert db.session.scalar(sa.select(sa.func.count(SheetLink.id))) == 0


def test_link_sheet_refuses_the_municipality(make, runner):
    make.org(slug="city", kind="municipality")
    result = runner.invoke(args=["link-sheet", "city", KEY])
    assert result.exit_code == 1
    assert "not a partner" in result.output


# ---------------------------------------------------------------- sync-sheets


def test_sync_sheets_json_prints_one_object_per_organization_matching_the_log(orgs, runner):
    result = runner.invoke(args=["sync-sheets", "--json"])

    assert result.exit_code == 0, result.output
    lines = _lines(result)
    assert [line["org"] for line in lines] == ["npo-busy", "npo-quiet"]
    runs = {run.id: run for run in _runs()}
    assert len(runs) == 2
    for line in lines:
        run = runs[line["run_id"]]
        assert run.org.slug == line["org"]
        assert run.trigger == "cli"
        assert run.started_by_id is None
        assert (line["outcome"], run.outcome) == ("ok", "ok")
        assert line["rows_pushed"] == run.rows_pushed
        assert line["rows_imported"] == run.rows_imported
        assert line["rows_refused"] == run.rows_refused == len(line["refusals"])
        assert line["api_calls"] == run.api_calls
        assert line["duration_ms"] == run.duration_ms
    busy = lines[0]
    assert busy["rows_imported"] == 1
    assert busy["refusals"][0]["row"] == 3
    assert "090-12-34" in busy["refusals"][0]["reason"]
    assert sum(line["api_calls"] for line in lines) == orgs["server"].calls


def test_sync_sheets_prints_a_line_per_organization(orgs, runner):
    result = runner.invoke(args=["sync-sheets"])

    assert result.exit_code == 0, result.output
    busy = next(line for line in result.stdout.splitlines() if line.startswith("npo-busy:"))
    assert "ok" in busy
    assert "imported 1" in busy
    assert "refused 1" in busy
    assert "API calls" in busy
    assert "row 3: " in result.stdout


def test_sync_sheets_one_organization_only(orgs, runner):
    result = runner.invoke(args=["sync-sheets", "--org", "npo-quiet", "--json"])
    assert result.exit_code == 0, result.output
    assert [line["org"] for line in _lines(result)] == ["npo-quiet"]
    assert [run.org.slug for run in _runs()] == ["npo-quiet"]


def test_dry_run_prints_what_would_change_and_writes_nothing(orgs, runner):
    server = orgs["server"]

    result = runner.invoke(args=["sync-sheets", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "would push" in result.stdout
    assert "would create worksheets" in result.stdout
    assert "row 3: " in result.stdout  # the refusal a real run would write back
    assert _runs() == []
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(SignupImport.id))) == 0
    endpoints = server.calls_by_endpoint()
    assert endpoints
    assert not (set(endpoints) & WRITES), endpoints
    assert server.sheet_titles(orgs["busy_key"]) == [SIGNUPS]  # no worksheet created

    as_json = _lines(runner.invoke(args=["sync-sheets", "--dry-run", "--json"]))
    assert all(line["dry_run"] and line["run_id"] is None for line in as_json)
    assert as_json[0]["rows_imported"] == 1
    assert _runs() == []


def test_a_failed_sync_exits_1_and_is_logged_as_failed(orgs, runner, app):
    app.config["SHEETS_MAX_ATTEMPTS"] = 2
    orgs["server"].fail_next(10, 500)

    result = runner.invoke(args=["sync-sheets", "--org", "npo-busy", "--json"])

    assert result.exit_code == 1
    [line] = _lines(result)
    [run] = _runs()
    assert line["outcome"] == run.outcome == "failed"
    assert line["error"] == run.error
    assert "500" in run.error
    assert run.api_calls == 2
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_one_failure_among_several_still_syncs_the_others_and_exits_1(orgs, runner, app):
    app.config["SHEETS_MAX_ATTEMPTS"] = 2
    orgs["server"].fail_when(lambda call: call.spreadsheet_id == orgs["busy_key"], 500, times=10)

    result = runner.invoke(args=["sync-sheets"])

    assert result.exit_code == 1
    outcomes = {run.org.slug: run.outcome for run in _runs()}
    assert outcomes == {"npo-busy": "failed", "npo-quiet": "ok"}
    assert "npo-busy: failed" in result.stdout
    assert "error:" in result.stdout


def test_an_unreachable_server_is_a_failed_sync_not_a_crash(orgs, runner, app):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    app.config.update(SHEETS_API_URL=f"http://127.0.0.1:{port}", SHEETS_MAX_ATTEMPTS=1)

    result = runner.invoke(args=["sync-sheets", "--org", "npo-quiet", "--json"])

    assert result.exit_code == 1, result.output
    [run] = _runs()
    assert run.outcome == "failed"
    assert run.error


def test_an_unknown_organization_exits_1_with_a_message(orgs, runner):
    result = runner.invoke(args=["sync-sheets", "--org", "no-such-org"])
    assert result.exit_code == 1
    assert "No organization with slug no-such-org" in result.output
    assert _runs() == []
    assert orgs["server"].calls == 0


def test_an_organization_without_a_sheet_exits_1_and_says_how_to_link_one(orgs, runner):
    result = runner.invoke(args=["sync-sheets", "--org", "npo-unlinked"])
    assert result.exit_code == 1
    assert "no linked spreadsheet" in result.output
    assert "link-sheet npo-unlinked" in result.output


def test_an_organization_already_syncing_is_skipped_not_failed(orgs, runner):
    link = db.session.scalar(sa.select(SheetLink).where(SheetLink.org_id == orgs["busy"].id))
    link.lock_token, link.locked_at = "held-by-the-button", utcnow()
    db.session.commit()

    result = runner.invoke(args=["sync-sheets", "--json"])

    assert result.exit_code == 0, result.output
    by_org = {line["org"]: line for line in _lines(result)}
    assert by_org["npo-busy"]["outcome"] == "skipped"
    assert by_org["npo-busy"]["error"]
    assert by_org["npo-quiet"]["outcome"] == "ok"
    assert [run.org.slug for run in _runs()] == ["npo-quiet"]
