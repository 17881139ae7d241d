"""Feeds over time: a class that moves replaces the event calendar apps hold, a cancelled one
shows as cancelled for 30 days, and nothing changes (not even a byte) when nothing changed."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.auth.models import Role, User
from app.calendars import tokens
from app.calendars.models import FeedOwner
from app.extensions import db
from app.people.learners import create_learner
from app.people.registration import register
from app.scheduling.models import Session
from app.scheduling.queries import get_session
from app.scheduling.sessions import cancel_session, update_session
from app.timeutil import utcnow
from tests.calendars.conftest import events, feed_path, get_feed
from tests.conftest import at


def _event(client, path, session_id):
    return events(get_feed(client, path).data)[session_id]


def _reload(session_id: int) -> Session:
    db.session.expire_all()
    return get_session(_planner(), session_id)


def _planner():

    return db.session.scalar(sa.select(User).where(User.role == Role.COORDINATOR))


def test_sequence_rises_exactly_on_time_venue_and_cancel_and_the_uid_never_changes(world, client):
    path = feed_path(FeedOwner.INSTRUCTOR, world.teacher.id)
    sid = world.ours_public.id
    first = _event(client, path, sid)
    assert first["SEQUENCE"] == 0
    uid = str(first["UID"])

    update_session(_reload(sid), {"notes": "エレベーターは東側です"})
    noted = _event(client, path, sid)
    assert noted["SEQUENCE"] == 0  # a note is not a change calendar apps must act on
    # Stamped with the session's last change, never with the time of the request.
    changed_at = _reload(sid).updated_at.replace(microsecond=0)
    assert noted["LAST-MODIFIED"].dt == noted["DTSTAMP"].dt == changed_at

    day = world.day + timedelta(days=1)
    update_session(_reload(sid), {"starts_at": at(day, "10:30"), "ends_at": at(day, "11:30")})
    moved = _event(client, path, sid)
    assert moved["SEQUENCE"] == 1
    assert moved["DTSTART"].dt.strftime("%m-%d %H:%M") == day.strftime("%m-%d 10:30")

    update_session(_reload(sid), {"venue_id": world.other_venue.id})
    rehoused = _event(client, path, sid)
    assert rehoused["SEQUENCE"] == 2
    assert str(rehoused["LOCATION"]).startswith("港まちづくりセンター")

    update_session(_reload(sid), {"capacity": 6})
    assert _event(client, path, sid)["SEQUENCE"] == 2

    cancel_session(_reload(sid), "講師の急病のため")
    cancelled = _event(client, path, sid)
    assert cancelled["SEQUENCE"] == 3
    assert [str(e["UID"]) for e in (noted, moved, rehoused, cancelled)] == [uid] * 4


def test_a_cancelled_session_stays_30_days_as_cancelled_with_the_reason_then_goes(world, client):
    sid = world.ours_public.id
    cancel_session(_reload(sid), "会場の設備点検のため")
    for path in ("/calendar/public.ics", feed_path(FeedOwner.LEARNER, world.learners[0].id)):
        event = _event(client, path, sid)
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["SUMMARY"]) == "【中止】はじめてのスマートフォン"
        assert "この講座は中止になりました。" in str(event["DESCRIPTION"])
        assert "中止の理由: 会場の設備点検のため" in str(event["DESCRIPTION"])

    def cancelled_days_ago(days: int) -> None:
        db.session.execute(
            sa.update(Session)
            .where(Session.id == sid)
            .values(updated_at=utcnow() - timedelta(days=days))
        )
        db.session.commit()

    cancelled_days_ago(29)
    assert sid in events(get_feed(client, "/calendar/public.ics").data)
    cancelled_days_ago(31)
    assert sid not in events(get_feed(client, "/calendar/public.ics").data)
    assert world.ours_private.id in events(
        get_feed(client, feed_path(FeedOwner.ORG, world.ours.id)).data
    )


def test_an_unchanged_feed_is_byte_identical_and_answers_304(world, client):
    paths = [
        "/calendar/public.ics",
        f"/calendar/venue/{world.venue.slug}.ics",
        feed_path(FeedOwner.INSTRUCTOR, world.teacher.id),
        feed_path(FeedOwner.ORG, world.ours.id),
        feed_path(FeedOwner.LEARNER, world.learners[0].id),
        f"/sessions/{world.ours_public.id}.ics",
    ]
    for path in paths:
        first, second = get_feed(client, path), get_feed(client, path)
        assert first.data == second.data, path
        assert first.headers["ETag"] == second.headers["ETag"], path
        assert first.headers["Last-Modified"], path

        by_etag = get_feed(client, path, 304, **{"If-None-Match": first.headers["ETag"]})
        assert by_etag.data == b""
        assert by_etag.headers["ETag"] == first.headers["ETag"]
        get_feed(client, path, 304, **{"If-Modified-Since": first.headers["Last-Modified"]})
        # A stale ETag wins over a recent date: If-None-Match decides when both are sent.
        get_feed(
            client,
            path,
            200,
            **{"If-None-Match": '"stale"', "If-Modified-Since": first.headers["Last-Modified"]},
        )


def test_any_change_a_feed_shows_changes_its_etag(world, client, make):

    instructor = feed_path(FeedOwner.INSTRUCTOR, world.teacher.id)
    public = "/calendar/public.ics"
    before = get_feed(client, instructor).headers["ETag"]

    # A new registration changes the roster count the instructor sees.
    register(
        world.ours_public, create_learner({"name": "新人", "furigana": "しんじん"}), source="phone"
    )
    changed = get_feed(client, instructor, 200, **{"If-None-Match": before})
    assert "申込: 3人 / 定員8人" in changed.data.decode().replace("\r\n ", "")

    # Renaming the venue changes its LOCATION in every feed that shows it.
    etag = get_feed(client, public).headers["ETag"]
    world.venue.name = "中央公民館(新館)"
    db.session.commit()
    renamed = get_feed(client, public, 200, **{"If-None-Match": etag})
    assert "中央公民館(新館)" in renamed.data.decode()


def test_uids_and_bytes_survive_a_token_regeneration(world, client):
    old = feed_path(FeedOwner.INSTRUCTOR, world.teacher.id)
    before = get_feed(client, old).data
    new = f"/calendar/instructor/{tokens.regenerate(FeedOwner.INSTRUCTOR, world.teacher.id).token}.ics"
    assert new != old
    get_feed(client, old, 404)
    assert get_feed(client, new).data == before


def test_an_instructor_subscribed_sees_a_move_and_a_cancellation(world, client):
    """The issue's "done when": one subscription, two changes by a coordinator."""
    path = feed_path(FeedOwner.INSTRUCTOR, world.teacher.id)
    subscribed = get_feed(client, path)
    before = events(subscribed.data)

    later = world.day + timedelta(days=7)
    update_session(
        _reload(world.ours_public.id),
        {"starts_at": at(later, "14:00"), "ends_at": at(later, "15:00")},
    )
    cancel_session(_reload(world.ours_private.id), "参加者が集まらなかったため")

    refreshed = get_feed(client, path, 200, **{"If-None-Match": subscribed.headers["ETag"]})
    after = events(refreshed.data)
    moved, cancelled = after[world.ours_public.id], after[world.ours_private.id]
    assert moved["SEQUENCE"] == before[world.ours_public.id]["SEQUENCE"] + 1
    assert moved["DTSTART"].dt.strftime("%Y-%m-%d %H:%M") == f"{later.isoformat()} 14:00"
    assert str(moved["STATUS"]) == "CONFIRMED"
    assert cancelled["SEQUENCE"] == before[world.ours_private.id]["SEQUENCE"] + 1
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert "参加者が集まらなかったため" in str(cancelled["DESCRIPTION"])
