"""Completion detection: every skill of a course reached, over one class or several, and
across the course's versions; shown on the learner's page with its date."""

from __future__ import annotations

import re

from app.fiscal import era_date
from app.timeutil import local
from tests.certificates.conftest import held
from tests.conftest import login


def _completions(client, learner) -> str:
    page = client.get(f"/learners/{learner.id}").get_data(as_text=True)
    section = page.split('id="completions"', 1)[1].split("<h2", 1)[0]
    return re.sub(r"\s+", " ", section)


def _day(session) -> str:
    day = local(session.starts_at).date()
    return f"{day.year}年{day.month}月{day.day}日"


def test_a_course_is_completed_when_the_last_skill_is_reached_in_a_later_class(
    classes, client, tick
):
    login(client, classes.teacher)
    tick(classes.first, {classes.hanako: ["power", "tap"], classes.taro: ["power", "tap"]})
    assert "スマホ基本" not in _completions(client, classes.hanako)

    tick(classes.second, {classes.hanako: ["camera"], classes.taro: []})
    shown = _completions(client, classes.hanako)
    assert "スマホ基本" in shown
    # The day is that of the class where the last skill was reached.
    assert _day(classes.second) in shown
    assert _day(classes.first) not in shown
    assert "修了証を印刷する" in shown
    assert "スマホ基本" not in _completions(client, classes.taro)


def test_unticking_a_skill_takes_the_completion_away(classes, client, tick):
    login(client, classes.teacher)
    tick(classes.first, {classes.hanako: ["power", "tap", "camera"]})
    assert _day(classes.first) in _completions(client, classes.hanako)
    tick(classes.first, {classes.hanako: ["power", "tap"]})
    assert "スマホ基本" not in _completions(client, classes.hanako)


def test_skills_reached_in_two_versions_of_the_course_complete_it(make, classes, client, tick):
    login(client, classes.teacher)
    tick(classes.first, {classes.hanako: ["power", "tap"], classes.taro: ["power"]})
    # The course file changed: the same three skills (same keys), reworded, and a version 3
    # later adds one more.
    make.course_version(classes.course, 2, "スマホ基本(改訂)", skills=("power", "tap", "camera"))
    later = held(make, classes.course, classes.teacher, [classes.hanako, classes.taro], 0)
    tick(later, {classes.hanako: ["camera"], classes.taro: ["tap", "camera"]})

    for person in (classes.hanako, classes.taro):
        shown = _completions(client, person)
        assert "スマホ基本(改訂)" in shown, person.name
        assert _day(later) in shown


def test_a_version_that_adds_a_skill_leaves_earlier_completions_alone(make, classes, client, tick):
    login(client, classes.teacher)
    tick(classes.first, {classes.hanako: ["power", "tap", "camera"], classes.taro: ["power"]})
    make.course_version(
        classes.course, 2, "スマホ基本 第2版", skills=("power", "tap", "camera", "video")
    )
    later = held(make, classes.course, classes.teacher, [classes.taro], 0)
    tick(later, {classes.taro: ["tap", "camera"]})

    # Hanako completed the first version; Taro has not reached the new skill of the second.
    assert "スマホ基本" in _completions(client, classes.hanako)
    assert "スマホ基本" not in _completions(client, classes.taro)
    tick(later, {classes.taro: ["tap", "camera", "video"]})
    assert "スマホ基本 第2版" in _completions(client, classes.taro)


def test_a_partner_sees_only_completions_in_its_own_classes(make, classes, client, tick):
    ours = make.org(slug="npo-ours")
    course = make.course(slug="line-basics", title="LINE入門", skills=("install", "message"))
    theirs = held(make, course, classes.teacher, [classes.hanako], 2, partner_org=ours.slug)
    login(client, classes.teacher)
    tick(classes.first, {classes.hanako: ["power", "tap", "camera"]})
    tick(theirs, {classes.hanako: ["install", "message"]})

    login(client, make.user("partner", org=ours))
    shown = _completions(client, classes.hanako)
    assert "LINE入門" in shown
    # Completed in the city's class: not this partner's to know, nor to print.
    assert "スマホ基本" not in shown
    url = f"/learners/{classes.hanako.id}/certificates/smartphone-basics"
    assert client.get(url).status_code == 404
    assert client.get(f"/learners/{classes.hanako.id}/certificates/line-basics").status_code == 200

    login(client, make.user("partner", org=make.org(slug="npo-other")))
    assert client.get(f"/learners/{classes.hanako.id}/certificates/line-basics").status_code == 404
    assert client.get(f"/sessions/{theirs.id}/certificates").status_code == 404


def test_era_dates_name_the_day_of_the_class(classes, client, tick):
    login(client, classes.teacher)
    tick(classes.first, {classes.hanako: ["power", "tap", "camera"]})
    page = client.get(f"/learners/{classes.hanako.id}/certificates/smartphone-basics")
    assert era_date(local(classes.first.starts_at).date()) in page.get_data(as_text=True)
