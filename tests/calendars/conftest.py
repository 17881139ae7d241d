"""A small city for the feed tests: two partner organizations, their instructors, public and
private sessions, and learners whose names no feed may ever show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import vobject
from icalendar import Calendar, Event

from app.calendars import tokens
from app.curricula.models import CourseVersion
from app.extensions import db
from app.people.learners import create_learner
from app.people.registration import register
from app.timeutil import japan_today

# Names nobody else in the data has, so that finding them in a feed can only be a leak.
LEARNER_NAMES = [("鬼瓦権之助", "おにがわらごんのすけ"), ("勅使河原百合絵", "てしがわらゆりえ")]
MATERIALS = ["ご自分のスマートフォン", "老眼鏡"]


@dataclass
class World:
    ours: object
    theirs: object
    teacher: object
    helper: object
    other_teacher: object
    partner: object
    coordinator: object
    course: object
    venue: object
    other_venue: object
    ours_public: object
    ours_private: object
    theirs_private: object
    learners: list
    day: date


@pytest.fixture
def world(make) -> World:
    ours = make.org(slug="npo-minato", name="NPOみなと")
    theirs = make.org(slug="npo-yama", name="NPOやま")
    teacher = make.user("instructor", name="講師一郎")
    helper = make.user("instructor", name="補助花子")
    other_teacher = make.user("instructor", name="別講師次郎")
    course = make.course(title="はじめてのスマートフォン")
    db.session.get(CourseVersion, course.current_version_id).materials = MATERIALS
    db.session.commit()
    venue = make.venue(name="中央公民館")
    other_venue = make.venue(name="港まちづくりセンター")
    day = japan_today() + timedelta(days=10)
    ours_public = make.session(
        course=course,
        venue=venue,
        day=day,
        capacity=8,
        partner_org=ours.slug,
        instructor_ids=[teacher.id],
        assistant_ids=[helper.id],
    )
    ours_private = make.session(
        course=course,
        venue=venue,
        day=day,
        start="13:00",
        end="14:00",
        partner_org=ours.slug,
        public=False,
        instructor_ids=[teacher.id],
    )
    theirs_private = make.session(
        course=course,
        venue=other_venue,
        day=day,
        start="15:00",
        end="16:00",
        partner_org=theirs.slug,
        public=False,
        instructor_ids=[other_teacher.id],
    )
    people = [create_learner({"name": n, "furigana": f}) for n, f in LEARNER_NAMES]
    register(ours_public, people[0], source="phone")
    register(ours_public, people[1], source="phone")
    register(theirs_private, people[1], source="partner")
    return World(
        ours=ours,
        theirs=theirs,
        teacher=teacher,
        helper=helper,
        other_teacher=other_teacher,
        partner=make.user("partner", org=ours),
        coordinator=make.user("coordinator"),
        course=course,
        venue=venue,
        other_venue=other_venue,
        ours_public=ours_public,
        ours_private=ours_private,
        theirs_private=theirs_private,
        learners=people,
        day=day,
    )


def feed_path(owner_type: str, owner_id: int) -> str:
    return f"/calendar/{owner_type}/{tokens.token_for(owner_type, owner_id).token}.ics"


def get_feed(client, path: str, status: int = 200, **headers):
    response = client.get(path, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status == 200:
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return response


def unfolded(data: bytes) -> str:
    """The feed's text with folded lines joined again, so a name split by folding is found."""
    return data.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "")


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def events(data: bytes) -> dict[int, Event]:
    """The feed's events by session id (from the UID)."""
    found = {}
    for event in parse(data).walk("VEVENT"):
        uid = str(event["UID"])
        found[int(uid.split("@")[0].removeprefix("session-"))] = event
    return found


def parse_with_vobject(data: bytes):
    return vobject.readOne(data.decode("utf-8"))
