"""iCalendar feeds: which sessions a feed holds, what each event says, and a fingerprint of
a feed's inputs that answers "unchanged?" without building a single event.

Every event is a function of stored data only (DTSTAMP and LAST-MODIFIED are the session's
updated_at, never the time of the request), so an unchanged feed is byte-identical and a
calendar app that asks again with its ETag gets 304.

What each audience reads:
- staff feeds (an instructor's, a partner organization's, a session's .ics for staff who may
  see it): instructors' and assistants' names, the roster count (registered / capacity), the
  staff page of the session;
- public feeds (the city's, a venue's, a public session's .ics) and a learner's own feed: the
  partner organization that teaches, never a person's name; the public page of the session
  and the help line.
No feed ever carries a learner's name: a learner's own feed is titled without it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import (
    Calendar,
    Event,
    Timezone,
    vCategory,
    vDDDTypes,
    vDuration,
    vInt,
    vText,
    vUri,
)

from app.auth.models import User
from app.curricula.models import CourseVersion
from app.extensions import db
from app.labels import TRACK
from app.orgs.models import Organization
from app.people.models import Learner, Registration, RegistrationStatus
from app.scheduling.models import Session, SessionStaff, SessionStatus, StaffRole, Venue
from app.timeutil import TOKYO, local, local_day_bounds

# Raise when the code writes different bytes for the same data, so that every ETag changes.
FEED_FORMAT = "1"
DAYS_BACK = 90
DAYS_AHEAD = 365
CANCELLED_SHOWN_DAYS = 30
REFRESH = timedelta(hours=1)
PRODID = "-//Dekiru//Calendar feeds 1.0//JA"
TZID = "Asia/Tokyo"
# Serialized events kept per process (with their keys, about 2 kB each): a few large feeds.
EVENTS_CACHED = 12_000


class Audience(StrEnum):
    STAFF = "staff"
    PUBLIC = "public"
    LEARNER = "learner"


@dataclass(frozen=True)
class Window:
    """The sessions a feed holds: 90 days back to 365 ahead, in whole Japan days, and
    cancelled ones for 30 days after they were cancelled (their last change)."""

    today: date
    start: datetime
    end: datetime
    cancelled_since: datetime


def window(now: datetime) -> Window:
    # Whole days: the set of sessions only moves at midnight, so the fingerprint holds all day.
    today = local(now).date()
    midnight = local_day_bounds(today)[0]
    return Window(
        today=today,
        start=midnight - timedelta(days=DAYS_BACK),
        end=local_day_bounds(today + timedelta(days=DAYS_AHEAD))[1],
        cancelled_since=midnight - timedelta(days=CANCELLED_SHOWN_DAYS),
    )


@dataclass(frozen=True)
class Feed:
    key: str  # who the feed is for; part of the ETag
    name: str  # the calendar's name in the app; never a learner's name
    sessions: sa.ColumnElement[bool]
    audience: Audience
    roster: bool = False  # show "registered / capacity"
    learner_id: int | None = None  # a learner's feed: mark waitlisted places
    windowed: bool = True


@dataclass(frozen=True)
class Site:
    """What events need from the request: addresses and the help line."""

    url_root: str
    uid_domain: str
    help_phone: str

    @classmethod
    def current(cls) -> Site:
        server = current_app.config.get("SERVER_NAME") or ""
        return cls(
            url_root=url_for("core.index", _external=True),
            uid_domain=server.split(":")[0] or "dekiru",
            help_phone=current_app.config.get("HELP_PHONE", ""),
        )


# ---------------------------------------------------------------- the feeds


def _with_status(*statuses: str) -> sa.Select:
    return sa.select(Registration.session_id).where(Registration.status.in_(statuses))


def public_feed() -> Feed:
    with force_locale("ja"):
        name = _("できる 公開講座")
    return Feed("public", name, Session.public.is_(True), Audience.PUBLIC)


def venue_feed(venue: Venue) -> Feed:
    # A venue's URL needs no secret, so it holds what the public feed holds: public sessions.
    with force_locale("ja"):
        name = _("できる %(venue)sの講座", venue=venue.name)
    return Feed(
        f"venue:{venue.id}",
        name,
        sa.and_(Session.public.is_(True), Session.venue_id == venue.id),
        Audience.PUBLIC,
    )


def instructor_feed(user: User) -> Feed:
    with force_locale("ja"):
        name = _("できる %(name)sさんの担当講座", name=user.name)
    teaches = sa.select(SessionStaff.session_id).where(SessionStaff.user_id == user.id)
    return Feed(f"instructor:{user.id}", name, Session.id.in_(teaches), Audience.STAFF, roster=True)


def org_feed(org: Organization) -> Feed:
    with force_locale("ja"):
        name = _("できる %(org)sの講座", org=org.name)
    return Feed(
        f"org:{org.id}", name, Session.partner_org_id == org.id, Audience.STAFF, roster=True
    )


def learner_feed(learner: Learner) -> Feed:
    with force_locale("ja"):
        name = _("できる 申し込んだ教室")
    places = _with_status(RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED).where(
        Registration.learner_id == learner.id
    )
    return Feed(
        f"learner:{learner.id}",
        name,
        Session.id.in_(places),
        Audience.LEARNER,
        learner_id=learner.id,
    )


def session_feed(session_id: int, *, staff: bool) -> Feed:
    """One session's .ics: the staff version for people who may see the session."""
    with force_locale("ja"):
        name = _("できる 講座")
    audience = Audience.STAFF if staff else Audience.PUBLIC
    return Feed(
        f"session:{session_id}:{audience}",
        name,
        Session.id == session_id,
        audience,
        windowed=False,
    )


