"""The document says what the code sends: every documented operation, called with valid input
by a coordinator (a role each allows), answers a status the document lists, with a body its
schema for that status accepts. And the operation table itself: every answer of every
operation is called here, so a new one cannot go unchecked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.api.openapi import document, operations
from app.auth.models import Role, User
from app.auth.services import create_token
from app.extensions import db
from app.orgs.models import Organization
from app.people.registration import register
from app.scheduling.models import Session
from app.scheduling.sessions import create_session
from app.staffing.models import StaffingRequest
from app.staffing.proposals import propose
from app.staffing.services import make_offer, request_staff
from app.timeutil import japan_today, local
from tests.checkin.support import learner, open_session

DOC = "urn:dekiru:openapi"
LATER = japan_today() + timedelta(days=30)


@dataclass
class World:
    token: str
    session: int
    course: str
    venue: int
    hanako: int  # registered, with a card
    taro: int  # not registered
    registration: int
    teacher: int


@pytest.fixture
def world(make) -> World:
    teacher = make.user("instructor")
    course = make.course(slug="smartphone-basics", skills=("power", "tap"))
    venue = make.venue()
    session = open_session(make, course=course.slug, venue=venue, instructor_ids=[teacher.id])
    hanako = learner("山田 花子", "やまだ はなこ", phone="090-1111-2222")
    taro = learner("佐藤 太郎", "さとう たろう")
    registration = register(session, hanako, source="phone")
    return World(
        token=create_token(make.user("coordinator"))[1],
        session=session.id,
        course=course.slug,
        venue=venue.id,
        hanako=hanako.id,
        taro=taro.id,
        registration=registration.id,
        teacher=teacher.id,
    )


def _later(w: World, **extra: Any) -> dict[str, Any]:
    return {
        "course": w.course,
        "venue_id": w.venue,
        "starts_at": f"{LATER.isoformat()}T10:00:00+09:00",
        "ends_at": f"{LATER.isoformat()}T11:00:00+09:00",
        **extra,
    }


def _shop() -> Organization:
    org = Organization(slug="carrier-shop", name="スマホショップ", kind="carrier")
    db.session.add(org)
    db.session.commit()
    return org


def _proposal(w: World) -> int:
    """A proposal waiting, in the afternoon of the day _later's sessions are in the morning."""
    later = _later(
        w,
        starts_at=f"{LATER.isoformat()}T14:00:00+09:00",
        ends_at=f"{LATER.isoformat()}T15:00:00+09:00",
    )
    return propose(_shop(), later, None).id


def _asked(w: World) -> int:
    """A later class asked of an NPO with one instructor: the request's id."""
    npo = Organization(slug="npo-contract", name="NPOけいやく", kind="npo")
    db.session.add(npo)
    db.session.flush()
    teacher = User(email="npo-teacher@example.jp", name="NPO講師", role=Role.INSTRUCTOR, org=npo)
    teacher.set_password("not used here at all")
    db.session.add(teacher)
    db.session.commit()
    session = create_session(
        _later(
            w,
            starts_at=f"{LATER.isoformat()}T16:00:00+09:00",
            ends_at=f"{LATER.isoformat()}T17:00:00+09:00",
        )
    )
    coordinator = db.session.scalars(sa.select(User).where(User.role == Role.COORDINATOR)).first()
    (made,) = request_staff(
        [session], {"org": npo.slug, "respond_by": LATER.isoformat()}, by=coordinator
    )
    return made.id


def _offered(w: World) -> int:
    request = db.session.get(StaffingRequest, _asked(w))
    teacher = db.session.scalars(sa.select(User).where(User.org_id == request.org_id)).one()
    return make_offer(request, {"instructor_ids": [teacher.id]}, by=teacher).offer.id


@dataclass
class Call:
    path: str
    body: dict[str, Any] | None = None
    query: str = ""
    before: Callable[[Any, World], None] | None = None


def _check_in_first(client, w: World) -> None:
    first = client.post(
        f"/api/v1/sessions/{w.session}/checkins",
        json={"learner_id": w.hanako},
        headers={"Authorization": f"Bearer {w.token}"},
    )
    assert first.status_code == 201, first.get_data(as_text=True)


