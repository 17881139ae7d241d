"""A family member signs up for the learner (issue 16): they say so, give their own contact,
and that contact is kept with the sign-up, so the family reminder reaches them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.people.confirmation_jobs import queue_family_reminders
from app.people.models import FamilyContact, Learner, Registration
from app.timeutil import japan_today
from tests.conftest import run_jobs
from tests.public.test_public_signup import _count, _get, _sign_up
from tests.smtp import smtp  # noqa: F401  (the fixture)

FAMILY = {
    "who": "family",
    "family_name": "田中 さくら",
    "family_relation": "むすめ",
    "family_phone": "０８０－１１１１－２２２２",
    "family_email": "sakura@example.jp",
    "family_consent": "y",
}


@pytest.fixture
def session(make):
    course = make.course(title="はじめてのスマートフォン")
    return make.session(course=course, day=japan_today() + timedelta(days=10))


def _tag(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page).group(0)


def test_the_form_asks_who_signs_up_and_lets_the_family_members_phone_fill_their_own_fields(
    client, session
):
    page = _get(client, f"/public/sessions/{session.id}/signup")

    assert "ご本人が 申し込む" in page
    assert "ご家族が 申し込む" in page
    assert re.search(r'<input[^>]*checked[^>]*value="self"|value="self"[^>]*checked', page)
    assert "この連絡先に確認の連絡をしてもよい" in page
    # The learner's fields are never filled with the phone owner's name and number...
    for name in ("name", "furigana", "phone", "birth_year"):
        assert 'autocomplete="off"' in _tag(page, name)
    # ...the family member's are.
    assert 'autocomplete="name"' in _tag(page, "family_name")
    assert 'autocomplete="tel"' in _tag(page, "family_phone")
    assert 'autocomplete="email"' in _tag(page, "family_email")


def test_a_family_sign_up_keeps_their_contact_and_the_reminder_reaches_them(
    app,
    client,
    session,
    smtp,  # noqa: F811
):
    response = _sign_up(client, session, **FAMILY)

    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    learner = db.session.scalar(sa.select(Learner))
    assert learner.name == "田中道子"  # the learner is who comes, not who typed
    contact = db.session.scalar(sa.select(FamilyContact))
    assert contact.learner_id == learner.id
    assert (contact.name, contact.relation) == ("田中 さくら", "むすめ")
    assert contact.phone == "080-1111-2222"
    assert contact.email == "sakura@example.jp"
    assert contact.consent is True
    assert contact.updated_by_id is None  # nobody with an account

    run_jobs(app, scheduled=True)
    smtp.received.clear()
    with time_machine.travel(session.starts_at - timedelta(days=2) + timedelta(minutes=5)):
        queue_family_reminders()
        run_jobs(app, scheduled=True)
    assert [r.recipients for r in smtp.received] == [["sakura@example.jp"]]


def test_without_the_tick_the_contact_is_kept_but_not_contacted(client, session):
    response = _sign_up(client, session, **{**FAMILY, "family_consent": ""})

    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.scalar(sa.select(FamilyContact.consent)) is False


def test_every_problem_of_both_people_is_shown_at_once_and_nothing_is_kept(client, session):
    response = _sign_up(
        client,
        session,
        phone="でんわ",
        consent="",
        who="family",
        family_name="",
        family_email="sakura@",
        family_consent="y",
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="phone-error">[^<]*でんわばんごうを すうじで', page)
    assert re.search(r'id="consent-error">[^<]*「どうい します」に チェック', page)
    assert re.search(r'id="family_name-error">[^<]*ごかぞくの おなまえを', page)
    assert re.search(r'id="family_email-error">[^<]*メールアドレスを かいて', page)
    assert 'href="#family_name"' in page  # the summary at the top links each one
    assert 'value="family" checked' in page or re.search(r'checked[^>]*value="family"', page)
    assert (_count(Learner), _count(FamilyContact), _count(Registration)) == (0, 0, 0)


def test_a_family_member_gives_a_way_to_reach_them(client, session):
    response = _sign_up(
        client, session, who="family", family_name="田中 さくら", family_phone="", family_email=""
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="family_phone-error">[^<]*でんわばんごうか メールアドレスを', page)
    assert _count(Learner) == 0


def test_signing_up_oneself_keeps_no_family_contact(client, session):
    # The family fields are hidden while ご本人 is chosen; what a browser left in them is ignored.
    response = _sign_up(client, session, **{**FAMILY, "who": "self", "family_email": "x@"})

    assert response.status_code == 303
    assert _count(Learner) == 1
    assert _count(FamilyContact) == 0


def test_the_english_page_asks_the_same(client, session):
    client.post("/language", data={"lang": "en", "next": "/"})
    page = _get(client, f"/public/sessions/{session.id}/signup")
    assert "ご家族が 申し込む" not in page
    assert "この連絡先に確認の連絡をしてもよい" not in page
