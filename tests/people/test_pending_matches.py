"""A sign-up that matches someone on record, made by someone who may not see that record,
makes a new record and a pending match that a coordinator confirms (merge) or rejects."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.core.models import AuditEntry
from app.extensions import db
from app.people import cards
from app.people.models import Learner, PendingMatch, Registration
from app.people.registration import register
from tests.checkin.support import open_session
from tests.conftest import login


def _matches() -> list[PendingMatch]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(PendingMatch).order_by(PendingMatch.id)))


def _audit(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def known(add_learner, make):
    """Someone on record, registered only in another organization's class."""
    theirs = make.org(slug="npo-theirs")
    person = add_learner(
        "既存 花子", "きぞん はなこ", phone="090-1234-5678", birth_year="1950", notes="秘密"
    )
    cards.issue_card(person)
    register(
        make.session(partner_org=theirs.slug, start="08:00", end="09:00"), person, source="phone"
    )
    return person


NEWCOMER = {"name": "既存 花子", "furigana": "キゾン ハナコ", "phone": "090-1234-5678"}


# ---------------------------------------------------------------- the door


def test_an_instructors_newcomer_who_matches_someone_unseen_becomes_a_new_record(
    make, known, api_for
):
    teacher = make.user("instructor")
    session = open_session(make, instructor_ids=[teacher.id])

    response = api_for(teacher).post(
        f"/sessions/{session.id}/checkins", json={"walk_in": True, "new_learner": NEWCOMER}
    )

    assert response.status_code == 201, response.get_json()
    new_id = response.get_json()["learner"]["id"]
    assert new_id != known.id
    assert "秘密" not in response.get_data(as_text=True)
    [match] = _matches()
    assert (match.new_learner_id, match.existing_learner_id) == (new_id, known.id)
    assert (match.source, match.created_by_id, match.resolved_at) == ("walk_in", teacher.id, None)
    assert api_for(teacher).get(f"/learners/{known.id}").status_code == 404


def test_a_coordinators_newcomer_still_finds_the_record(make, known, api_for):
    session = open_session(make)
    response = api_for(make.user("coordinator")).post(
        f"/sessions/{session.id}/checkins", json={"walk_in": True, "new_learner": NEWCOMER}
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["learner"]["id"] == known.id
    assert _matches() == []


# ---------------------------------------------------------------- the public sign-up


def _public(client, session, **extra):
    data = {**NEWCOMER, "consent": "y", "form_key": "key-of-one-page-view", **extra}
    response = client.post(f"/public/sessions/{session.id}/signup", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_public_sign_up_answers_alike_whether_or_not_the_person_is_on_record(make, known, client):
    session = make.session()
    stranger = _public(
        client, session, name="別人 一子", furigana="べつじん いちこ", phone="080-0000-1111"
    )
    on_record = _public(client, session, form_key="key-of-another-page-view")

    # Both get a new card of their own; neither page differs in what it says.
    db.session.expire_all()
    new = db.session.scalars(
        sa.select(Learner).where(Learner.name == "既存 花子", Learner.id != known.id)
    ).one()
    assert new.active_card.short_code in on_record
    assert known.active_card.short_code not in on_record
    assert "<svg" in stranger
    assert "<svg" in on_record

    def shape(page: str, learner: Learner) -> str:
        for own in (learner.name, learner.furigana, learner.active_card.short_code):
            page = page.replace(own, "THEIRS")
        return _without_qr(page)

    other = db.session.scalars(sa.select(Learner).where(Learner.name == "別人 一子")).one()
    assert shape(stranger, other) == shape(on_record, new)
    [match] = _matches()
    assert (match.new_learner_id, match.existing_learner_id, match.source) == (
        new.id,
        known.id,
        "public",
    )
    # The person on record was not registered by a stranger typing their name and phone.
    assert (
        db.session.scalar(
            sa.select(Registration).where(
                Registration.learner_id == known.id, Registration.session_id == session.id
            )
        )
        is None
    )


def _without_qr(page: str) -> str:
    """A confirmation page without what differs for every sign-up: the QR codes, the links,
    the calendar feed's token, the CSRF token of its forms, the nonce of its scripts."""
    page = re.sub(r"<svg\b.*?</svg>", "QR", page, flags=re.S)
    page = re.sub(r'nonce="[\w-]+"', "NONCE", page)
    page = re.sub(r"/calendar/learner/[\w-]+\.ics", "FEED", page)
    page = re.sub(r"<input[^>]*csrf_token[^>]*>", "CSRF", page)
    return re.sub(r"/public/registrations/[\w.-]+", "LINK", page)


def test_a_double_submit_of_a_matching_sign_up_makes_one_record(make, known, client):
    session = make.session()
    data = {**NEWCOMER, "consent": "y", "form_key": "key-of-one-page-view"}
    first = client.post(f"/public/sessions/{session.id}/signup", data=data)
    second = client.post(f"/public/sessions/{session.id}/signup", data=data)
    assert first.headers["Location"] == second.headers["Location"]  # the same confirmation
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Learner.id))) == 2
    assert len(_matches()) == 1


