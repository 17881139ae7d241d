"""The logs a city's operator reads: one JSON object per line, a request id to find the lines of
one answer, and nothing of what people typed (names, phones, tokens, searches)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from app import logs
from app.auth.services import create_token
from app.calendars import tokens
from app.calendars.models import FeedOwner
from app.extensions import db
from tests.conftest import login, make_app

NAME = "山田 花子"
PHONE = "090-1234-5678"


@pytest.fixture
def app(app, tmp_path):
    """The test's database, served by an app configured as production logs: JSON lines.
    The handler create_app installed writes to a buffer the test reads."""
    logged = make_app(
        "sqlite",
        tmp_path,
        LOG_FORMAT="json",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
    )
    (handler,) = [h for h in logging.getLogger().handlers if h.name == logs.HANDLER_NAME]
    assert isinstance(handler, logging.StreamHandler)
    logged.config["LOG_BUFFER"] = buffer = io.StringIO()
    handler.setStream(buffer)
    yield logged
    logging.getLogger().removeHandler(handler)
    with logged.app_context():
        db.session.remove()
        db.engine.dispose()


def _lines(app) -> list[dict]:
    return [json.loads(line) for line in app.config["LOG_BUFFER"].getvalue().splitlines()]


def _request_lines(app) -> list[dict]:
    return [line for line in _lines(app) if line["logger"] == logs.REQUEST_LOGGER]


def test_a_request_is_one_json_line_with_its_route_status_and_user_never_what_was_typed(
    app, client, make
):
    coordinator = make.user("coordinator")
    _token, secret = create_token(coordinator)

    response = client.post(
        "/api/v1/learners?note=" + PHONE,
        json={"name": NAME, "furigana": "やまだ はなこ", "phone": PHONE},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201, response.get_json()
    search = client.get(
        "/api/v1/learners",
        query_string={"q": "やまだ"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert search.status_code == 200

    created, searched = _request_lines(app)
    assert created["level"] == "INFO"
    assert created["time"].endswith("Z")
    assert created["time"][:4].isdigit()
    assert created["method"] == "POST"
    assert created["route"] == "/api/v1/learners"
    assert created["status"] == 201
    assert created["user_id"] == coordinator.id
    assert isinstance(created["duration_ms"], float)
    assert created["request_id"] == response.headers["X-Request-ID"]
    assert searched["request_id"] == search.headers["X-Request-ID"] != created["request_id"]
    written = app.config["LOG_BUFFER"].getvalue()
    for typed in (NAME, "山田", PHONE, "09012345678", secret, "やまだ", "note="):
        assert typed not in written


def test_a_feed_token_in_the_path_stays_out_of_the_log(app, client, make):
    instructor = make.user("instructor")
    token = tokens.token_for(FeedOwner.INSTRUCTOR, instructor.id).token
    db.session.commit()

    assert client.get(f"/calendar/instructor/{token}.ics").status_code == 200

    (line,) = _request_lines(app)
    assert line["route"] == "/calendar/instructor/<token>.ics"
    assert line["user_id"] is None
    assert token not in app.config["LOG_BUFFER"].getvalue()


def test_a_logged_in_page_names_the_user_by_id_only(app, client, make):
    coordinator = make.user("coordinator", name="佐藤 一郎", email="sato@example.jp")
    login(client, coordinator)
    app.config["LOG_BUFFER"].truncate(0)
    app.config["LOG_BUFFER"].seek(0)

    assert client.get("/sessions").status_code == 200

    (line,) = _request_lines(app)
    assert line["user_id"] == coordinator.id
    written = app.config["LOG_BUFFER"].getvalue()
    assert "佐藤" not in written
    assert "sato@example.jp" not in written


def test_the_callers_request_id_is_kept_when_well_formed_and_replaced_otherwise(app, client):
    kept = client.get("/login", headers={"X-Request-ID": "door-7f3a-0042"})
    assert kept.headers["X-Request-ID"] == "door-7f3a-0042"

    for bad in ("<script>", "a" * 65, "id with spaces", "名前"):
        made = client.get("/login", headers={"X-Request-ID": bad})
        assert made.headers["X-Request-ID"] != bad
        assert logs.WELL_FORMED.fullmatch(made.headers["X-Request-ID"])
    assert "<script>" not in app.config["LOG_BUFFER"].getvalue()

    fresh = {client.get("/login").headers["X-Request-ID"] for _ in range(3)}
    assert len(fresh) == 3


def test_every_answer_carries_an_id_static_files_and_api_errors_too(client):
    for path in ("/static/css/app.css", "/no-such-page", "/api/v1/sessions"):
        assert client.get(path).headers["X-Request-ID"]


def test_the_error_page_shows_the_id_to_quote(client):
    response = client.get("/no-such-page", headers={"X-Request-ID": "abc123def456"})
    assert response.status_code == 404
    assert "お問い合わせ番号: abc123def456" in response.get_data(as_text=True)


def test_an_api_error_body_carries_the_id_of_its_answer(client):
    response = client.get("/api/v1/sessions")
    assert response.status_code == 401
    assert response.get_json()["error"]["request_id"] == response.headers["X-Request-ID"]


@pytest.fixture
def failing_app(app):
    """The same app as a server runs it: exceptions answered (500), not raised into the test."""
    app.testing = False

    @app.get("/boom/<int:number>")
    def boom(number):
        raise RuntimeError(f"broken on purpose {number}")

    return app


def test_an_unhandled_exception_is_one_line_with_its_traceback_and_request_id(failing_app):
    client = failing_app.test_client()
    response = client.get("/boom/1?phone=" + PHONE, headers={"X-Request-ID": "boom-1"})

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "お問い合わせ番号: boom-1" in page
    assert "broken on purpose" not in page
    (error,) = [line for line in _lines(failing_app) if line["level"] == "ERROR"]
    assert error["request_id"] == "boom-1"
    assert error["route"] == "/boom/<int:number>"
    assert "Traceback" in error["exc_info"]
    assert "broken on purpose 1" in error["exc_info"]
    (answer,) = _request_lines(failing_app)
    assert answer["status"] == 500
    assert answer["request_id"] == "boom-1"
    assert PHONE not in failing_app.config["LOG_BUFFER"].getvalue()
    assert "/boom/1" not in failing_app.config["LOG_BUFFER"].getvalue()


def test_development_logs_are_plain_text(tmp_path, monkeypatch):
    monkeypatch.setenv("DEKIRU_ENV", "development")
    app = make_app("sqlite", tmp_path, TESTING=False, SECRET_KEY="dev-only-not-secret")
    try:
        (handler,) = [h for h in logging.getLogger().handlers if h.name == logs.HANDLER_NAME]
        assert not isinstance(handler.formatter, logs.UtcJsonFormatter)
        assert app.config["LOG_FORMAT"] == "text"
    finally:
        logging.getLogger().removeHandler(handler)