def _selection(feed: Feed, now: datetime) -> sa.ColumnElement[bool]:
    if not feed.windowed:
        return feed.sessions
    w = window(now)
    return sa.and_(
        feed.sessions,
        Session.starts_at >= w.start,
        Session.starts_at < w.end,
        sa.or_(
            Session.status != SessionStatus.CANCELLED,
            Session.updated_at >= w.cancelled_since,
        ),
    )


# ---------------------------------------------------------------- the fingerprint


@dataclass(frozen=True)
class Fingerprint:
    etag: str
    last_modified: datetime | None  # the newest change among the feed's inputs
    count: int


def _digest(parts: list) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:40]


def fingerprint(feed: Feed, site: Site, now: datetime) -> Fingerprint:
    """Everything an event is made of, summed up in a few aggregate queries.

    Sessions carry their own updated_at (raised by every change, staff included); venue,
    organization and staff names have none, so their current text goes in; so do the roster
    counts and a learner's places, which change without touching the session.
    """
    chosen = _selection(feed, now)
    count, newest, id_sum = db.session.execute(
        sa.select(
            sa.func.count(Session.id),
            sa.func.max(Session.updated_at),
            sa.func.coalesce(sa.func.sum(Session.id), 0),
        ).where(chosen)
    ).one()
    parts: list = [FEED_FORMAT, feed.key, feed.name, site, count, newest, int(id_sum)]
    if feed.windowed:
        parts.append(window(now).today)
    if count:
        ids = sa.select(Session.id).where(chosen)
        parts.append(
            db.session.execute(
                sa.select(Venue.id, Venue.name, Venue.address)
                .where(Venue.id.in_(sa.select(Session.venue_id).where(chosen)))
                .order_by(Venue.id)
            ).all()
        )
        if feed.audience == Audience.STAFF:
            parts.append(
                db.session.execute(
                    sa.select(User.id, User.name)
                    .where(
                        User.id.in_(
                            sa.select(SessionStaff.user_id).where(SessionStaff.session_id.in_(ids))
                        )
                    )
                    .order_by(User.id)
                ).all()
            )
        else:
            parts.append(
                db.session.execute(
                    sa.select(Organization.id, Organization.name)
                    .where(Organization.id.in_(sa.select(Session.partner_org_id).where(chosen)))
                    .order_by(Organization.id)
                ).all()
            )
        if feed.roster or feed.learner_id is not None:
            newest = max(filter(None, [newest, *_registration_changes(feed, ids, parts)]))
    return Fingerprint(etag=f'"{_digest(parts)}"', last_modified=newest, count=count)


def _registration_changes(feed: Feed, ids: sa.Select, parts: list) -> list[datetime | None]:
    """Add what registrations show in this feed to `parts`; return when they last changed.

    Every registration, cancellation and waitlist promotion stamps queued_at or cancelled_at
    of some registration of the session, so their newest value dates the feed's change."""
    registered = sa.func.count(sa.case((Registration.status == RegistrationStatus.REGISTERED, 1)))
    columns: list[Any] = [Registration.session_id, registered]
    if feed.learner_id is not None:
        columns.append(
            sa.func.max(sa.case((Registration.learner_id == feed.learner_id, Registration.status)))
        )
    rows = db.session.execute(
        sa.select(
            *columns, sa.func.max(Registration.queued_at), sa.func.max(Registration.cancelled_at)
        )
        .where(Registration.session_id.in_(ids))
        .group_by(Registration.session_id)
        .order_by(Registration.session_id)
    ).all()
    parts.append([tuple(row[:-2]) for row in rows])
    return [moment for row in rows for moment in row[-2:]]


# ---------------------------------------------------------------- the events


