"""When Sheets misbehaves: 429 storms, a 500 in the middle of the write-back, more failures than
the sync may retry, missing or refused credentials, an unknown spreadsheet, no server at all.

A sync that still fails is logged with a plain-Japanese error; what it imported stays imported
exactly once, and the next run completes the write-back.
"""

from __future__ import annotations

import json
import socket
from collections import Counter

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.extensions import db
from app.people.models import Learner
from app.sheets.models import SignupImport
from app.sheets.sync import link_sheet
from app.sheets.tables import ROSTER, SIGNUPS
from tests.sheets.conftest import signup


def three_signups(partner):
    basics = partner.sessions["basics"]
    return [
        signup(basics, name="山田 花子", furigana="やまだ はなこ", phone="090-1111-2222"),
        signup(basics, name="佐藤 一郎", furigana="さとう いちろう", phone="080-3333-4444"),
        signup(basics, name="鈴木 次郎", furigana="すずき じろう", phone="090-12-34"),
    ]


def statuses(partner) -> list[str]:
    return [partner.signup_status(n) for n in (2, 3, 4)]


def assert_once(partner) -> None:
    """Two registrations, two Roster rows, no row of the sheet written twice."""
    regs = partner.registrations()
    assert len(regs) == 2
    assert db.session.scalar(sa.select(sa.func.count(Learner.id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(SignupImport.id))) == 2
    roster_ids = [row[0] for row in partner.sheet(ROSTER)[1:]]
    assert sorted(roster_ids) == sorted(f"R-{r.id}" for r in regs)
    signups = partner.sheet(SIGNUPS)
    assert len(signups) == 1 + 3
    assert Counter(tuple(row) for row in signups[1:]).most_common(1)[0][1] == 1


# ---------------------------------------------------------------- 429 and 5xx


def test_a_429_storm_is_retried_and_the_sync_completes_without_duplicates(synced):
    partner = synced
    partner.type_signups(three_signups(partner))
    partner.server.fail_next(3, 429)

    report = partner.sync()

    assert report.outcome == "ok", report.error
    statuses_429 = [c.status for c in partner.server.call_log]
    assert statuses_429[:3] == [429, 429, 429]
    assert statuses_429[3:] == [200, 200, 200]
    assert report.api_calls == partner.server.calls == 6
    assert partner.runs()[-1].api_calls == 6
    assert_once(partner)
    regs = partner.registrations()
    assert statuses(partner)[:2] == [f"登録済 R-{regs[0].id}", f"登録済 R-{regs[1].id}"]


def test_a_write_applied_but_answered_503_is_retried_without_duplicating_rows(synced):
    """Google applied the write and the answer was lost: the retry writes the same cells again
    (values.batchUpdate, never append), so nothing appears twice."""
    partner = synced
    partner.type_signups(three_signups(partner))
    partner.server.fail_when(
        lambda call: call.endpoint == "values.batchUpdate", 503, times=1, apply=True
    )

    report = partner.sync()

    assert report.outcome == "ok", report.error
    assert [c.endpoint for c in partner.server.call_log].count("values.batchUpdate") == 2
    assert_once(partner)


def test_more_failures_than_the_attempts_allowed_fail_the_sync_and_record_why(synced, sheets_app):
    partner = synced
    partner.type_signups(three_signups(partner))
    sheets_app.config["SHEETS_MAX_ATTEMPTS"] = 3
    partner.server.fail_next(4, 429)

    report = partner.sync()

    assert report.outcome == "failed"
    assert "429" in report.error
    assert "Google Sheets" in report.error
    assert partner.server.calls == 3  # bounded: three attempts, then it gives up
    run = partner.runs()[-1]
    assert (run.outcome, run.error, run.api_calls) == ("failed", report.error, 3)
    assert run.finished_at is not None
    assert partner.registrations() == []
    assert statuses(partner) == ["", "", ""]

    partner.server.clear_failures()
    assert partner.sync().outcome == "ok"
    assert_once(partner)


def test_a_500_while_writing_back_keeps_the_import_and_the_next_sync_completes_it(synced):
    partner = synced
    partner.type_signups(three_signups(partner))
    partner.server.fail_when(lambda call: call.endpoint == "values.batchUpdate", 500)

    failed = partner.sync()

    assert failed.outcome == "failed"
    assert "500" in failed.error
    run = partner.runs()[-1]
    assert (run.outcome, run.rows_imported, run.rows_refused) == ("failed", 2, 1)
    assert run.error == failed.error
    # The import committed once; nothing reached the sheet.
    assert len(partner.registrations()) == 2
    assert statuses(partner) == ["", "", ""]
    assert len(partner.sheet(ROSTER)) == 1
    assert partner.server.calls_by_endpoint()["values.batchUpdate"] == 5  # SHEETS_MAX_ATTEMPTS

    partner.server.clear_failures()
    partner.server.reset_calls()
    completed = partner.sync()

    assert completed.outcome == "ok", completed.error
    assert completed.rows_imported == 0  # recognised by fingerprint, not imported again
    regs = partner.registrations()
    assert statuses(partner)[:2] == [f"登録済 R-{regs[0].id}", f"登録済 R-{regs[1].id}"]
    assert "090-12-34" in statuses(partner)[2]
    assert_once(partner)
    assert partner.sync().rows_imported == 0
    assert_once(partner)


# ---------------------------------------------------------------- credentials and keys


def test_without_credentials_the_sync_fails_with_a_plain_message(synced, sheets_app):
    partner = synced
    partner.type_signups(three_signups(partner))
    sheets_app.config.update(SHEETS_ACCESS_TOKEN=None, SHEETS_CREDENTIALS=None)

    report = partner.sync()

    assert report.outcome == "failed"
    assert report.error == (
        "Google Sheets の認証情報がありません。"
        "SHEETS_CREDENTIALS か SHEETS_ACCESS_TOKEN を設定してください。"
    )
    run = partner.runs()[-1]
    assert (run.outcome, run.error, run.api_calls) == ("failed", report.error, 0)
    assert partner.server.calls == 0
    assert partner.registrations() == []


def test_a_refused_token_fails_the_sync_saying_to_share_the_sheet(synced):
    partner = synced
    partner.server.accepted_tokens = {"a-token-we-do-not-have"}

    report = partner.sync()

    assert report.outcome == "failed"
    assert "401" in report.error
    assert "共有" in report.error
    assert partner.runs()[-1].error == report.error


def test_a_missing_credentials_file_fails_the_sync_with_a_plain_message(
    synced, sheets_app, tmp_path
):
    partner = synced
    missing = tmp_path / "service-account.json"
    sheets_app.config.update(SHEETS_ACCESS_TOKEN=None, SHEETS_CREDENTIALS=str(missing))

    report = partner.sync()

    assert report.outcome == "failed"
    assert str(missing) in report.error
    assert "SHEETS_CREDENTIALS" in report.error
    run = partner.runs()[-1]
    assert (run.outcome, run.error) == ("failed", report.error)
    assert partner.server.calls == 0


def test_a_broken_credentials_file_fails_the_sync_with_a_plain_message(
    synced, sheets_app, tmp_path
):
    partner = synced
    broken = tmp_path / "service-account.json"
    broken.write_text(json.dumps({"type": "service_account", "client_email": "x@example.com"}))
    sheets_app.config.update(SHEETS_ACCESS_TOKEN=None, SHEETS_CREDENTIALS=str(broken))

    report = partner.sync()

    assert report.outcome == "failed"
    assert "SHEETS_CREDENTIALS" in report.error
    assert partner.runs()[-1].outcome == "failed"


def service_account_file(path, token_uri: str):
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "dekiru-test",
                "private_key_id": "k1",
                "private_key": pem,
                "client_email": "sync@dekiru-test.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": token_uri,
            }
        )
    )
    return path


