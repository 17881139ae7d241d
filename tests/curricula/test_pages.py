"""The curricula browser as staff see it."""

from __future__ import annotations

import re
import shutil

import pytest
import sqlalchemy as sa

from app.config import REPO_ROOT
from app.extensions import db
from tests.conftest import login
from tests.curricula.support import course, write


@pytest.fixture
def real_courses(load, tmp_path):
    result = load(shutil.copytree(REPO_ROOT / "curricula", tmp_path / "curricula"))
    assert result.exit_code == 0, result.output


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_course_list_groups_the_courses_by_track(make, client, real_courses):
    login(client, make.user("coordinator"))
    page = _page(client, "/curricula")
    for heading in ("基本講座", "応用講座", "自治会長向け", "サポーター養成"):
        assert heading in page
    assert page.index("基本講座") < page.index("応用講座") < page.index("自治会長向け")
    assert "スマートフォンの基本操作" in page
    assert "スマホサポーター入門" in page
    assert "120分" in page
    assert 'href="/curricula/mynumber-card"' in page


def test_course_list_filters_by_track(make, client, real_courses):
    login(client, make.user("instructor"))
    page = _page(client, "/curricula?track=leader")
    assert "オンライン会議・日程調整・出欠集計" in page
    assert "自治会のデジタル化" in page
    assert "スマートフォンの基本操作" not in page
    assert "キャッシュレス決済" not in page


def test_course_list_filters_by_audience(make, client, real_courses):
    login(client, make.user("coordinator"))
    page = _page(client, "/curricula?audience=supporter")
    assert "スマホサポーター入門" in page
    assert "キャッシュレス決済" not in page


def test_course_page_shows_skills_materials_and_linked_prerequisites(make, client, real_courses):
    login(client, make.user("coordinator"))
    page = _page(client, "/curricula/mynaportal-online-procedures")
    assert "マイナポータルとオンライン行政手続" in page
    assert "マイナンバーカードでマイナポータルにログインできる" in page
    assert "マイナンバーカードと暗証番号" in page
    assert "90分" in page
    assert 'href="/curricula/mynumber-card"' in page
    assert "マイナンバーカード申請・マイナ保険証・公金受取口座" in page
    assert "mynaportal-online-procedures.toml" in page


def test_a_partner_may_browse_the_curricula(make, client, real_courses):
    org = make.org(kind="npo")
    login(client, make.user("partner", org=org))
    assert "LINEオープンチャット" in _page(client, "/curricula/association-digital")


def test_an_older_version_keeps_its_skills_viewable(make, client, load, tmp_path):
    directory = write(tmp_path / "c", course("a-course"))
    assert load(directory).exit_code == 0
    new_skills = [{"id": "video-call", "ja": "ビデオ通話ができる", "en": "Makes a video call"}]
    write(directory, course("a-course", version=2, skills=new_skills))
    assert load(directory).exit_code == 0
    login(client, make.user("coordinator"))

    current = _page(client, "/curricula/a-course")
    assert "ビデオ通話ができる" in current
    assert "文字を入力できる" not in current
    assert 'href="/curricula/a-course/v/1"' in current

    old = _page(client, "/curricula/a-course/v/1")
    assert "文字を入力できる" in old
    assert "ビデオ通話ができる" not in old
    assert "以前の版" in old


def test_unknown_course_or_version_is_not_found(make, client, load, tmp_path):
    assert load(write(tmp_path / "c", course("a-course"))).exit_code == 0
    login(client, make.user("coordinator"))
    assert client.get("/curricula/no-such-course").status_code == 404
    assert client.get("/curricula/a-course/v/7").status_code == 404


def test_pages_need_a_login(client, make):
    response = client.get("/curricula")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_course_page_in_english(make, client, real_courses):
    login(client, make.user("coordinator"))
    client.post("/language", data={"lang": "en", "next": "/curricula"})
    page = _page(client, "/curricula/smartphone-basics")
    assert "Smartphone basics" in page
    assert "Turns the phone on and off and unlocks the screen" in page


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


def test_course_list_queries_do_not_grow_with_courses(make, client):
    login(client, make.user("coordinator"))
    for _ in range(3):
        make.course()
    few = _queries_for(client, "/curricula")
    for _ in range(27):
        make.course(skills=("a", "b", "c", "d"))
    many = _queries_for(client, "/curricula")
    assert many == few


def test_course_page_counts_the_sessions_planned_with_each_version(make, client):
    """The counts come from scheduling (curricula asks by a signal): version 1 keeps the two
    sessions planned with it after version 2 becomes current and gets one of its own."""
    course = make.course(slug="video-call")
    venue = make.venue()
    make.session(course=course, venue=venue, start="10:00", end="11:00")
    make.session(course=course, venue=venue, start="13:00", end="14:00")
    make.course_version(course, 2, "ビデオ通話 第2版")
    make.session(course=course, venue=venue, start="15:00", end="16:00")
    login(client, make.user("coordinator"))
    page = client.get("/curricula/video-call").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", page, re.S)
    counts = {
        re.search(r"version (\d+)", row).group(1): re.findall(r"<td>(\d+)件</td>", row)
        for row in rows
    }
    assert counts == {"2": ["1"], "1": ["2"]}
