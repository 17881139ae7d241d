"""Written events are kept for every process and across restarts, under a key made of all
they say and of the writer's version: a feed is served from them, yet never a stale one."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from app.calendars import feeds, store, writer
from app.calendars.events import event_texts
from app.calendars.jobs import PRUNE, queue_prune
from app.calendars.models import FeedOwner, StoredEvent
from app.extensions import db
from app.jobs.models import Job
from app.scheduling.models import Session
from app.scheduling.sessions import cancel_session
from app.timeutil import utcnow
from tests.calendars.conftest import events, feed_path, get_feed, unfolded
from tests.conftest import make_app, run_jobs
from tests.querycount import counting_queries

PUBLIC = "/calendar/public.ics"


def _stored() -> dict[str, bytes]:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(StoredEvent.key, StoredEvent.body)).all())


def _public_texts(app):
    with app.test_request_context():
        return event_texts(feeds.public_feed(), feeds.Site.current(), utcnow())


def _touching(statements: list[str], verb: str) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith(verb) and "calendar_events" in s]


def test_a_feed_writes_each_event_once_and_every_feed_after_reads_it(world, client, app):
    first = get_feed(client, PUBLIC).data
    stored = _stored()
    assert len(stored) == len(events(first)) == 1
    assert next(iter(stored.values())) in first

    with counting_queries() as again:
        assert get_feed(client, PUBLIC).data == first
    # This process had it: not even a read.
    assert _touching(again, "INSERT") == []
    assert _touching(again, "SELECT") == []

    org = get_feed(client, feed_path(FeedOwner.ORG, world.ours.id)).data
    assert len(_stored()) == 1 + len(events(org))  # the staff version is another event


def test_after_a_restart_the_feed_comes_from_the_store_with_the_same_bytes(
    world, client, app, database, tmp_path
):
    paths = [PUBLIC, feed_path(FeedOwner.ORG, world.ours.id)]
    before = [get_feed(client, path).data for path in paths]
    rows = len(_stored())

    restarted = make_app(database, tmp_path)  # a new process, or another server: same database
    with restarted.app_context(), counting_queries() as statements:
        after = [get_feed(restarted.test_client(), path).data for path in paths]
    assert after == before
    assert _touching(statements, "INSERT") == []
    assert len(_touching(statements, "SELECT")) == len(paths)  # one read of the store per feed
    assert len(_stored()) == rows
    with restarted.app_context():
        db.engine.dispose()


def test_a_restarted_server_serves_what_the_store_holds_under_the_key(
    world, client, app, database, tmp_path
):
    """The store really is read: bytes under the current key are served as they are. That is
    why the key holds everything the bytes are made of (next tests)."""
    get_feed(client, PUBLIC)
    (text,) = _public_texts(app)
    db.session.execute(
        sa.update(StoredEvent)
        .where(StoredEvent.key == store.key(text))
        .values(body=writer.vevent(text._replace(summary="店から読んだ")))
    )
    db.session.commit()
    restarted = make_app(database, tmp_path)
    assert "店から読んだ" in unfolded(get_feed(restarted.test_client(), PUBLIC).data)
    with restarted.app_context():
        db.engine.dispose()


def test_a_changed_session_is_written_anew_never_served_from_its_old_bytes(world, client, app):
    sid = world.ours_public.id
    get_feed(client, PUBLIC)
    old = _stored()
    cancel_session(db.session.get(Session, sid), "講師の急病のため")

    event = events(get_feed(client, PUBLIC).data)[sid]
    assert str(event["STATUS"]) == "CANCELLED"
    assert "講師の急病のため" in str(event["DESCRIPTION"])
    assert len(_stored()) == len(old) + 1  # the old version stays until it is pruned

    # A venue renamed touches no session's updated_at; its events change all the same.
    world.venue.name = "中央公民館(新館)"
    db.session.commit()
    assert str(events(get_feed(client, PUBLIC).data)[sid]["LOCATION"]).startswith(
        "中央公民館(新館)"
    )


def test_events_an_older_writer_stored_are_never_served(world, client, app):
    """Rows left by an earlier release, whose writer wrote differently: their keys hold that
    writer's version, so today's feed does not find them."""
    (text,) = _public_texts(app)
    older = text._replace(summary="古い書き方")
    db.session.execute(
        sa.insert(StoredEvent),
        [
            {
                "key": store.key(text, version="0123456789abcdef"),
                "body": writer.vevent(older),
                "used_on": utcnow().date(),
            }
        ],
    )
    db.session.commit()
    served = get_feed(client, PUBLIC).data
    assert "古い書き方" not in unfolded(served)
    assert str(events(served)[world.ours_public.id]["SUMMARY"]) == "はじめてのスマートフォン"
    assert store.key(text) in _stored()


def test_events_no_feed_used_for_30_days_are_pruned_by_the_daily_job(
    world, client, app, database, tmp_path
):
    get_feed(client, PUBLIC)
    org = feed_path(FeedOwner.ORG, world.ours.id)
    get_feed(client, org)
    public_key = store.key(_public_texts(app)[0])
    assert len(_stored()) == 3

    # Day 20: only the public feed is asked for (by a fresh server: the store is read).
    with time_machine.travel(utcnow() + timedelta(days=20), tick=False):
        restarted = make_app(database, tmp_path)
        get_feed(restarted.test_client(), PUBLIC)
        with restarted.app_context():
            db.engine.dispose()
    # Day 31: the organization's events went unused for 31 days; the public one for 11.
    with time_machine.travel(utcnow() + timedelta(days=31), tick=False):
        queue_prune()
        queue_prune()  # the schedule fires on every worker, every hour: one prune a day
        run_jobs(app)
        assert db.session.scalars(sa.select(Job.result).where(Job.kind == PRUNE)).all() == [
            {"pruned": 2}
        ]
        assert set(_stored()) == {public_key}
        # Pruned events are only written again when a feed needs them.
        assert len(events(get_feed(client, org).data)) == 2
        assert len(_stored()) == 3
