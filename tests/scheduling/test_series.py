"""Weekly series from the series form, and edits of "this one" or "this and all later ones"."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.scheduling.models import Session
from app.scheduling.series import create_series
from app.timeutil import japan_today, local
from tests.conftest import at, login
from tests.scheduling.test_pages import _listed, error_of

TODAY = japan_today()
MONDAY = TODAY - timedelta(days=TODAY.weekday()) + timedelta(days=21)
TUE, THU = 1, 3


def _series_form(course, venue, **extra) -> dict:
    data = {
        "course": course.slug,
        "venue_id": str(venue.id),
        "day": MONDAY.isoformat(),
        "start_time": "08:00",
        "end_time": "09:30",
        "capacity": "6",
        "delivery_type": "regional",
        "partner_org": "",
        "public": "y",
        "until": "",
        "count": "",
    }
    data.update(extra)
    return data


def _local_starts() -> list[tuple[date, str]]:
    db.session.expire_all()
    sessions = db.session.scalars(sa.select(Session).order_by(Session.starts_at))
    return [(local(s.starts_at).date(), local(s.starts_at).strftime("%H:%M")) for s in sessions]


def test_weekly_on_tuesday_and_thursday_for_a_number_of_times(make, client):
    course, venue = make.course(title="スマホ教室"), make.venue()
    login(client, make.user("coordinator"))
    response = client.post(
        "/series/new", data=_series_form(course, venue, weekdays=[str(TUE), str(THU)], count="４")
    )
    assert response.status_code == 302
    # 08:00 in Japan is the previous day in UTC: the dates must still be Tuesdays and Thursdays.
    assert _local_starts() == [
        (MONDAY + timedelta(days=1), "08:00"),
        (MONDAY + timedelta(days=3), "08:00"),
        (MONDAY + timedelta(days=8), "08:00"),
        (MONDAY + timedelta(days=10), "08:00"),
    ]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "毎週 火・木" in page
    assert page.count(">スマホ教室</a>") == 4


def test_weekly_until_a_date(make, client):
    course, venue = make.course(), make.venue()
    login(client, make.user("coordinator"))
    until = MONDAY + timedelta(days=21)
    response = client.post(
        "/series/new",
        data=_series_form(
            course, venue, weekdays=["0"], until=f"{until.year}年{until.month}月{until.day}日"
        ),
        follow_redirects=True,
    )
    assert "4回の講座を登録しました。" in response.get_data(as_text=True)
    assert [day for day, _ in _local_starts()] == [MONDAY + timedelta(days=7 * i) for i in range(4)]


def test_a_series_needs_weekdays_and_one_end(make, client):
    course, venue = make.course(), make.venue(capacity=5)
    login(client, make.user("coordinator"))
    page = client.post("/series/new", data=_series_form(course, venue)).get_data(as_text=True)
    assert "曜日を1つ以上選んでください。" in error_of(page, "weekdays")
    assert "終了日か回数のどちらかを入力してください。" in error_of(page, "until")
    assert "会場の収容人数(5人)以下" in error_of(page, "capacity")  # all reported at once
    both = client.post(
        "/series/new",
        data=_series_form(
            course, venue, weekdays=["1"], capacity="4", until="2099-01-01", count="3"
        ),
    ).get_data(as_text=True)
    assert "どちらか一方だけ" in error_of(both, "count")
    assert _local_starts() == []


def test_an_unreadable_first_date_is_named_with_the_rule_errors(make, client):
    course, venue = make.course(), make.venue()
    login(client, make.user("coordinator"))
    page = client.post(
        "/series/new", data=_series_form(course, venue, day="いつか", count="3")
    ).get_data(as_text=True)
    assert "日付は 2026-04-01 の形式" in error_of(page, "day")
    assert "曜日を1つ以上選んでください。" in error_of(page, "weekdays")
    assert _local_starts() == []


def test_a_series_that_hits_other_sessions_lists_every_clash_and_writes_nothing(make, client):
    course, venue = make.course(), make.venue()
    thursday = make.session(venue=venue, day=MONDAY + timedelta(days=3), start="08:30", end="09:00")
    next_thursday = make.session(
        venue=venue, day=MONDAY + timedelta(days=10), start="09:00", end="10:00"
    )
    login(client, make.user("coordinator"))
    response = client.post(
        "/series/new", data=_series_form(course, venue, weekdays=[str(TUE), str(THU)], count="4")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/sessions/{thursday.id}"' in page
    assert f'href="/sessions/{next_thursday.id}"' in page
    for day in (MONDAY + timedelta(days=3), MONDAY + timedelta(days=10)):
        assert f"{day.month}月{day.day}日" in page
    assert len(_local_starts()) == 2  # only the two that were there before


def _weekly(make, n=4, **extra) -> list[Session]:
    course, venue = make.course(), make.venue()
    return create_series(
        {
            "course": course.slug,
            "venue_id": venue.id,
            "starts_at": at(MONDAY, "10:00"),
            "ends_at": at(MONDAY, "11:00"),
            "capacity": 4,
            "weekdays": [0],
            "count": n,
            **extra,
        }
    )


def _edit_form(session: Session, **extra) -> dict:
    data = {
        "course": session.course_version.course.slug,
        "venue_id": str(session.venue_id),
        "day": local(session.starts_at).date().isoformat(),
        "start_time": "10:00",
        "end_time": "11:00",
        "capacity": "4",
        "delivery_type": "regional",
        "partner_org": "",
        "public": "y",
        "scope": "this",
    }
    data.update(extra)
    return data


def test_this_and_all_later_moves_the_later_ones_and_leaves_the_earlier(make, client):
    sessions = _weekly(make)
    second = sessions[1]
    login(client, make.user("coordinator"))
    page = client.get(f"/sessions/{second.id}/edit").get_data(as_text=True)
    assert "この回だけ" in page
    assert "この回以降すべて" in page
    moved_to = MONDAY + timedelta(days=8)  # Monday -> Tuesday of the same week
    response = client.post(
        f"/sessions/{second.id}/edit",
        data=_edit_form(
            second,
            scope="following",
            day=moved_to.isoformat(),
            start_time="13:30",
            end_time="15:00",
        ),
        follow_redirects=True,
    )
    assert "この回以降の3回の講座を変更しました。" in response.get_data(as_text=True)
    assert _local_starts() == [
        (MONDAY, "10:00"),
        (MONDAY + timedelta(days=8), "13:30"),
        (MONDAY + timedelta(days=15), "13:30"),
        (MONDAY + timedelta(days=22), "13:30"),
    ]


def test_this_one_only_leaves_the_rest_of_the_series(make, client):
    sessions = _weekly(make)
    login(client, make.user("coordinator"))
    client.post(
        f"/sessions/{sessions[1].id}/edit",
        data=_edit_form(sessions[1], start_time="15:00", end_time="16:00"),
    )
    assert [clock for _, clock in _local_starts()] == ["10:00", "15:00", "10:00", "10:00"]


def test_the_session_page_links_the_other_dates_of_its_series(make, client):
    sessions = _weekly(make, n=3)
    login(client, make.user("coordinator"))
    page = client.get(f"/sessions/{sessions[0].id}").get_data(as_text=True)
    for other in sessions[1:]:
        assert f'href="/sessions/{other.id}"' in page
    assert f'href="/series/{sessions[0].series_id}"' in page


def test_a_partner_sees_a_series_only_when_it_is_theirs(make, client):
    mine, theirs = make.org(slug="npo-mine"), make.org(slug="npo-theirs")
    sessions = _weekly(make, n=2, partner_org="npo-theirs")
    login(client, make.user("partner", org=mine))
    assert client.get(f"/series/{sessions[0].series_id}").status_code == 404
    client.post("/logout")
    login(client, make.user("partner", org=theirs))
    page = client.get(f"/series/{sessions[0].series_id}").get_data(as_text=True)
    assert _listed(page, sessions[0].course_version.title)
