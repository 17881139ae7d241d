"""Partners' proposals of classes: a partner proposes, the coordinator approves or declines."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.auth.services import create_token
from app.extensions import db
from app.scheduling.models import Closure, DeliveryType, Session, Venue
from app.staffing.models import ProposalStatus, SessionProposal
from app.timeutil import japan_today
from tests.conftest import at, login
from tests.querycount import count_queries

DAY = japan_today() + timedelta(days=10)


@pytest.fixture
def world(make):
    shop = make.org(slug="carrier-shop", kind="carrier", name="スマホショップ中央店")
    other = make.org(slug="jichikai", kind="neighborhood_association", name="東町内会")
    return {
        "shop": shop,
        "other": other,
        "partner": make.user("partner", org=shop),
        "other_partner": make.user("partner", org=other),
        "coordinator": make.user("coordinator"),
        "teacher": make.user("instructor", org=shop, name="佐藤講師"),
        "helper": make.user("instructor", org=shop, name="鈴木アシスタント"),
        "stranger": make.user("instructor", org=other, name="他団体の講師"),
        "course": make.course(slug="phone-basics", title="スマホのきほん"),
        "city_venue": make.venue(capacity=12, name="中央公民館"),
    }


def _form(w, venue, start="10:00", end="11:00", day=DAY, **extra) -> dict:
    data = {
        "course": w["course"].slug,
        "venue_id": str(venue.id),
        "day": day.isoformat(),
        "start_time": start,
        "end_time": end,
        "capacity": "6",
        "instructor_ids": [str(w["teacher"].id)],
        "assistant_ids": [str(w["helper"].id)],
        "note": "2階の教室で行います",
    }
    data.update(extra)
    return data


def _proposals() -> list[SessionProposal]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SessionProposal).order_by(SessionProposal.id)))


def _sessions() -> list[Session]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Session).order_by(Session.id)))


def error_of(page: str, field: str) -> str:
    found = re.search(rf'id="{field}-error">([^<]*)<', page)
    return found.group(1).strip() if found else ""


def _propose(client, w, venue, **extra):
    return client.post(f"/orgs/{w['shop'].id}/proposals", data=_form(w, venue, **extra))


def _logout(client):
    client.post("/logout")


# ---------------------------------------------------------------- the whole loop


def test_a_partner_proposes_in_its_own_new_venue_and_the_coordinator_approves(world, client):
    w = world
    login(client, w["partner"])
    org_page = client.get(f"/orgs/{w['shop'].id}").get_data(as_text=True)
    assert f"/orgs/{w['shop'].id}/proposals" in org_page

    added = client.post(
        f"/orgs/{w['shop'].id}/venues/new",
        data={
            "name": "スマホショップ中央店 2階",
            "address": "中央区1-2-3",
            "district": "中央",
            "capacity": "8",
            "accessibility_notes": "エレベーターあり",
        },
    )
    assert added.status_code == 302
    venue = db.session.scalar(sa.select(Venue).where(Venue.name == "スマホショップ中央店 2階"))
    assert venue.org_id == w["shop"].id
    assert venue.capacity == 8

    page = client.get(f"/orgs/{w['shop'].id}/proposals").get_data(as_text=True)
    assert "スマホショップ中央店 2階" in page
    assert "中央公民館" in page
    assert "佐藤講師" in page
    assert "他団体の講師" not in page

    response = _propose(client, w, venue)
    assert response.status_code == 302
    (proposal,) = _proposals()
    assert proposal.status == ProposalStatus.PROPOSED
    assert proposal.instructor_ids == [w["teacher"].id]
    page = client.get(f"/orgs/{w['shop'].id}/proposals").get_data(as_text=True)
    assert "承認待ち" in page
    _logout(client)

    login(client, w["coordinator"])
    queue = client.get("/proposals").get_data(as_text=True)
    assert "承認待ち 1件" in queue
    assert "スマホショップ中央店" in queue
    assert "2階の教室で行います" in queue
    approved = client.post(f"/proposals/{proposal.id}/approve")
    assert approved.status_code == 302
    (session,) = _sessions()
    assert approved.headers["Location"].endswith(f"/sessions/{session.id}")
    assert session.partner_org_id == w["shop"].id
    assert session.venue_id == venue.id
    assert session.delivery_type == DeliveryType.NATIONWIDE  # a carrier's shop class
    assert (session.starts_at, session.ends_at) == (at(DAY, "10:00"), at(DAY, "11:00"))
    assert session.capacity == 6
    assert [u.id for u in session.instructors] == [w["teacher"].id]
    assert [u.id for u in session.assistants] == [w["helper"].id]
    (proposal,) = _proposals()
    assert proposal.status == ProposalStatus.APPROVED
    assert proposal.session_id == session.id
    assert "承認待ち 0件" in client.get("/proposals").get_data(as_text=True)
    _logout(client)

    login(client, w["partner"])
    page = client.get(f"/orgs/{w['shop'].id}/proposals").get_data(as_text=True)
    assert "承認済み" in page
    assert f"/sessions/{session.id}" in page


def test_a_declined_proposal_needs_a_reason_and_the_partner_reads_it(world, client, make):
    w = world
    login(client, w["partner"])
    _propose(client, w, w["city_venue"])
    (proposal,) = _proposals()
    _logout(client)

    login(client, w["coordinator"])
    refused = client.post(f"/proposals/{proposal.id}/decline", data={f"p{proposal.id}-reason": " "})
    assert refused.status_code == 422
    assert "見送る理由を入力してください" in error_of(
        refused.get_data(as_text=True), f"p{proposal.id}-reason"
    )
    assert _proposals()[0].status == ProposalStatus.PROPOSED
    declined = client.post(
        f"/proposals/{proposal.id}/decline",
        data={f"p{proposal.id}-reason": "その日は市の行事と重なるため"},
    )
    assert declined.status_code == 302
    (proposal,) = _proposals()
    assert proposal.status == ProposalStatus.DECLINED
    assert proposal.reason == "その日は市の行事と重なるため"
    assert _sessions() == []
    # Decided: neither approved nor declined again.
    client.post(f"/proposals/{proposal.id}/approve")
    assert _sessions() == []
    assert _proposals()[0].status == ProposalStatus.DECLINED
    _logout(client)

    login(client, w["partner"])
    page = client.get(f"/orgs/{w['shop'].id}/proposals").get_data(as_text=True)
    assert "見送り" in page
    assert "その日は市の行事と重なるため" in page


def test_the_partner_withdraws_a_proposal_still_waiting(world, client):
    w = world
    login(client, w["partner"])
    _propose(client, w, w["city_venue"])
    (proposal,) = _proposals()
    assert client.post(f"/orgs/{w['shop'].id}/proposals/{proposal.id}/withdraw").status_code == 302
    assert _proposals()[0].status == ProposalStatus.WITHDRAWN
    _logout(client)
    login(client, w["coordinator"])
    assert "承認待ち 0件" in client.get("/proposals").get_data(as_text=True)
    client.post(f"/proposals/{proposal.id}/approve")
    assert _sessions() == []


# ---------------------------------------------------------------- scheduling's rules, at proposal time


def test_a_double_booking_is_refused_when_proposed_with_schedulings_message(world, client, make):
    w = world
    existing = make.session(venue=w["city_venue"], day=DAY, start="10:30", end="11:30")
    login(client, w["partner"])
    response = _propose(client, w, w["city_venue"])
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "会場「中央公民館」は" in page
    assert f"ID {existing.id}" in page
    assert _proposals() == []


def test_a_closed_venue_a_past_time_and_a_capacity_too_big_are_refused(world, client, make):
    w = world
    db.session.add(
        Closure(
            venue_id=w["city_venue"].id,
            uid="maintenance@dekiru.test",
            summary="設備点検",
            starts_at=at(DAY, "09:00"),
            ends_at=at(DAY, "17:00"),
        )
    )
    db.session.commit()
    login(client, w["partner"])
    closed = _propose(client, w, w["city_venue"])
    assert closed.status_code == 409
    assert "設備点検" in closed.get_data(as_text=True)

    past = _propose(client, w, w["city_venue"], day=japan_today() - timedelta(days=1))
    assert past.status_code == 422
    assert "開始日時が過ぎています" in error_of(past.get_data(as_text=True), "start_time")

    too_big = _propose(client, w, w["city_venue"], day=DAY + timedelta(days=1), capacity="30")
    assert too_big.status_code == 422
    assert "定員は会場の収容人数(12人)以下にしてください。" in error_of(
        too_big.get_data(as_text=True), "capacity"
    )
    assert _proposals() == []


def test_only_the_organizations_own_people_and_venues_can_be_proposed(world, client, make):
    w = world
    theirs = make.venue(name="東町内会館")
    theirs.org_id = w["other"].id
    db.session.commit()
    login(client, w["partner"])
    response = _propose(client, w, theirs, instructor_ids=[str(w["stranger"].id)], assistant_ids=[])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "登録されていません" in error_of(page, "venue_id")
    assert "この団体の講師・アシスタントではありません" in error_of(page, "instructor_ids")
    assert _proposals() == []


# ---------------------------------------------------------------- at approval time


def test_something_booked_since_refuses_the_approval_and_the_proposal_waits(world, client, make):
    w = world
    login(client, w["partner"])
    _propose(client, w, w["city_venue"])
    (proposal,) = _proposals()
    _logout(client)
    booked = make.session(venue=w["city_venue"], day=DAY, start="10:00", end="11:00")

    login(client, w["coordinator"])
    response = client.post(f"/proposals/{proposal.id}/approve")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "会場「中央公民館」は" in page
    assert f"ID {booked.id}" in page
    assert [s.id for s in _sessions()] == [booked.id]
    (proposal,) = _proposals()
    assert proposal.status == ProposalStatus.PROPOSED
    assert proposal.session_id is None


def test_an_instructor_booked_elsewhere_since_refuses_the_approval(world, client, make):
    w = world
    login(client, w["partner"])
    _propose(client, w, w["city_venue"])
    (proposal,) = _proposals()
    _logout(client)
    make.session(day=DAY, start="10:30", end="11:30", instructor_ids=[w["teacher"].id])
    login(client, w["coordinator"])
    response = client.post(f"/proposals/{proposal.id}/approve")
    assert response.status_code == 409
    assert "佐藤講師さんは同じ時間に" in response.get_data(as_text=True)
    assert _proposals()[0].status == ProposalStatus.PROPOSED


def test_a_proposal_whose_time_has_passed_cannot_be_approved(world, client):
    w = world
    login(client, w["partner"])
    _propose(client, w, w["city_venue"])
    (proposal,) = _proposals()
    login(client, w["coordinator"])
    with time_machine.travel(at(DAY, "10:30"), tick=False):
        response = client.post(f"/proposals/{proposal.id}/approve")
    assert response.status_code == 422
    assert "開始日時が過ぎています" in response.get_data(as_text=True)
    assert _sessions() == []
    assert _proposals()[0].status == ProposalStatus.PROPOSED


# ---------------------------------------------------------------- isolation


def test_another_organizations_proposals_and_venues_are_not_found(world, client):
    w = world
    login(client, w["partner"])
    client.post(
        f"/orgs/{w['shop'].id}/venues/new",
        data={"name": "ショップ本店", "district": "中央", "capacity": "4"},
    )
    venue = db.session.scalar(sa.select(Venue).where(Venue.name == "ショップ本店"))
    assert _propose(client, w, venue, capacity="4").status_code == 302
    (proposal,) = _proposals()
    _logout(client)

    login(client, w["other_partner"])
    other = w["other"].id
    assert client.get(f"/orgs/{w['shop'].id}/proposals").status_code == 404
    assert client.get(f"/orgs/{w['shop'].id}/venues/new").status_code == 404
    assert client.post(f"/orgs/{other}/proposals/{proposal.id}/withdraw").status_code == 404
    assert client.get(f"/orgs/{other}/venues/{venue.id}/edit").status_code == 404
    assert (
        client.post(
            f"/orgs/{other}/venues/{venue.id}/edit",
            data={"name": "乗っ取り", "district": "中央", "capacity": "4"},
        ).status_code
        == 404
    )
    assert _proposals()[0].status == ProposalStatus.PROPOSED
    db.session.expire_all()
    assert db.session.get(Venue, venue.id).name == "ショップ本店"
    assert "ショップ本店" not in client.get(f"/orgs/{other}/proposals").get_data(as_text=True)


def test_a_partner_edits_its_own_venue_but_not_a_city_venue(world, client):
    w = world
    login(client, w["partner"])
    client.post(
        f"/orgs/{w['shop'].id}/venues/new",
        data={"name": "ショップ本店", "district": "中央", "capacity": "4"},
    )
    venue = db.session.scalar(sa.select(Venue).where(Venue.name == "ショップ本店"))
    edited = client.post(
        f"/orgs/{w['shop'].id}/venues/{venue.id}/edit",
        data={"name": "店舗 2階", "address": "中央区9-9", "district": "中央", "capacity": "6"},
    )
    assert edited.status_code == 302
    db.session.expire_all()
    assert (venue.name, venue.capacity, venue.address) == ("店舗 2階", 6, "中央区9-9")

    city = w["city_venue"]
    assert client.get(f"/orgs/{w['shop'].id}/venues/{city.id}/edit").status_code == 404
    assert (
        client.post(
            f"/orgs/{w['shop'].id}/venues/{city.id}/edit",
            data={"name": "乗っ取り", "district": "中央", "capacity": "4"},
        ).status_code
        == 404
    )
    assert client.get(f"/venues/{city.id}/edit").status_code == 403
    db.session.expire_all()
    assert db.session.get(Venue, city.id).name == "中央公民館"


def test_a_bad_own_venue_names_its_fields(world, client):
    w = world
    login(client, w["partner"])
    response = client.post(
        f"/orgs/{w['shop'].id}/venues/new", data={"name": "", "district": "", "capacity": "多い"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert error_of(page, "name")
    assert error_of(page, "district")
    assert error_of(page, "capacity")


def test_the_coordinators_list_takes_as_many_queries_for_many_proposals_as_for_one(
    world, client, make
):
    w = world
    login(client, w["partner"])
    _propose(client, w, w["city_venue"])
    login(client, w["coordinator"])
    one = count_queries(lambda: client.get("/proposals"))
    login(client, w["partner"])
    for hour in range(12, 16):
        _propose(client, w, w["city_venue"], start=f"{hour}:00", end=f"{hour}:30")
    assert len(_proposals()) == 5
    login(client, w["coordinator"])
    assert count_queries(lambda: client.get("/proposals")) == one


# ---------------------------------------------------------------- the API


def _bearer(user) -> dict:
    return {"Authorization": f"Bearer {create_token(user)[1]}"}


def _body(w, venue, **extra) -> dict:
    body = {
        "course": w["course"].slug,
        "venue_id": venue.id,
        "starts_at": at(DAY, "13:00").isoformat(),
        "ends_at": at(DAY, "14:00").isoformat(),
        "capacity": 5,
        "instructor_ids": [w["teacher"].id],
    }
    body.update(extra)
    return body


def test_the_api_proposes_lists_and_approves(world, client):
    w = world
    partner, coordinator = _bearer(w["partner"]), _bearer(w["coordinator"])
    made = client.post(
        "/api/v1/orgs/carrier-shop/proposals", json=_body(w, w["city_venue"]), headers=partner
    )
    assert made.status_code == 201, made.get_json()
    proposal = made.get_json()
    assert proposal["status"] == "proposed"
    assert proposal["org"] == "carrier-shop"
    assert proposal["starts_at"] == f"{DAY.isoformat()}T13:00:00+09:00"

    other = _bearer(w["other_partner"])
    assert (
        client.post(
            "/api/v1/orgs/carrier-shop/proposals", json=_body(w, w["city_venue"]), headers=other
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/proposals/{proposal['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/proposals", headers=other).get_json()["items"] == []
    assert (
        client.post(f"/api/v1/proposals/{proposal['id']}/approve", headers=partner).status_code
        == 403
    )

    listed = client.get("/api/v1/proposals", headers=coordinator).get_json()["items"]
    assert [p["id"] for p in listed] == [proposal["id"]]
    approved = client.post(f"/api/v1/proposals/{proposal['id']}/approve", headers=coordinator)
    assert approved.status_code == 200
    assert approved.get_json()["status"] == "approved"
    session = client.get(
        f"/api/v1/sessions/{approved.get_json()['session_id']}", headers=partner
    ).get_json()
    assert session["partner_org"] == "carrier-shop"
    assert session["instructor_ids"] == [w["teacher"].id]


def test_the_api_refuses_bad_proposals_and_a_decline_without_reason(world, client, make):
    w = world
    partner, coordinator = _bearer(w["partner"]), _bearer(w["coordinator"])
    bad = client.post(
        "/api/v1/orgs/carrier-shop/proposals",
        json=_body(w, w["city_venue"], capacity=99, course="", colour="red"),
        headers=partner,
    )
    assert bad.status_code == 422
    fields = bad.get_json()["error"]["fields"]
    assert set(fields) == {"capacity", "course", "colour"}

    make.session(venue=w["city_venue"], day=DAY, start="13:00", end="14:00")
    clash = client.post(
        "/api/v1/orgs/carrier-shop/proposals", json=_body(w, w["city_venue"]), headers=partner
    )
    assert clash.status_code == 409
    assert clash.get_json()["error"]["code"] == "venue_conflict"

    made = client.post(
        "/api/v1/orgs/carrier-shop/proposals",
        json=_body(
            w,
            w["city_venue"],
            starts_at=at(DAY, "15:00").isoformat(),
            ends_at=at(DAY, "16:00").isoformat(),
        ),
        headers=partner,
    ).get_json()
    refused = client.post(
        f"/api/v1/proposals/{made['id']}/decline", json={"reason": ""}, headers=coordinator
    )
    assert refused.status_code == 422
    assert "reason" in refused.get_json()["error"]["fields"]
    declined = client.post(
        f"/api/v1/proposals/{made['id']}/decline",
        json={"reason": "会場の都合"},
        headers=coordinator,
    )
    assert declined.get_json()["status"] == "declined"
    again = client.post(f"/api/v1/proposals/{made['id']}/approve", headers=coordinator)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "not_proposed"


def test_a_coordinator_proposes_for_a_partner_and_the_pages_read_in_english(world, client):
    w = world
    login(client, w["coordinator"])
    assert _propose(client, w, w["city_venue"]).status_code == 302
    (proposal,) = _proposals()
    assert proposal.org_id == w["shop"].id
    assert proposal.proposed_by_id == w["coordinator"].id
    client.post("/language", data={"lang": "en", "next": "/proposals"})
    queue = client.get("/proposals").get_data(as_text=True)
    assert "1 waiting" in queue
    assert "Approve and schedule the class" in queue
    page = client.get(f"/orgs/{w['shop'].id}/proposals").get_data(as_text=True)
    assert "Waiting for approval" in page
    assert "中央公民館 (city venue, 中央, up to 12)" in page
