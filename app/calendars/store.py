"""Written events kept across requests, processes, servers and restarts.

A feed of 5,000 classes is 5,000 VEVENTs; writing them all is most of a feed's cost, and
between two requests almost all of them are the same. So each written event is stored under
a key that is the digest of everything its bytes are made of (the EventText and the writer's
VERSION): a stored event can never be stale. When a class changes, its EventText changes, so
its key does, and the new text is written; the old row is simply not asked for again.

Two layers: a per-process (per-app) LRU (no query at all when every event is in it) in front of the
table calendar_events, which every process shares (read in one query per feed for the keys
the LRU lacks, missing ones written in one insert). Each row carries the day a feed last used
it; rows unused for CALENDAR_EVENTS_KEEP_DAYS go (prune(), queued daily by
app.calendars.jobs), so the table holds about what the feeds show, not every version ever.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from app.calendars import writer
from app.calendars.feeds import EVENTS_CACHED
from app.calendars.models import StoredEvent
from app.calendars.writer import EventText
from app.extensions import db
from app.timeutil import japan_today
from app.transaction import atomic

log = logging.getLogger(__name__)


def key(text: EventText, version: str = writer.VERSION) -> str:
    """The digest of everything the event's bytes are made of, the writer's version first."""
    parts = [v.isoformat() if isinstance(v, date) else v for v in text]
    return hashlib.sha256(repr((version, *parts)).encode()).hexdigest()


class _Recent:
    """The process's most recently used events: key → (bytes, the day the table had them)."""

    def __init__(self, size: int) -> None:
        self.size, self.items = size, OrderedDict[str, tuple[bytes, date]]()
        self.lock = threading.Lock()

    def get(self, k: str) -> tuple[bytes, date] | None:
        with self.lock:
            found = self.items.get(k)
            if found is not None:
                self.items.move_to_end(k)
            return found

    def put(self, entries: Iterable[tuple[str, bytes]], day: date) -> None:
        with self.lock:
            for k, body in entries:
                self.items[k] = (body, day)
                self.items.move_to_end(k)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


def recent() -> _Recent:
    """This app's LRU (an app is a process's server; a new one starts empty, as on restart)."""
    extensions = current_app.extensions
    if "calendar_events" not in extensions:
        extensions.setdefault("calendar_events", _Recent(EVENTS_CACHED))
    return extensions["calendar_events"]


def _among(keys: Sequence[str]) -> sa.ColumnElement[bool]:
    """`key` is one of `keys`, bound as one parameter however many (a JSON array for SQLite's
    json_each, an array for PostgreSQL): one query for a whole feed, with no bound-parameter
    limit, and none of the cost of compiling an IN of 5,000 parameters in a new process."""
    if db.engine.dialect.name == "postgresql":
        return StoredEvent.key == sa.any_(
            sa.bindparam("keys", list(keys), type_=postgresql.ARRAY(sa.String))
        )
    listed = sa.select(sa.column("value", sa.String)).select_from(
        sa.func.json_each(sa.bindparam("keys", json.dumps(list(keys))))
    )
    return StoredEvent.key.in_(listed)


def _read(keys: Sequence[str]) -> dict[str, tuple[bytes, date]]:
    rows = db.session.execute(
        sa.select(StoredEvent.key, StoredEvent.body, StoredEvent.used_on).where(_among(keys))
    )
    return {k: (bytes(body), used_on) for k, body, used_on in rows}


def _save(new: dict[str, bytes], used: list[str], today: date) -> None:
    """Insert the events no process had written, mark those used today: one transaction.
    Another process may insert the same event at the same moment: the same key holds the
    same bytes, so the second insert is skipped. A store that cannot be written (a busy
    database) costs the next request the writing again, never this feed."""
    insert = (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert
    try:
        if new:
            db.session.execute(
                insert(StoredEvent).on_conflict_do_nothing(index_elements=["key"]),
                [{"key": k, "body": body, "used_on": today} for k, body in new.items()],
            )
        if used:
            db.session.execute(
                sa.update(StoredEvent).where(_among(used)).values(used_on=today),
                execution_options={"synchronize_session": False},
            )
        db.session.commit()
    except sa.exc.OperationalError as error:
        db.session.rollback()
        log.warning("calendar events not stored: %s", error)


def bodies(texts: Sequence[EventText]) -> list[bytes]:
    """Each event's bytes, in order: from this process's LRU, else the shared table, else
    written now (and stored for everyone)."""
    today, lru = japan_today(), recent()
    keys = [key(text) for text in texts]
    found: dict[str, bytes] = {}
    ask: dict[str, EventText] = {}
    for k, text in zip(keys, texts, strict=True):
        held = lru.get(k)
        # Held since an earlier day: the table is told it is still used, once a day.
        if held is not None and held[1] == today:
            found[k] = held[0]
        else:
            ask[k] = text
    if ask:
        stored = _read(list(ask))
        new: dict[str, bytes] = {}
        for k, text in ask.items():
            if k in stored:
                found[k] = stored[k][0]
            else:
                held = lru.get(k)
                found[k] = new[k] = held[0] if held is not None else writer.vevent(text)
        _save(new, [k for k, (_, used_on) in stored.items() if used_on < today], today)
        lru.put(((k, found[k]) for k in ask), today)
    return [found[k] for k in keys]


@atomic
def prune() -> int:
    """Forget the events no feed used for CALENDAR_EVENTS_KEEP_DAYS; how many went."""
    days = int(current_app.config["CALENDAR_EVENTS_KEEP_DAYS"])
    gone = db.session.execute(
        sa.delete(StoredEvent).where(StoredEvent.used_on < japan_today() - timedelta(days=days))
    )
    return gone.rowcount  # type: ignore[attr-defined]
