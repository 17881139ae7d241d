"""GET /api/v1/courses and /api/v1/courses/<slug>."""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa

from app.auth.services import create_token
from app.config import REPO_ROOT
from app.extensions import db
from tests.curricula.support import course, write


@pytest.fixture
def real_courses(load, tmp_path):
    result = load(shutil.copytree(REPO_ROOT / "curricula", tmp_path / "curricula"))
    assert result.exit_code == 0, result.output


@pytest.fixture
def get(client, make):
    headers = {"Authorization": f"Bearer {create_token(make.user('instructor'))[1]}"}

    def request(path):
        return client.get(f"/api/v1{path}", headers=headers)

    return request


def test_lists_every_course_with_its_skills(get, real_courses):
    response = get("/courses")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert len(items) == 12
    basics = next(c for c in items if c["slug"] == "smartphone-basics")
    assert set(basics) == {
        "slug",
        "version",
        "title_ja",
        "title_en",
        "summary_ja",
        "summary_en",
        "track",
        "audience",
        "duration_minutes",
        "prerequisites",
        "materials",
        "skills",
    }
    assert basics["version"] == 1
    assert basics["title_ja"] == "スマートフォンの基本操作"
    assert basics["duration_minutes"] == 90
    assert basics["audience"] == ["senior"]
    assert basics["skills"][0] == {
        "id": "power-and-unlock",
        "ja": "電源の入れ方・切り方と、画面ロックの解除ができる",
        "en": "Turns the phone on and off and unlocks the screen",
    }
    portal = next(c for c in items if c["slug"] == "mynaportal-online-procedures")
    assert portal["prerequisites"] == ["mynumber-card"]


def test_filters_by_track(get, real_courses):
    items = get("/courses?track=leader").get_json()["items"]
    assert sorted(c["slug"] for c in items) == ["association-digital", "online-meetings-scheduling"]


def test_an_unknown_track_is_invalid_input(get, real_courses):
    response = get("/courses?track=advanced")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert "track" in error["fields"]


def test_one_course(get, real_courses):
    response = get("/courses/cashless-payments")
    assert response.status_code == 200
    body = response.get_json()
    assert body["title_en"] == "Cashless payments"
    assert body["prerequisites"] == ["smartphone-basics", "smartphone-safety"]
    assert body["versions"][0]["version"] == 1


def test_an_older_version_by_number(get, load, tmp_path):
    directory = write(tmp_path / "c", course("a-course"))
    assert load(directory).exit_code == 0
    write(directory, course("a-course", version=2, duration_minutes=90))
    assert load(directory).exit_code == 0
    assert get("/courses/a-course").get_json()["duration_minutes"] == 90
    old = get("/courses/a-course?version=1").get_json()
    assert (old["version"], old["duration_minutes"], old["current_version"]) == (1, 60, 2)
    assert get("/courses/a-course?version=5").status_code == 404


def test_unknown_course_answers_404_in_the_error_shape(get):
    response = get("/courses/no-such-course")
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["code"] == "not_found"
    assert "no-such-course" in error["message"]


def test_without_a_token_answers_401(client, make, real_courses):
    for path in ("/api/v1/courses", "/api/v1/courses/smartphone-basics"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_list_queries_do_not_grow_with_courses(get, make):
    def queries() -> int:
        count = {"n": 0}

        def counter(*_args, **_kwargs):
            count["n"] += 1

        sa.event.listen(db.engine, "before_cursor_execute", counter)
        try:
            assert get("/courses").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counter)
        return count["n"]

    for _ in range(3):
        make.course()
    get("/courses")  # the token's first use is written down once; count the reads after it
    few = queries()
    for _ in range(27):
        make.course()
    assert queries() == few
