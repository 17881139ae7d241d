"""Session pages: who sees which sessions, filters, paging, and the create/edit/cancel forms."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.scheduling.models import Session
from app.scheduling.sessions import cancel_session
from app.timeutil import japan_today
from tests.conftest import at, login

TODAY = japan_today()
DAY = TODAY + timedelta(days=14)


def _page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def _sessions_in_db() -> list[Session]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Session).order_by(Session.starts_at)))


def _form(course, venue, day=DAY, start="10:00", end="11:00", **extra) -> dict:
    data = {
        "course": course.slug,
        "venue_id": str(venue.id),
        "day": day if isinstance(day, str) else day.isoformat(),
        "start_time": start,
        "end_time": end,
        "capacity": "8",
        "delivery_type": "regional",
        "partner_org": "",
        "public": "y",
        "notes": "",
    }
    data.update(extra)
    return data


def _listed(page: str, title: str) -> bool:
    """A session of that course is shown (as a link), not merely offered in a filter."""
    return f">{title}</a>" in page


def error_of(page: str, field: str) -> str:
    """The error text shown beside a form field ("" when it has none)."""
    found = re.search(rf'id="{field}-error">([^<]*)<', page)
    return found.group(1) if found else ""


def _rows(page: str) -> int:
    return page.count('<td data-label="日付">')


# ---------------------------------------------------------------- who sees what


@pytest.fixture
def two_partners(make):
    """Two partner organizations, each with one session and one staff user."""
    npo, carrier = make.org(slug="npo-a", name="NPOあおば"), make.org(slug="shop-b", kind="carrier")
    npo_class = make.session(course=make.course(title="LINEの使い方"), day=DAY, partner_org="npo-a")
    shop_class = make.session(
        course=make.course(title="キャッシュレス決済"), day=DAY, partner_org="shop-b"
    )
    return npo, carrier, npo_class, shop_class


def test_coordinator_sees_every_session(make, client, two_partners):
    login(client, make.user("coordinator"))
    page = _page(client, "/sessions")
    assert _listed(page, "LINEの使い方")
    assert _listed(page, "キャッシュレス決済")
    assert "NPOあおば" in page
    assert 'href="/sessions/new"' in page
    assert 'href="/series/new"' in page


def test_partner_sees_only_its_organizations_sessions(make, client, two_partners):
    npo, _carrier, npo_class, shop_class = two_partners
    login(client, make.user("partner", org=npo))
    page = _page(client, "/sessions")
    assert _listed(page, "LINEの使い方")
    assert not _listed(page, "キャッシュレス決済")
    assert 'href="/sessions/new"' not in page
    assert "LINEの使い方" in _page(client, f"/sessions/{npo_class.id}")
    _page(client, f"/sessions/{shop_class.id}", status=404)
    week = _page(client, f"/sessions/week?week={DAY.isoformat()}")
    assert _listed(week, "LINEの使い方")
    assert not _listed(week, "キャッシュレス決済")


def test_instructor_sees_only_their_own_sessions(make, client):
    teacher = make.user("instructor", name="山田花子")
    mine = make.session(
        course=make.course(title="防災アプリ"), day=DAY, instructor_ids=[teacher.id]
    )
    other = make.session(course=make.course(title="マイナポータル"), day=DAY)
    login(client, teacher)
    page = _page(client, "/sessions")
    assert _listed(page, "防災アプリ")
    assert not _listed(page, "マイナポータル")
    _page(client, f"/sessions/{mine.id}")
    _page(client, f"/sessions/{other.id}", status=404)


def test_my_sessions_lists_upcoming_then_past(make, client):
    teacher = make.user("instructor")
    make.session(course=make.course(title="これからの回"), day=DAY, assistant_ids=[teacher.id])
    make.session(
        course=make.course(title="先週の回"),
        day=TODAY - timedelta(days=7),
        instructor_ids=[teacher.id],
    )
    make.session(course=make.course(title="他人の回"), day=DAY)
    login(client, teacher)
    page = _page(client, "/my/sessions")
    assert page.index(">これからの回<") < page.index("終わった講座") < page.index(">先週の回<")
    assert not _listed(page, "他人の回")


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        ("instructor", "/sessions/new", 403),
        ("partner", "/series/new", 403),
        ("partner", "/venues", 403),
        ("coordinator", "/my/sessions", 403),
        ("instructor", "/my/sessions", 200),
        ("admin", "/sessions/new", 200),
    ],
)
def test_pages_refuse_roles_that_may_not_use_them(make, client, role, url, status):
    org = make.org() if role == "partner" else None
    login(client, make.user(role, org=org))
    assert client.get(url).status_code == status


def test_planning_pages_need_a_login(client):
    response = client.get("/sessions/new")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# ---------------------------------------------------------------- list: filters, paging, queries


@pytest.fixture
def varied(make):
    """Sessions that differ in exactly one way each, to see every filter narrow the list."""
    north = make.venue(district="北部", name="北公民館")
    south = make.venue(district="南部", name="南公民館")
    teacher = make.user("instructor", name="佐藤一郎")
    make.org(slug="npo-x", name="NPOエックス")
    make.session(course=make.course(slug="phone", title="スマホ入門"), venue=north, day=DAY)
    make.session(
        course=make.course(slug="line", title="LINE講座"),
        venue=south,
        day=DAY + timedelta(days=3),
        partner_org="npo-x",
        instructor_ids=[teacher.id],
    )
    cancelled = make.session(
        course=make.course(slug="tax", title="e-Tax講座"), venue=south, day=DAY + timedelta(days=9)
    )
    cancel_session(cancelled, "会場の工事")
    return {"north": north, "south": south, "teacher": teacher}


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("course=line", {"LINE講座"}),
        ("district=北部", {"スマホ入門"}),
        ("partner=npo-x", {"LINE講座"}),
        ("status=cancelled", {"e-Tax講座"}),
        ("from={d1}&to={d1}", {"スマホ入門"}),
        ("from={d2}", {"LINE講座", "e-Tax講座"}),
        ("from=２０２６年１月１日&to={d1}", {"スマホ入門"}),
    ],
)
def test_filters_narrow_the_list(make, client, varied, query, shown):
    login(client, make.user("coordinator"))
    query = query.format(d1=DAY.isoformat(), d2=(DAY + timedelta(days=1)).isoformat())
    page = _page(client, f"/sessions?{query}")
    for title in {"スマホ入門", "LINE講座", "e-Tax講座"}:
        assert _listed(page, title) == (title in shown), (title, query)


def test_venue_and_instructor_filters(make, client, varied):
    login(client, make.user("coordinator"))
    by_venue = _page(client, f"/sessions?venue_id={varied['north'].id}")
    assert _listed(by_venue, "スマホ入門")
    assert not _listed(by_venue, "LINE講座")
    by_teacher = _page(client, f"/sessions?instructor_id={varied['teacher'].id}")
    assert _listed(by_teacher, "LINE講座")
    assert not _listed(by_teacher, "スマホ入門")


def test_an_unreadable_filter_date_is_named_and_ignored(make, client, varied):
    login(client, make.user("coordinator"))
    page = _page(client, "/sessions?from=そのうち")
    assert "日付は 2026-04-01 の形式で入力してください。" in page
    assert _listed(page, "スマホ入門")
    assert _listed(page, "LINE講座")


def test_a_cancelled_session_stays_listed_with_its_reason(make, client, varied):
    login(client, make.user("coordinator"))
    page = _page(client, "/sessions")
    row = page[page.index(">e-Tax講座</a>") :]
    assert "中止" in row[:2000]
    assert "理由: 会場の工事" in row[:2000]


def test_warnings_are_shown_as_text(make, client):
    make.session(day=DAY, capacity=12)
    login(client, make.user("coordinator"))
    page = _page(client, "/sessions")
    assert "講師が未定です" in page
    assert "講師・アシスタントが不足しています" in page


def _many_sessions(make, n: int, venue=None, course=None) -> None:
    venue = venue or make.venue(buffer=0)
    course = course or make.course()
    teacher = make.user("instructor")
    partner = make.org()
    for i in range(n):
        make.session(
            course=course,
            venue=venue,
            day=DAY + timedelta(days=i // 8),
            start=f"{9 + i % 8:02d}:00",
            end=f"{9 + i % 8:02d}:50",
            instructor_ids=[teacher.id],
            partner_org=partner.slug,
        )


def test_the_list_shows_fifty_per_page_with_a_pager(make, client):
    _many_sessions(make, 53)
    login(client, make.user("coordinator"))
    first = _page(client, "/sessions")
    assert _rows(first) == 50
    assert "1 / 2 ページ" in first
    next_link = re.search(r'href="([^"]*page=2[^"]*)" rel="next"', first).group(1)
    second = _page(client, next_link.replace("&amp;", "&"))
    assert _rows(second) == 3
    assert 'rel="prev"' in second


def test_the_pager_keeps_the_filters(make, client):
    venue = make.venue(buffer=0)
    _many_sessions(make, 51, venue=venue)
    login(client, make.user("coordinator"))
    page = _page(client, f"/sessions?venue_id={venue.id}")
    next_link = re.search(r'href="([^"]+)" rel="next"', page).group(1)
    assert f"venue_id={venue.id}" in next_link
    assert "page=2" in next_link


def _queries_for(client, url) -> int:
    count = {"n": 0}

    def counter(*_args, **_kwargs):
        count["n"] += 1

    sa.event.listen(db.engine, "before_cursor_execute", counter)
    try:
        _page(client, url)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counter)
    return count["n"]


def test_list_page_queries_do_not_grow_with_its_rows(make, client):
    login(client, make.user("coordinator"))
    _many_sessions(make, 3)
    few = _queries_for(client, "/sessions")
    _many_sessions(make, 30)
    many = _queries_for(client, "/sessions")
    assert many == few


def test_week_page_queries_do_not_grow_with_its_sessions(make, client):
    login(client, make.user("coordinator"))
    monday = DAY - timedelta(days=DAY.weekday())
    _many_sessions(make, 3)
    few = _queries_for(client, f"/sessions/week?week={monday.isoformat()}")
    _many_sessions(make, 30)
    many = _queries_for(client, f"/sessions/week?week={monday.isoformat()}")
    assert many == few


# ---------------------------------------------------------------- week view


def test_week_view_puts_sessions_on_their_japan_day(make, client):
    monday = DAY - timedelta(days=DAY.weekday())
    # 08:00 in Japan is still Sunday in UTC: the session must show under Monday all the same.
    make.session(course=make.course(title="朝の講座"), day=monday, start="08:00", end="09:00")
    make.session(course=make.course(title="翌週の講座"), day=monday + timedelta(days=7))
    login(client, make.user("coordinator"))
    page = _page(client, f"/sessions/week?week={(monday + timedelta(days=3)).isoformat()}")
    first_day = page[page.index('id="day-1"') : page.index('id="day-2"')]
    assert f"{monday.month}月{monday.day}日(月)" in first_day
    assert _listed(first_day, "朝の講座")
    assert not _listed(page, "翌週の講座")
    next_week = (monday + timedelta(days=7)).isoformat()
    assert f"week={next_week}" in page
    assert _listed(_page(client, f"/sessions/week?week={next_week}"), "翌週の講座")


def test_week_view_keeps_filters_in_its_week_links(make, client):
    venue = make.venue(district="東部")
    make.session(venue=venue, day=DAY)
    login(client, make.user("coordinator"))
    page = _page(client, f"/sessions/week?week={DAY.isoformat()}&district=東部")
    prev_link = re.search(r'href="([^"]+)" rel="prev"', page).group(1)
    assert "district=" in prev_link


# ---------------------------------------------------------------- create


def test_the_create_form_makes_a_session(make, client):
    course, venue = make.course(title="電話・カメラ・写真"), make.venue(capacity=10)
    teacher = make.user("instructor", name="鈴木")
    login(client, make.user("coordinator"))
    form = _form(
        course,
        venue,
        day="２０３０年５月７日",
        start="１０：００",
        end="11時30分",
        capacity="",
        instructor_ids=str(teacher.id),
    )
    response = client.post("/sessions/new", data=form)
    assert response.status_code == 302
    [saved] = _sessions_in_db()
    assert response.headers["Location"].endswith(f"/sessions/{saved.id}")
    assert saved.starts_at == at(date(2030, 5, 7), "10:00")
    assert saved.ends_at == at(date(2030, 5, 7), "11:30")
    assert saved.capacity == 10  # blank means the venue's capacity
    assert [u.name for u in saved.instructors] == ["鈴木"]
    page = _page(client, response.headers["Location"])
    assert "講座を登録しました。" in page
    assert "電話・カメラ・写真" in page


def test_a_conflicting_session_is_refused_with_a_link_and_nothing_written(make, client):
    course, venue = make.course(), make.venue(buffer=15)
    first = make.session(course=course, venue=venue, day=DAY, start="10:00", end="11:00")
    login(client, make.user("coordinator"))
    response = client.post(
        "/sessions/new", data=_form(course, venue, start="11:10", end="12:00", notes="二回目")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "予定が重なっているため保存できませんでした。" in page
    assert f'href="/sessions/{first.id}"' in page
    assert f"ID {first.id}" in page
    assert 'value="11:10"' in page
    assert "二回目" in page
    assert len(_sessions_in_db()) == 1


def test_a_double_submitted_create_makes_one_session_and_says_so(make, client):
    course, venue = make.course(), make.venue()
    login(client, make.user("coordinator"))
    form = _form(course, venue)
    assert client.post("/sessions/new", data=form).status_code == 302
    again = client.post("/sessions/new", data=form).get_data(as_text=True)
    [saved] = _sessions_in_db()
    assert "同じ講座がすでに登録されています。" in again
    assert f'href="/sessions/{saved.id}"' in again


def test_every_field_error_is_shown_at_once(make, client):
    course, venue = make.course(), make.venue(capacity=10)
    login(client, make.user("coordinator"))
    response = client.post(
        "/sessions/new", data=_form(course, venue, start="11:00", end="10:00", capacity="30")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "終了は開始より後の時刻にしてください。" in error_of(page, "end_time")
    assert "会場の収容人数(10人)以下" in error_of(page, "capacity")
    assert _sessions_in_db() == []


def test_an_unreadable_date_is_named_along_with_the_other_errors(make, client):
    course, venue = make.course(), make.venue(capacity=10)
    login(client, make.user("coordinator"))
    page = client.post(
        "/sessions/new",
        data={**_form(course, venue, day="来週の火曜", capacity="99"), "course": ""},
    ).get_data(as_text=True)
    assert "日付は 2026-04-01 の形式で入力してください。" in error_of(page, "day")
    assert "講座(コース)を選んでください。" in error_of(page, "course")
    assert "会場の収容人数(10人)以下" in error_of(page, "capacity")
    assert 'value="来週の火曜"' in page
    assert _sessions_in_db() == []


def test_the_week_views_add_link_starts_the_form_on_that_day(make, client):
    venue = make.venue()
    login(client, make.user("coordinator"))
    week = _page(client, f"/sessions/week?week={DAY.isoformat()}")
    assert f"/sessions/new?day={DAY.isoformat()}" in week
    page = _page(client, f"/sessions/new?day={DAY.isoformat()}&venue_id={venue.id}")
    assert f'value="{DAY.isoformat()}"' in page
    assert f'<option selected value="{venue.id}">' in page
    _page(client, "/sessions/new?day=someday")


def test_the_new_form_lists_current_courses_venues_and_partners(make, client):
    make.course(title="オンライン会議")
    make.venue(name="西公民館", capacity=12)
    make.org(slug="city", kind="municipality", name="市役所")
    make.org(slug="npo-z", name="NPOゼット")
    make.user("instructor", name="講師太郎")
    login(client, make.user("coordinator"))
    page = _page(client, "/sessions/new")
    assert "オンライン会議" in page
    assert "西公民館(中央・12人まで)" in page
    assert "NPOゼット" in page
    assert "市役所" not in page
    assert "講師太郎" in page
    assert "全国展開型" in page


# ---------------------------------------------------------------- edit and cancel


def test_editing_a_session_moves_it(make, client):
    session = make.session(day=DAY, start="10:00", end="11:00")
    login(client, make.user("coordinator"))
    form_page = _page(client, f"/sessions/{session.id}/edit")
    assert f'value="{DAY.isoformat()}"' in form_page
    assert 'value="10:00"' in form_page
    assert "この回以降すべて" not in form_page  # not part of a series
    data = _form(session.course_version.course, session.venue, start="14:00", end="15:30")
    response = client.post(f"/sessions/{session.id}/edit", data=data)
    assert response.status_code == 302
    [saved] = _sessions_in_db()
    assert saved.starts_at == at(DAY, "14:00")


def test_editing_onto_another_session_is_refused_and_changes_nothing(make, client):
    venue = make.venue(buffer=0)
    first = make.session(venue=venue, day=DAY, start="10:00", end="11:00")
    second = make.session(venue=venue, day=DAY, start="13:00", end="14:00")
    login(client, make.user("coordinator"))
    data = _form(second.course_version.course, venue, start="10:30", end="11:30")
    page = client.post(f"/sessions/{second.id}/edit", data=data).get_data(as_text=True)
    assert f'href="/sessions/{first.id}"' in page
    assert _sessions_in_db()[1].starts_at == at(DAY, "13:00")


def test_cancel_needs_a_reason(make, client):
    session = make.session(day=DAY)
    login(client, make.user("coordinator"))
    assert "中止の理由" in _page(client, f"/sessions/{session.id}/cancel")
    page = client.post(f"/sessions/{session.id}/cancel", data={"reason": "  "}).get_data(
        as_text=True
    )
    assert "中止の理由を入力してください。" in error_of(page, "reason")
    assert _sessions_in_db()[0].status == "scheduled"


def test_a_cancelled_session_shows_its_reason_and_cannot_be_edited(make, client):
    session = make.session(course=make.course(title="キャッシュレス決済"), day=DAY)
    login(client, make.user("coordinator"))
    response = client.post(f"/sessions/{session.id}/cancel", data={"reason": "台風の接近のため"})
    assert response.status_code == 302
    detail = _page(client, f"/sessions/{session.id}")
    assert "この講座は中止になりました。" in detail
    assert "台風の接近のため" in detail
    assert f"/sessions/{session.id}/edit" not in detail
    listing = _page(client, "/sessions")
    assert _listed(listing, "キャッシュレス決済")
    assert "理由: 台風の接近のため" in listing
    edit = client.get(f"/sessions/{session.id}/edit", follow_redirects=True)
    assert "中止した講座は変更できません。" in edit.get_data(as_text=True)


def test_the_session_page_shows_staff_with_roles_and_planner_buttons(make, client):
    lead = make.user("instructor", name="高橋")
    helper = make.user("instructor", name="田中")
    session = make.session(day=DAY, instructor_ids=[lead.id], assistant_ids=[helper.id])
    login(client, make.user("coordinator"))
    page = _page(client, f"/sessions/{session.id}")
    assert "高橋(講師)" in page
    assert "田中(アシスタント)" in page
    assert f"/sessions/{session.id}/edit" in page
    assert f"/sessions/{session.id}/cancel" in page
    client.post("/logout")
    login(client, lead)
    page = _page(client, f"/sessions/{session.id}")
    assert f"/sessions/{session.id}/edit" not in page
