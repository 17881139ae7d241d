"""Closed days from iCalendar files: national holidays, maintenance days, 年末年始.

A file is read whole and every event's recurrences (RRULE, RDATE, EXDATE) are expanded over
a window around today; each occurrence becomes one Closure row, which check_conflicts then
refuses sessions on. Rows are keyed by the event's UID within a scope (one venue, or every
venue), so importing the same file again replaces its rows instead of adding to them.
Reading the file is app.scheduling.closure_files'; storing and listing the rows is here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import joinedload

from app.curricula.models import CourseVersion
from app.errors import NotFound
from app.extensions import db
from app.scheduling.closure_files import read_closures, window_around
from app.scheduling.models import Closure, Session, SessionStatus, Venue
from app.templating import format_date, format_datetime, format_time
from app.text import clean
from app.timeutil import from_local, japan_today, local, utcnow
from app.transaction import atomic

SOURCE_LENGTH = 255


# ---------------------------------------------------------------- storing


@dataclass(frozen=True)
class AffectedSession:
    """A planned session that falls on a closed time: the coordinator moves or cancels it."""

    session_id: int
    starts_at: datetime
    ends_at: datetime
    course_title: str
    venue_id: int
    venue_name: str
    closure_summary: str


@dataclass
class ImportReport:
    source: str
    venue_name: str | None  # None: every venue
    window: tuple[date, date]
    events: int
    stored: int
    replaced: int
    outside_window: int
    affected: list[AffectedSession] = field(default_factory=list)

    def summary(self) -> list[str]:
        scope = _("会場「%(venue)s」", venue=self.venue_name) if self.venue_name else _("全会場")
        lines = [
            _(
                "「%(source)s」を%(scope)sの休館日として取り込みました。予定 %(events)d件、"
                "保存した休館 %(stored)d件(前回の取り込みから置き換えた %(replaced)d件)。",
                source=self.source or _("アップロードしたファイル"),
                scope=scope,
                events=self.events,
                stored=self.stored,
                replaced=self.replaced,
            )
        ]
        if self.outside_window:
            lines.append(
                _(
                    "%(n)d件の予定は %(start)s〜%(end)s の期間に日付がないため保存していません。",
                    n=self.outside_window,
                    start=format_date(from_local(self.window[0], time(12, 0))),
                    end=format_date(from_local(self.window[1], time(12, 0))),
                )
            )
        if self.affected:
            lines.append(
                _(
                    "休館にあたる予定の講座が%(n)d件あります。日時・会場を変えるか中止してください:",
                    n=len(self.affected),
                )
            )
            lines.extend(
                _(
                    "  ID %(id)d  %(when)s  %(course)s  %(venue)s  「%(closure)s」",
                    id=a.session_id,
                    when=format_datetime(a.starts_at),
                    course=a.course_title,
                    venue=a.venue_name,
                    closure=a.closure_summary,
                )
                for a in self.affected
            )
        else:
            lines.append(_("休館にあたる予定の講座はありません。"))
        return lines


def _scope(venue: Venue | None) -> sa.ColumnElement[bool]:
    return Closure.venue_id == venue.id if venue is not None else Closure.venue_id.is_(None)


def _lock_venues(venue: Venue | None) -> None:
    """Serialize with bookings (which lock their venue) and with other imports of the scope,
    so that no session slips onto a closed day unreported while the file is being stored."""
    query = sa.select(Venue.id).order_by(Venue.id)
    if venue is not None:
        query = query.where(Venue.id == venue.id)
    db.session.execute(query.with_for_update())


def _delete(statement: sa.Delete) -> CursorResult[Any]:
    """Delete without updating the objects in the session. The result of a DELETE is a
    CursorResult, with its rowcount; Session.execute's type says only Result."""
    return cast(
        CursorResult[Any],
        db.session.execute(statement, execution_options={"synchronize_session": False}),
    )


def _chunks(items: Iterable[str], size: int = 500) -> Iterable[list[str]]:
    items = sorted(items)
    for i in range(0, len(items), size):
        yield items[i : i + size]


@atomic
def import_closures(
    data: bytes, *, venue: Venue | None, source: str, today: date | None = None
) -> ImportReport:
    """Store a file's closures for one venue (or every venue when `venue` is None).

    The rows of each UID the file holds, in that scope, are replaced by the file's current
    occurrences: importing twice changes nothing; an edited event updates. `today` anchors
    the window of stored occurrences (default: today in Japan).
    """
    source = clean(source)[:SOURCE_LENGTH]
    window = window_around(today or japan_today())
    parsed = read_closures(data, source, window)
    _lock_venues(venue)
    replaced = 0
    for uids in _chunks(parsed.uids):
        result = _delete(
            sa.delete(Closure).where(_scope(venue), Closure.uid.in_(uids)),
        )
        replaced += result.rowcount or 0
    stamp = utcnow()
    db.session.add_all(
        Closure(
            venue_id=venue.id if venue is not None else None,
            uid=block.uid,
            summary=block.summary,
            source=source,
            starts_at=block.starts_at,
            ends_at=block.ends_at,
            all_day=block.all_day,
            imported_at=stamp,
        )
        for block in parsed.blocks
    )
    db.session.flush()
    stored_uids = {b.uid for b in parsed.blocks}
    just_stored = sa.and_(_scope(venue), Closure.imported_at == stamp, Closure.source == source)
    return ImportReport(
        source=source,
        venue_name=venue.name if venue is not None else None,
        window=window,
        events=parsed.events,
        stored=len(parsed.blocks),
        replaced=replaced,
        outside_window=len(parsed.uids - stored_uids),
        affected=sessions_on_closed_days(just_stored),
    )


