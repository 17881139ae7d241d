"""Bad input costs little: every malformed request answers a 4xx in the API's error shape.

Each case here crashed the API with a 500 (or answered HTML) before: numbers past the
database's integer columns, dates at the ends of the calendar, strings no database can store,
JSON nested a thousand deep, values of the wrong type, non-ASCII digits, unknown routes and
unknown fields.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.services import create_token
from app.extensions import db
from app.people.learners import create_learner
from app.people.models import Learner
from app.people.registration import register
from app.scheduling.models import Session
from app.timeutil import japan_today
from tests.conftest import login

TOO_BIG = 2**63  # past what any integer column holds (SQLite's are 64 bits)
PAST_INTEGER = 2**31  # one past PostgreSQL's INTEGER, the type of every id column
DAY = japan_today() + timedelta(days=10)


@pytest.fixture
def world(make):
    """A coordinator's token, a course, a venue, a session with a registration."""
    coordinator = make.user("coordinator")
    course, venue = make.course(slug="smartphone-basics"), make.venue()
    session = make.session(course=course, venue=venue, day=DAY)
    learner = create_learner({"name": "山田 花子", "furigana": "やまだ はなこ"})
    registration = register(session, learner, source="phone")
    return {
        "token": create_token(coordinator)[1],
        "course": course.slug,
        "venue": venue.id,
        "session": session.id,
        "learner": learner.id,
        "registration": registration.id,
    }


def _session_body(world, **changes):
    body = {
        "course": world["course"],
        "venue_id": world["venue"],
        "starts_at": f"{DAY.isoformat()}T13:00:00+09:00",
        "ends_at": f"{DAY.isoformat()}T14:00:00+09:00",
        "capacity": 4,
    }
    return body | changes


def _send(client, world, method, path, body=None, raw=None):
    path = path.format(**world)
    headers = {"Authorization": f"Bearer {world['token']}"}
    if callable(body):
        body = body(world)
    if raw is not None:
        return client.open(
            f"/api/v1{path}",
            method=method,
            data=raw,
            content_type="application/json",
            headers=headers,
        )
    return client.open(f"/api/v1{path}", method=method, json=body, headers=headers)


