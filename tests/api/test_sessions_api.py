"""The sessions API as a device or an integration sees it."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.extensions import db
from app.scheduling.models import Session
from app.timeutil import japan_today
from tests.conftest import at

DAY = japan_today() + timedelta(days=14)


def _body(course, venue, start="10:00", end="11:30", **extra):
    body = {
        "course": course.slug,
        "venue_id": venue.id,
        "starts_at": f"{DAY.isoformat()}T{start}:00+09:00",
        "ends_at": f"{DAY.isoformat()}T{end}:00+09:00",
        "capacity": 8,
    }
    body.update(extra)
    return body


def _assert_error_shape(response, status, code):
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["fields"], dict)
    return error


def test_coordinator_creates_a_session_and_gets_it_back_in_japan_time(make, api_as):
    coordinator = make.user("coordinator")
    teacher = make.user("instructor")
    helper = make.user("instructor")
    partner = make.org(slug="npo-tsunagu")
    course, venue = make.course(), make.venue(capacity=10)
    api = api_as(coordinator)
    response = api.post(
        "/sessions",
        json=_body(
            course,
            venue,
            instructor_ids=[teacher.id],
            assistant_ids=[helper.id],
            partner_org="npo-tsunagu",
            delivery_type="regional",
        ),
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["course"] == course.slug
    assert created["course_version"] == 1
    assert created["starts_at"] == f"{DAY.isoformat()}T10:00:00+09:00"
    assert datetime.fromisoformat(created["ends_at"]).utcoffset() == timedelta(hours=9)
    assert created["instructor_ids"] == [teacher.id]
    assert created["assistant_ids"] == [helper.id]
    assert created["partner_org"] == partner.slug
    assert created["status"] == "scheduled"
    assert created["warnings"] == []
    assert api.get(f"/sessions/{created['id']}").get_json() == created


def test_warnings_for_missing_instructor_and_the_one_to_four_rule(make, api_as):
    api = api_as(make.user("coordinator"))
    teacher = make.user("instructor")
    course, venue = make.course(), make.venue(capacity=20)
    alone = api.post(
        "/sessions", json=_body(course, venue, capacity=9, instructor_ids=[teacher.id])
    )
    assert alone.get_json()["warnings"] == ["understaffed"]
    nobody = api.post(
        "/sessions", json=_body(course, venue, start="13:00", end="14:00", capacity=2)
    )
    assert nobody.get_json()["warnings"] == ["no_instructor", "understaffed"]


def test_venue_conflict_answers_409_with_the_other_session(make, api_as):
    api = api_as(make.user("coordinator"))
    course, venue = make.course(), make.venue()
    first = api.post("/sessions", json=_body(course, venue)).get_json()
    response = api.post("/sessions", json=_body(course, venue, start="11:00", end="12:00"))
    error = _assert_error_shape(response, 409, "venue_conflict")
    assert error["session_id"] == first["id"]


def test_instructor_conflict_answers_409(make, api_as):
    api = api_as(make.user("coordinator"))
    teacher = make.user("instructor")
    course = make.course()
    first = api.post("/sessions", json=_body(course, make.venue(), instructor_ids=[teacher.id]))
    response = api.post("/sessions", json=_body(course, make.venue(), instructor_ids=[teacher.id]))
    error = _assert_error_shape(response, 409, "instructor_conflict")
    assert error["session_id"] == first.get_json()["id"]


def test_invalid_input_names_every_field_at_once_and_writes_nothing(make, api_as):
    api = api_as(make.user("coordinator"))
    course, venue = make.course(), make.venue(capacity=10)
    response = api.post(
        "/sessions",
        json=_body(course, venue, start="12:00", end="11:00", capacity=11)
        | {"course": "no-such", "colour": "red"},
    )
    error = _assert_error_shape(response, 422, "invalid_input")
    assert set(error["fields"]) == {"ends_at", "capacity", "course", "colour"}
    assert "10" in error["fields"]["capacity"]
    assert db.session.query(Session).count() == 0


def test_full_width_digits_are_accepted(make, api_as):
    api = api_as(make.user("coordinator"))
    course, venue = make.course(), make.venue(capacity=10)
    response = api.post(
        "/sessions",
        json=_body(
            course, venue, capacity="８", starts_at=f"{DAY.isoformat()}T１０:００:００+09:00"
        ),
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["capacity"] == 8


def test_non_json_body_is_refused_with_the_error_shape(make, api_as):
    api = api_as(make.user("coordinator"))
    response = api.client.post(
        "/api/v1/sessions", data="not json", headers={**api.headers, "Content-Type": "text/plain"}
    )
    _assert_error_shape(response, 422, "invalid_input")


def test_no_token_is_401_and_a_bad_token_too(make, api_as, client):
    _assert_error_shape(client.get("/api/v1/sessions"), 401, "unauthorized")
    bad = client.get("/api/v1/sessions", headers={"Authorization": "Bearer dk_nonsense"})
    _assert_error_shape(bad, 401, "unauthorized")


def test_instructor_and_partner_may_not_plan(make, api_as):
    course, venue = make.course(), make.venue()
    for user in (make.user("instructor"), make.user("partner", org=make.org())):
        _assert_error_shape(
            api_as(user).post("/sessions", json=_body(course, venue)), 403, "forbidden"
        )


def test_partner_sees_only_its_own_organizations_sessions(make, api_as):
    ours, theirs = make.org(), make.org()
    mine = make.session(day=DAY, partner_org=ours.slug)
    other = make.session(day=DAY, partner_org=theirs.slug)
    api = api_as(make.user("partner", org=ours))
    listed = [s["id"] for s in api.get("/sessions").get_json()["items"]]
    assert listed == [mine.id]
    assert api.get(f"/sessions/{mine.id}").status_code == 200
    _assert_error_shape(api.get(f"/sessions/{other.id}"), 404, "not_found")


def test_instructor_sees_the_sessions_they_teach(make, api_as):
    teacher = make.user("instructor")
    taught = make.session(day=DAY, instructor_ids=[teacher.id])
    make.session(day=DAY)
    api = api_as(teacher)
    assert [s["id"] for s in api.get("/sessions").get_json()["items"]] == [taught.id]


def test_list_filters_and_paging(make, api_as):
    api = api_as(make.user("coordinator"))
    course = make.course()
    venue_a, venue_b = make.venue(district="北"), make.venue(district="南")
    for offset in range(3):
        make.session(course=course, venue=venue_a, day=DAY + timedelta(days=offset))
    make.session(course=course, venue=venue_b, day=DAY)
    page = api.get("/sessions?district=北&per_page=2").get_json()
    assert page["total"] == 3
    assert page["pages"] == 2
    assert len(page["items"]) == 2
    second = api.get("/sessions?district=北&per_page=2&page=2").get_json()
    assert len(second["items"]) == 1
    one_day = api.get(f"/sessions?from={DAY.isoformat()}&to={DAY.isoformat()}").get_json()
    assert one_day["total"] == 2
    error = _assert_error_shape(api.get("/sessions?from=yesterday"), 422, "invalid_input")
    assert "from" in error["fields"]


def test_patch_moves_a_session_and_keeps_the_rest(make, api_as):
    api = api_as(make.user("coordinator"))
    session = make.session(day=DAY, capacity=5, notes="持ち物: スマホ")
    response = api.patch(
        f"/sessions/{session.id}",
        json={"starts_at": at(DAY, "14:00").isoformat(), "ends_at": at(DAY, "15:00").isoformat()},
    )
    assert response.status_code == 200, response.get_json()
    moved = response.get_json()
    assert moved["starts_at"] == f"{DAY.isoformat()}T14:00:00+09:00"
    assert moved["capacity"] == 5
    assert moved["notes"] == "持ち物: スマホ"


def test_cancel_needs_a_reason_and_the_session_stays_visible(make, api_as):
    api = api_as(make.user("coordinator"))
    session = make.session(day=DAY)
    error = _assert_error_shape(
        api.post(f"/sessions/{session.id}/cancel", json={}), 422, "invalid_input"
    )
    assert "reason" in error["fields"]
    done = api.post(f"/sessions/{session.id}/cancel", json={"reason": "台風接近のため"})
    assert done.status_code == 200
    assert done.get_json()["status"] == "cancelled"
    assert done.get_json()["cancel_reason"] == "台風接近のため"
    assert api.get(f"/sessions/{session.id}").get_json()["status"] == "cancelled"
    _assert_error_shape(
        api.post(f"/sessions/{session.id}/cancel", json={"reason": "x"}), 409, "not_scheduled"
    )
    _assert_error_shape(
        api.patch(f"/sessions/{session.id}", json={"capacity": 3}), 409, "session_cancelled"
    )


def test_series_then_edit_this_and_following(make, api_as):
    api = api_as(make.user("coordinator"))
    course, venue = make.course(), make.venue()
    monday = DAY - timedelta(days=DAY.weekday())
    body = _body(course, venue, weekdays=[1, 3], count=4)
    body["starts_at"] = f"{(monday + timedelta(days=1)).isoformat()}T10:00:00+09:00"
    body["ends_at"] = f"{(monday + timedelta(days=1)).isoformat()}T11:00:00+09:00"
    made = api.post("/series", json=body)
    assert made.status_code == 201, made.get_json()
    items = made.get_json()["items"]
    starts = [s["starts_at"][:10] for s in items]
    assert starts == [(monday + timedelta(days=d)).isoformat() for d in (1, 3, 8, 10)]
    third = items[2]
    response = api.patch(
        f"/sessions/{third['id']}?scope=following",
        json={
            "starts_at": third["starts_at"].replace("T10:00", "T13:00"),
            "ends_at": third["ends_at"].replace("T11:00", "T14:30"),
        },
    )
    assert response.status_code == 200, response.get_json()
    after = [api.get(f"/sessions/{s['id']}").get_json() for s in items]
    assert [s["starts_at"][11:16] for s in after] == ["10:00", "10:00", "13:00", "13:00"]
    assert [s["ends_at"][11:16] for s in after] == ["11:00", "11:00", "14:30", "14:30"]


def test_venues_and_courses_are_listed_for_any_staff(make, api_as):
    venue = make.venue(name="中央公民館")
    api = api_as(make.user("instructor"))
    venues = api.get("/venues").get_json()["items"]
    assert [v["name"] for v in venues] == ["中央公民館"]
    assert venues[0]["setup_buffer_minutes"] == venue.setup_buffer_minutes
