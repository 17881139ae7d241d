"""A course's survey (the survey after class) comes from its curricula file, is validated with
the file's other fields, and is versioned with the course; without one, the default survey."""

from __future__ import annotations

from tests.curricula.support import course, loaded, write
from tests.curricula.test_validation import refused

QUESTIONS = [
    {"id": "satisfaction", "kind": "scale", "ja": "どうでしたか。", "en": "How was it?"},
    {"id": "can-call", "kind": "yes_no", "ja": "電話を かけられますか。", "en": "Can you call?"},
    {
        "id": "next",
        "kind": "choice",
        "ja": "つぎは?",
        "en": "Next?",
        "choices": [{"ja": "LINE", "en": "LINE"}, {"ja": "地図", "en": "Maps"}],
    },
]


def test_a_course_survey_is_loaded_with_its_version(load, tmp_path, make):
    directory = write(tmp_path / "c", course("a-course", survey=QUESTIONS))
    assert load(directory).exit_code == 0
    stored = loaded("a-course").current_version.survey
    assert [q["id"] for q in stored] == ["satisfaction", "can-call", "next"]
    assert stored[2]["choices"][1] == {"ja": "地図", "en": "Maps"}

    # Changing the survey is a change of the course: the same version is refused...
    changed = QUESTIONS[:2] + [{"id": "free", "kind": "text", "ja": "感想", "en": "Comments"}]
    write(tmp_path / "c", course("a-course", survey=changed))
    assert load(directory).exit_code != 0
    # ...a new one is loaded, and the sessions of version 1 keep version 1's questions.
    write(tmp_path / "c", course("a-course", version=2, survey=changed))
    assert load(directory).exit_code == 0
    versions = loaded("a-course").versions
    assert [q["id"] for q in versions[0].survey][-1] == "next"
    assert [q["id"] for q in versions[1].survey][-1] == "free"


def test_a_course_without_a_survey_keeps_the_default(load, tmp_path, make):
    write(tmp_path / "c", course("plain-course"))
    assert load(tmp_path / "c").exit_code == 0
    assert loaded("plain-course").current_version.survey is None


def test_too_few_questions(load, tmp_path):
    bad = course("a-course", survey=QUESTIONS[:2])
    refused(load, write(tmp_path / "c", bad), "a-course.toml", "項目 survey", "3〜8問", "今は2問")


def test_each_bad_question_is_named_by_its_place_and_field(load, tmp_path):
    bad_questions = [
        {"id": "Satisfaction", "kind": "scale", "ja": "どうでしたか。", "en": "How?"},
        {"id": "next", "kind": "stars", "ja": "つぎは?", "en": "Next?"},
        {"id": "next", "kind": "choice", "ja": "つぎは?", "en": "Next?",
         "choices": [{"ja": "LINE", "en": "LINE"}]},
        {"id": "free", "kind": "text", "ja": "感想", "choices": [{"ja": "A", "en": "A"}]},
    ]  # fmt: skip
    directory = write(tmp_path / "c", course("a-course", survey=bad_questions))
    output = refused(load, directory, "a-course.toml", "項目 survey[1].id", "Satisfaction")
    for where, words in [
        ("項目 survey[2].kind", "scale, yes_no, choice, text"),
        ("項目 survey[3].id", "survey[2] と同じ"),
        ("項目 survey[3].choices", "2〜9個"),
        ("項目 survey[4].en", "必須"),
        ("項目 survey[4].choices", 'kind = "choice" の質問だけ'),
    ]:
        assert any(
            line.startswith(f"ファイル a-course.toml: {where}: ") and words in line
            for line in output.splitlines()
        ), (where, output)
