"""Every refusal of a course directory: the message names the file and the field, and
nothing is written."""

from __future__ import annotations

import pytest

from tests.curricula.support import course, course_count, without, write


def refused(load, directory, file: str, where: str, *words: str) -> str:
    """Load `directory` and expect a refusal with a line for `file` at `where` (a field path
    such as "項目 skills[2].id", or "3行目"), containing `words`; return the output."""
    result = load(directory)
    assert result.exit_code != 0, result.output
    lines = [
        line
        for line in problem_lines(result.output)
        if line.startswith(f"ファイル {file}: {where}: ")
    ]
    assert lines, result.output
    for word in words:
        assert any(word in line for line in lines), result.output
    assert course_count() == 0
    return result.output


def problem_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("ファイル ")]


def test_unreadable_toml_names_the_file_and_the_line(load, tmp_path):
    directory = write(tmp_path / "c", course("good-course"))
    (directory / "broken.toml").write_text(
        'slug = "broken"\nversion = 1\ntitle = { ja = "壊れた"\n', encoding="utf-8"
    )
    refused(load, directory, "broken.toml", "3行目", "TOML")


def test_a_file_that_is_not_utf8_is_refused(load, tmp_path):
    directory = tmp_path / "c"
    directory.mkdir()
    (directory / "sjis.toml").write_bytes('slug = "sjis"\n# スマホ\n'.encode("shift_jis"))
    refused(load, directory, "sjis.toml", "2行目", "UTF-8")


def test_unknown_top_level_key(load, tmp_path):
    directory = write(tmp_path / "c", course("a-course", level="easy"))
    refused(load, directory, "a-course.toml", "項目 level", "使えません")


def test_unknown_key_in_title(load, tmp_path):
    bad = course("a-course", title={"ja": "講座", "en": "Course", "fr": "Cours"})
    refused(load, write(tmp_path / "c", bad), "a-course.toml", "項目 title.fr", "ja, en")


def test_unknown_key_in_summary(load, tmp_path):
    bad = course("a-course", summary={"ja": "説明", "english": "Text"})
    refused(load, write(tmp_path / "c", bad), "a-course.toml", "項目 summary.english")


def test_unknown_key_in_a_skill(load, tmp_path):
    skills = [
        {"id": "first-skill", "ja": "できる", "en": "Can"},
        {"id": "second-skill", "ja": "できる", "en": "Can", "level": 2},
    ]
    bad = course("a-course", skills=skills)
    refused(load, write(tmp_path / "c", bad), "a-course.toml", "項目 skills[2].level")


@pytest.mark.parametrize(
    "field",
    [
        "slug",
        "version",
        "title.ja",
        "title.en",
        "track",
        "audience",
        "duration_minutes",
        "skills",
    ],
)
def test_missing_required_field(load, tmp_path, field):
    bad = without(course("a-course"), field)
    refused(
        load,
        write(tmp_path / "c", bad, name="a-course.toml"),
        "a-course.toml",
        f"項目 {field}",
        "必須",
    )


def test_missing_title_table_names_both_languages(load, tmp_path):
    bad = without(course("a-course"), "title")
    output = refused(load, write(tmp_path / "c", bad), "a-course.toml", "項目 title.ja")
    assert "項目 title.en" in output


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": {"ja": "  ", "en": "Course"}}, "title.ja"),
        ({"slug": ""}, "slug"),
        ({"audience": []}, "audience"),
        ({"track": ""}, "track"),
    ],
)
def test_empty_required_field(load, tmp_path, changes, field):
    bad = {**course("a-course"), **changes}
    refused(
        load,
        write(tmp_path / "c", bad, name="a-course.toml"),
        "a-course.toml",
        f"項目 {field}",
        "空",
    )


@pytest.mark.parametrize("version", [0, -1, "1", 1.5, True])
def test_version_must_be_a_positive_integer(load, tmp_path, version):
    bad = course("a-course", version=version)
    refused(load, write(tmp_path / "c", bad), "a-course.toml", "項目 version", "1以上の整数")


@pytest.mark.parametrize("minutes", [10, 14, 481, 600, "90", 90.0])
def test_duration_must_be_an_integer_from_15_to_480(load, tmp_path, minutes):
    bad = course("a-course", duration_minutes=minutes)
    refused(load, write(tmp_path / "c", bad), "a-course.toml", "項目 duration_minutes", "15〜480")


@pytest.mark.parametrize("minutes", [15, 480])
def test_duration_limits_themselves_are_accepted(load, tmp_path, minutes):
    result = load(write(tmp_path / "c", course("a-course", duration_minutes=minutes)))
    assert result.exit_code == 0, result.output
    assert course_count() == 1


def test_materials_must_be_a_list_of_strings(load, tmp_path):
    bad = course("a-course", materials=["スマートフォン", 3])
    refused(load, write(tmp_path / "c", bad), "a-course.toml", "項目 materials[2]", "文字列")


def test_audience_must_be_a_list_not_a_string(load, tmp_path):
    bad = course("a-course", audience="senior")
    refused(load, write(tmp_path / "c", bad), "a-course.toml", "項目 audience", "配列")


def test_prerequisites_must_be_a_list(load, tmp_path):
    bad = course("a-course", prerequisites="smartphone-basics")
    refused(load, write(tmp_path / "c", bad), "a-course.toml", "項目 prerequisites", "配列")


