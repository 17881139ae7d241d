"""The session list opens on today's classes (Japan's today), with a link to the earlier ones,
for coordinators and partners alike; dates typed in the filter still choose any period."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.scheduling.models import Session
from app.timeutil import japan_today
from tests.conftest import at, login


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def _moved(session: Session, day, start="10:00", end="11:00") -> Session:
    db.session.execute(
        sa.update(Session)
        .where(Session.id == session.id)
        .values(starts_at=at(day, start), ends_at=at(day, end))
    )
    db.session.commit()
    return session


def _order(page: str, *titles: str) -> list[str]:
    """The titles that are listed (as links), in the order the page shows them."""
    shown = [t for t in titles if f">{t}</a>" in page]
    return sorted(shown, key=lambda t: page.index(f">{t}</a>"))


def _classes(make, org=None):
    """Classes of other days: last month, yesterday, earlier today, next week."""
    today = japan_today()
    venue = make.venue()
    extra = {"partner_org": org.slug} if org else {}
    made = {}
    for title, day, start in (
        ("先月の講座", today - timedelta(days=30), "10:00"),
        ("昨日の講座", today - timedelta(days=1), "10:00"),
        ("今朝の講座", today, "00:10"),
        ("来週の講座", today + timedelta(days=7), "10:00"),
    ):
        session = make.session(course=make.course(title=title), venue=venue,
                               day=today + timedelta(days=60), **extra)  # fmt: skip
        end = "01:00" if start == "00:10" else "11:00"
        made[title] = _moved(session, day, start, end)
    return made


TITLES = ("先月の講座", "昨日の講座", "今朝の講座", "来週の講座")


def test_the_list_opens_on_today_and_links_to_the_past(make, client):
    _classes(make)
    login(client, make.user("coordinator"))
    page = _page(client, "/sessions")
    # Today's class already held this morning is there: the list starts at the day, not the hour.
    assert _order(page, *TITLES) == ["今朝の講座", "来週の講座"]
    assert "からの講座を表示しています" in page
    assert f'value="{japan_today().isoformat()}"' in page  # the from box says so

    past = _page(client, "/sessions?past=1")
    assert _order(past, *TITLES) == ["昨日の講座", "先月の講座"]  # the latest first
    assert "過去の講座を新しい順に表示しています" in past
    assert "今日からの講座を見る" in past

    # A from date typed in the filter chooses the period as before.
    since = (japan_today() - timedelta(days=40)).isoformat()
    assert _order(_page(client, f"/sessions?from={since}"), *TITLES) == list(TITLES)


def test_the_list_opens_on_japans_today_when_utc_is_still_yesterday(make, client):
    today = japan_today()
    _classes(make)
    coordinator = make.user("coordinator")
    # 00:30 in Japan is 15:30 UTC of the day before: the class at 00:10 is today's.
    with time_machine.travel(at(today, "00:30"), tick=False):
        login(client, coordinator)
        assert _order(_page(client, "/sessions"), *TITLES) == ["今朝の講座", "来週の講座"]


def test_a_partner_lands_on_its_own_classes_from_today(make, client):
    ours = make.org(slug="npo-ours")
    theirs = make.org(slug="npo-theirs")
    _classes(make, ours)
    other = make.session(course=make.course(title="よその講座"), partner_org=theirs.slug)
    login(client, make.user("partner", org=ours))
    page = _page(client, "/sessions")
    assert _order(page, *TITLES) == ["今朝の講座", "来週の講座"]
    assert f"/sessions/{other.id}" not in page
    assert _order(_page(client, "/sessions?past=1"), *TITLES) == ["昨日の講座", "先月の講座"]


def test_the_filters_go_with_the_link_to_the_past(make, client):
    made = _classes(make)
    login(client, make.user("coordinator"))
    course = made["昨日の講座"].course_version.course.slug
    page = _page(client, f"/sessions?course={course}")
    assert f"past=1&amp;course={course}" in page or f"course={course}&amp;past=1" in page
    assert _order(_page(client, f"/sessions?past=1&course={course}"), *TITLES) == ["昨日の講座"]
