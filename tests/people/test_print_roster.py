"""The paper sign-in sheet (受付名簿): the fallback when the hall has no network."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.checkin import services as checkin
from app.extensions import db
from app.people import cards
from app.people.learners import create_learner
from app.people.registration import register
from app.timeutil import utcnow
from tests.conftest import login

SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def _learner(name, furigana, phone=None, **extra):
    return create_learner({"name": name, "furigana": furigana, "phone": phone, **extra})


def _page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def _tables(page: str) -> list[str]:
    return re.findall(r'<table class="roster-table">(.*?)</table>', page, re.S)


def _names(table: str) -> list[str]:
    return re.findall(r'<td class="roster-name">([^<]+)</td>', table)


@pytest.fixture
def hall(make, without_card):
    """A partner's session: four registered (furigana in both kana), one waitlisted."""
    org = make.org(slug="npo-hall")
    teacher = make.user("instructor", name="講師 一子")
    helper = make.user("instructor", name="補助 二子")
    session = make.session(
        capacity=4,
        partner_org=org.slug,
        instructor_ids=[teacher.id],
        assistant_ids=[helper.id],
    )
    people = {
        "sato": _learner("佐藤 一郎", "サトウ イチロウ", "090-1111-2222"),
        "abe": _learner(
            "阿部 花子", "あべ はなこ", "080-3333-4444", consent=True, share_with_partner=True
        ),
        "ito": _learner("伊藤 次郎", "いとう じろう", "070-5555-6666"),
        "kato": _learner("加藤 三郎", "カトウ サブロウ", "03-7777-8888"),
    }
    for learner in people.values():
        register(session, learner, source="phone")
    first_waiting = _learner("和田 四郎", "わだ しろう", "090-9999-0000")
    second_waiting = _learner("上田 五郎", "うえだ ごろう")
    register(session, first_waiting, source="phone")
    register(session, second_waiting, source="phone")
    for key in ("sato", "abe", "kato"):
        cards.issue_card(people[key])
    without_card(people["ito"])  # recorded before every new learner had a card
    return {
        "org": org,
        "teacher": teacher,
        "helper": helper,
        "session": session,
        "people": people,
        "waiting": [first_waiting, second_waiting],
    }


def test_the_roster_lists_registered_learners_in_furigana_order_then_the_waitlist(
    make, client, hall
):
    login(client, make.user("coordinator"))
    page = _page(client, f"/sessions/{hall['session'].id}/roster/print")

    registered, waiting = _tables(page)
    assert _names(registered) == ["阿部 花子", "伊藤 次郎", "加藤 三郎", "佐藤 一郎"]
    assert "サトウ イチロウ" in registered
    assert "あべ はなこ" in registered
    # The waitlist in the order people joined it: who moves up first.
    assert _names(waiting) == ["和田 四郎", "上田 五郎"]
    assert "キャンセル待ち" in page
    s = hall["session"]
    assert "受付名簿" in page
    assert s.course_version.title_ja in page
    assert s.venue.name in page
    assert "講師 一子" in page
    assert "補助 二子" in page
    for column in ("ふりがな", "お名前", "QRコード", "カード番号", "出席", "署名・メモ"):
        assert f'<th scope="col">{column}</th>' in page
    assert "<thead>" in registered
    assert "/static/css/print.css" in page
    assert "window.print()" in page
    assert 'class="site-header"' not in page


def test_each_learners_qr_on_the_roster_scans_as_their_card(make, client, hall, read_qr_svg):
    login(client, make.user("coordinator"))
    page = _page(client, f"/sessions/{hall['session'].id}/roster/print")
    registered = _tables(page)[0]
    people = hall["people"]
    expected = [people[k].active_card for k in ("abe", "ito", "kato", "sato")]
    decoded = [[c.text for c in read_qr_svg(svg)] for svg in SVG.findall(registered)]
    assert decoded == [[card.token] for card in expected if card is not None]
    assert "カード未発行" in registered  # 伊藤さん has no card yet
    for card in expected:
        if card is not None:
            assert card.short_code in registered
            assert card.token not in page