def test_unknown_track(load, tmp_path):
    bad = course("a-course", track="advanced")
    refused(
        load,
        write(tmp_path / "c", bad),
        "a-course.toml",
        "項目 track",
        "advanced",
        "basic, applied, leader, supporter",
    )


def test_unknown_audience(load, tmp_path):
    bad = course("a-course", audience=["senior", "children"])
    refused(
        load,
        write(tmp_path / "c", bad),
        "a-course.toml",
        "項目 audience[2]",
        "children",
        "neighborhood_leader",
    )


@pytest.mark.parametrize("slug", ["Smartphone-Basics", "smartphone_basics", "スマホ", "-basics"])
def test_slug_must_be_lowercase_ascii_with_hyphens(load, tmp_path, slug):
    bad = {**course("course"), "slug": slug}
    refused(
        load, write(tmp_path / "c", bad, name="course.toml"), "course.toml", "項目 slug", "英小文字"
    )


def test_slug_must_match_the_file_name(load, tmp_path):
    bad = course("line-basics")
    refused(
        load,
        write(tmp_path / "c", bad, name="line.toml"),
        "line.toml",
        "項目 slug",
        "line-basics.toml",
    )


def test_duplicate_slug_across_files(load, tmp_path):
    directory = write(tmp_path / "c", course("a-course"))
    write(directory, course("a-course"), name="b-course.toml")
    output = refused(
        load, directory, "b-course.toml", "項目 slug", "a-course.toml でも使われています"
    )
    assert any("ファイル b-course.toml" in line for line in problem_lines(output))


def test_duplicate_skill_id_within_a_course(load, tmp_path):
    skills = [
        {"id": "tap", "ja": "タップできる", "en": "Taps"},
        {"id": "tap", "ja": "スワイプできる", "en": "Swipes"},
    ]
    bad = course("a-course", skills=skills)
    refused(load, write(tmp_path / "c", bad), "a-course.toml", "項目 skills[2].id", "「tap」が重複")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_skill_without_its_text(load, tmp_path, lang):
    bad = without(course("a-course"), f"skills.1.{lang}")
    refused(load, write(tmp_path / "c", bad), "a-course.toml", f"項目 skills[2].{lang}", "必須")


def test_skill_without_id(load, tmp_path):
    bad = without(course("a-course"), "skills.0.id")
    refused(load, write(tmp_path / "c", bad), "a-course.toml", "項目 skills[1].id", "必須")


def test_a_course_needs_at_least_one_skill(load, tmp_path):
    bad = course("a-course", skills=[])
    refused(load, write(tmp_path / "c", bad), "a-course.toml", "項目 skills", "1つ以上")


def test_unknown_prerequisite(load, tmp_path):
    bad = course("a-course", prerequisites=["no-such-course"])
    refused(
        load,
        write(tmp_path / "c", bad),
        "a-course.toml",
        "項目 prerequisites[1]",
        "no-such-course",
    )


def test_prerequisite_cycle_is_named(load, tmp_path):
    directory = write(
        tmp_path / "c",
        course("a-course", prerequisites=["b-course"]),
        course("b-course", prerequisites=["a-course"]),
    )
    refused(
        load, directory, "a-course.toml", "項目 prerequisites", "a-course → b-course → a-course"
    )


def test_longer_prerequisite_cycle_is_named_once(load, tmp_path):
    directory = write(
        tmp_path / "c",
        course("a-course", prerequisites=["c-course"]),
        course("b-course", prerequisites=["a-course"]),
        course("c-course", prerequisites=["b-course"]),
        course("d-course", prerequisites=["a-course"]),
    )
    output = refused(load, directory, "a-course.toml", "項目 prerequisites")
    cycles = [line for line in problem_lines(output) if "循環" in line]
    assert len(cycles) == 1
    assert "a-course → c-course → b-course → a-course" in cycles[0]


def test_own_slug_as_prerequisite(load, tmp_path):
    bad = course("a-course", prerequisites=["a-course"])
    refused(load, write(tmp_path / "c", bad), "a-course.toml", "項目 prerequisites[1]", "自分自身")


def test_duplicate_prerequisite(load, tmp_path):
    directory = write(
        tmp_path / "c",
        course("a-course"),
        course("b-course", prerequisites=["a-course", "a-course"]),
    )
    refused(load, directory, "b-course.toml", "項目 prerequisites[2]", "2回")


def test_every_problem_of_every_file_is_listed_at_once(load, tmp_path):
    directory = write(
        tmp_path / "c",
        course("a-course", track="advanced", duration_minutes=5),
        course("b-course", version=0),
        course("c-course"),
    )
    output = refused(load, directory, "a-course.toml", "項目 track")
    lines = problem_lines(output)
    assert any("a-course.toml: 項目 duration_minutes" in line for line in lines)
    assert any("b-course.toml: 項目 version" in line for line in lines)
    assert len(lines) == 3
    assert not any("c-course.toml" in line for line in lines)


def test_a_missing_or_empty_directory_is_refused(load, tmp_path):
    result = load(tmp_path / "nowhere")
    assert result.exit_code != 0
    assert "nowhere" in result.output
    (tmp_path / "empty").mkdir()
    result = load(tmp_path / "empty")
    assert result.exit_code != 0
    assert ".toml" in result.output
