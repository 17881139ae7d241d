"""`flask audit-log`: the audit log read back, as a city's privacy officer asks of it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import time_machine

from app.core.models import record
from app.extensions import db
from app.people.privacy import DOWNLOADED, record_download


def test_the_audit_log_prints_who_took_what_filtered_by_action_and_japans_days(make, runner):
    coordinator = make.user("coordinator", email="sato@example.jp")
    partner = make.user("partner", org=make.org(slug="npo-sakura"), email="npo@example.jp")
    # 23:30 UTC on 1 December is 08:30 on 2 December in Japan.
    with time_machine.travel(datetime(2026, 12, 1, 23, 30, tzinfo=UTC), tick=False):
        record_download(partner, "roster", fmt="csv", rows=2, org="npo-sakura")
    with time_machine.travel(datetime(2026, 12, 3, 1, 0, tzinfo=UTC), tick=False):
        record("learner.merged", "learner", 7, coordinator, merged_id=8)
        db.session.commit()

    result = runner.invoke(args=["audit-log"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [(e["actor"], e["action"]) for e in lines] == [
        ("npo@example.jp", DOWNLOADED),
        ("sato@example.jp", "learner.merged"),
    ]
    assert lines[0]["at"] == "2026-12-02T08:30:00+09:00"
    assert lines[0]["details"] == {
        "what": "roster",
        "format": "csv",
        "rows": 2,
        "filter": {"org": "npo-sakura"},
    }
    assert lines[1]["subject"] == "learner:7"

    downloads = runner.invoke(args=["audit-log", "--action", DOWNLOADED])
    assert [json.loads(line)["actor"] for line in downloads.output.splitlines()] == [
        "npo@example.jp"
    ]
    # Days are Japan's: the download of 08:30 JST on 2 December is on the 2nd, not the 1st.
    first = runner.invoke(args=["audit-log", "--since", "2026-12-01", "--until", "2026-12-01"])
    assert first.exit_code == 0
    assert first.output == ""
    second = runner.invoke(args=["audit-log", "--since", "2026-12-02", "--until", "2026-12-02"])
    assert [json.loads(line)["action"] for line in second.output.splitlines()] == [DOWNLOADED]
    bad = runner.invoke(args=["audit-log", "--since", "2026/12/99"])
    assert bad.exit_code == 2
    assert "--since" in bad.output
