"""The registration page a coordinator uses with a caller on the line."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy import event

from app.core.models import AuditEntry
from app.extensions import db
from app.people import registration
from app.people.models import Learner, Registration
from tests.conftest import login

FOCUSABLE = re.compile(
    r"<(a|button|select|textarea)\b[^>]*>|<input\b(?![^>]*type=\"hidden\")[^>]*>", re.S
)


def _page(client, session, **args) -> str:
    response = client.get(f"/sessions/{session.id}/registrations", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def _rows() -> list[Registration]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Registration).order_by(Registration.id)))


def _audit(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def test_the_page_shows_counts_the_registered_and_the_waitlist_in_order(make, client, new_learner):
    session = make.session(capacity=2)
    people = [new_learner(name=f"受講者{n}") for n in ("一", "二", "三", "四")]
    for person in people:
        registration.register(session, person, source="phone")
    login(client, make.user("coordinator"))

    page = _page(client, session)

    assert "登録 2人 / 定員 2人" in page
    assert "キャンセル待ち 2人" in page
    registered, waitlist = page.split('id="waitlist-title"')
    assert "受講者一" in registered
    assert "受講者二" in registered
    assert "受講者三" not in registered
    assert waitlist.index("受講者三") < waitlist.index("受講者四")


def test_the_search_box_has_the_focus_and_the_first_match_is_the_next_tab_stop(
    make, client, new_learner
):
    session = make.session()
    new_learner(name="山田花子", furigana="やまだ はなこ")
    first = new_learner(name="山田太郎", furigana="やまだ たろう")  # たろう sorts first
    new_learner(name="佐藤一郎", furigana="さとう いちろう")
    login(client, make.user("coordinator"))

    page = _page(client, session, q="ヤマダ")

    search_box = re.search(r'<input[^>]*id="q"[^>]*>', page).group(0)
    assert "autofocus" in search_box
    assert page.count("autofocus") == 1
    after = page[page.index(search_box) + len(search_box) :]
    next_stop = FOCUSABLE.search(after).group(0)
    assert next_stop.startswith("<button")
    assert f'value="{first.id}"' in next_stop
    assert 'form="registration-add"' in next_stop
    assert "1番目 山田太郎(やまだ たろう)さんを登録" in next_stop
    assert "山田花子" in page
    assert "佐藤一郎" not in page


def test_typing_asks_for_the_matches_alone(make, client, new_learner):
    session = make.session()
    learner = new_learner(name="山田花子", furigana="やまだ はなこ")
    login(client, make.user("coordinator"))

    fragment = _page(client, session, q="やまだ", partial="1")

    assert "<html" not in fragment
    assert f'value="{learner.id}"' in fragment
    assert "1人見つかりました" in fragment


def test_registering_an_existing_learner_takes_one_button(make, client, new_learner):
    session = make.session(capacity=3)
    learner = new_learner(name="山田花子")
    login(client, make.user("coordinator"))

    response = client.post(
        f"/sessions/{session.id}/registrations/add",
        data={"learner_id": learner.id, "q": "やまだ"},
        follow_redirects=True,
    )

    page = response.get_data(as_text=True)
    assert "山田花子さんを登録しました。" in page
    [row] = _rows()
    assert (row.learner_id, row.status, row.source) == (learner.id, "registered", "phone")
    assert "登録 1人 / 定員 3人" in page


def test_a_full_session_waitlists_and_says_the_position(make, client, new_learner):
    session = make.session(capacity=1)
    registration.register(session, new_learner(), source="phone")
    registration.register(session, new_learner(), source="phone")
    learner = new_learner(name="山田花子")
    login(client, make.user("coordinator"))
    assert "満席です。このまま登録するとキャンセル待ちになります。" in _page(client, session)

    response = client.post(
        f"/sessions/{session.id}/registrations/add",
        data={"learner_id": learner.id},
        follow_redirects=True,
    )

    assert "満席のため、山田花子さんをキャンセル待ち(2番目)にしました。" in response.get_data(
        as_text=True
    )
    assert _rows()[-1].status == "waitlisted"


def test_the_same_person_twice_gets_the_services_message(make, client, new_learner):
    session = make.session()
    learner = new_learner(name="山田花子")
    registration.register(session, learner, source="phone")
    login(client, make.user("coordinator"))

    response = client.post(
        f"/sessions/{session.id}/registrations/add",
        data={"learner_id": learner.id},
        follow_redirects=True,
    )

    assert "山田花子さんはこの講座に既に申し込まれています(登録済み)。" in response.get_data(
        as_text=True
    )
    assert len(_rows()) == 1


def test_a_coordinator_may_override_capacity_and_it_is_logged(make, client, new_learner):
    session = make.session(capacity=1)
    registration.register(session, new_learner(), source="phone")
    learner = new_learner()
    coordinator = make.user("coordinator")
    login(client, coordinator)

    client.post(
        f"/sessions/{session.id}/registrations/add",
        data={"learner_id": learner.id, "override_capacity": "y"},
    )

    assert [r.status for r in _rows()] == ["registered", "registered"]
    [entry] = _audit("registration.capacity_override")
    assert entry.actor_id == coordinator.id


def _new_learner_form(**extra) -> dict:
    data = {
        "furigana": "たなか みちこ",
        "name": "田中道子",
        "phone": "０９０ー５５５５ー６６６６",
        "birth_year": "昭和23年",
        "district": "中央",
        "consent": "y",
    }
    data.update(extra)
    return data


def test_a_new_learner_is_recorded_and_registered_without_leaving_the_page(make, client):
    session = make.session()
    login(client, make.user("coordinator"))

    response = client.post(f"/sessions/{session.id}/registrations/new", data=_new_learner_form())

    assert response.status_code == 302
    db.session.expire_all()
    learner = db.session.scalar(sa.select(Learner))
    assert response.headers["Location"].endswith(
        f"/sessions/{session.id}/registrations?new={learner.id}"
    )
    assert (learner.name, learner.phone, learner.birth_year) == ("田中道子", "090-5555-6666", 1948)
    assert learner.consent_on is not None
    [row] = _rows()
    assert (row.learner_id, row.source, row.status) == (learner.id, "phone", "registered")

    # The person on the phone has a card at once, printable from this very page.
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    card = learner.active_card
    assert f"田中道子さんの受講カード({card.short_code})ができました" in page
    assert f'href="/learners/{learner.id}/card"' in page
    sheet = client.get(f"/learners/{learner.id}/card").get_data(as_text=True)
    assert card.short_code in sheet
    # The list's name leads to the record.
    assert f'<a href="/learners/{learner.id}">田中道子</a>' in page


def test_the_new_card_notice_shows_only_someone_on_this_sessions_lists(make, client, new_learner):
    session = make.session()
    stranger = new_learner(name="別の人")
    login(client, make.user("coordinator"))
    page = _page(client, session, new=stranger.id)
    assert "受講カード(" not in page
    assert stranger.active_card.short_code not in page


def test_a_search_that_finds_nobody_starts_the_new_persons_form(make, client):
    session = make.session()
    login(client, make.user("coordinator"))
    page = _page(client, session, q="たなか みちこ")
    assert "に合う受講者はいません" in page
    assert re.search(r'<input[^>]*id="furigana"[^>]*value="たなか みちこ"', page)
    page = _page(client, session, q="田中道子")
    assert re.search(r'<input[^>]*id="name"[^>]*value="田中道子"', page)
    assert not re.search(r'<input[^>]*id="furigana"[^>]*value="田中道子"', page)


def test_possible_duplicates_are_shown_before_a_new_learner_is_recorded(make, client, new_learner):
    session = make.session()
    same = new_learner(name="田中道子", furigana="タナカ ミチコ", phone="090-5555-6666")
    login(client, make.user("coordinator"))

    response = client.post(f"/sessions/{session.id}/registrations/new", data=_new_learner_form())

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "同じふりがなで、電話番号か生まれた年が同じ受講者がいます。" in page
    button = re.search(r"<button[^>]*autofocus[^>]*>", page).group(0)
    assert f'value="{same.id}"' in button
    assert 'name="confirmed_new" value="1"' in page
    assert db.session.scalar(sa.select(sa.func.count(Learner.id))) == 1
    assert _rows() == []

    client.post(
        f"/sessions/{session.id}/registrations/new",
        data=_new_learner_form(confirmed_new="1"),
    )
    assert db.session.scalar(sa.select(sa.func.count(Learner.id))) == 2
    assert len(_rows()) == 1


def test_bad_input_is_named_beside_its_field_and_nothing_is_written(make, client):
    session = make.session()
    login(client, make.user("coordinator"))

    response = client.post(
        f"/sessions/{session.id}/registrations/new",
        data=_new_learner_form(phone="12345", birth_year="昭和99年"),
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="phone-error">[^<]*0から始まる番号', page)
    assert re.search(r'id="birth_year-error">[^<]+<', page)
    assert re.search(
        r'<input[^>]*autofocus[^>]*id="phone"|<input[^>]*id="phone"[^>]*autofocus', page
    )
    assert db.session.scalar(sa.select(sa.func.count(Learner.id))) == 0


def test_cancelling_promotes_the_first_waitlisted_and_says_who(make, client, new_learner):
    session = make.session(capacity=1)
    first = registration.register(session, new_learner(name="受講者甲"), source="phone")
    registration.register(session, new_learner(name="受講者乙"), source="public")
    registration.register(session, new_learner(name="受講者丙"), source="phone")
    coordinator = make.user("coordinator")
    login(client, coordinator)

    url = f"/sessions/{session.id}/registrations/{first.id}/cancel"
    # 取り消す on the list only asks, saying who would move up; nothing changes yet.
    assert f'href="{url}"' in _page(client, session)
    question = client.get(url).get_data(as_text=True)
    assert "受講者甲さんの申し込みを取り消しますか" in question
    assert "キャンセル待ちの受講者乙さんがすぐに繰り上がって登録されます" in question
    assert 'name="confirmed" value="1"' in question
    assert "取り消さない" in question
    # A post without the answer (an old page's one-click button) asks again.
    assert "取り消しますか" in client.post(url).get_data(as_text=True)
    assert [r.status for r in _rows()] == ["registered", "waitlisted", "waitlisted"]

    response = client.post(url, data={"confirmed": "1"}, follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "受講者甲さんの申し込みを取り消しました。" in page
    assert "キャンセル待ちの受講者乙さんが繰り上がって登録されました。" in page
    assert [r.status for r in _rows()] == ["cancelled", "registered", "waitlisted"]
    [entry] = _audit("registration.promoted")
    assert (entry.subject_id, entry.actor_id) == (_rows()[1].id, coordinator.id)


def test_sources_show_in_the_list(make, client, new_learner):
    session = make.session(capacity=5)
    for source in ("phone", "public", "partner", "walk_in", "import"):
        registration.register(session, new_learner(), source=source)
    login(client, make.user("coordinator"))

    page = _page(client, session)

    shown = re.findall(r'data-label="経路">([^<]*)</td>', page)
    assert shown == ["電話", "申し込みページ", "協力団体", "当日参加", "取り込み"]


def test_staff_and_partners_see_the_list_but_cannot_change_it(make, client, new_learner):
    ours, theirs = make.org(), make.org()
    teacher = make.user("instructor")
    session = make.session(partner_org=ours.slug, instructor_ids=[teacher.id])
    other = make.session(partner_org=theirs.slug, start="14:00", end="15:00")
    learner = new_learner(name="山田花子", phone="090-1212-3434")
    registration.register(session, learner, source="phone")
    partner = make.user("partner", org=ours)

    login(client, partner)
    page = _page(client, session)
    assert "山田花子" in page
    assert "090-1212-3434" not in page
    assert 'id="q"' not in page
    assert "取り消す" not in page
    assert client.get(f"/sessions/{other.id}/registrations").status_code == 404
    reg = _rows()[0]
    assert client.post(f"/sessions/{session.id}/registrations/{reg.id}/cancel").status_code == 403

    client.post("/logout")
    login(client, teacher)
    assert "090-1212-3434" in _page(client, session)
    assert client.get(f"/sessions/{other.id}/registrations").status_code == 404


def test_a_registration_of_another_session_cannot_be_cancelled_through_this_one(
    make, client, new_learner
):
    session = make.session()
    other = make.session(start="14:00", end="15:00")
    reg = registration.register(other, new_learner(), source="phone")
    login(client, make.user("coordinator"))
    assert client.post(f"/sessions/{session.id}/registrations/{reg.id}/cancel").status_code == 404
    assert _rows()[0].status == "registered"


def _queries_for_page(client, session_id: int) -> int:
    count = {"n": 0}

    def counter(*_args):
        count["n"] += 1

    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        assert client.get(f"/sessions/{session_id}/registrations").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return count["n"]


def test_the_page_makes_the_same_number_of_queries_for_3_or_30_people(make, client, new_learner):
    small, large = make.session(capacity=2), make.session(capacity=20, start="14:00", end="15:00")
    for n in range(30):
        learner = new_learner()
        registration.register(large, learner, source="phone")
        if n < 3:
            registration.register(small, learner, source="phone")
    login(client, make.user("coordinator"))
    assert _queries_for_page(client, small.id) == _queries_for_page(client, large.id)