@dataclass
class _Words:
    """The feed's sentences, translated once per feed rather than once per event."""

    cancelled: str = ""
    reason: str = ""
    cancelled_summary: str = ""
    waitlisted: str = ""
    waitlisted_summary: str = ""
    materials: str = ""
    no_materials: str = ""
    instructors: str = ""
    assistants: str = ""
    no_instructor: str = ""
    partner: str = ""
    roster: str = ""
    page: str = ""
    help: str = ""
    tracks: dict[str, str] = field(default_factory=dict)

    @classmethod
    def japanese(cls) -> _Words:
        with force_locale("ja"):
            return cls(
                cancelled=_("この講座は中止になりました。"),
                reason=_("中止の理由: %(reason)s"),
                cancelled_summary=_("【中止】%(title)s"),
                waitlisted=_("キャンセル待ちです。席があいたら電話でお知らせします。"),
                waitlisted_summary=_("【キャンセル待ち】%(title)s"),
                materials=_("持ち物: %(items)s"),
                no_materials=_("持ち物: 特にありません"),
                instructors=_("講師: %(names)s"),
                assistants=_("アシスタント: %(names)s"),
                no_instructor=_("講師: 未定"),
                partner=_("担当: %(org)s"),
                roster=_("申込: %(registered)d人 / 定員%(capacity)d人"),
                page=_("詳しくは: %(url)s"),
                help=_("問い合わせ: %(phone)s"),
                tracks={code: str(text) for code, text in TRACK.items()},
            )


def _rows(chosen: sa.ColumnElement[bool]) -> Sequence[sa.Row[*tuple[Any, ...]]]:
    return db.session.execute(
        sa.select(
            Session.id,
            Session.starts_at,
            Session.ends_at,
            Session.status,
            Session.cancel_reason,
            Session.ical_sequence,
            Session.updated_at,
            Session.public,
            Session.capacity,
            CourseVersion.title_ja,
            CourseVersion.track,
            CourseVersion.materials,
            Venue.name.label("venue_name"),
            Venue.address.label("venue_address"),
            Organization.name.label("org_name"),
        )
        .join(CourseVersion, CourseVersion.id == Session.course_version_id)
        .join(Venue, Venue.id == Session.venue_id)
        .outerjoin(Organization, Organization.id == Session.partner_org_id)
        .where(chosen)
        .order_by(Session.starts_at, Session.id)
    ).all()


def _staff_names(ids: sa.Select) -> dict[int, dict[str, list[str]]]:
    names: dict[int, dict[str, list[str]]] = {}
    for session_id, role, name in db.session.execute(
        sa.select(SessionStaff.session_id, SessionStaff.role, User.name)
        .join(User, User.id == SessionStaff.user_id)
        .where(SessionStaff.session_id.in_(ids))
        .order_by(SessionStaff.session_id, SessionStaff.user_id)
    ):
        names.setdefault(session_id, {}).setdefault(role, []).append(name)
    return names


def _registered(ids: sa.Select) -> dict[int, int]:
    return dict(
        db.session.execute(
            sa.select(Registration.session_id, sa.func.count())
            .where(
                Registration.session_id.in_(ids),
                Registration.status == RegistrationStatus.REGISTERED,
            )
            .group_by(Registration.session_id)
        ).all()
    )


def _places(ids: sa.Select, learner_id: int) -> dict[int, str]:
    return dict(
        db.session.execute(
            sa.select(Registration.session_id, Registration.status).where(
                Registration.session_id.in_(ids), Registration.learner_id == learner_id
            )
        ).all()
    )


@dataclass
class _Pages:
    """Addresses of a session's page, made once per feed from url_for and filled per event."""

    staff: str
    public: str
    public_list: str

    MARK = 987654321  # stands for the session id in the address url_for made

    @classmethod
    def current(cls) -> _Pages:
        def pattern(endpoint: str) -> str:
            return url_for(endpoint, session_id=cls.MARK, _external=True).replace(
                str(cls.MARK), "{id}"
            )

        return cls(
            staff=pattern("scheduling.session_detail"),
            public=pattern("public.signup_form"),
            public_list=url_for("public.session_list", _external=True),
        )

    def for_session(self, audience: Audience, session_id: int, public: bool) -> str:
        if audience == Audience.STAFF:
            return self.staff.format(id=session_id)
        # A private class in a learner's feed has no public page: the list and the help line.
        return self.public.format(id=session_id) if public else self.public_list


class EventText(NamedTuple):
    """Everything one VEVENT says: the event's bytes are a function of this alone."""

    uid: str
    changed_at: datetime
    sequence: int
    status: str
    summary: str
    location: str
    description: str
    url: str
    category: str
    starts_at: datetime
    ends_at: datetime


