"""The public sign-up: residents find a class, sign up without an account, print the answer."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.curricula.models import CourseVersion
from app.extensions import db
from app.people import cards, learners, registration
from app.people.models import Card, Learner, PendingMatch, Registration
from app.scheduling.sessions import cancel_session
from app.timeutil import japan_today, local, utcnow

STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"
TOKENS = Path(__file__).resolve().parents[2] / "static" / "vendor" / "tokens.css"
MATERIALS = ["ご自分のスマートフォン", "充電ケーブル"]


@pytest.fixture
def course(make):
    course = make.course(title="はじめてのスマートフォン")
    version = db.session.get(CourseVersion, course.current_version_id)
    version.materials = MATERIALS
    db.session.commit()
    return course


def _form(**extra) -> dict:
    data = {
        "name": "田中道子",
        "furigana": "たなか みちこ",
        "phone": "090-5555-6666",
        "birth_year": "昭和23年",
        "consent": "y",
        "form_key": "key-of-one-page-view",
    }
    data.update(extra)
    return data


def _get(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def _sign_up(client, session, **extra):
    return client.post(f"/public/sessions/{session.id}/signup", data=_form(**extra))


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ---------------------------------------------------------------- the list


def test_the_list_shows_upcoming_public_sessions_with_seats_left(make, client, course):
    venue = make.venue(name="中央公民館")
    day = japan_today() + timedelta(days=9)
    open_one = make.session(course=course, venue=venue, day=day, start="10:00", end="11:30")
    full = make.session(course=course, venue=venue, day=day, start="14:00", end="15:00", capacity=1)
    registration.register(
        full, learners.create_learner({"name": "甲", "furigana": "こう"}), source="phone"
    )
    make.session(course=course, venue=venue, day=day, start="16:00", end="17:00", public=False)
    cancelled = make.session(course=course, venue=venue, day=day, start="18:00", end="19:00")
    cancel_session(cancelled, "講師の都合")

    page = _get(client, "/public/sessions")

    start = local(open_one.starts_at)
    weekday = "月火水木金土日"[start.weekday()]
    assert f"{start.month}月{start.day}日({weekday})10時〜11時30分" in page
    assert "中央公民館" in page
    assert venue.address in page
    assert "あと4人" in page
    assert page.count('href="/public/sessions/') == 2
    assert f"/public/sessions/{full.id}/signup" in page
    assert "キャンセル<ruby>待<rt>ま</rt></ruby>ち" in page
    assert "甲" not in page


def test_private_cancelled_and_past_sessions_cannot_be_signed_up_for(make, client, course):
    private = make.session(course=course, public=False)
    cancelled = make.session(course=course, start="14:00", end="15:00")
    cancel_session(cancelled, "会場の都合")
    now = local(utcnow())
    past = make.session(course=course, day=now.date() - timedelta(days=3))
    for session in (private, cancelled, past):
        assert client.get(f"/public/sessions/{session.id}/signup").status_code == 404
        assert _sign_up(client, session).status_code == 404
    assert client.get("/public/sessions/999999/signup").status_code == 404
    assert _count(Learner) == 0


# ---------------------------------------------------------------- the form


def test_the_form_is_plain_big_and_has_a_text_size_control_and_english(make, client, course):
    session = make.session(course=course)

    page = _get(client, f"/public/sessions/{session.id}/signup")

    assert '<body class="public">' in page
    assert "<ruby>申<rt>もう</rt></ruby>しこみ" in page
    assert "<ruby>教室<rt>きょうしつ</rt></ruby>" in page
    for label in ("おなまえ", "ふりがな", "でんわばんごう", "うまれた とし", "どうい します"):
        assert label in page
    assert 'name="consent"' in page
    assert "ほかの ことには つかいません" in page
    assert 'data-text-size="1"' in page
    assert 'data-text-size="-1"' in page
    assert "/static/js/text-size.js" in page  # remembers the size (localStorage)
    assert 'action="/language"' in page
    assert 'value="en"' in page
    # name, furigana, birth year; and the honeypot, which no person sees (test_signup_bots);
    # the family member's fields (test_family_signup) are apart from the learner's
    learners_part = page.replace(
        page[page.index('id="family-contact"') : page.index('class="hp"')], ""
    )
    assert len(re.findall(r'<input[^>]*type="text"', learners_part)) == 4


def _rem(token: str) -> float:
    return float(re.search(rf"--{token}:\s*([\d.]+)rem", TOKENS.read_text()).group(1))


def test_learner_pages_use_base_text_of_at_least_18px_and_44px_targets():
    css = STYLESHEET.read_text()
    body = re.search(r"body\.public \{([^}]*)\}", css).group(1)
    size = re.search(r"font-size: var\(--(font-size-\d+)\)", body).group(1)
    assert _rem(size) * 16 >= 18
    button = re.search(r"body\.public \.button \{([^}]*)\}", css).group(1)
    assert float(re.search(r"min-height: ([\d.]+)rem", button).group(1)) * 16 >= 44


def test_the_pages_show_no_personal_data_of_other_people(make, client, course):
    session = make.session(course=course, capacity=3)
    other = learners.create_learner(
        {"name": "鈴木よし子", "furigana": "すずき よしこ", "phone": "03-9876-5432"}
    )
    registration.register(session, other, source="phone")

    for url in ("/public/sessions", f"/public/sessions/{session.id}/signup"):
        page = _get(client, url)
        assert "鈴木" not in page
        assert "すずき" not in page
        assert "9876-5432" not in page
    assert "あと2人" in _get(client, "/public/sessions")


# ---------------------------------------------------------------- signing up


def test_a_new_person_signs_up_and_gets_a_printable_confirmation_with_a_card(make, client, course):
    session = make.session(course=course, capacity=3)

    response = _sign_up(client, session)

    assert response.status_code == 303
    url = response.headers["Location"]
    assert re.search(r"/public/registrations/[\w.-]{20,}$", url)
    db.session.expire_all()
    learner = db.session.scalar(sa.select(Learner))
    assert (learner.name, learner.phone, learner.birth_year) == ("田中道子", "090-5555-6666", 1948)
    assert learner.consent_on is not None
    [reg] = db.session.scalars(sa.select(Registration)).all()
    assert (reg.learner_id, reg.source, reg.status) == (learner.id, "public", "registered")

    page = _get(client, url)
    assert "<ruby>申<rt>もう</rt></ruby>しこみが できました" in page
    assert "はじめてのスマートフォン" in page
    assert session.venue.address in page
    for item in MATERIALS:
        assert f"<li>{item}</li>" in page
    assert "0120-000-000" in page
    card = db.session.scalar(sa.select(Card).where(Card.learner_id == learner.id))
    assert card.short_code in page
    assert "<svg" in page
    # Printable: a print stylesheet drops the site's header, footer and buttons.
    print_css = re.search(r'<style media="print">(.*?)</style>', page, re.S).group(1)
    assert ".public-header" in print_css
    assert ".no-print" in print_css
    assert "@page" in print_css
    assert 'class="no-print actions"' in page


def test_the_help_phone_number_comes_from_the_configuration(make, client, course, app):
    app.config["HELP_PHONE"] = "0120-123-456"
    session = make.session(course=course)
    page = _get(client, _sign_up(client, session).headers["Location"])
    assert "0120-123-456" in page
    assert "0120-000-000" not in page


def test_a_full_session_waitlists_and_the_confirmation_says_the_place(make, client, course):
    session = make.session(course=course, capacity=1)
    for furigana in ("あ", "い"):
        registration.register(
            session,
            learners.create_learner({"name": furigana, "furigana": furigana}),
            source="phone",
        )
    assert "いまは まんせきです" in _get(client, f"/public/sessions/{session.id}/signup")

    page = _get(client, _sign_up(client, session).headers["Location"])

    assert "キャンセル<ruby>待<rt>ま</rt></ruby>ちに なりました" in page
    assert "キャンセル<ruby>待<rt>ま</rt></ruby>ちの 2ばんめ です" in page
    db.session.expire_all()
    assert db.session.scalars(sa.select(Registration.status)).all()[-1] == "waitlisted"


def test_an_existing_learners_furigana_and_phone_make_a_new_record_with_its_own_card(
    make, client, course
):
    """Whoever fills in the form is nobody we know: the person on record is not registered
    (nor shown), a new record with a card of its own is, and a coordinator checks the match."""
    session = make.session(course=course)
    known = learners.create_learner(
        {"name": "田中道子", "furigana": "タナカ ミチコ", "phone": "090-5555-6666"}
    )

    card = cards.issue_card(known)

    response = _sign_up(client, session, name="たなか")

    assert _count(Learner) == 2
    db.session.expire_all()
    [reg] = db.session.scalars(sa.select(Registration)).all()
    assert reg.learner_id != known.id
    assert reg.source == "public"
    page = _get(client, response.headers["Location"])
    assert "<ruby>申<rt>もう</rt></ruby>しこみが できました" in page
    assert card.short_code not in page
    assert "田中道子" not in page
    new_card = db.session.scalar(sa.select(Card).where(Card.learner_id == reg.learner_id))
    assert new_card.short_code in page
    assert "<svg" in page
    [match] = db.session.scalars(sa.select(PendingMatch)).all()
    assert (match.new_learner_id, match.existing_learner_id) == (reg.learner_id, known.id)


def test_a_double_submit_registers_once_and_lands_on_the_same_confirmation(make, client, course):
    session = make.session(course=course)

    first = _sign_up(client, session)
    second = _sign_up(client, session)

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(Learner) == 1
    assert _count(Registration) == 1
    card = db.session.scalar(sa.select(Card))
    assert card.short_code in _get(client, second.headers["Location"])


def test_someone_else_typing_the_same_name_and_phone_does_not_see_the_card(make, client, course):
    session = make.session(course=course)
    mine = _sign_up(client, session, form_key="key-of-my-page-view")
    card = db.session.scalar(sa.select(Card))

    theirs = _sign_up(client, session, form_key="key-of-their-page-view")

    assert theirs.headers["Location"] != mine.headers["Location"]
    page = _get(client, theirs.headers["Location"])
    # A record and a card of their own (awaiting a coordinator's match), never mine.
    assert card.short_code not in page
    assert "<svg" in page
    assert _count(Registration) == 2
    assert _count(Card) == 2


def test_a_post_without_the_pages_key_never_shows_a_card_made_by_another(make, client, course):
    session = make.session(course=course)
    keyless = _sign_up(client, session, form_key="")
    assert db.session.scalar(sa.select(Card)).short_code in _get(
        client, keyless.headers["Location"]
    )

    first = db.session.scalar(sa.select(Card)).short_code

    again = _sign_up(client, session, form_key="")

    assert first not in _get(client, again.headers["Location"])


def test_bad_input_gets_a_plain_message_beside_the_field_and_nothing_is_written(
    make, client, course
):
    session = make.session(course=course)

    response = _sign_up(client, session, phone="でんわ", birth_year="きのう", consent="")

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="consent-error">[^<]*「どうい します」に チェック', page)
    assert _count(Learner) == 0

    response = _sign_up(client, session, phone="でんわ", birth_year="きのう")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="phone-error">[^<]*でんわばんごうを すうじで', page)
    assert re.search(r'id="birth_year-error">[^<]*うまれた とし を 1948 や 昭和23年', page)
    assert 'value="たなか みちこ"' in page  # what was typed stays
    assert _count(Learner) == 0
    assert _count(Registration) == 0


def test_a_made_up_or_altered_confirmation_link_is_404(make, client, course):
    session = make.session(course=course)
    url = _sign_up(client, session).headers["Location"]
    assert client.get(url[:-2] + "xx").status_code == 404
    assert client.get("/public/registrations/1").status_code == 404
