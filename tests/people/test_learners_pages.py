"""Learner pages: who sees whom, the record form (duplicates before saving, every error beside
its field), a learner's page, reissuing a card, and a list whose queries do not grow."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.checkin.models import SkillReached
from app.extensions import db
from app.people import cards
from app.people.models import Card, Learner
from app.timeutil import japan_today
from tests.conftest import login

AHEAD = japan_today() + timedelta(days=10)
PAST = japan_today() - timedelta(days=10)


def page_of(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    return response.get_data(as_text=True)


def error_of(page: str, field: str) -> str:
    """The error text shown beside a form field ("" when it has none)."""
    found = re.search(rf'id="{field}-error">([^<]*)<', page)
    return found.group(1).strip() if found else ""


def listed(page: str, name: str) -> bool:
    return f">{name}</a>" in page


def learner_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(Learner.id)))


# ---------------------------------------------------------------- who sees whom


@pytest.fixture
def world(make, add_learner, enroll):
    """Two partner organizations' classes and four learners:
    aoki (ours and theirs, no sharing), baba (ours, agreed to share), chiba (theirs only),
    doi (no class)."""
    ours, theirs = make.org(slug="npo-ours"), make.org(slug="npo-theirs")
    teacher = make.user("instructor")
    ours_class = make.session(
        course=make.course(title="LINEの使い方"),
        day=AHEAD,
        partner_org=ours.slug,
        instructor_ids=[teacher.id],
    )
    theirs_class = make.session(
        course=make.course(title="マイナポータル"), day=AHEAD, partner_org=theirs.slug
    )
    people = {
        "aoki": add_learner("青木 明", "あおき あきら", phone="090-1111-1111", consent=True),
        "baba": add_learner(
            "馬場 文",
            "ばば あや",
            phone="090-2222-2222",
            consent=True,
            share_with_partner=True,
        ),
        "chiba": add_learner("千葉 智", "ちば さとし", phone="090-3333-3333"),
        "doi": add_learner("土井 大", "どい だい", phone="090-4444-4444"),
    }
    enroll(ours_class, people["aoki"])
    enroll(theirs_class, people["aoki"])
    enroll(ours_class, people["baba"])
    enroll(theirs_class, people["chiba"])
    return {
        "people": people,
        "partner": make.user("partner", org=ours),
        "instructor": teacher,
        "coordinator": make.user("coordinator"),
        "admin": make.user("admin"),
    }


def test_coordinator_lists_everyone_with_phones(world, client):
    login(client, world["coordinator"])
    page = page_of(client, "/learners")
    for name in ("青木 明", "馬場 文", "千葉 智", "土井 大"):
        assert listed(page, name)
    assert "090-1111-1111" in page
    assert "090-4444-4444" in page
    assert 'href="/learners/new"' in page


def test_partner_sees_only_its_classes_learners_and_phones_only_with_consent(world, client):
    people = world["people"]
    login(client, world["partner"])
    page = page_of(client, "/learners")
    assert listed(page, "青木 明")
    assert listed(page, "馬場 文")
    assert not listed(page, "千葉 智")
    assert not listed(page, "土井 大")
    assert "090-1111-1111" not in page  # aoki did not agree to share
    assert "090-2222-2222" in page
    assert 'href="/learners/new"' not in page

    detail = page_of(client, f"/learners/{people['aoki'].id}")
    assert "090-1111-1111" not in detail
    assert "非表示" in detail
    assert "LINEの使い方" in detail
    assert "マイナポータル" not in detail  # the other organization's class stays unseen
    assert "記録を変更する" not in detail
    assert "再発行" not in detail
    assert "090-2222-2222" in page_of(client, f"/learners/{people['baba'].id}")
    page_of(client, f"/learners/{people['chiba'].id}", status=404)
    page_of(client, f"/learners/{people['doi'].id}", status=404)


def test_instructor_sees_the_learners_of_the_classes_they_teach(world, client):
    people = world["people"]
    login(client, world["instructor"])
    page = page_of(client, "/learners")
    assert listed(page, "青木 明")
    assert listed(page, "馬場 文")
    assert not listed(page, "千葉 智")
    assert "090-1111-1111" in page  # the teacher may call a learner
    page_of(client, f"/learners/{people['chiba'].id}", status=404)


@pytest.mark.parametrize("role", ["partner", "instructor"])
def test_only_planners_record_merge_or_reissue(world, client, role):
    aoki = world["people"]["aoki"]
    card_count = db.session.scalar(sa.select(sa.func.count(Card.id)))
    login(client, world[role])
    assert client.get("/learners/new").status_code == 403
    assert client.get(f"/learners/{aoki.id}/edit").status_code == 403
    assert client.get(f"/learners/{aoki.id}/merge").status_code == 403
    assert client.post(f"/learners/{aoki.id}/card/reissue").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Card.id))) == card_count


def test_admin_manages_learners_too(world, client):
    login(client, world["admin"])
    assert client.get("/learners/new").status_code == 200
    assert client.get(f"/learners/{world['people']['doi'].id}/edit").status_code == 200


# ---------------------------------------------------------------- recording a learner


def form_data(**fields) -> dict:
    data = {
        "name": "山田 花子",
        "furigana": "やまだ はなこ",
        "phone": "０９０ー１２３４ー５６７８",
        "phone2": "",
        "birth_year": "昭和２３年",
        "district": "中央",
        "kind": "senior",
        "device": "android",
        "language": "ja",
        "needs_hearing": "y",
        "consent": "y",
        "share_with_partner": "",
        "notes": "娘さん経由で申し込み",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v != ""}


def test_the_form_offers_every_field(make, client):
    login(client, make.user("coordinator"))
    page = page_of(client, "/learners/new")
    for name in (
        "name",
        "furigana",
        "phone",
        "phone2",
        "birth_year",
        "district",
        "kind",
        "device",
        "language",
        "needs_vision",
        "needs_hearing",
        "needs_mobility",
        "consent",
        "share_with_partner",
        "notes",
    ):
        assert f'name="{name}"' in page, name
    assert 'name="confirm_new"' not in page  # only once duplicates are shown


def test_a_new_learner_is_recorded_with_wareki_full_width_and_consent(make, client):
    coordinator = make.user("coordinator", name="佐藤 係長")
    login(client, coordinator)
    response = client.post("/learners/new", data=form_data())
    assert response.status_code == 302
    learner = db.session.scalar(sa.select(Learner))
    assert learner.birth_year == 1948
    assert learner.phone == "090-1234-5678"
    assert learner.consent_on == japan_today()
    assert learner.consent_recorded_by_id == coordinator.id
    assert learner.needs_hearing
    assert not learner.needs_vision
    assert not learner.share_with_partner
    page = page_of(client, response.headers["Location"])
    assert "1948(昭和23年)" in page
    assert f"{japan_today().isoformat()}に同意" in page
    assert "佐藤 係長" in page
    assert "聞こえにくい" in page


def test_every_field_error_is_shown_beside_its_field_and_nothing_is_saved(make, client):
    login(client, make.user("coordinator"))
    response = client.post(
        "/learners/new",
        data=form_data(
            name="",
            furigana="山田",
            phone="090-1234-567",
            phone2="でんわ",
            birth_year="昭和70年",
            consent="",
            share_with_partner="y",
        ),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "お名前を入力してください" in error_of(page, "name")
    assert "ひらがな か カタカナ" in error_of(page, "furigana")
    assert "11桁" in error_of(page, "phone")
    assert "数字とハイフン" in error_of(page, "phone2")
    assert "昭和70年はありません" in error_of(page, "birth_year")
    assert "同意が先に必要" in error_of(page, "share_with_partner")
    assert 'value="昭和70年"' in page  # what was typed stays in the box
    assert learner_count() == 0


def test_possible_duplicates_are_shown_before_saving_then_confirmed(make, client, add_learner):
    first = add_learner("山田 花子", "ヤマダ ハナコ", phone="090-1234-5678")
    login(client, make.user("coordinator"))

    page = client.post("/learners/new", data=form_data()).get_data(as_text=True)
    assert "同じ人かもしれない受講者がいます" in page
    assert f'href="/learners/{first.id}"' in page
    assert "別の人として登録する" in page
    assert 'name="confirm_new"' in page
    assert learner_count() == 1
    seen = re.search(r'name="duplicates_seen" type="hidden" value="([^"]*)"', page).group(1)
    assert seen == str(first.id)

    # Ticking the box without having been shown the list (a stale form) is not enough.
    page = client.post("/learners/new", data=form_data(confirm_new="y")).get_data(as_text=True)
    assert "同じ人かもしれない受講者がいます" in page
    assert learner_count() == 1

    response = client.post("/learners/new", data=form_data(confirm_new="y", duplicates_seen=seen))
    assert response.status_code == 302
    assert learner_count() == 2


def test_a_duplicate_found_after_the_confirmation_is_shown_again(make, client, add_learner):
    first = add_learner("山田 花子", "やまだ はなこ", phone="090-1234-5678")
    login(client, make.user("coordinator"))
    second = add_learner("山田 花子", "やまだ はなこ", birth_year="1948")
    page = client.post(
        "/learners/new", data=form_data(confirm_new="y", duplicates_seen=str(first.id))
    ).get_data(as_text=True)
    assert f'href="/learners/{second.id}"' in page
    assert learner_count() == 2


def test_a_search_that_found_no_one_offers_to_record_them(make, client):
    login(client, make.user("coordinator"))
    page = page_of(client, "/learners?q=たなか")
    assert "条件に合う受講者はいません" in page
    new_form = page_of(client, "/learners/new?furigana=たなか")
    assert 'value="たなか"' in new_form
    assert "/learners/new?furigana=" in page


def test_editing_changes_the_record_and_withdrawing_consent_stops_sharing(
    make, client, add_learner
):
    learner = add_learner(phone="090-1234-5678", consent=True, share_with_partner=True)
    login(client, make.user("coordinator"))
    form = page_of(client, f"/learners/{learner.id}/edit")
    assert 'value="090-1234-5678"' in form
    data = form_data(phone="03-1234-5678", birth_year="S10", consent="", share_with_partner="")
    response = client.post(f"/learners/{learner.id}/edit", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert learner.phone == "03-1234-5678"
    assert learner.birth_year == 1935
    assert learner.consent_on is None
    assert not learner.share_with_partner

    bad = client.post(f"/learners/{learner.id}/edit", data=form_data(birth_year="2200"))
    assert bad.status_code == 422
    assert "範囲外" in error_of(bad.get_data(as_text=True), "birth_year")


# ---------------------------------------------------------------- a learner's page


def test_learner_page_shows_classes_attendance_skills_and_card(make, client, add_learner, enroll):
    learner = add_learner(birth_year="1989")
    course = make.course(title="スマホの基本", skills=("power", "camera", "map"))
    power, camera, _map = course.current_version.skills
    other_course = make.course(title="LINEの使い方", skills=("stamp",))
    venue = make.venue()
    came = make.session(course=course, venue=venue, day=PAST, start="10:00", end="11:00")
    missed = make.session(course=other_course, venue=venue, day=PAST, start="13:00", end="14:00")
    ahead = make.session(course=other_course, venue=venue, day=AHEAD)
    enroll(came, learner, attended="late")
    enroll(missed, learner)
    enroll(ahead, learner, status="waitlisted")
    db.session.add_all(
        [
            SkillReached(learner_id=learner.id, skill_id=power.id, session_id=came.id),
            SkillReached(learner_id=learner.id, skill_id=camera.id, session_id=came.id),
        ]
    )
    db.session.commit()
    card = cards.issue_card(learner)
    login(client, make.user("coordinator"))
    page = page_of(client, f"/learners/{learner.id}")

    assert "1989(平成元年・昭和64年)" in page
    upcoming, past = page.split("これからの講座")[2].split("これまでの講座", 1)
    assert "LINEの使い方" in upcoming
    assert "キャンセル待ち" in upcoming
    assert "スマホの基本" in past
    assert "遅刻" in past
    assert "欠席" in past  # registered, never checked in, the class is over
    skills = past.split("できるようになったこと")[1]
    assert "スマホの基本" in skills
    assert "power" in skills
    assert "camera" in skills
    assert "map" not in skills
    assert card.short_code in page
    assert "すぐに使えなくなります" in page  # the reissue button says what it does


def test_reissuing_a_card_stops_the_old_one_at_once(make, client, add_learner):
    learner = add_learner()
    old = cards.issue_card(learner)
    old_id, old_code = old.id, old.short_code
    coordinator = make.user("coordinator")
    login(client, coordinator)
    response = client.post(f"/learners/{learner.id}/card/reissue")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Card, old_id).revoked_at is not None
    new = learner.active_card
    assert new is not None
    assert new.id != old_id
    page = page_of(client, f"/learners/{learner.id}")
    assert "前のカードはもう使えません" in page
    assert new.short_code in page
    revoked = page.split("使えなくなったカード")[1]
    assert old_code in revoked
    assert "カードを再発行しました" in page  # in the record's history


def test_a_new_learner_has_a_card_to_print_at_once(make, client, add_learner):
    learner = add_learner()
    login(client, make.user("coordinator"))
    page = page_of(client, f"/learners/{learner.id}")
    assert learner.active_card.short_code in page
    assert f'href="/learners/{learner.id}/card"' in page  # カードを印刷する


def test_a_learner_without_a_card_gets_a_first_one(make, client, add_learner, without_card):
    learner = without_card(add_learner())
    login(client, make.user("coordinator"))
    assert "使えるカードはありません" in page_of(client, f"/learners/{learner.id}")
    client.post(f"/learners/{learner.id}/card/reissue")
    db.session.expire_all()
    assert learner.active_card is not None


# ---------------------------------------------------------------- the list


def test_the_list_shows_birth_year_in_both_calendars_and_card_status(
    make, client, add_learner, without_card
):
    with_card = add_learner("山田 花子", "やまだ はなこ", birth_year="昭和23年", district="北")
    without_card(add_learner("鈴木 一郎", "すずき いちろう"))
    card = cards.issue_card(with_card)
    login(client, make.user("coordinator"))
    page = page_of(client, "/learners")
    assert "1948(昭和23年)" in page
    assert "北" in page
    assert card.short_code in page
    assert "未発行" in page


def test_the_list_pages_when_there_are_many(make, client, add_learner):
    for n in range(52):
        add_learner(f"受講者{n}", "う" * (n + 1))
    login(client, make.user("coordinator"))
    first = page_of(client, "/learners")
    assert "1〜50件目" in first
    assert "まだ続きがあります" in first
    assert 'rel="next"' in first
    second = page_of(client, "/learners?page=2")
    assert "51〜52件目" in second
    assert 'rel="next"' not in second


def _queries_for(client, url: str) -> int:
    count = {"n": 0}

    def counter(*_args, **_kwargs):
        count["n"] += 1

    sa.event.listen(db.engine, "before_cursor_execute", counter)
    try:
        page_of(client, url)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counter)
    return count["n"]


def _learners_with_cards(add_learner, enroll, session, start: int, count: int) -> None:
    for n in range(start, start + count):
        learner = add_learner(
            f"受講者{n}",
            "じゅこうしゃ" + "あいうえお"[n % 5],
            phone=f"090-0000-{n:04d}",
            district="中央",
            consent=True,
            share_with_partner=n % 2 == 0,
        )
        cards.issue_card(learner)
        enroll(session, learner)


@pytest.mark.parametrize("role", ["coordinator", "partner"])
def test_list_queries_do_not_grow_with_its_rows(make, client, add_learner, enroll, role):
    org = make.org(slug="npo-a")
    session = make.session(day=AHEAD, partner_org=org.slug)
    login(client, make.user(role, org=org if role == "partner" else None))
    _learners_with_cards(add_learner, enroll, session, 0, 3)
    few = _queries_for(client, "/learners")
    few_search = _queries_for(client, "/learners?q=じゅこうしゃ&district=中央")
    _learners_with_cards(add_learner, enroll, session, 3, 27)
    many_page = page_of(client, "/learners")
    assert many_page.count('data-label="お名前"') == 30
    assert _queries_for(client, "/learners") == few
    assert _queries_for(client, "/learners?q=じゅこうしゃ&district=中央") == few_search


def test_learner_page_queries_do_not_grow_with_classes(make, client, add_learner, enroll):
    learner = add_learner()
    venue = make.venue()
    login(client, make.user("coordinator"))

    def classes(count: int, offset: int) -> None:
        for n in range(offset, offset + count):
            course = make.course(skills=("power",))
            session = make.session(course=course, venue=venue, day=PAST - timedelta(days=n))
            enroll(session, learner, attended="present")
            skill = course.current_version.skills[0]
            db.session.add(
                SkillReached(learner_id=learner.id, skill_id=skill.id, session_id=session.id)
            )
        db.session.commit()

    classes(2, 0)
    few = _queries_for(client, f"/learners/{learner.id}")
    classes(10, 2)
    assert page_of(client, f"/learners/{learner.id}").count('data-label="講座"') == 12
    assert _queries_for(client, f"/learners/{learner.id}") == few
