"""Fixtures for the certificates: a course of three skills taught over two classes, one of
them over already, and the instructor who ticks the skills."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from app.curricula.models import Course
from app.people.models import Learner
from app.people.registration import register
from app.scheduling.models import Session
from app.timeutil import japan_today
from tests.checkin.support import learner, move
from tests.conftest import at
from tests.people.test_print_pdf import browser, open_page  # noqa: F401  (Chromium, as the cards')


@dataclass
class Classes:
    course: Course
    first: Session  # a week ago
    second: Session  # yesterday
    teacher: object
    hanako: Learner
    taro: Learner

    def skill_ids(self, session: Session) -> dict[str, int]:
        return {s.key: s.id for s in session.course_version.skills}


def held(make, course, teacher, people, days_ago: int, **extra) -> Session:
    """A class of `course` that was held `days_ago` days ago (Japan's days), with `people`
    registered before it."""
    session = make.session(course=course, instructor_ids=[teacher.id], **extra)
    for person in people:
        register(session, person, source="phone")
    day = japan_today() - timedelta(days=days_ago)
    move(session, starts=at(day, "10:00"), ends=at(day, "11:00"))
    return session


@pytest.fixture
def classes(make) -> Classes:
    teacher = make.user("instructor", name="講師 一郎")
    course = make.course(
        slug="smartphone-basics", title="スマホ基本", skills=("power", "tap", "camera")
    )
    hanako = learner("山田 花子", "やまだ はなこ")
    taro = learner("佐藤 太郎", "さとう たろう")
    first = held(make, course, teacher, [hanako, taro], days_ago=7)
    second = held(make, course, teacher, [hanako, taro], days_ago=1)
    return Classes(course, first, second, teacher, hanako, taro)


@pytest.fixture
def tick(client):
    """Tick skills in a class's grid as its instructor does: {learner: [skill keys]}."""

    def tick_(session: Session, reached: dict[Learner, list[str]]) -> None:
        ids = {s.key: s.id for s in session.course_version.skills}
        data: dict[str, list[str]] = {"learner": [str(p.id) for p in reached]}
        for person, keys in reached.items():
            data[f"skills-{person.id}"] = [str(ids[k]) for k in keys]
        response = client.post(f"/sessions/{session.id}/skills", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)

    return tick_
