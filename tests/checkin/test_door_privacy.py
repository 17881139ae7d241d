"""The door reaches by id only the people the actor may see, and its refusals name nobody
else."""

from __future__ import annotations

from app.extensions import db
from app.people.registration import register
from tests.checkin.support import learner, open_session, registration_of
from tests.conftest import login

# ---------------------------------------------------------------- check-in by learner_id


def _someone_elsewhere(make):
    """A learner registered only in another organization's session."""
    theirs = make.org(slug="npo-theirs")
    elsewhere = open_session(make, started_minutes_ago=-24 * 60, partner_org=theirs.slug)
    person = learner("他団体 花子", "たいだん はなこ", phone="090-9999-0000", notes="持病あり")
    register(elsewhere, person, source="phone")
    return person, elsewhere


def test_an_instructor_cannot_check_in_a_learner_they_may_not_see_by_id(make, door, api_for):
    person, elsewhere = _someone_elsewhere(make)
    api = api_for(door.teacher)

    refused = api.check_in(door.session, learner_id=person.id)
    assert refused.status_code == 404
    error = refused.get_json()["error"]
    assert error["code"] == "unknown_learner"
    text = refused.get_data(as_text=True)
    assert "他団体" not in text
    assert "たいだん" not in text
    assert str(elsewhere.id) not in str(error.get("other_session_id"))
    # Exactly the answer for an id that does not exist: nobody can tell the two apart.
    missing = api.check_in(door.session, learner_id=999999).get_json()["error"]
    assert error["message"].replace(str(person.id), "N") == missing["message"].replace(
        "999999", "N"
    )


def test_walk_in_true_does_not_let_an_instructor_register_an_arbitrary_learner(make, door, api_for):
    person, _elsewhere = _someone_elsewhere(make)
    api = api_for(door.teacher)

    refused = api.check_in(door.session, learner_id=person.id, walk_in=True)
    assert refused.status_code == 404
    assert registration_of(door.session, person) is None
    # Nor is the person reachable afterwards.
    assert api.get(f"/learners/{person.id}").status_code == 404


def test_an_instructor_walks_in_someone_their_own_search_finds(make, door, api_for, client):
    other_class = open_session(make, started_minutes_ago=-24 * 60, instructor_ids=[door.teacher.id])
    regular = learner("常連 一郎", "じょうれん いちろう")
    register(other_class, regular, source="phone")
    login(client, door.teacher)
    found = client.get(f"/sessions/{door.session.id}/checkin/search?q=じょうれん").get_json()
    assert [item["id"] for item in found["items"]] == [regular.id]

    response = api_for(door.teacher).check_in(door.session, learner_id=regular.id, walk_in=True)
    assert response.status_code == 201, response.get_json()
    assert registration_of(door.session, regular).source == "walk_in"


def test_a_planner_walks_in_anyone_by_id(make, door, api_for):
    person, _elsewhere = _someone_elsewhere(make)
    response = api_for(door.coordinator).check_in(door.session, learner_id=person.id, walk_in=True)
    assert response.status_code == 201, response.get_json()
    assert registration_of(door.session, person).status == "registered"


def test_not_registered_names_no_session_the_instructor_may_not_see(make, door, api_for):
    """A card shown at the door names its holder, but not the other organization's class."""
    person, elsewhere = _someone_elsewhere(make)
    response = api_for(door.teacher).check_in(door.session, code=person.active_card.token)
    error = response.get_json()["error"]
    assert (response.status_code, error["code"]) == (409, "not_registered")
    assert error["other_session_id"] is None
    assert "別の講座" not in error["message"]

    planner = api_for(door.coordinator).check_in(door.session, code=person.active_card.token)
    assert planner.get_json()["error"]["other_session_id"] == elsewhere.id


def test_a_waitlisted_learner_of_this_session_is_named_to_its_instructor(door, api_for):
    door.session.capacity = 2
    db.session.commit()
    waiting = learner("待機 花", "たいき はな")
    register(door.session, waiting, source="phone")
    response = api_for(door.teacher).check_in(door.session, learner_id=waiting.id)
    error = response.get_json()["error"]
    assert (response.status_code, error["code"]) == (409, "not_registered")
    assert error["learner_name"] == "待機 花"
    assert error["registration_status"] == "waitlisted"