# ---------------------------------------------------------------- the coordinator's page


@pytest.fixture
def pending(make, known, api_for):
    teacher = make.user("instructor")
    session = open_session(make, instructor_ids=[teacher.id])
    body = (
        api_for(teacher)
        .post(f"/sessions/{session.id}/checkins", json={"walk_in": True, "new_learner": NEWCOMER})
        .get_json()
    )
    [match] = _matches()
    return {"match": match, "new_id": body["learner"]["id"], "session": session}


def test_coordinators_find_pending_matches_from_the_learner_pages(pending, known, make, client):
    login(client, make.user("coordinator"))
    listing = client.get("/learners").get_data(as_text=True)
    assert 'href="/learners/matches"' in listing
    assert "照合の確認(1件)" in listing
    detail = client.get(f"/learners/{known.id}").get_data(as_text=True)
    assert 'href="/learners/matches"' in detail

    page = client.get("/learners/matches").get_data(as_text=True)
    assert page.count("既存 花子") >= 2  # the two records, side by side
    assert "090-1234-5678" in page
    match_id = pending["match"].id
    assert f'action="/learners/matches/{match_id}/confirm"' in page
    assert f'action="/learners/matches/{match_id}/reject"' in page
    assert page.count('name="csrf_token"') >= 2


def test_confirming_merges_the_new_record_into_the_one_on_record_and_logs_it(
    pending, known, make, client
):
    coordinator = make.user("coordinator")
    login(client, coordinator)
    match_id = pending["match"].id
    response = client.post(f"/learners/matches/{match_id}/confirm", follow_redirects=True)
    assert response.status_code == 200
    assert "統合しました" in response.get_data(as_text=True)

    db.session.expire_all()
    assert db.session.get(Learner, pending["new_id"]) is None
    reg = db.session.scalar(
        sa.select(Registration).where(Registration.session_id == pending["session"].id)
    )
    assert reg.learner_id == known.id
    [match] = _matches()
    assert (match.outcome, match.resolved_by_id) == ("merged", coordinator.id)
    assert match.resolved_at is not None
    [entry] = _audit("learner.match_confirmed")
    assert (entry.actor_id, entry.subject_id) == (coordinator.id, known.id)
    assert _audit("learner.merged")
    assert "照合の確認(" not in client.get("/learners").get_data(as_text=True)


def test_rejecting_keeps_both_records_and_logs_it(pending, known, make, client):
    coordinator = make.user("coordinator")
    login(client, coordinator)
    match_id = pending["match"].id
    client.post(f"/learners/matches/{match_id}/reject")

    db.session.expire_all()
    assert db.session.get(Learner, pending["new_id"]) is not None
    assert db.session.get(Learner, known.id) is not None
    [match] = _matches()
    assert (match.outcome, match.resolved_by_id) == ("rejected", coordinator.id)
    [entry] = _audit("learner.match_rejected")
    assert entry.details["new_learner_id"] == pending["new_id"]
    # A resolved match cannot be resolved again.
    assert client.post(f"/learners/matches/{match_id}/confirm").status_code == 404


@pytest.mark.parametrize("role", ["instructor", "partner"])
def test_only_planners_resolve_matches(pending, make, client, role):
    login(client, make.user(role, org=make.org() if role == "partner" else None))
    assert client.get("/learners/matches").status_code == 403
    assert client.post(f"/learners/matches/{pending['match'].id}/confirm").status_code == 403
