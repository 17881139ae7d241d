"""The public pages as a new user finds them (issue 16): a family member signing up on a
phone, every problem shown at once, a romaji reading on the English page, the class list
narrowed by area, course and day, and a printed confirmation with one QR code only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.people.models import Learner
from app.timeutil import japan_today, local
from tests.public.test_public_signup import _count, _get, _sign_up


@pytest.fixture
def course(make):
    return make.course(title="はじめてのスマートフォン")


def _english(client, session) -> None:
    client.post("/language", data={"lang": "en", "next": f"/public/sessions/{session.id}/signup"})


def _sessions_listed(page: str) -> list[str]:
    return re.findall(r'href="/public/sessions/(\d+)/signup"', page)


# ---------------------------------------------------------------- the form


def test_the_browser_does_not_fill_the_learners_fields_with_the_family_members(
    make, client, course
):
    session = make.session(course=course)
    page = _get(client, f"/public/sessions/{session.id}/signup")
    for name in ("name", "furigana", "phone", "birth_year"):
        tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page).group(0)
        assert 'autocomplete="off"' in tag, tag
    # Only the family member's own fields may be filled from their phone (test_family_signup).
    before_family = page.split('id="family-contact"')[0]
    assert 'autocomplete="name"' not in before_family
    assert 'autocomplete="tel"' not in before_family
    assert "ごかぞくが もうしこむ ときは" in page


def test_every_problem_is_shown_at_once(make, client, course):
    session = make.session(course=course)

    # No name and no consent (the form's own checks), a bad phone and birth year (the
    # learner service's): all four on the first try.
    response = _sign_up(client, session, name="", phone="でんわ", birth_year="きのう", consent="")

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="name-error">[^<]*おなまえを かいて', page)
    assert re.search(r'id="phone-error">[^<]*でんわばんごうを すうじで', page)
    assert re.search(r'id="birth_year-error">[^<]*うまれた とし を 1948', page)
    assert re.search(r'id="consent-error">[^<]*「どうい します」に チェック', page)
    assert _count(Learner) == 0


def test_a_romaji_reading_on_the_english_page_is_kept_as_kana_for_the_staff(make, client, course):
    session = make.session(course=course)
    _english(client, session)
    page = _get(client, f"/public/sessions/{session.id}/signup")
    assert "yamada hanako" in page  # the example says romaji will do

    response = _sign_up(client, session, name="Tanaka Michiko", furigana="Tanaka Michiko")

    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    learner = db.session.scalar(sa.select(Learner))
    assert learner.furigana == "たなか みちこ"
    assert learner.name == "Tanaka Michiko"


def test_a_reading_that_is_neither_kana_nor_romaji_says_both_will_do(make, client, course):
    session = make.session(course=course)
    _english(client, session)
    response = _sign_up(client, session, furigana="田中")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="furigana-error">[^<]*(romaji|ローマ)', page, re.I)
    assert _count(Learner) == 0


def test_romaji_is_not_taken_as_a_reading_on_the_japanese_page(make, client, course):
    session = make.session(course=course)
    response = _sign_up(client, session, furigana="tanaka michiko")
    assert response.status_code == 422
    assert _count(Learner) == 0


# ---------------------------------------------------------------- the list's filters


def test_the_list_narrows_by_area_course_and_day(make, client, course):
    north, south = make.venue(district="北"), make.venue(district="南")
    line = make.course(title="LINEをはじめよう")
    day = japan_today() + timedelta(days=7)
    later = day + timedelta(days=3)
    basics_north = make.session(course=course, venue=north, day=day)
    line_north = make.session(course=line, venue=north, day=later)
    basics_south = make.session(course=course, venue=south, day=later)
    make.session(course=line, venue=south, day=day, public=False)  # offered to nobody

    page = _get(client, "/public/sessions")
    assert len(_sessions_listed(page)) == 3
    # The boxes offer only what has a class open: 北 and 南, both courses, the two days.
    assert re.search(r'<option value="北">北</option>', page)
    assert re.search(r'<option value="南">南</option>', page)
    assert f'<option value="{line.slug}">LINEをはじめよう</option>' in page
    assert f'<option value="{day.isoformat()}">{day.month}月{day.day}日(' in page
    assert len(re.findall(r'<select[^>]*name="day"', page)) == 1

    page = _get(client, "/public/sessions?area=北")
    assert _sessions_listed(page) == [str(basics_north.id), str(line_north.id)]
    assert "2 の <ruby>教室" in page

    page = _get(client, f"/public/sessions?area=北&course={line.slug}")
    assert _sessions_listed(page) == [str(line_north.id)]

    page = _get(client, f"/public/sessions?day={later.isoformat()}")
    assert _sessions_listed(page) == [str(line_north.id), str(basics_south.id)]
    assert all(local(s.starts_at).date() == later for s in (line_north, basics_south))

    page = _get(client, f"/public/sessions?area=南&day={day.isoformat()}")
    assert _sessions_listed(page) == []
    assert "この じょうけんの" in page


def test_a_filter_value_the_list_does_not_offer_is_400_with_a_message(make, client, course):
    make.session(course=course)
    response = client.get("/public/sessions?day=2001-01-01&course=nothing")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="day-error">[^<]*この なかから えらんで', page)
    assert re.search(r'id="course-error">[^<]*この なかから えらんで', page)
    assert _sessions_listed(page) == []


# ---------------------------------------------------------------- the confirmation


def test_the_confirmation_has_one_qr_the_card_and_the_family_calendar_in_words(
    make, client, course
):
    session = make.session(course=course)
    response = _sign_up(client, session)
    page = _get(client, response.headers["Location"])

    assert page.count("<svg") == 1
    assert 'class="card-qr"' in page
    assert "calendar-qr" not in page
    # The calendar is a link in words, on the screen only; no raw feed address is printed.
    link = re.search(
        r'<a class="button" href="(webcal://[^"]+)" data-family-calendar>([^<]+)</a>', page
    )
    assert link
    assert "/calendar/learner/" in link.group(1)
    assert "ごかぞくの スマホの カレンダーに いれる" in link.group(2)
    assert not re.search(r">\s*https?://[^<]*/calendar/learner/", page)
    assert re.search(r'class="signup-calendar no-print"', page)
