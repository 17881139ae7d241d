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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from app.auth.models import User
from app.calendars.writer import VERSION as WRITER_VERSION
from app.extensions import db
from app.orgs.models import Organization
from app.people.models import Learner, Registration, RegistrationStatus
from app.scheduling.models import Session, SessionStaff, SessionStatus, Venue
from app.timeutil import local, local_day_bounds

# Raise when the code writes different bytes for the same data, so that every ETag changes
# (the event writer's own version goes into every ETag as well).
FEED_FORMAT = "1"
DAYS_BACK = 90
DAYS_AHEAD = 365
CANCELLED_SHOWN_DAYS = 30
REFRESH = timedelta(hours=1)
PRODID = "-//Dekiru//Calendar feeds 1.0//JA"
# Written events kept per process (app.calendars.store; about 1 kB each with their keys).
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


def selection(feed: Feed, now: datetime) -> sa.ColumnElement[bool]:
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
    chosen = selection(feed, now)
    count, newest, id_sum = db.session.execute(
        sa.select(
            sa.func.count(Session.id),
            sa.func.max(Session.updated_at),
            sa.func.coalesce(sa.func.sum(Session.id), 0),
        ).where(chosen)
    ).one()
    parts: list = [
        FEED_FORMAT,
        WRITER_VERSION,
        feed.key,
        feed.name,
        site,
        count,
        newest,
        int(id_sum),
    ]
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