def assert_error_shape(response, status, field=None):
    """The documented shape, with the expected status and, when given, the field named."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.is_json, response.content_type
    error = response.get_json()["error"]
    assert isinstance(error["code"], str)
    assert error["code"]
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["fields"], dict)
    if field is not None:
        assert field in error["fields"], error
    return error


BIG_NUMBERS = [
    ("GET", f"/sessions/{TOO_BIG}", None, 404, None),
    ("GET", f"/sessions/{TOO_BIG}/roster", None, 404, None),
    # Another method's route takes the same path: still 404, not 405.
    ("PATCH", f"/sessions/{TOO_BIG}", {"notes": "x"}, 404, None),
    ("PATCH", "/sessions/28296260279337082880", {"notes": "x"}, 404, None),
    ("GET", f"/learners/{TOO_BIG}", None, 404, None),
    ("GET", f"/sessions/{PAST_INTEGER}/registrations", None, 404, None),
    ("POST", f"/sessions/{PAST_INTEGER}/checkins", {}, 404, None),
    ("DELETE", f"/registrations/{PAST_INTEGER}", None, 404, None),
    ("POST", "/sessions", lambda w: _session_body(w, assistant_ids=[PAST_INTEGER]), 422, None),
    ("GET", f"/sessions?venue_id={PAST_INTEGER}", None, 422, "venue_id"),
    ("DELETE", f"/registrations/{TOO_BIG}", None, 404, None),
    ("GET", "/sessions?page=4611686018427387904", None, 422, "page"),
    ("GET", "/sessions?page=1&per_page=99999999999999999999", None, 422, "per_page"),
    ("GET", "/sessions?per_page=201", None, 422, "per_page"),
    ("GET", f"/sessions?venue_id={TOO_BIG}", None, 422, "venue_id"),
    ("GET", f"/sessions?instructor_id={TOO_BIG}", None, 422, "instructor_id"),
    ("GET", "/learners?page=4611686018427387904", None, 422, "page"),
    ("POST", "/sessions", lambda w: _session_body(w, venue_id=TOO_BIG), 422, "venue_id"),
    ("POST", "/sessions", lambda w: _session_body(w, capacity=TOO_BIG), 422, "capacity"),
    (
        "POST",
        "/sessions",
        lambda w: _session_body(w, instructor_ids=[TOO_BIG]),
        422,
        "instructor_ids",
    ),
    ("POST", "/sessions/{session}/registrations", {"learner_id": TOO_BIG}, 422, "learner_id"),
    ("POST", "/sessions/{session}/checkins", {"learner_id": TOO_BIG}, 422, "learner_id"),
]

CALENDAR_ENDS = [
    ("GET", "/sessions?from=0001-01-01", None, 422, "from"),
    ("GET", "/sessions?to=9999-12-31", None, 422, "to"),
    ("GET", "/reports/summary?from=0001-01-01", None, 422, "from"),
    ("GET", "/reports/summary?to=9999-12-31", None, 422, "to"),
    ("GET", "/reports/sessions.csv?from=0001-01-01&to=0001-12-31", None, 422, "from"),
    ("GET", "/reports/sessions.xlsx?from=9999-01-01&to=9999-12-31", None, 422, "to"),
    (
        "POST",
        "/sessions",
        lambda w: _session_body(w, starts_at="0001-01-01T00:00:00"),
        422,
        "starts_at",
    ),
    (
        "POST",
        "/sessions",
        lambda w: _session_body(w, starts_at="0001-01-01T10:00:00+09:00", ends_at=None),
        422,
        "starts_at",
    ),
    (
        "POST",
        "/sessions",
        lambda w: _session_body(w, ends_at="9999-12-31T23:59:59+09:00"),
        422,
        "ends_at",
    ),
    (
        "PATCH",
        "/sessions/{session}",
        {"starts_at": "1900-01-01T10:00:00+09:00", "ends_at": "1900-01-01T11:00:00+09:00"},
        422,
        "starts_at",
    ),
    (
        "POST",
        "/series",
        lambda w: _session_body(w, weekdays=[0], until="9999-12-31"),
        422,
        "until",
    ),
    (
        "POST",
        "/sessions/{session}/checkins",
        {"learner_id": 1, "scanned_at": "0001-01-01T00:00:00"},
        422,
        "scanned_at",
    ),
    (
        "POST",
        "/sessions/{session}/checkins",
        {"learner_id": 1, "scanned_at": "9999-12-31T23:59:59-12:00"},
        422,
        "scanned_at",
    ),
]

LONE_SURROGATE = '"\\ud800"'  # JSON text for a lone surrogate: no UTF-8 can encode it
UNSTORABLE = [
    ("POST", "/learners", f'{{"name": {LONE_SURROGATE}, "furigana": "やまだ"}}', "name"),
    ("POST", "/learners", '{"name": "山田\\u0000花子", "furigana": "やまだ"}', "name"),
    ("PATCH", "/learners/{learner}", f'{{"notes": {LONE_SURROGATE}}}', "notes"),
    ("PATCH", "/sessions/{session}", f'{{"notes": {LONE_SURROGATE}}}', "notes"),
    ("PATCH", "/sessions/{session}", '{"notes": "a\\u0000b"}', "notes"),
    ("POST", "/sessions/{session}/cancel", f'{{"reason": {LONE_SURROGATE}}}', "reason"),
    (
        "POST",
        "/sessions/{session}/checkins",
        f'{{"learner_id": 1, "client_id": {LONE_SURROGATE}}}',
        "client_id",
    ),
    (
        "POST",
        "/sessions/{session}/checkins",
        f'{{"walk_in": true, "new_learner": {{"name": {LONE_SURROGATE}, "furigana": "あ"}}}}',
        "new_learner",
    ),
    ("POST", "/learners", f'{{{LONE_SURROGATE}: 1, "name": "a", "furigana": "あ"}}', None),
]

WRONG_TYPES = [
    ("POST", "/sessions/{session}/cancel", {"reason": 123}, "reason"),
    ("POST", "/sessions/{session}/cancel", {"reason": ["中止"]}, "reason"),
    ("POST", "/sessions/{session}/checkins", {"learner_id": 1, "method": {}}, "method"),
    ("POST", "/sessions/{session}/checkins", {"learner_id": 1, "method": []}, "method"),
    ("POST", "/sessions/{session}/registrations", {"learner_id": 1, "source": {}}, "source"),
    ("POST", "/sessions/{session}/registrations", {"learner_id": 1, "source": []}, "source"),
    ("POST", "/sessions", lambda w: _session_body(w, delivery_type={}), "delivery_type"),
    ("POST", "/sessions", lambda w: _session_body(w, status=[]), "status"),
    ("POST", "/sessions", lambda w: _session_body(w, course={}), "course"),
    ("POST", "/sessions", lambda w: _session_body(w, partner_org=[]), "partner_org"),
    ("POST", "/sessions", lambda w: _session_body(w, notes={}), "notes"),
    ("POST", "/sessions", lambda w: _session_body(w, public="yes"), "public"),
    ("POST", "/sessions", lambda w: _session_body(w, capacity=True), "capacity"),
    ("POST", "/series", lambda w: _session_body(w, weekdays=[0], count=2, on_closed={}), None),
    ("POST", "/series", lambda w: _session_body(w, weekdays={"0": 1}, count=2), "weekdays"),
    ("POST", "/series", lambda w: _session_body(w, weekdays=[0], until=[]), "until"),
    ("POST", "/learners", {"name": {}, "furigana": "やまだ"}, "name"),
    ("POST", "/learners", {"name": "山田", "furigana": []}, "furigana"),
    ("POST", "/learners", {"name": "山田", "furigana": "やまだ", "kind": {}}, "kind"),
    ("POST", "/learners", {"name": "山田", "furigana": "やまだ", "device": []}, "device"),
    ("PATCH", "/learners/{learner}", {"language": {}}, "language"),
    ("PATCH", "/learners/{learner}", {"phone": {}}, "phone"),
    ("PATCH", "/learners/{learner}", {"birth_year": []}, "birth_year"),
    ("PATCH", "/learners/{learner}", {"consent": "maybe"}, "consent"),
    ("PATCH", "/learners/{learner}", {"needs": {"vision": "yes"}}, "needs"),
]

NON_ASCII_DIGITS = [
    ("GET", "/learners?page=²", "page"),
    ("GET", "/learners?page=١", "page"),
    ("GET", "/courses/{course}?version=²", "version"),
    ("GET", "/sessions?page=²", "page"),
    ("GET", "/sessions?venue_id=²", "venue_id"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "field"), BIG_NUMBERS)
def test_numbers_past_the_integer_columns_answer_4xx_naming_the_field(
    client, world, method, path, body, status, field
):
    assert_error_shape(_send(client, world, method, path, body), status, field)


@pytest.mark.parametrize(("method", "path", "body", "status", "field"), CALENDAR_ENDS)
def test_dates_outside_2000_to_2100_answer_422_naming_the_field(
    client, world, method, path, body, status, field
):
    assert_error_shape(_send(client, world, method, path, body), status, field)


def test_a_year_one_session_is_refused_not_stored_in_local_mean_time(client, world):
    response = _send(
        client, world, "POST", "/sessions", _session_body(world, starts_at="0001-01-01T10:00:00")
    )
    error = assert_error_shape(response, 422, "starts_at")
    assert "2000" in error["fields"]["starts_at"]
    assert "2100" in error["fields"]["starts_at"]
    assert db.session.scalar(sa.select(sa.func.count(Session.id))) == 1


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/learners?q=%00", 422, "q"),
        ("/sessions?course=a%00b", 422, "course"),
        ("/reports/summary?district=%00", 422, "district"),
        ("/courses/a%00b", 404, None),
    ],
)
def test_a_nul_in_the_query_or_the_path_is_refused(client, world, path, status, field):
    """PostgreSQL refuses NUL in a query's text: it would have been a 500 there."""
    assert_error_shape(_send(client, world, "GET", path), status, field)


