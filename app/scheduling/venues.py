"""Venues: reading, creating and changing them without breaking the sessions planned there.

A venue's capacity and setup buffer are part of the rules every planned session was checked
against, so a change that would make an upcoming session invalid (more learners than the
room holds, or two sessions now too close for the setup time) is refused, naming the session.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.curricula.models import CourseVersion
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.scheduling.models import Session, SessionStatus, Venue
from app.scheduling.schemas import VenueIn
from app.templating import format_datetime
from app.text import is_slug
from app.timeutil import utcnow

# The fields a venue's form sends: VenueIn's, the one list of them.
VENUE_FIELDS = frozenset(VenueIn.model_fields)
DEFAULT_SETUP_BUFFER = 15


def list_venues() -> list[Venue]:
    return list(db.session.scalars(sa.select(Venue).order_by(Venue.district, Venue.name)))


def districts() -> list[str]:
    return list(db.session.scalars(sa.select(Venue.district).distinct().order_by(Venue.district)))


def get_venue(venue_id: int) -> Venue:
    venue = db.session.get(Venue, venue_id)
    if venue is None:
        raise NotFound(_("会場(ID %(id)s)は見つかりません。", id=venue_id))
    return venue


def _current_values(venue: Venue) -> dict[str, Any]:
    return {name: getattr(venue, name) for name in VENUE_FIELDS}


def read_venue(raw: Mapping[str, Any], base: Venue | None = None) -> dict[str, Any]:
    """Check a whole venue request; raise ValidationError naming every bad field at once."""
    given, errors = VenueIn.read_partly(raw)
    values: dict[str, Any] = _current_values(base) if base else {}
    values.update({name: getattr(given, name) for name in given.model_fields_set})

    for name, missing in (
        ("name", _("会場名を入力してください。")),
        ("district", _("地区を入力してください。")),
        ("capacity", _("収容人数を入力してください。")),
    ):
        if values.get(name) in (None, ""):
            errors.setdefault(name, missing)
    slug = values.get("slug") or ""
    if not slug:
        errors.setdefault(
            "slug", _("英小文字・数字・ハイフンの識別名を入力してください(例: chuo-kominkan)。")
        )
    elif len(slug) > 64 or not is_slug(slug):
        errors.setdefault(
            "slug",
            _(
                "識別名は英小文字・数字・ハイフンだけで、64文字以内にしてください(例: chuo-kominkan)。"
            ),
        )
    else:
        taken = db.session.scalar(
            sa.select(Venue.id).where(Venue.slug == slug, Venue.id != (base.id if base else -1))
        )
        if taken is not None:
            errors.setdefault(
                "slug", _("識別名「%(slug)s」はほかの会場が使っています。", slug=slug)
            )

    if errors:
        raise ValidationError(_("入力内容を確認してください。"), fields=errors)
    buffer = values.get("setup_buffer_minutes")
    return {
        "name": values["name"],
        "slug": slug,
        "address": values.get("address") or "",
        "district": values["district"],
        "capacity": values["capacity"],
        "setup_buffer_minutes": DEFAULT_SETUP_BUFFER if buffer is None else buffer,
        "loaner_devices": values.get("loaner_devices") or 0,
        "accessibility_notes": values.get("accessibility_notes") or "",
        **{flag: bool(values.get(flag)) for flag in ("has_wifi", "step_free", "hearing_loop")},
    }


def _upcoming_sessions(venue: Venue) -> list[Session]:
    return list(
        db.session.scalars(
            sa.select(Session)
            .options(joinedload(Session.course_version).joinedload(CourseVersion.course))
            .where(
                Session.venue_id == venue.id,
                Session.status == SessionStatus.SCHEDULED,
                Session.ends_at > utcnow(),
            )
            .order_by(Session.starts_at, Session.id)
        )
    )


def _describe(session: Session) -> str:
    return _(
        "%(when)s「%(course)s」(ID %(id)s)",
        when=format_datetime(session.starts_at),
        course=session.course_version.title,
        id=session.id,
    )


def _check_planned_sessions(venue: Venue, values: dict[str, Any]) -> None:
    """Refuse a change that would make an upcoming session break the venue's rules."""
    upcoming = _upcoming_sessions(venue)
    too_big = next((s for s in upcoming if s.capacity > values["capacity"]), None)
    if too_big is not None:
        raise ValidationError(
            _("入力内容を確認してください。"),
            fields={
                "capacity": _(
                    "%(session)s の定員が%(n)d人なので、収容人数をそれより少なくできません。"
                    "先にその講座の定員を変えてください。",
                    session=_describe(too_big),
                    n=too_big.capacity,
                )
            },
            session_id=too_big.id,
        )
    buffer = timedelta(minutes=values["setup_buffer_minutes"])
    if buffer <= timedelta(minutes=venue.setup_buffer_minutes):
        return
    for earlier, later in zip(upcoming, upcoming[1:], strict=False):
        if later.starts_at < earlier.ends_at + buffer:
            raise ValidationError(
                _("入力内容を確認してください。"),
                fields={
                    "setup_buffer_minutes": _(
                        "準備時間を%(n)d分にすると %(a)s と %(b)s の間が足りなくなります。",
                        n=values["setup_buffer_minutes"],
                        a=_describe(earlier),
                        b=_describe(later),
                    )
                },
                session_id=later.id,
            )


def _commit(venue: Venue) -> Venue:
    slug = venue.slug
    try:
        db.session.commit()
    except IntegrityError as exc:
        # Two people saving the same slug at the same moment: the database is the referee.
        db.session.rollback()
        raise ValidationError(
            _("入力内容を確認してください。"),
            fields={"slug": _("識別名「%(slug)s」はほかの会場が使っています。", slug=slug)},
        ) from exc
    return venue


def create_venue(raw: Mapping[str, Any]) -> Venue:
    try:
        values = read_venue(raw)
        venue = Venue(**values)
        db.session.add(venue)
    except Exception:
        db.session.rollback()
        raise
    return _commit(venue)


def update_venue(venue: Venue, raw: Mapping[str, Any]) -> Venue:
    try:
        values = read_venue(raw, base=venue)
        _check_planned_sessions(venue, values)
        for name, value in values.items():
            setattr(venue, name, value)
    except Exception:
        db.session.rollback()
        raise
    return _commit(venue)
