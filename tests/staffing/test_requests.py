"""Asking partners to staff classes, their offers, the coordinator's decision: through the API
and through the pages, as a coordinator and two NPOs would."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from app.extensions import db
from app.orgs.models import InstructorCourse
from app.scheduling.models import Session
from app.staffing.jobs import queue_deadlines
from app.staffing.models import RequestStatus, StaffingRequest
from app.timeutil import japan_today, utcnow
from tests.conftest import login, run_jobs
from tests.staffing.conftest import World


def _series(make, world: World, n: int = 3) -> list[Session]:
    start = japan_today() + timedelta(days=30)
    return [
        make.session(
            course=world.course, venue=world.venue, day=start + timedelta(weeks=i), capacity=8
        )
        for i in range(n)
    ]


def test_a_series_asked_of_two_partners_filled_by_the_first_offer_confirmed(make, api_as, world):
    sessions = _series(make, world)
    coordinator = api_as(world.coordinator)
    respond_by = (japan_today() + timedelta(days=10)).isoformat()
    for s in sessions:
        for org in (world.npo_a, world.npo_b):
            answer = coordinator.post(
                f"/sessions/{s.id}/staffing-requests",
                json={
                    "org": org.slug,
                    "instructors": 1,
                    "assistants": 1,
                    "respond_by": respond_by,
                    "note": "よろしくお願いします",
                },
            )
            assert answer.status_code == 201, answer.get_json()
            assert answer.get_json()["status"] == "open"
            assert answer.get_json()["org"] == org.slug

    partner_a = api_as(world.partner_a)
    mine = partner_a.get("/staffing-requests").get_json()["items"]
    assert len(mine) == 3
    assert {r["org"] for r in mine} == {world.npo_a.slug}
    others = api_as(world.partner_b).get("/staffing-requests").get_json()["items"]
    assert partner_a.get(f"/staffing-requests/{others[0]['id']}").status_code == 404
    assert (
        partner_a.post(
            f"/staffing-requests/{others[0]['id']}/offers",
            json={"instructor_ids": [world.teacher_a1.id]},
        ).status_code
        == 404
    )

    offers = []
    for r in mine:
        answer = partner_a.post(
            f"/staffing-requests/{r['id']}/offers",
            json={"instructor_ids": [world.teacher_a1.id], "assistant_ids": [world.teacher_a2.id]},
        )
        assert answer.status_code == 201, answer.get_json()
        assert answer.get_json()["warnings"] == []
        offers.append(answer.get_json()["id"])
    assert partner_a.post(f"/offers/{offers[0]}/confirm").status_code == 403

    for offer_id in offers:
        answer = coordinator.post(f"/offers/{offer_id}/confirm")
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json()["offer"]["status"] == "confirmed"
        assert answer.get_json()["session_warnings"] == []

    for s in sessions:
        got = coordinator.get(f"/sessions/{s.id}").get_json()
        assert got["instructor_ids"] == [world.teacher_a1.id]
        assert got["assistant_ids"] == [world.teacher_a2.id]
        assert got["partner_org"] == world.npo_a.slug
        assert got["warnings"] == []
    b_requests = api_as(world.partner_b).get("/staffing-requests").get_json()["items"]
    assert {r["status"] for r in b_requests} == {"not_needed"}
    late = api_as(world.partner_b).post(
        f"/staffing-requests/{b_requests[0]['id']}/offers",
        json={"instructor_ids": [world.teacher_b1.id]},
    )
    assert late.status_code == 409
    assert late.get_json()["error"]["code"] == "request_closed"


def test_asking_twice_is_one_request(make, api_as, world):
    s = _series(make, world, 1)[0]
    body = {"org": world.npo_a.slug, "respond_by": (japan_today() + timedelta(days=3)).isoformat()}
    first = api_as(world.coordinator).post(f"/sessions/{s.id}/staffing-requests", json=body)
    again = api_as(world.coordinator).post(f"/sessions/{s.id}/staffing-requests", json=body)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert db.session.query(StaffingRequest).count() == 1


def test_bad_requests_name_the_field(make, api_as, world):
    s = _series(make, world, 1)[0]
    coordinator = api_as(world.coordinator)
    past = coordinator.post(
        f"/sessions/{s.id}/staffing-requests",
        json={
            "org": world.npo_a.slug,
            "respond_by": (japan_today() - timedelta(days=1)).isoformat(),
        },
    )
    assert past.status_code == 422
    assert "respond_by" in past.get_json()["error"]["fields"]
    after_class = coordinator.post(
        f"/sessions/{s.id}/staffing-requests",
        json={
            "org": world.npo_a.slug,
            "respond_by": (japan_today() + timedelta(days=60)).isoformat(),
        },
    )
    assert after_class.status_code == 422
    assert "respond_by" in after_class.get_json()["error"]["fields"]
    unknown = coordinator.post(
        f"/sessions/{s.id}/staffing-requests",
        json={"org": "no-such-org", "respond_by": japan_today().isoformat()},
    )
    assert unknown.status_code == 422
    assert "org" in unknown.get_json()["error"]["fields"]
    typo = coordinator.post(
        f"/sessions/{s.id}/staffing-requests",
        json={"org": world.npo_a.slug, "instructors": "two", "respond_by": "２０２７年"},
    )
    assert typo.status_code == 422
    assert {"instructors", "respond_by"} <= set(typo.get_json()["error"]["fields"])
    assert db.session.query(StaffingRequest).count() == 0


def test_an_offer_of_someone_teaching_then_is_refused_and_untrained_is_warned(make, api_as, world):
    s = _series(make, world, 1)[0]
    # teacher_a1 already teaches another class at the same time elsewhere
    make.session(
        venue=make.venue(),
        starts_at=s.starts_at,
        ends_at=s.ends_at,
        instructor_ids=[world.teacher_a1.id],
    )
    request_id = (
        api_as(world.coordinator)
        .post(
            f"/sessions/{s.id}/staffing-requests",
            json={"org": world.npo_a.slug, "respond_by": japan_today().isoformat()},
        )
        .get_json()["id"]
    )
    refused = api_as(world.partner_a).post(
        f"/staffing-requests/{request_id}/offers", json={"instructor_ids": [world.teacher_a1.id]}
    )
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "instructor_conflict"
    assert world.teacher_a1.name in refused.get_json()["error"]["message"]

    untrained = api_as(world.partner_a).post(
        f"/staffing-requests/{request_id}/offers", json={"instructor_ids": [world.teacher_a3.id]}
    )
    assert untrained.status_code == 201
    warnings = untrained.get_json()["warnings"]
    assert any(
        world.teacher_a3.name in w and world.course.current_version.title in w for w in warnings
    )
    # someone of another organization cannot be offered
    foreign = api_as(world.partner_a).post(
        f"/staffing-requests/{request_id}/offers", json={"instructor_ids": [world.teacher_b1.id]}
    )
    assert foreign.status_code == 422
    assert "instructor_ids" in foreign.get_json()["error"]["fields"]


def test_to_be_named_then_named(make, api_as, client, world):
    s = _series(make, world, 1)[0]
    request_id = (
        api_as(world.coordinator)
        .post(
            f"/sessions/{s.id}/staffing-requests",
            json={"org": world.npo_a.slug, "respond_by": japan_today().isoformat()},
        )
        .get_json()["id"]
    )
    promise = api_as(world.partner_a).post(
        f"/staffing-requests/{request_id}/offers",
        json={"name_by": (japan_today() + timedelta(days=20)).isoformat()},
    )
    assert promise.status_code == 201
    assert promise.get_json()["name_by"] == (japan_today() + timedelta(days=20)).isoformat()
    assert (
        api_as(world.coordinator).post(f"/offers/{promise.get_json()['id']}/confirm").status_code
        == 200
    )
    assert db.session.get(Session, s.id).partner_org_id == world.npo_a.id

    login(client, world.partner_a)
    page = client.get(f"/orgs/{world.npo_a.id}/requests").get_data(as_text=True)
    assert "担当者を決めてください" in page
    named = client.post(
        f"/orgs/{world.npo_a.id}/offers/{promise.get_json()['id']}/names",
        data={"instructor_ids": [str(world.teacher_a1.id)]},
    )
    assert named.status_code == 302
    db.session.expire_all()
    assert [u.id for u in db.session.get(Session, s.id).instructors] == [world.teacher_a1.id]


def test_unanswered_requests_go_unfilled_when_their_date_passes(make, api_as, app, world):
    s = _series(make, world, 1)[0]
    request_id = (
        api_as(world.coordinator)
        .post(
            f"/sessions/{s.id}/staffing-requests",
            json={
                "org": world.npo_a.slug,
                "respond_by": (japan_today() + timedelta(days=2)).isoformat(),
            },
        )
        .get_json()["id"]
    )
    with time_machine.travel(utcnow() + timedelta(days=2), tick=False):
        queue_deadlines()
        run_jobs(app)
        assert db.session.get(StaffingRequest, request_id).status == RequestStatus.OPEN
    with time_machine.travel(utcnow() + timedelta(days=3, hours=1), tick=False):
        queue_deadlines()
        run_jobs(app)
        db.session.expire_all()
        assert db.session.get(StaffingRequest, request_id).status == RequestStatus.UNFILLED


def test_a_cancelled_class_withdraws_its_requests(make, api_as, world):
    s = _series(make, world, 1)[0]
    request_id = (
        api_as(world.coordinator)
        .post(
            f"/sessions/{s.id}/staffing-requests",
            json={"org": world.npo_a.slug, "respond_by": japan_today().isoformat()},
        )
        .get_json()["id"]
    )
    assert (
        api_as(world.coordinator)
        .post(f"/sessions/{s.id}/cancel", json={"reason": "台風"})
        .status_code
        == 200
    )
    db.session.expire_all()
    assert db.session.get(StaffingRequest, request_id).status == RequestStatus.WITHDRAWN


def test_the_loop_through_the_pages(make, client, world):
    """The coordinator asks a whole series of two NPOs from the series page, NPO A offers two
    instructors from its 「依頼」 page, the coordinator confirms on the board."""
    sessions = _series(make, world)
    login(client, world.coordinator)
    ids = [str(s.id) for s in sessions]
    form = client.get("/staffing/requests/new", query_string={"session_id": ids})
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    assert world.npo_a.name in page
    assert world.npo_b.name in page
    sent = client.post(
        "/staffing/requests/new",
        data={
            "session_id": ids,
            "orgs": [world.npo_a.slug, world.npo_b.slug],
            "instructors": "２",
            "assistants": "0",
            "respond_by": (japan_today() + timedelta(days=7)).isoformat(),
            "note": "",
        },
    )
    assert sent.status_code == 302
    assert db.session.query(StaffingRequest).count() == 6
    board = client.get("/staffing").get_data(as_text=True)
    assert "依頼中" in board

    client.post("/logout")
    login(client, world.partner_a)
    menu = client.get(f"/orgs/{world.npo_a.id}").get_data(as_text=True)
    assert f"/orgs/{world.npo_a.id}/requests" in menu
    assert "返事を待っている依頼: 3件" in menu
    mine = db.session.query(StaffingRequest).filter_by(org_id=world.npo_a.id).all()
    assert client.get(f"/orgs/{world.npo_b.id}/requests").status_code == 404
    other = db.session.query(StaffingRequest).filter_by(org_id=world.npo_b.id).first()
    assert (
        client.post(
            f"/orgs/{world.npo_a.id}/requests/{other.id}/offer",
            data={"instructor_ids": [str(world.teacher_a1.id)]},
        ).status_code
        == 404
    )
    for r in mine:
        offered = client.post(
            f"/orgs/{world.npo_a.id}/requests/{r.id}/offer",
            data={"instructor_ids": [str(world.teacher_a1.id), str(world.teacher_a2.id)]},
        )
        assert offered.status_code == 302

    client.post("/logout")
    login(client, world.coordinator)
    board = client.get("/staffing").get_data(as_text=True)
    assert "決定を待っている申し出(3件)" in board
    for r in mine:
        db.session.refresh(r)
        confirmed = client.post(
            f"/staffing/offers/{r.offers[-1].id}/confirm", data={"next": "/staffing"}
        )
        assert confirmed.status_code == 302
    board = client.get("/staffing").get_data(as_text=True)
    assert "決定を待っている申し出(0件)" in board
    db.session.expire_all()
    for s in sessions:
        got = db.session.get(Session, s.id)
        assert {u.id for u in got.instructors} == {world.teacher_a1.id, world.teacher_a2.id}
        assert got.warnings == []
    statuses = {
        r.status for r in db.session.query(StaffingRequest).filter_by(org_id=world.npo_b.id)
    }
    assert statuses == {RequestStatus.NOT_NEEDED}

    client.post("/logout")
    login(client, world.partner_b)
    page = client.get(f"/orgs/{world.npo_b.id}/requests").get_data(as_text=True)
    assert "不要になりました" in page


def test_declining_an_offer_needs_a_reason_and_tells_it(make, client, api_as, world):
    s = _series(make, world, 1)[0]
    request_id = (
        api_as(world.coordinator)
        .post(
            f"/sessions/{s.id}/staffing-requests",
            json={"org": world.npo_a.slug, "respond_by": japan_today().isoformat()},
        )
        .get_json()["id"]
    )
    offer_id = (
        api_as(world.partner_a)
        .post(
            f"/staffing-requests/{request_id}/offers",
            json={"instructor_ids": [world.teacher_a1.id]},
        )
        .get_json()["id"]
    )
    no_reason = api_as(world.coordinator).post(f"/offers/{offer_id}/decline", json={})
    assert no_reason.status_code == 422
    assert "reason" in no_reason.get_json()["error"]["fields"]
    declined = api_as(world.coordinator).post(
        f"/offers/{offer_id}/decline", json={"reason": "研修を受けた方でお願いします"}
    )
    assert declined.status_code == 200
    assert declined.get_json()["status"] == "declined"
    got = api_as(world.partner_a).get(f"/staffing-requests/{request_id}").get_json()
    assert got["status"] == "declined"
    assert got["reason"] == "研修を受けた方でお願いします"
    assert api_as(world.coordinator).post(f"/offers/{offer_id}/confirm").status_code == 409


def test_trained_instructors_are_not_warned(make, api_as, world):
    db.session.add(InstructorCourse(user_id=world.teacher_a3.id, course_id=world.course.id))
    db.session.commit()
    s = _series(make, world, 1)[0]
    request_id = (
        api_as(world.coordinator)
        .post(
            f"/sessions/{s.id}/staffing-requests",
            json={"org": world.npo_a.slug, "respond_by": japan_today().isoformat()},
        )
        .get_json()["id"]
    )
    offer = api_as(world.partner_a).post(
        f"/staffing-requests/{request_id}/offers", json={"instructor_ids": [world.teacher_a3.id]}
    )
    assert offer.get_json()["warnings"] == []


def test_a_partners_own_venue_is_listed_to_it_and_the_city_not_to_other_partners(
    make, api_as, world, client
):
    shop = make.venue(name="あおばの集会所")
    shop.org_id = world.npo_a.id
    db.session.commit()

    def names(user):
        return {v["name"] for v in api_as(user).get("/venues").get_json()["items"]}

    assert "あおばの集会所" in names(world.partner_a)
    assert "あおばの集会所" in names(world.coordinator)
    assert "あおばの集会所" not in names(world.partner_b)
    assert world.venue.name in names(world.partner_b)
    login(client, world.partner_b)
    filters = client.get("/sessions").get_data(as_text=True)
    assert world.venue.name in filters
    assert "あおばの集会所" not in filters
