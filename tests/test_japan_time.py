"""The app's "today" is Japan's, whatever the machine's clock zone (UTC on servers and in CI).

Each test stands at an instant where the two dates differ: after 15:00 UTC it is already the
next day in Japan, and at 00:30 on 1 April in Japan a new 年度 has begun while UTC is still on
31 March.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from app.fiscal import FiscalYear
from app.parsing import parse_birth_year
from app.people.learners import create_learner
from app.reports.filters import parse_filter
from app.timeutil import japan_today
from tests.conftest import login

EVENING_IN_UTC = datetime(2026, 12, 1, 18, 40, tzinfo=UTC)  # 03:40 on 2 December in Japan
NEW_NENDO_IN_JAPAN = datetime(2027, 3, 31, 15, 30, tzinfo=UTC)  # 00:30 on 1 April in Japan


def test_japan_today_is_the_next_day_once_it_is_past_midnight_in_japan():
    with time_machine.travel(EVENING_IN_UTC, tick=False):
        assert japan_today() == date(2026, 12, 2)
    with time_machine.travel(NEW_NENDO_IN_JAPAN, tick=False):
        assert japan_today() == date(2027, 4, 1)


def test_consent_is_dated_with_japans_day(make):
    with time_machine.travel(EVENING_IN_UTC, tick=False):
        learner = create_learner(
            {"name": "同意 花子", "furigana": "どうい はなこ", "consent": True}
        )
    assert learner.consent_on == date(2026, 12, 2)


def test_a_download_is_named_with_japans_day(make, client):
    org = make.org(slug="npo-sakura")
    partner = make.user("partner", org=org)
    with time_machine.travel(EVENING_IN_UTC, tick=True):
        login(client, partner)  # a cookie signed later than "now" would be refused
        response = client.get(f"/orgs/{org.id}/files/roster.csv")
    assert response.status_code == 200
    assert (
        'filename="dekiru-npo-sakura-roster-2026-12-02.csv"'
        in response.headers["Content-Disposition"]
    )


def test_the_reports_default_to_the_nendo_that_began_in_japan(make):
    coordinator = make.user("coordinator")
    with time_machine.travel(NEW_NENDO_IN_JAPAN, tick=False):
        assert parse_filter({}, coordinator).year == FiscalYear(2027)


def test_a_birth_year_is_checked_against_japans_year(make):
    # On New Year's morning in Japan it is still the old year in UTC: a baby born today counts.
    with time_machine.travel(datetime(2026, 12, 31, 16, 0, tzinfo=UTC), tick=False):
        assert parse_birth_year("2027") == 2027
