"""Versions: loading twice changes nothing, a raised version becomes current while sessions keep
the version they were planned with, and a changed file without a raised version is refused."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.curricula.models import CourseVersion
from app.extensions import db
from app.scheduling.sessions import create_session
from app.timeutil import japan_today
from tests.conftest import at
from tests.curricula.support import course, course_count, loaded, version_count, write

DAY = japan_today() + timedelta(days=21)
NEW_SKILLS = [
    {"id": "first-skill", "ja": "電源を入れられる", "en": "Turns the phone on"},
    {"id": "video-call", "ja": "ビデオ通話ができる", "en": "Makes a video call"},
]


def _plan(slug, venue, start="10:00", end="11:00"):
    return create_session(
        {
            "course": slug,
            "venue_id": venue.id,
            "starts_at": at(DAY, start),
            "ends_at": at(DAY, end),
            "capacity": 4,
        }
    )


def test_loading_twice_changes_nothing(load, tmp_path):
    directory = write(tmp_path / "c", course("a-course"), course("b-course"))
    assert load(directory).exit_code == 0
    first = loaded("a-course").current_version
    first_id, first_loaded_at = first.id, first.loaded_at

    again = load(directory)
    assert again.exit_code == 0, again.output
    assert "新規 0" in again.output
    assert "変更なし 2" in again.output
    assert version_count() == 2
    current = loaded("a-course").current_version
    assert (current.id, current.loaded_at) == (first_id, first_loaded_at)


def test_comments_and_key_order_do_not_make_a_new_version(load, tmp_path):
    directory = write(tmp_path / "c", course("a-course"))
    assert load(directory).exit_code == 0
    text = (directory / "a-course.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    reordered = "# 並べ替えただけ\n" + "\n".join([lines[1], lines[0], *lines[2:]]) + "\n"
    (directory / "a-course.toml").write_text(reordered, encoding="utf-8")
    result = load(directory)
    assert result.exit_code == 0, result.output
    assert "変更なし 1" in result.output
    assert version_count() == 1


def test_a_raised_version_becomes_current_and_planned_sessions_keep_theirs(load, tmp_path, make):
    directory = write(tmp_path / "c", course("a-course"))
    assert load(directory).exit_code == 0
    venue = make.venue()
    planned = _plan("a-course", venue)
    assert planned.course_version.version == 1

    write(directory, course("a-course", version=2, duration_minutes=90, skills=NEW_SKILLS))
    result = load(directory)
    assert result.exit_code == 0, result.output
    assert "新しい版 1" in result.output
    assert "a-course v2" in result.output

    current = loaded("a-course").current_version
    assert current.version == 2
    assert [s.key for s in current.skills] == ["first-skill", "video-call"]
    db.session.refresh(planned)
    assert planned.course_version.version == 1
    assert planned.course_version.duration_minutes == 60
    assert [s.key for s in planned.course_version.skills] == ["first-skill", "second-skill"]
    assert _plan("a-course", venue, start="14:00", end="15:00").course_version.version == 2


def test_changed_content_with_the_same_version_is_refused(load, tmp_path, make):
    directory = write(tmp_path / "c", course("a-course"))
    assert load(directory).exit_code == 0
    planned = _plan("a-course", make.venue())

    write(directory, course("a-course", skills=NEW_SKILLS))
    result = load(directory)
    assert result.exit_code != 0
    assert "ファイル a-course.toml: 項目 version:" in result.output
    assert "version を 2 に上げてください" in result.output
    assert version_count() == 1
    db.session.refresh(planned)
    assert [s.key for s in planned.course_version.skills] == ["first-skill", "second-skill"]


def test_a_version_lower_than_the_loaded_one_is_refused(load, tmp_path):
    directory = write(tmp_path / "c", course("a-course", version=3))
    assert load(directory).exit_code == 0
    write(directory, course("a-course", version=2, duration_minutes=45))
    result = load(directory)
    assert result.exit_code != 0
    assert "ファイル a-course.toml: 項目 version:" in result.output
    assert "version 3" in result.output
    assert loaded("a-course").current_version.version == 3
    assert version_count() == 1


def test_one_refused_file_keeps_every_other_file_from_loading(load, tmp_path):
    directory = write(tmp_path / "c", course("a-course"), course("b-course"))
    assert load(directory).exit_code == 0
    write(directory, course("a-course", version=2, duration_minutes=45))
    write(directory, course("b-course", duration_minutes=45))  # changed, version not raised
    write(directory, course("c-course"))
    result = load(directory)
    assert result.exit_code != 0
    assert "b-course.toml" in result.output
    assert loaded("a-course").current_version.version == 1
    assert loaded("c-course") is None


def test_check_writes_nothing(load, tmp_path):
    directory = write(tmp_path / "c", course("a-course"))
    result = load(directory, "--check")
    assert result.exit_code == 0, result.output
    assert "何も書き込んでいません" in result.output
    assert course_count() == 0

    assert load(directory).exit_code == 0
    write(directory, course("a-course", version=2, duration_minutes=45))
    result = load(directory, "--check")
    assert result.exit_code == 0, result.output
    assert "新しい版 1" in result.output
    assert loaded("a-course").current_version.version == 1


def test_check_finds_problems_that_need_the_database(load, tmp_path):
    directory = write(tmp_path / "c", course("a-course"))
    assert load(directory).exit_code == 0
    write(directory, course("a-course", duration_minutes=45))
    result = load(directory, "--check")
    assert result.exit_code != 0
    assert "ファイル a-course.toml: 項目 version:" in result.output


def test_a_prerequisite_already_in_the_database_is_known(load, tmp_path):
    assert load(write(tmp_path / "first", course("a-course"))).exit_code == 0
    result = load(write(tmp_path / "second", course("b-course", prerequisites=["a-course"])))
    assert result.exit_code == 0, result.output
    assert loaded("b-course").current_version.prerequisites == ["a-course"]


def test_a_cycle_through_a_course_only_in_the_database_is_refused(load, tmp_path):
    first = write(
        tmp_path / "first", course("a-course"), course("b-course", prerequisites=["a-course"])
    )
    assert load(first).exit_code == 0
    second = write(tmp_path / "second", course("a-course", version=2, prerequisites=["b-course"]))
    result = load(second)
    assert result.exit_code != 0
    assert "ファイル a-course.toml: 項目 prerequisites:" in result.output
    assert "a-course → b-course → a-course" in result.output
    assert loaded("a-course").current_version.version == 1


def test_courses_missing_from_the_directory_are_kept(load, tmp_path):
    assert load(write(tmp_path / "first", course("a-course"), course("b-course"))).exit_code == 0
    assert load(write(tmp_path / "second", course("b-course"))).exit_code == 0
    assert loaded("a-course") is not None
    assert course_count() == 2


def test_each_version_remembers_its_source_file(load, tmp_path):
    assert load(write(tmp_path / "c", course("a-course"))).exit_code == 0
    source = db.session.scalar(sa.select(CourseVersion.source_file))
    assert source == "a-course.toml"
