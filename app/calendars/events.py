"""The events of an iCalendar feed: what each event says to its audience, and the feed's
bytes. Every event is a function of stored data only, so an unchanged feed is byte-identical
(its ETag, app.calendars.feeds.fingerprint, answers "unchanged?" without building it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone, vDDDTypes, vDuration

from app.auth.models import User
from app.calendars import store, writer
from app.calendars.feeds import (
    PRODID,
    REFRESH,
    Audience,
    Feed,
    Site,
    selection,
)
from app.calendars.writer import TZID, EventText
from app.curricula.models import CourseVersion
from app.extensions import db
from app.labels import TRACK
from app.orgs.models import Organization
from app.people.models import Registration, RegistrationStatus
from app.scheduling.models import Session, SessionStaff, SessionStatus, StaffRole, Venue


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
            Session.course_version_id,
            Venue.name.label("venue_name"),
            Venue.address.label("venue_address"),
            Organization.name.label("org_name"),
        )
        .join(Venue, Venue.id == Session.venue_id)
        .outerjoin(Organization, Organization.id == Session.partner_org_id)
        .where(chosen)
        .order_by(Session.starts_at, Session.id)
    ).all()


def _courses(chosen: sa.ColumnElement[bool]) -> dict[int, sa.Row]:
    """The feed's few course versions, read once each (not their JSON once per session)."""
    return {
        row.id: row
        for row in db.session.execute(
            sa.select(
                CourseVersion.id,
                CourseVersion.title_ja,
                CourseVersion.track,
                CourseVersion.materials,
            ).where(CourseVersion.id.in_(sa.select(Session.course_version_id).where(chosen)))
        )
    }


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


def _event_text(
    row: sa.Row,
    course: sa.Row,
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
    if course.materials:
        lines.append(words.materials % {"items": "、".join(course.materials)})
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
        summary = words.cancelled_summary % {"title": course.title_ja}
    elif waitlisted:
        summary = words.waitlisted_summary % {"title": course.title_ja}
    else:
        summary = course.title_ja
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
        category=words.tracks.get(course.track, course.track),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
    )


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
    chosen = selection(feed, now)
    rows = _rows(chosen)
    if not rows:
        return []
    courses = _courses(chosen)
    ids = sa.select(Session.id).where(chosen)
    staff = _staff_names(ids) if feed.audience == Audience.STAFF else {}
    registered = _registered(ids) if feed.roster else {}
    places = _places(ids, feed.learner_id) if feed.learner_id is not None else {}
    words, pages = _Words.japanese(), _Pages.current()
    return [
        _event_text(
            row,
            courses[row.course_version_id],
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
    """The feed's bytes: icalendar writes the calendar, app.calendars.writer each event (the
    same bytes as icalendar's), kept by app.calendars.store; the events go in before the
    calendar's END line, where icalendar would have put them."""
    end = b"END:VCALENDAR\r\n"
    head = calendar(feed).to_ical().removesuffix(end)
    return head + b"".join(store.bodies(event_texts(feed, site, now))) + end


# ---------------------------------------------------------------- invitations (iTIP)


def invitation(
    session_ids: Sequence[int], *, method: str, attendee: str, organizer: str, now: datetime
) -> bytes:
    """The classes as an iTIP message for one person's calendar: METHOD:REQUEST adds or
    moves them, METHOD:CANCEL removes them (RFC 5546). Each event is the staff feed's own,
    same UID and SEQUENCE, so a phone that holds the class from the e-mail and from the feed
    holds it once, and a later change replaces it.

    A CANCEL of a class still held (the person was taken off it) says CANCELLED all the
    same: for that person's calendar the class is gone."""
    feed = Feed(
        f"invitation:{method}",
        "",
        Session.id.in_(list(session_ids)),
        Audience.STAFF,
        roster=True,
        windowed=False,
    )
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add_component(Timezone.from_ical(_tokyo_timezone()))
    for text in event_texts(feed, Site.current(), now):
        if method == "CANCEL":
            text = text._replace(status="CANCELLED")
        event = Event.from_ical(writer.vevent(text))
        event["DTSTAMP"] = vDDDTypes(now)
        event.add("organizer", f"mailto:{organizer}")
        event.add(
            "attendee",
            f"mailto:{attendee}",
            parameters={"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "ACCEPTED", "RSVP": "FALSE"},
        )
        cal.add_component(event)
    return cal.to_ical()