@pytest.mark.parametrize(("method", "path", "raw", "field"), UNSTORABLE)
def test_lone_surrogates_and_nul_bytes_are_refused_naming_the_field(
    client, world, method, path, raw, field
):
    response = _send(client, world, method, path, raw=raw.encode())
    assert_error_shape(response, 422, field)


def test_a_nul_byte_never_reaches_a_stored_name(client, world):
    _send(client, world, "POST", "/learners", raw=b'{"name": "a\\u0000b", "furigana": "\\u3042"}')
    names = db.session.scalars(sa.select(Learner.name)).all()
    assert not any("\x00" in name for name in names)


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 1000 + "]" * 1000,
        '{"a": ' * 1000 + "1" + "}" * 1000,
        '{"notes": ' + "[" * 200 + "]" * 200 + "}",
        "[" * 100_000,
    ],
    ids=["array-1000", "object-1000", "object-200", "unclosed-100000"],
)
def test_deeply_nested_json_answers_in_the_error_shape(client, world, raw):
    for method, path in (
        ("POST", "/sessions"),
        ("PATCH", "/sessions/{session}"),
        ("POST", "/sessions/{session}/cancel"),
        ("POST", "/sessions/{session}/checkins"),
        ("POST", "/sessions/{session}/registrations"),
        ("POST", "/learners"),
        ("POST", "/series"),
    ):
        response = _send(client, world, method, path, raw=raw.encode())
        assert response.status_code in (400, 422), (method, path)
        assert_error_shape(response, response.status_code)