def test_the_roster_stylesheet_prints_a4_portrait_with_a_header_row_on_every_page(client):
    css = client.get("/static/css/print.css").get_data(as_text=True)
    roster_page = re.search(r"@page roster \{([^}]*)\}", css).group(1)
    assert "size: A4 portrait" in roster_page
    assert re.search(r"\.roster-table thead \{\s*display: table-header-group", css)
    assert re.search(r"@media print \{.*\.roster \{\s*page: roster", css, re.S)


def test_a_partner_sees_phone_numbers_only_of_learners_who_agreed(make, client, hall):
    login(client, make.user("partner", org=hall["org"]))
    page = _page(client, f"/sessions/{hall['session'].id}/roster/print")
    assert "080-3333-4444" in page  # 阿部さん agreed to share with the partner
    for hidden in ("090-1111-2222", "070-5555-6666", "03-7777-8888", "090-9999-0000"):
        assert hidden not in page
    assert "佐藤 一郎" in page
    assert "共有に同意した人だけ" in page


def test_coordinators_and_the_sessions_instructors_see_every_phone_number(make, client, hall):
    for user in (make.user("coordinator"), hall["helper"]):
        login(client, user)
        page = _page(client, f"/sessions/{hall['session'].id}/roster/print")
        for phone in ("090-1111-2222", "080-3333-4444", "070-5555-6666", "03-7777-8888"):
            assert phone in page
        assert "共有に同意した人だけ" not in page


def test_who_may_print_the_roster(make, client, hall):
    url = f"/sessions/{hall['session'].id}/roster/print"
    other_org = make.org(slug="npo-other")
    login(client, make.user("partner", org=other_org))
    _page(client, url, status=404)
    login(client, make.user("instructor"))
    _page(client, url, status=404)
    # An instructor of the partner organization knows the session, but not its people.
    login(client, make.user("instructor", org=hall["org"]))
    _page(client, url, status=403)
    login(client, make.user("admin"))
    _page(client, url)
    _page(client, "/sessions/9999/roster/print", status=404)


def test_a_learner_already_checked_in_is_ticked_with_the_time(make, client):
    teacher = make.user("instructor")
    start = utcnow() - timedelta(minutes=5)
    session = make.session(
        starts_at=start, ends_at=start + timedelta(minutes=60), instructor_ids=[teacher.id]
    )
    came, not_yet = _learner("来田 一", "きた はじめ"), _learner("未田 二", "みた ふたば")
    for learner in (came, not_yet):
        register(session, learner, source="phone")
    card = cards.issue_card(came)
    checkin.check_in(session, teacher, code=card.token)
    login(client, teacher)
    page = _page(client, f"/sessions/{session.id}/roster/print")
    rows = re.findall(r"<tr>\s*<td class=\"roster-num\">.*?</tr>", page, re.S)
    assert "roster-box-checked" in rows[0]
    assert "来田 一" in rows[0]
    assert "roster-box-checked" not in rows[1]
    assert "未田 二" in rows[1]


def test_roster_queries_do_not_grow_with_its_rows(make, client):
    coordinator = make.user("coordinator")
    sessions = []
    for size in (3, 30):
        session = make.session(capacity=size, venue=make.venue(capacity=size))
        for i in range(size):
            learner = _learner(f"受講者{size}-{i}", "じゅこうしゃ", f"090-0000-{i:04d}")
            register(session, learner, source="phone")
            cards.issue_card(learner)
        sessions.append(session)
    urls = [f"/sessions/{session.id}/roster/print" for session in sessions]
    login(client, coordinator)
    counted = []

    def count(*_args):
        counted[-1] += 1

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        for url, size in zip(urls, (3, 30), strict=True):
            counted.append(0)
            assert len(_names(_page(client, url))) == size
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert counted[0] == counted[1]
