"""The registrations API: shapes, the waitlist, promotion on cancel, errors, who sees what."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.services import create_token
from app.core.models import AuditEntry
from app.extensions import db
from app.people.models import Registration


class Api:
    def __init__(self, client, user):
        self.client = client
        self.headers = {"Authorization": f"Bearer {create_token(user)[1]}"}

    def get(self, path):
        return self.client.get(f"/api/v1{path}", headers=self.headers)

    def post(self, path, json=None):
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers)

    def delete(self, path):
        return self.client.delete(f"/api/v1{path}", headers=self.headers)


def _audit(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def test_registering_answers_201_with_the_registration(make, client, new_learner):
    session = make.session(capacity=2)
    learner = new_learner()
    api = Api(client, make.user("coordinator"))

    response = api.post(f"/sessions/{session.id}/registrations", {"learner_id": learner.id})

    assert response.status_code == 201
    body = response.get_json()
    assert {"id", "session_id", "learner_id", "status", "source", "queued_at"} <= set(body)
    assert body["session_id"] == session.id
    assert body["learner_id"] == learner.id
    assert body["status"] == "registered"
    assert body["source"] == "phone"
    assert body["queued_at"].endswith("+09:00")
    assert body["position"] is None


def test_beyond_capacity_people_are_waitlisted_in_order(make, client, new_learner):
    session = make.session(capacity=1)
    people = [new_learner() for _ in range(3)]
    api = Api(client, make.user("coordinator"))

    answers = [
        api.post(f"/sessions/{session.id}/registrations", {"learner_id": p.id}).get_json()
        for p in people
    ]

    assert [a["status"] for a in answers] == ["registered", "waitlisted", "waitlisted"]
    assert [a["position"] for a in answers] == [None, 1, 2]
    listed = api.get(f"/sessions/{session.id}/registrations").get_json()
    assert (listed["registered"], listed["waitlisted"], listed["capacity"]) == (1, 2, 1)
    assert [i["learner_id"] for i in listed["items"]] == [p.id for p in people]
    assert [i["position"] for i in listed["items"]] == [None, 1, 2]


def test_the_source_is_kept(make, client, new_learner):
    session = make.session(capacity=5)
    api = Api(client, make.user("coordinator"))
    for source in ("partner", "walk_in", "import", "public"):
        body = api.post(
            f"/sessions/{session.id}/registrations",
            {"learner_id": new_learner().id, "source": source},
        ).get_json()
        assert body["source"] == source
    db.session.expire_all()
    kept = set(db.session.scalars(sa.select(Registration.source)))
    assert kept == {"partner", "walk_in", "import", "public"}


def test_the_same_person_twice_is_refused_with_a_clear_message(make, client, new_learner):
    session = make.session(capacity=5)
    learner = new_learner(name="山田花子")
    api = Api(client, make.user("coordinator"))
    first = api.post(f"/sessions/{session.id}/registrations", {"learner_id": learner.id})

    again = api.post(f"/sessions/{session.id}/registrations", {"learner_id": learner.id})

    assert again.status_code == 409
    error = again.get_json()["error"]
    assert error["code"] == "already_registered"
    assert "山田花子さんはこの講座に既に申し込まれています" in error["message"]
    assert error["registration_id"] == first.get_json()["id"]
    assert error["registration_status"] == "registered"


def test_capacity_override_registers_beyond_capacity_and_is_logged(make, client, new_learner):
    session = make.session(capacity=1)
    api = Api(client, make.user("coordinator"))
    api.post(f"/sessions/{session.id}/registrations", {"learner_id": new_learner().id})

    response = api.post(
        f"/sessions/{session.id}/registrations",
        {"learner_id": new_learner().id, "override_capacity": True},
    )

    assert response.get_json()["status"] == "registered"
    [entry] = _audit("registration.capacity_override")
    assert entry.subject_id == response.get_json()["id"]


def test_unknown_learner_or_session_is_404_and_bad_input_422(make, client, new_learner):
    session = make.session()
    learner = new_learner()
    api = Api(client, make.user("coordinator"))
    path = f"/sessions/{session.id}/registrations"

    assert api.post(path, {"learner_id": 999999}).status_code == 404
    assert api.post("/sessions/999999/registrations", {"learner_id": learner.id}).status_code == 404
    bad = api.post(path, {"learner_id": "one", "source": "fax", "colour": "red"})
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"learner_id", "source", "colour"}
    assert api.post(path, None).status_code == 422


def test_only_planners_register_or_cancel(make, client, new_learner):
    org = make.org()
    teacher = make.user("instructor")
    session = make.session(partner_org=org.slug, instructor_ids=[teacher.id])
    learner = new_learner()
    path = f"/sessions/{session.id}/registrations"
    for user in (teacher, make.user("partner", org=org)):
        assert Api(client, user).post(path, {"learner_id": learner.id}).status_code == 403
    reg_id = Api(client, make.user("admin")).post(path, {"learner_id": learner.id}).get_json()
    assert Api(client, teacher).delete(f"/registrations/{reg_id['id']}").status_code == 403


def test_cancelling_promotes_the_first_waitlisted_and_logs_it(make, client, new_learner):
    session = make.session(capacity=1)
    people = [new_learner() for _ in range(3)]
    coordinator = make.user("coordinator")
    api = Api(client, coordinator)
    ids = [
        api.post(f"/sessions/{session.id}/registrations", {"learner_id": p.id}).get_json()["id"]
        for p in people
    ]

    response = api.delete(f"/registrations/{ids[0]}")

    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == ids[0]
    assert body["status"] == "cancelled"
    assert body["promoted"]["id"] == ids[1]
    assert body["promoted"]["status"] == "registered"
    [entry] = _audit("registration.promoted")
    assert entry.subject_id == ids[1]
    assert entry.actor_id == coordinator.id
    listed = api.get(f"/sessions/{session.id}/registrations").get_json()
    assert [(i["id"], i["status"], i["position"]) for i in listed["items"]] == [
        (ids[1], "registered", None),
        (ids[2], "waitlisted", 1),
    ]

    # A waitlisted person leaving frees no seat: nobody is promoted.
    assert api.delete(f"/registrations/{ids[2]}").get_json()["promoted"] is None
    again = api.delete(f"/registrations/{ids[0]}")
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_cancelled"
    assert api.delete("/registrations/999999").status_code == 404


def test_a_partner_sees_its_own_sessions_registrations_and_phones_only_with_consent(
    make, client, new_learner
):
    ours, theirs = make.org(), make.org()
    session = make.session(partner_org=ours.slug, capacity=5)
    other = make.session(partner_org=theirs.slug, capacity=5)
    sharing = new_learner(phone="090-1111-2222", share_with_partner=True)
    private = new_learner(phone="090-3333-4444")
    coordinator = Api(client, make.user("coordinator"))
    for learner in (sharing, private):
        coordinator.post(f"/sessions/{session.id}/registrations", {"learner_id": learner.id})
        coordinator.post(f"/sessions/{other.id}/registrations", {"learner_id": learner.id})
    partner = Api(client, make.user("partner", org=ours))

    listed = partner.get(f"/sessions/{session.id}/registrations")

    assert listed.status_code == 200
    phones = {i["learner"]["id"]: i["learner"]["phone"] for i in listed.get_json()["items"]}
    assert phones == {sharing.id: "090-1111-2222", private.id: None}
    assert partner.get(f"/sessions/{other.id}/registrations").status_code == 404
    as_coordinator = coordinator.get(f"/sessions/{session.id}/registrations").get_json()
    assert {i["learner"]["phone"] for i in as_coordinator["items"]} == {
        "090-1111-2222",
        "090-3333-4444",
    }


def test_an_instructor_sees_only_the_sessions_they_teach(make, client, new_learner):
    teacher = make.user("instructor")
    taught = make.session(instructor_ids=[teacher.id])
    not_taught = make.session(start="14:00", end="15:00")
    api = Api(client, teacher)
    assert api.get(f"/sessions/{taught.id}/registrations").status_code == 200
    assert api.get(f"/sessions/{not_taught.id}/registrations").status_code == 404