@pytest.mark.parametrize("raw", ["[]", '"text"', "12", "null", "{", "{'a': 1}", "\xff"])
def test_a_body_that_is_not_a_json_object_is_422_naming_the_body(client, world, raw):
    for method, path in (
        ("POST", "/sessions/{session}/cancel"),
        ("POST", "/sessions/{session}/checkins"),
        ("POST", "/learners"),
    ):
        response = _send(client, world, method, path, raw=raw.encode("latin-1"))
        assert_error_shape(response, 422, "body")


@pytest.mark.parametrize(("method", "path", "body", "field"), WRONG_TYPES)
def test_values_of_the_wrong_type_are_422_naming_the_field(
    client, world, method, path, body, field
):
    assert_error_shape(_send(client, world, method, path, body), 422, field)


def test_a_wrong_type_stores_nothing(client, world):
    _send(client, world, "POST", "/learners", {"name": {"a": 1}, "furigana": "やまだ"})
    assert db.session.scalar(sa.select(sa.func.count(Learner.id))) == 1


@pytest.mark.parametrize(("method", "path", "field"), NON_ASCII_DIGITS)
def test_digits_other_than_ascii_are_422_naming_the_field(client, world, method, path, field):
    assert_error_shape(_send(client, world, method, path), 422, field)


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nothing-here", 404, "not_found"),
        ("GET", "/sessions/abc", 404, "not_found"),
        ("GET", "/sessions/-1", 404, "not_found"),
        ("POST", "/venues", 405, "method_not_allowed"),
        ("DELETE", "/sessions", 405, "method_not_allowed"),
        ("PUT", "/learners/{learner}", 405, "method_not_allowed"),
    ],
)
def test_unknown_routes_and_methods_answer_the_json_error_shape(
    client, world, method, path, status, code
):
    response = _send(client, world, method, path)
    error = assert_error_shape(response, status)
    assert error["code"] == code
    if status == 405:
        assert "GET" in response.headers["Allow"] or "POST" in response.headers["Allow"]


def test_unknown_routes_outside_the_api_still_answer_the_html_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_a_checkin_with_an_unknown_field_is_422_naming_it(client, world):
    response = _send(
        client,
        world,
        "POST",
        "/sessions/{session}/checkins",
        {"learner_id": world["learner"], "colour": "red", "walkin": True},
    )
    error = assert_error_shape(response, 422)
    assert set(error["fields"]) == {"colour", "walkin"}


def test_the_error_shape_is_kept_for_an_unknown_route_without_a_token(client):
    response = client.get("/api/v1/nothing-here")
    assert_error_shape(response, 404)
    assert json.loads(response.get_data())["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/sessions/{TOO_BIG}", 404),
        (f"/learners/{TOO_BIG}", 404),
        ("/sessions?page=4611686018427387904", 200),
        ("/learners?page=4611686018427387904", 200),
        (f"/sessions?venue_id={TOO_BIG}", 200),
        ("/reports/sessions?page=²", 200),
        ("/sessions/week?week=9999-12-31", 200),
        ("/cards/print?learner=²", 404),
        (f"/cards/print?learner={TOO_BIG}", 404),
    ],
)
def test_the_pages_take_the_same_numbers_without_a_crash(make, client, world, path, status):
    login(client, make.user("coordinator"))
    assert client.get(path).status_code == status