def test_a_service_account_file_syncs(synced, sheets_app, tmp_path):
    partner = synced
    partner.type_signups(three_signups(partner))
    partner.server.accepted_tokens = set()  # only tokens the server issued for the key
    credentials = service_account_file(tmp_path / "sa.json", partner.server.token_uri)
    sheets_app.config.update(SHEETS_ACCESS_TOKEN=None, SHEETS_CREDENTIALS=str(credentials))

    report = partner.sync()

    assert report.outcome == "ok", report.error
    assert len(partner.server.token_requests) == 1
    assert_once(partner)


def test_a_service_account_the_token_endpoint_refuses_fails_with_a_plain_message(
    synced, sheets_app, tmp_path
):
    partner = synced
    refusing = partner.server.url + "/no-token-here"
    credentials = service_account_file(tmp_path / "sa.json", refusing)
    sheets_app.config.update(SHEETS_ACCESS_TOKEN=None, SHEETS_CREDENTIALS=str(credentials))

    report = partner.sync()

    assert report.outcome == "failed"
    assert report.error.startswith("Google の認証に失敗しました。")
    assert partner.runs()[-1].error == report.error
    assert partner.server.calls_by_endpoint()["spreadsheets.get"] == 0


def test_an_unknown_spreadsheet_key_fails_with_the_404_message(synced):
    partner = synced
    link_sheet(partner.org, "no-such-spreadsheet-key", partner.user)

    report = partner.sync()

    assert report.outcome == "failed"
    assert report.error == "スプレッドシートが見つかりません(404)。URLかキーを確認してください。"
    run = partner.runs()[-1]
    assert (run.outcome, run.error, run.api_calls) == ("failed", report.error, 1)


def test_no_server_at_the_sheets_url_fails_the_sync_with_a_plain_message(synced, sheets_app):
    partner = synced
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sheets_app.config["SHEETS_API_URL"] = f"http://127.0.0.1:{port}"

    report = partner.sync()

    assert report.outcome == "failed"
    assert f"127.0.0.1:{port}" in report.error
    run = partner.runs()[-1]
    assert (run.outcome, run.error) == ("failed", report.error)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_transient_failure_on_every_endpoint_is_recovered(synced, status):
    partner = synced
    partner.type_signups(three_signups(partner))
    for endpoint in ("spreadsheets.get", "values.batchGet", "values.batchUpdate"):
        partner.server.fail_when(lambda call, e=endpoint: call.endpoint == e, status, times=2)

    report = partner.sync()

    assert report.outcome == "ok", report.error
    assert report.api_calls == partner.server.calls == 3 * 3
    assert_once(partner)
