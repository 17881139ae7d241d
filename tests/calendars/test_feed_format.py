"""Every feed is an iCalendar file two independent parsers read, with what calendar apps
need to show, update and cancel each class."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event as sa_event

from app.calendars.models import FeedOwner
from app.extensions import db
from app.people.learners import create_learner
from app.people.registration import cancel, register
from app.timeutil import local, utcnow
from tests.calendars.conftest import (
    LEARNER_NAMES,
    MATERIALS,
    events,
    feed_path,
    get_feed,
    parse,
    parse_with_vobject,
    unfolded,
)
from tests.conftest import login

REQUIRED = (
    "UID",
    "DTSTAMP",
    "LAST-MODIFIED",
    "SEQUENCE",
    "STATUS",
    "SUMMARY",
    "LOCATION",
    "DESCRIPTION",
    "URL",
    "CATEGORIES",
    "DTSTART",
    "DTEND",
)


def _all_feeds(world) -> dict[str, str]:
    return {
        "public": "/calendar/public.ics",
        "venue": f"/calendar/venue/{world.venue.slug}.ics",
        "instructor": feed_path(FeedOwner.INSTRUCTOR, world.teacher.id),
        "org": feed_path(FeedOwner.ORG, world.ours.id),
        "learner": feed_path(FeedOwner.LEARNER, world.learners[1].id),
        "session": f"/sessions/{world.ours_public.id}.ics",
    }


def test_every_feed_parses_with_icalendar_and_vobject_with_every_property(world, client):
    for kind, path in _all_feeds(world).items():
        data = get_feed(client, path).data
        cal = parse(data)
        assert cal["VERSION"] == "2.0", kind
        assert str(cal["X-WR-CALNAME"]), kind
        assert str(cal["NAME"]) == str(cal["X-WR-CALNAME"]), kind
        assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in data.decode(), kind
        assert "X-PUBLISHED-TTL:PT1H" in data.decode(), kind
        assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Tokyo"], kind
        assert cal.get_missing_tzids() == set(), kind
        found = cal.walk("VEVENT")
        assert found, kind
        for event in found:
            missing = [name for name in REQUIRED if name not in event]
            assert missing == [], (kind, missing)
            assert event["DTSTART"].params["TZID"] == "Asia/Tokyo", kind
            assert str(event["DTSTART"].dt.tzinfo) == "Asia/Tokyo", kind

        other = parse_with_vobject(data)
        assert {str(e.uid.value) for e in other.vevent_list} == {str(e["UID"]) for e in found}, kind
        for event in other.vevent_list:
            assert event.dtstart.value.utcoffset().total_seconds() == 9 * 3600, kind
            assert event.summary.value, kind
            assert event.location.value, kind


def test_an_event_says_what_where_when_what_to_bring_and_where_to_read_more(world, client):
    event = events(get_feed(client, "/calendar/public.ics").data)[world.ours_public.id]
    assert str(event["SUMMARY"]) == "はじめてのスマートフォン"
    assert str(event["LOCATION"]) == f"中央公民館({world.venue.address})"
    assert event["DTSTART"].dt.astimezone().timestamp() == world.ours_public.starts_at.timestamp()
    assert event["DTEND"].dt.timestamp() == world.ours_public.ends_at.timestamp()
    assert event["DTSTART"].dt.strftime("%H:%M") == "10:00"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["CATEGORIES"].cats == ["基本講座"]
    description = str(event["DESCRIPTION"])
    assert "持ち物: " + "、".join(MATERIALS) in description
    assert str(event["URL"]) == f"http://dekiru.test/public/sessions/{world.ours_public.id}/signup"
    assert str(event["URL"]) in description
    assert event["UID"] == f"session-{world.ours_public.id}@dekiru.test"


def test_staff_feeds_name_the_instructors_and_public_feeds_only_the_partner(world, client):
    staff = events(get_feed(client, feed_path(FeedOwner.ORG, world.ours.id)).data)
    description = str(staff[world.ours_public.id]["DESCRIPTION"])
    assert "講師: 講師一郎" in description
    assert "アシスタント: 補助花子" in description
    assert str(staff[world.ours_public.id]["URL"]).endswith(f"/sessions/{world.ours_public.id}")

    for path in ("/calendar/public.ics", f"/calendar/venue/{world.venue.slug}.ics"):
        text = unfolded(get_feed(client, path).data)
        assert "講師一郎" not in text
        assert "補助花子" not in text
        assert "担当: NPOみなと" in text


def test_the_instructor_feed_shows_the_roster_count_and_only_their_sessions(world, client):
    mine = events(get_feed(client, feed_path(FeedOwner.INSTRUCTOR, world.teacher.id)).data)
    assert set(mine) == {world.ours_public.id, world.ours_private.id}
    assert "申込: 2人 / 定員8人" in str(mine[world.ours_public.id]["DESCRIPTION"])
    assert "申込: 0人 / 定員4人" in str(mine[world.ours_private.id]["DESCRIPTION"])

    assisted = events(get_feed(client, feed_path(FeedOwner.INSTRUCTOR, world.helper.id)).data)
    assert set(assisted) == {world.ours_public.id}


def test_the_public_and_venue_feeds_hide_private_sessions(world, client, make):
    public = events(get_feed(client, "/calendar/public.ics").data)
    assert set(public) == {world.ours_public.id}
    venue = events(get_feed(client, f"/calendar/venue/{world.venue.slug}.ics").data)
    assert set(venue) == {world.ours_public.id}
    elsewhere = events(get_feed(client, f"/calendar/venue/{world.other_venue.slug}.ics").data)
    assert elsewhere == {}
    get_feed(client, "/calendar/venue/no-such-hall.ics", status=404)


def test_a_learners_feed_lists_only_their_classes_and_marks_a_waitlisted_place(world, client, make):

    full = make.session(course=world.course, venue=world.other_venue, capacity=1, day=world.day)
    register(full, create_learner({"name": "先客", "furigana": "せんきゃく"}), source="phone")
    dropped = make.session(
        course=world.course, venue=world.other_venue, day=world.day, start="18:00", end="19:00"
    )
    learner = world.learners[0]
    register(full, learner, source="phone")
    cancel(register(dropped, learner, source="phone"))

    mine = events(get_feed(client, feed_path(FeedOwner.LEARNER, learner.id)).data)
    assert set(mine) == {world.ours_public.id, full.id}
    assert str(mine[full.id]["SUMMARY"]) == "【キャンセル待ち】はじめてのスマートフォン"
    assert "キャンセル待ちです" in str(mine[full.id]["DESCRIPTION"])
    assert str(mine[world.ours_public.id]["SUMMARY"]) == "はじめてのスマートフォン"

    theirs = events(get_feed(client, feed_path(FeedOwner.LEARNER, world.learners[1].id)).data)
    # A private class has no public page: the event links to the public list instead.
    assert set(theirs) == {world.ours_public.id, world.theirs_private.id}
    assert str(theirs[world.theirs_private.id]["URL"]) == "http://dekiru.test/public/sessions"


def test_no_learner_name_appears_in_any_feed(world, client):

    paths = list(_all_feeds(world).values()) + [
        feed_path(FeedOwner.INSTRUCTOR, world.other_teacher.id),
        feed_path(FeedOwner.ORG, world.theirs.id),
        feed_path(FeedOwner.LEARNER, world.learners[0].id),
        f"/sessions/{world.theirs_private.id}.ics",
    ]
    login(client, world.coordinator)  # the staff version of the one-event file, too
    for path in paths:
        text = unfolded(get_feed(client, path).data)
        for name, furigana in LEARNER_NAMES:
            for part in (name, name[:2], name[2:], furigana):
                assert part not in text, (path, part)


def test_an_organizations_feed_shows_nothing_of_another_organization(world, client):
    ours = get_feed(client, feed_path(FeedOwner.ORG, world.ours.id)).data
    assert set(events(ours)) == {world.ours_public.id, world.ours_private.id}
    text = unfolded(ours)
    for foreign in (
        "NPOやま",
        "別講師次郎",
        "港まちづくりセンター",
        f"session-{world.theirs_private.id}@",
    ):
        assert foreign not in text
    theirs = events(get_feed(client, feed_path(FeedOwner.ORG, world.theirs.id)).data)
    assert set(theirs) == {world.theirs_private.id}


@pytest.mark.parametrize("who", ["anonymous", "other_partner"])
def test_a_private_sessions_file_is_404_for_those_who_may_not_see_it(who, world, client, make):
    if who == "other_partner":
        login(client, make.user("partner", org=world.theirs))
    get_feed(client, f"/sessions/{world.ours_private.id}.ics", status=404)
    get_feed(client, "/sessions/999999.ics", status=404)


def test_a_public_sessions_file_names_instructors_only_for_staff(world, client):
    path = f"/sessions/{world.ours_public.id}.ics"
    anonymous = get_feed(client, path)
    assert "講師一郎" not in unfolded(anonymous.data)
    assert anonymous.headers["Cache-Control"].startswith("public")
    assert "Cookie" in anonymous.headers["Vary"]

    login(client, world.partner)
    staff = get_feed(client, path)
    assert "講師: 講師一郎" in unfolded(staff.data)
    assert staff.headers["Cache-Control"].startswith("private")
    assert events(staff.data).keys() == events(anonymous.data).keys() == {world.ours_public.id}
    own_private = get_feed(client, f"/sessions/{world.ours_private.id}.ics")
    assert set(events(own_private.data)) == {world.ours_private.id}


def test_feeds_cover_90_days_back_to_365_days_ahead(world, client, make):

    today = local(utcnow()).date()
    inside = [
        make.session(course=world.course, venue=world.other_venue, day=today + timedelta(days=d))
        for d in (-90, 365)
    ]
    outside = [
        make.session(course=world.course, venue=world.other_venue, day=today + timedelta(days=d))
        for d in (-91, 366)
    ]
    shown = set(events(get_feed(client, "/calendar/public.ics").data))
    assert {s.id for s in inside} <= shown
    assert not {s.id for s in outside} & shown


def test_times_are_japan_time_with_its_timezone(world, client):
    data = get_feed(client, "/calendar/public.ics").data.decode()
    start = world.ours_public.starts_at.astimezone()
    assert "DTSTART;TZID=Asia/Tokyo:" in data
    assert "BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\n" in data
    assert "TZOFFSETTO:+0900" in data
    event = events(data.encode())[world.ours_public.id]
    assert event["DTSTART"].dt == start
    assert isinstance(event["DTSTAMP"].dt, datetime)


def _queries_for(client, path: str) -> int:

    seen = []

    def count(*_args):
        seen.append(1)

    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        get_feed(client, path)
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_a_feeds_queries_do_not_grow_with_its_sessions(world, client, make):

    path = feed_path(FeedOwner.ORG, world.ours.id)
    few = _queries_for(client, path)
    teachers = [make.user("instructor") for _ in range(3)]
    for i in range(27):
        make.session(
            course=world.course,
            venue=make.venue(),
            day=world.day + timedelta(days=i + 1),
            partner_org=world.ours.slug,
            instructor_ids=[teachers[i % 3].id],
        )
    # Both times some events were never written: the store is read and written once each.
    assert _queries_for(client, path) == few
    assert len(events(get_feed(client, path).data)) == 29