def _event_text(
    row: sa.Row,
    feed: Feed,
    site: Site,
    words: _Words,
    pages: _Pages,
    staff: dict[str, list[str]] | None,
    registered: int | None,
    place: str | None,
) -> EventText:
    cancelled = row.status == SessionStatus.CANCELLED
    waitlisted = place == RegistrationStatus.WAITLISTED
    url = pages.for_session(feed.audience, row.id, row.public)

    lines = []
    if cancelled:
        lines.append(words.cancelled)
        if row.cancel_reason:
            lines.append(words.reason % {"reason": row.cancel_reason})
    elif waitlisted:
        lines.append(words.waitlisted)
    if row.materials:
        lines.append(words.materials % {"items": "、".join(row.materials)})
    else:
        lines.append(words.no_materials)
    if feed.audience == Audience.STAFF:
        staff = staff or {}
        if staff.get(StaffRole.INSTRUCTOR):
            lines.append(words.instructors % {"names": "、".join(staff[StaffRole.INSTRUCTOR])})
        else:
            lines.append(words.no_instructor)
        if staff.get(StaffRole.ASSISTANT):
            lines.append(words.assistants % {"names": "、".join(staff[StaffRole.ASSISTANT])})
    elif row.org_name:
        lines.append(words.partner % {"org": row.org_name})
    if feed.roster:
        lines.append(words.roster % {"registered": registered or 0, "capacity": row.capacity})
    lines.append(words.page % {"url": url})
    if feed.audience != Audience.STAFF and site.help_phone:
        lines.append(words.help % {"phone": site.help_phone})

    if cancelled:
        summary = words.cancelled_summary % {"title": row.title_ja}
    elif waitlisted:
        summary = words.waitlisted_summary % {"title": row.title_ja}
    else:
        summary = row.title_ja
    return EventText(
        uid=f"session-{row.id}@{site.uid_domain}",
        changed_at=row.updated_at,
        sequence=row.ical_sequence or 0,
        status="CANCELLED" if cancelled else "CONFIRMED",
        summary=summary,
        location=(
            f"{row.venue_name}({row.venue_address})" if row.venue_address else row.venue_name
        ),
        description="\n".join(lines),
        url=url,
        category=words.tracks.get(row.track, row.track),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
    )


@lru_cache(maxsize=EVENTS_CACHED)
def event_bytes(text: EventText) -> bytes:
    """One VEVENT, serialized by icalendar.

    Kept per process by its full content, so it can never be stale: a feed rebuilt after one
    class changed serializes that one event again, not all of them."""
    # Typed values set directly: the same bytes as Event.add(), without guessing each type.
    event = Event()
    event["UID"] = vText(text.uid)
    event["DTSTAMP"] = vDDDTypes(text.changed_at)
    event["LAST-MODIFIED"] = vDDDTypes(text.changed_at)
    event["SEQUENCE"] = vInt(text.sequence)
    event["STATUS"] = vText(text.status)
    event["SUMMARY"] = vText(text.summary)
    event["LOCATION"] = vText(text.location)
    event["DESCRIPTION"] = vText(text.description)
    event["URL"] = vUri(text.url)
    event["CATEGORIES"] = vCategory([text.category])
    event["DTSTART"] = vDDDTypes(text.starts_at.astimezone(TOKYO))
    event["DTEND"] = vDDDTypes(text.ends_at.astimezone(TOKYO))
    return event.to_ical()


@cache
def _tokyo_timezone() -> bytes:
    # Japan has kept one offset since 1951: one fixed VTIMEZONE, made once per process.
    return Timezone.from_tzid(
        TZID, first_date=date(1970, 1, 1), last_date=date(2100, 1, 1)
    ).to_ical()


def calendar(feed: Feed) -> Calendar:
    """The calendar's own properties and its VTIMEZONE, without events."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", feed.name)
    cal.add("x-wr-calname", feed.name)
    cal.add("x-wr-timezone", TZID)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))
    cal.add_component(Timezone.from_ical(_tokyo_timezone()))
    return cal


def event_texts(feed: Feed, site: Site, now: datetime) -> list[EventText]:
    """The feed's events, in time order, read in a fixed number of queries."""
    chosen = _selection(feed, now)
    rows = _rows(chosen)
    if not rows:
        return []
    ids = sa.select(Session.id).where(chosen)
    staff = _staff_names(ids) if feed.audience == Audience.STAFF else {}
    registered = _registered(ids) if feed.roster else {}
    places = _places(ids, feed.learner_id) if feed.learner_id is not None else {}
    words, pages = _Words.japanese(), _Pages.current()
    return [
        _event_text(
            row,
            feed,
            site,
            words,
            pages,
            staff.get(row.id),
            registered.get(row.id),
            places.get(row.id),
        )
        for row in rows
    ]


def render(feed: Feed, site: Site, now: datetime) -> bytes:
    """The feed's bytes: icalendar writes the calendar and each event; the events go in
    before the calendar's END line, where icalendar would have put them."""
    end = b"END:VCALENDAR\r\n"
    head = calendar(feed).to_ical().removesuffix(end)
    return head + b"".join(event_bytes(text) for text in event_texts(feed, site, now)) + end
