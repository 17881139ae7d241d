"""Sessions and series on closed days: refused (409 venue_closed) or skipped, as asked."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from app.auth.services import create_token
from app.errors import Conflict
from app.extensions import db
from app.scheduling.models import Series, Session
from app.scheduling.series import create_series
from app.timeutil import local
from tests.conftest import at, login
from tests.scheduling.test_closures import HOLIDAYS, MAINTENANCE, import_file
from tests.scheduling.test_pages import _form

BUNKA = date(2026, 11, 3)  # 文化の日, a Tuesday


def _sessions() -> list[Session]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Session).order_by(Session.starts_at)))


def _api_session(course, venue, day: date, start="10:00", end="11:30") -> dict:
    return {
        "course": course.slug,
        "venue_id": venue.id,
        "starts_at": at(day, start).isoformat(),
        "ends_at": at(day, end).isoformat(),
        "capacity": 6,
    }


def test_a_session_on_a_national_holiday_is_refused_by_the_api_naming_it(make, client):
    import_file(HOLIDAYS)
    course, venue = make.course(), make.venue()
    token = create_token(make.user("coordinator"))[1]
    response = client.post(
        "/api/v1/sessions",
        json=_api_session(course, venue, BUNKA),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "venue_closed"
    assert "文化の日" in error["message"]
    assert error["closure_id"] is not None
    assert _sessions() == []


def test_the_holiday_closes_every_venue_and_only_that_japan_day(make):
    import_file(HOLIDAYS)
    course, venues = make.course(), [make.venue(), make.venue(district="北")]
    for venue in venues:
        with pytest.raises(Conflict) as refused:
            make.session(course=course, venue=venue, day=BUNKA, start="18:00", end="19:00")
        assert refused.value.code == "venue_closed"
    # The evening before and the morning after are open: the block is Japan midnight to midnight.
    make.session(course=course, venue=venues[0], day=date(2026, 11, 2), start="22:00", end="23:59")
    make.session(course=course, venue=venues[0], day=date(2026, 11, 4), start="00:00", end="01:00")
    assert len(_sessions()) == 2


def test_the_session_form_shows_the_closed_day_message(make, client):
    import_file(HOLIDAYS)
    course, venue = make.course(title="スマホ教室"), make.venue()
    login(client, make.user("coordinator"))
    response = client.post("/sessions/new", data=_form(course, venue, day=BUNKA.isoformat()))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="conflict"' in page
    assert "2026年11月3日(火) は「文化の日」のため会場が使えません。" in page
    assert _sessions() == []


def test_a_venue_closure_closes_only_that_venue_and_only_its_hours(make):
    chuo, kita = make.venue(name="中央公民館"), make.venue(name="北公民館")
    import_file(MAINTENANCE, venue=chuo)
    course = make.course()
    inspection = date(2026, 2, 10)  # second Tuesday, 9:00–17:00
    with pytest.raises(Conflict) as refused:
        make.session(course=course, venue=chuo, day=inspection, start="10:00", end="11:00")
    assert refused.value.code == "venue_closed"
    assert "設備定期点検(休館)" in refused.value.message
    make.session(course=course, venue=kita, day=inspection, start="10:00", end="11:00")
    make.session(course=course, venue=chuo, day=inspection, start="17:00", end="18:00")
    # The floating-time floor cleaning is 9:00–12:00 in Japan.
    with pytest.raises(Conflict):
        make.session(course=course, venue=chuo, day=date(2027, 3, 5), start="11:00", end="12:00")
    make.session(course=course, venue=chuo, day=date(2027, 3, 5), start="12:00", end="13:00")
    assert len(_sessions()) == 3


def _series_form(course, venue, on_closed: str) -> dict:
    return _form(
        course,
        venue,
        day=date(2026, 10, 27).isoformat(),
        weekdays=["1"],
        count="3",
        until="",
        on_closed=on_closed,
    )


def test_a_series_over_a_holiday_is_refused_naming_the_date_when_asked_to_refuse(make, client):
    import_file(HOLIDAYS)
    course, venue = make.course(), make.venue()
    login(client, make.user("coordinator"))
    response = client.post("/series/new", data=_series_form(course, venue, "refuse"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2026年11月3日(火) は「文化の日」のため会場が使えません。" in page
    assert _sessions() == []
    with pytest.raises(Conflict) as refused:
        create_series(
            {**_api_session(course, venue, date(2026, 10, 27)), "weekdays": [1], "count": 3}
        )
    assert refused.value.code == "venue_closed"
    assert [c["starts_at"][:10] for c in refused.value.extra["conflicts"]] == ["2026-11-03"]


def test_a_series_skips_closed_days_when_asked_and_says_which(make, client):
    import_file(HOLIDAYS)
    course, venue = make.course(), make.venue()
    login(client, make.user("coordinator"))
    response = client.post("/series/new", data=_series_form(course, venue, "skip"))
    assert response.status_code == 302
    # Three dates of the rule, one of them closed: the other two are planned.
    assert [local(s.starts_at).date() for s in _sessions()] == [
        date(2026, 10, 27),
        date(2026, 11, 10),
    ]
    assert db.session.scalar(sa.select(Series)).skipped_dates == ["2026-11-03"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "休館日のため、次の日は登録していません: 2026年11月3日(火)" in page


def test_the_series_form_offers_the_choice_for_closed_days(make, client):
    login(client, make.user("coordinator"))
    page = client.get("/series/new").get_data(as_text=True)
    assert "休館日にあたる日" in page
    assert re.search(r'<input checked[^>]*name="on_closed"[^>]*value="refuse"', page)
    assert re.search(r'<input [^>]*name="on_closed"[^>]*value="skip"', page)