# (path, method, status) as documented → the valid request that answers it.
CALLS: dict[tuple[str, str, int], Callable[[World], Call]] = {
    ("/sessions", "get", 200): lambda w: Call("/sessions", query="?per_page=10"),
    ("/sessions", "post", 201): lambda w: Call("/sessions", _later(w, capacity=4)),
    ("/sessions/{session_id}", "get", 200): lambda w: Call(f"/sessions/{w.session}"),
    ("/sessions/{session_id}", "patch", 200): lambda w: Call(
        f"/sessions/{w.session}", {"notes": "プロジェクター持参"}
    ),
    ("/sessions/{session_id}/cancel", "post", 200): lambda w: Call(
        f"/sessions/{w.session}/cancel", {"reason": "台風のため"}
    ),
    ("/sessions/{session_id}/checkins", "post", 201): lambda w: Call(
        f"/sessions/{w.session}/checkins", {"learner_id": w.hanako, "client_id": "a-1"}
    ),
    ("/sessions/{session_id}/checkins", "post", 200): lambda w: Call(
        f"/sessions/{w.session}/checkins", {"learner_id": w.hanako}, before=_check_in_first
    ),
    ("/sessions/{session_id}/checkins/batch", "post", 200): lambda w: Call(
        f"/sessions/{w.session}/checkins/batch",
        {
            "items": [
                {"learner_id": w.hanako, "client_id": "b-1", "scanned_at": "2026-01-01T10:00"},
                {"code": "ZZ-ZZZZ", "client_id": "b-2"},
            ]
        },
    ),
    ("/sessions/{session_id}/roster", "get", 200): lambda w: Call(
        f"/sessions/{w.session}/roster", before=_check_in_first
    ),
    ("/sessions/{session_id}/registrations", "get", 200): lambda w: Call(
        f"/sessions/{w.session}/registrations"
    ),
    ("/sessions/{session_id}/registrations", "post", 201): lambda w: Call(
        f"/sessions/{w.session}/registrations", {"learner_id": w.taro}
    ),
    ("/registrations/{registration_id}", "delete", 200): lambda w: Call(
        f"/registrations/{w.registration}"
    ),
    ("/confirmations", "get", 200): lambda w: Call(
        "/confirmations",
        query=f"?date={local(db.session.get_one(Session, w.session).starts_at).date()}",
    ),
    ("/registrations/{registration_id}/confirmations", "post", 201): lambda w: Call(
        f"/registrations/{w.registration}/confirmations",
        {"outcome": "cancelled", "note": "孫の運動会のため"},
    ),
    ("/series", "post", 201): lambda w: Call("/series", _later(w, weekdays=[0, 3], count=3)),
    ("/learners", "get", 200): lambda w: Call("/learners", query="?q=やまだ"),
    ("/learners", "post", 201): lambda w: Call(
        "/learners",
        {
            "name": "鈴木 一郎",
            "furigana": "スズキ イチロウ",
            "phone": "０９０ー１２３４ー５６７８",
            "birth_year": "昭和23年",
            "needs": {"hearing": True},
            "consent": True,
        },
    ),
    ("/learners/{learner_id}", "get", 200): lambda w: Call(f"/learners/{w.hanako}"),
    ("/learners/{learner_id}", "patch", 200): lambda w: Call(
        f"/learners/{w.hanako}", {"district": "中央", "device": "android"}
    ),
    ("/venues", "get", 200): lambda w: Call("/venues"),
    ("/instructors/{user_id}/availability", "get", 200): lambda w: Call(
        f"/instructors/{w.teacher}/availability"
    ),
    ("/instructors/{user_id}/availability", "put", 200): lambda w: Call(
        f"/instructors/{w.teacher}/availability",
        {
            "weekly": [{"weekday": 0, "starts": "１０：００", "ends": "16:00"}],
            "unavailable_dates": [{"day": LATER.isoformat(), "note": "研修"}],
        },
    ),
    ("/courses", "get", 200): lambda w: Call("/courses"),
    ("/courses/{slug}", "get", 200): lambda w: Call(f"/courses/{w.course}", query="?version=1"),
    ("/reports/summary", "get", 200): lambda w: Call("/reports/summary"),
    ("/reports/sessions.csv", "get", 200): lambda w: Call("/reports/sessions.csv"),
    ("/reports/sessions.xlsx", "get", 200): lambda w: Call("/reports/sessions.xlsx"),
    ("/orgs/{slug}/proposals", "post", 201): lambda w: Call(
        f"/orgs/{_shop().slug}/proposals", _later(w, capacity=4, note="駐車場あり")
    ),
    ("/proposals", "get", 200): lambda w: Call(
        "/proposals", query="?status=proposed", before=lambda client, w: _proposal(w)
    ),
    ("/proposals/{proposal_id}", "get", 200): lambda w: Call(f"/proposals/{_proposal(w)}"),
    ("/proposals/{proposal_id}/approve", "post", 200): lambda w: Call(
        f"/proposals/{_proposal(w)}/approve"
    ),
    ("/proposals/{proposal_id}/decline", "post", 200): lambda w: Call(
        f"/proposals/{_proposal(w)}/decline", {"reason": "会場の都合"}
    ),
    ("/proposals/{proposal_id}/withdraw", "post", 200): lambda w: Call(
        f"/proposals/{_proposal(w)}/withdraw"
    ),
    ("/sessions/{session_id}/staffing-requests", "post", 201): lambda w: Call(
        f"/sessions/{create_session(_later(w)).id}/staffing-requests",
        {"org": _shop().slug, "instructors": 1, "assistants": 1, "respond_by": LATER.isoformat()},
    ),
    ("/staffing-requests", "get", 200): lambda w: Call(
        "/staffing-requests", before=lambda client, w: _asked(w)
    ),
    ("/staffing-requests/{request_id}", "get", 200): lambda w: Call(
        f"/staffing-requests/{_asked(w)}"
    ),
    ("/staffing-requests/{request_id}/offers", "post", 201): lambda w: Call(
        f"/staffing-requests/{_asked(w)}/offers", {"name_by": LATER.isoformat()}
    ),
    ("/staffing-requests/{request_id}/withdraw", "post", 200): lambda w: Call(
        f"/staffing-requests/{_asked(w)}/withdraw", {"reason": "日程を見直します"}
    ),
    ("/offers/{offer_id}/confirm", "post", 200): lambda w: Call(f"/offers/{_offered(w)}/confirm"),
    ("/offers/{offer_id}/decline", "post", 200): lambda w: Call(
        f"/offers/{_offered(w)}/decline", {"reason": "研修のあとでお願いします"}
    ),
    ("/instructors/{user_id}/activity", "get", 200): lambda w: Call(
        f"/instructors/{w.teacher}/activity", query="?year=令和8年度"
    ),
}


