"""The public sign-up resists a bot: limits per address and per phone number, a honeypot that
answers like a success and records nothing, and one answer whether or not the person was
already on record."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from app.core.models import AuditEntry
from app.extensions import db
from app.people import learners
from app.people.models import Card, Learner, Registration

PER_ADDRESS = 10  # SIGNUP_LIMIT_PER_ADDRESS: 10 per hour
PER_PHONE = 3  # SIGNUP_LIMIT_PER_PHONE: 3 per day
CONFIRMATION = re.compile(r"^/public/registrations/[\w-]+\.[\w-]+$")


def _form(n: int = 0, **extra) -> dict:
    data = {
        "name": f"田中道子{n}",
        "furigana": "たなか みちこ",
        "phone": f"090-5555-{6000 + n}",
        "consent": "y",
        "form_key": f"key-of-one-page-view-{n}",
    }
    data.update(extra)
    return data


def _post(client, session, address="192.0.2.20", **form):
    return client.post(
        f"/public/sessions/{session.id}/signup",
        data=form,
        environ_base={"REMOTE_ADDR": address},
    )


def _counts() -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Learner, Registration, Card, AuditEntry)
    )


# ---------------------------------------------------------------- the honeypot


def test_the_honeypot_is_hidden_from_people_and_screen_readers(make, client):
    page = client.get(f"/public/sessions/{make.session().id}/signup").get_data(as_text=True)
    trap = re.search(r'<div class="hp" aria-hidden="true">(.*?)</div>', page, re.S)
    assert trap, "the honeypot's box hides it from screen readers"
    field = re.search(r"<input[^>]*name=\"website\"[^>]*>", trap.group(1)).group(0)
    assert 'tabindex="-1"' in field
    assert 'autocomplete="off"' in field
    css = (Path(make.app.static_folder) / "css" / "app.css").read_text(encoding="utf-8")
    rule = re.search(r"\.hp \{([^}]*)\}", css).group(1)
    assert "position: absolute" in rule
    assert "-10000px" in rule


def test_a_filled_honeypot_answers_like_a_success_and_records_nothing(make, client):
    session = make.session()
    real = _post(client, session, **_form(1))
    before = _counts()
    trapped = _post(client, session, **_form(2, website="https://spam.example/"))
    assert trapped.status_code == real.status_code == 303
    assert CONFIRMATION.match(real.headers["Location"])
    assert CONFIRMATION.match(trapped.headers["Location"])
    assert sorted(trapped.headers.keys()) == sorted(real.headers.keys())
    assert _counts() == before


def test_a_filled_honeypot_with_bad_input_is_told_what_a_person_would_be(make, client):
    session = make.session()
    person = _post(client, session, **_form(1, phone="でんわ"))
    bot = _post(client, session, **_form(2, phone="でんわ", website="x"))
    assert person.status_code == bot.status_code == 422


# ---------------------------------------------------------------- the limits


def test_sign_ups_from_one_address_are_limited_with_a_plain_message(make, client):
    session = make.session(capacity=20)
    for n in range(PER_ADDRESS):
        assert _post(client, session, **_form(n)).status_code == 303, n
    refused = _post(client, session, **_form(PER_ADDRESS))
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= 3600
    page = refused.get_data(as_text=True)
    assert "もうしこみが おおすぎます" in page
    assert "0120-000-000" in page
    assert _post(client, session, address="192.0.2.21", **_form(99)).status_code == 303


def test_sign_ups_for_one_phone_number_are_limited_whatever_the_address(make, client):
    sessions = [make.session() for _n in range(PER_PHONE + 1)]
    phone = {"phone": "０９０ー１１１１ー２２２２"}
    for n, session in enumerate(sessions[:PER_PHONE]):
        response = _post(client, session, address=f"198.51.100.{n}", **_form(n, **phone))
        assert response.status_code == 303, n
    refused = _post(client, sessions[-1], address="198.51.100.99", **_form(9, phone="09011112222"))
    assert refused.status_code == 429
    other_phone = _post(client, sessions[-1], address="198.51.100.99", **_form(10))
    assert other_phone.status_code == 303


def test_forms_sent_back_for_fixing_are_not_counted(make, client):
    session = make.session()
    for _n in range(PER_ADDRESS + 2):
        assert _post(client, session, **_form(1, consent="")).status_code == 422
    assert _post(client, session, **_form(1)).status_code == 303


def test_trapped_bots_count_against_the_address_too(make, client):
    session = make.session()
    for n in range(PER_ADDRESS):
        assert _post(client, session, **_form(n, website="x")).status_code == 303
    assert _post(client, session, **_form(PER_ADDRESS, website="x")).status_code == 429


# ---------------------------------------------------------------- one answer for everyone


def _shape(client, response) -> tuple:
    """What the answer tells: its status, then the confirmation's headings and whether it
    holds a card (names, codes and links differ for everyone and tell nothing)."""
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    headings = re.findall(r"<h[12][^>]*>(.*?)</h[12]>", page)
    return response.status_code, headings, "<svg" in page


def test_the_answer_is_the_same_whether_or_not_the_person_was_on_record(make, client):
    session = make.session(capacity=5)
    learners.create_learner(
        {"name": "鈴木よし子", "furigana": "すずき よしこ", "phone": "03-9876-5432"}
    )
    known = _post(client, session, **_form(1, furigana="すずき よしこ", phone="03-9876-5432"))
    new = _post(client, session, **_form(2, furigana="さとう はな", phone="03-1111-2222"))
    assert _shape(client, known) == _shape(client, new)