# ---------------------------------------------------------------- reading what is stored


def sessions_on_closed_days(
    closures: sa.ColumnElement[bool] | None = None,
) -> list[AffectedSession]:
    """Scheduled sessions, not yet over, overlapping a closure of their venue or of every
    venue (only the closures matching `closures`, when given); soonest first."""
    query = (
        sa.select(Session, Closure)
        .join(
            Closure,
            sa.and_(
                sa.or_(Closure.venue_id.is_(None), Closure.venue_id == Session.venue_id),
                Closure.starts_at < Session.ends_at,
                Closure.ends_at > Session.starts_at,
            ),
        )
        .where(Session.status == SessionStatus.SCHEDULED, Session.ends_at > utcnow())
        .options(
            joinedload(Session.course_version).joinedload(CourseVersion.course),
            joinedload(Session.venue),
        )
        .order_by(Session.starts_at, Session.id, Closure.starts_at, Closure.id)
    )
    if closures is not None:
        query = query.where(closures)
    found: dict[int, AffectedSession] = {}
    for session, closure in db.session.execute(query):
        if session.id not in found:
            found[session.id] = AffectedSession(
                session_id=session.id,
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                course_title=session.course_version.title,
                venue_id=session.venue_id,
                venue_name=session.venue.name,
                closure_summary=closure.summary,
            )
    return list(found.values())


def list_closures(
    venue: Venue | None = None, upcoming: bool = True, limit: int | None = None
) -> list[Closure]:
    """Closures in time order: every one, or (with `venue`) those that close that venue,
    its own and those of every venue; with `upcoming`, only those not yet over."""
    query = sa.select(Closure).options(joinedload(Closure.venue))
    if venue is not None:
        query = query.where(sa.or_(Closure.venue_id == venue.id, Closure.venue_id.is_(None)))
    if upcoming:
        query = query.where(Closure.ends_at > utcnow())
    query = query.order_by(Closure.starts_at, Closure.id)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


@dataclass
class ClosureEvent:
    """The stored occurrences of one event in one scope, as the closures page lists them."""

    uid: str
    venue: Venue | None
    summary: str
    source: str
    occurrences: list[Closure]


def group_by_event(closures: Iterable[Closure]) -> list[ClosureEvent]:
    """Occurrences gathered per event and scope, in the order of each event's first one."""
    events: dict[tuple[str, int | None], ClosureEvent] = {}
    for closure in closures:
        key = (closure.uid, closure.venue_id)
        if key not in events:
            events[key] = ClosureEvent(
                closure.uid, closure.venue, closure.summary, closure.source, []
            )
        events[key].occurrences.append(closure)
    return list(events.values())


@atomic
def delete_closures(uid: str, venue: Venue | None) -> int:
    """Remove every occurrence of one imported event in one scope (a file imported by mistake)."""
    result = _delete(sa.delete(Closure).where(_scope(venue), Closure.uid == uid))
    if not result.rowcount:
        raise NotFound(_("その休館の予定は見つかりません。"))
    return result.rowcount


def venue_by_slug(slug: str) -> Venue:
    venue = db.session.scalar(sa.select(Venue).where(Venue.slug == clean(slug).lower()))
    if venue is None:
        raise NotFound(_("識別名「%(slug)s」の会場はありません。", slug=slug))
    return venue


def describe_when(closure: Closure) -> str:
    """A closure's time as people read it: whole days for all-day ones (DTEND is exclusive)."""
    if closure.all_day:
        last_day = closure.ends_at - timedelta(days=1)
        if local(last_day).date() <= local(closure.starts_at).date():
            return format_date(closure.starts_at)
        return _(
            "%(first)s〜%(last)s", first=format_date(closure.starts_at), last=format_date(last_day)
        )
    if local(closure.starts_at).date() == local(closure.ends_at).date():
        return _(
            "%(day)s %(start)s〜%(end)s",
            day=format_date(closure.starts_at),
            start=format_time(closure.starts_at),
            end=format_time(closure.ends_at),
        )
    return _(
        "%(start)s〜%(end)s",
        start=format_datetime(closure.starts_at),
        end=format_datetime(closure.ends_at),
    )