def _documented_answers(app) -> set[tuple[str, str, int]]:
    return {
        (path, method, status)
        for path, method, op, _roles in operations(app)
        for status in op.replies
    }


def test_every_documented_answer_is_called_here(app):
    assert _documented_answers(app) == set(CALLS)


def test_every_operation_has_a_summary_roles_and_its_errors(app):
    for path, method, op, roles in operations(app):
        assert op.summary, (path, method)
        assert Role.COORDINATOR in roles, (path, method)
        assert 401 in op.errors, (path, method)  # every operation needs a token


def _validator(doc: dict, path: str, method: str, status: int, media: str):
    pointer = "/".join(
        part.replace("~", "~0").replace("/", "~1")
        for part in ("paths", path, method, "responses", str(status), "content", media, "schema")
    )
    registry = Registry().with_resource(DOC, Resource.from_contents(doc, DRAFT202012))
    return Draft202012Validator({"$ref": f"{DOC}#/{pointer}"}, registry=registry)


@pytest.mark.parametrize(("path", "method", "status"), sorted(CALLS))
def test_a_real_answer_matches_the_document(app, client, world, path, method, status):
    call = CALLS[(path, method, status)](world)
    if call.before is not None:
        call.before(client, world)
    with app.test_request_context():
        doc = document()
    response = client.open(
        f"/api/v1{call.path}{call.query}",
        method=method.upper(),
        json=call.body,
        headers={"Authorization": f"Bearer {world.token}"},
    )
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    (media,) = doc["paths"][path][method]["responses"][str(status)]["content"]
    assert response.mimetype == media
    if media != "application/json":
        assert response.get_data()  # a file: its type is what the document can say
        return
    body = response.get_json()
    errors = sorted(
        _validator(doc, path, method, status, media).iter_errors(body), key=lambda e: e.path
    )
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
