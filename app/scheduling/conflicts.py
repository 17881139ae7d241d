"""Double bookings: a venue or a person booked twice, a closed venue, the setup buffer.

A refusal raises Conflict (409) naming the first clash and listing every one found.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import User
from app.errors import Conflict
from app.extensions import db
from app.scheduling.models import Closure, Session, SessionStaff, SessionStatus, Venue
from app.scheduling.plans import SessionPlan
from app.scheduling.queries import with_details
from app.templating import format_date, format_datetime, format_time
from app.timeutil import local


def _describe(session: Session) -> str:
    return _(
        "%(when)s %(venue)s「%(course)s」(ID %(id)s)",
        when=format_datetime(session.starts_at),
        venue=session.venue.name,
        course=session.course_version.title,
        id=session.id,
    )


def _lock_resources(plans: Iterable[SessionPlan]) -> None:
    """On PostgreSQL, serialize bookings of the same venue and people (SQLite already does)."""
    plans = list(plans)
    venue_ids = sorted({p.venue.id for p in plans})
    user_ids = sorted({u.id for p in plans for u in p.instructors + p.assistants})
    db.session.execute(sa.select(Venue.id).where(Venue.id.in_(venue_ids)).with_for_update())
    if user_ids:
        db.session.execute(sa.select(User.id).where(User.id.in_(user_ids)).with_for_update())


def _venue_clash(plan: SessionPlan, exclude: set[int]) -> Session | None:
    buffer = timedelta(minutes=plan.venue.setup_buffer_minutes)
    return db.session.scalar(
        with_details(sa.select(Session))
        .where(
            Session.venue_id == plan.venue.id,
            Session.status != SessionStatus.CANCELLED,
            Session.id.not_in(exclude) if exclude else sa.true(),
            Session.starts_at < plan.ends_at + buffer,
            Session.ends_at > plan.starts_at - buffer,
        )
        .order_by(Session.starts_at)
        .limit(1)
    )


def _staff_clash(plan: SessionPlan, exclude: set[int]) -> tuple[Session, User] | None:
    people = {u.id: u for u in plan.instructors + plan.assistants}
    if not people:
        return None
    row = db.session.execute(
        sa.select(Session.id, SessionStaff.user_id)
        .join(SessionStaff, SessionStaff.session_id == Session.id)
        .where(
            SessionStaff.user_id.in_(people),
            Session.status != SessionStatus.CANCELLED,
            Session.id.not_in(exclude) if exclude else sa.true(),
            Session.starts_at < plan.ends_at,
            Session.ends_at > plan.starts_at,
        )
        .order_by(Session.starts_at)
        .limit(1)
    ).first()
    if row is None:
        return None
    # The session just found: .one(), it is there.
    other = db.session.scalars(with_details(sa.select(Session)).where(Session.id == row[0])).one()
    return other, people[row[1]]


def closure_for(venue_id: int, starts_at: datetime, ends_at: datetime) -> Closure | None:
    """A closure of this venue (or of every venue) overlapping the time, if any."""
    return db.session.scalar(
        sa.select(Closure)
        .where(
            sa.or_(Closure.venue_id == venue_id, Closure.venue_id.is_(None)),
            Closure.starts_at < ends_at,
            Closure.ends_at > starts_at,
        )
        .order_by(Closure.starts_at)
        .limit(1)
    )


def _describe_closure(closure: Closure) -> str:
    if closure.all_day:
        last_day = closure.ends_at - timedelta(days=1)
        when = format_date(closure.starts_at)
        if local(last_day).date() > local(closure.starts_at).date():
            when = f"{when}〜{format_date(last_day)}"
    else:
        when = f"{format_datetime(closure.starts_at)}〜{format_time(closure.ends_at)}"
    return _(
        "%(when)s は「%(summary)s」のため会場が使えません。", when=when, summary=closure.summary
    )


def _clash_between(a: SessionPlan, b: SessionPlan) -> str | None:
    if a.venue.id == b.venue.id:
        buffer = timedelta(minutes=a.venue.setup_buffer_minutes)
        if a.starts_at < b.ends_at + buffer and b.starts_at < a.ends_at + buffer:
            return "venue_conflict"
    shared = {u.id for u in a.instructors + a.assistants} & {
        u.id for u in b.instructors + b.assistants
    }
    if shared and a.starts_at < b.ends_at and b.starts_at < a.ends_at:
        return "instructor_conflict"
    return None


def check_conflicts(plans: list[SessionPlan], exclude: set[int]) -> None:
    """Raise Conflict for the first double booking, listing every one found."""
    _lock_resources(plans)
    found: list[dict[str, Any]] = []
    for plan in plans:
        if plan.status == SessionStatus.CANCELLED:
            continue
        closure = closure_for(plan.venue.id, plan.starts_at, plan.ends_at)
        if closure is not None:
            found.append(
                {
                    "code": "venue_closed",
                    "session_id": None,
                    "closure_id": closure.id,
                    "starts_at": plan.starts_at,
                    "message": _describe_closure(closure),
                }
            )
            continue
        other = _venue_clash(plan, exclude)
        if other is not None:
            found.append(
                {
                    "code": "venue_conflict",
                    "session_id": other.id,
                    "starts_at": plan.starts_at,
                    "message": _(
                        "会場「%(venue)s」は %(other)s と重なっています(準備時間%(buffer)d分を含む)。",
                        venue=plan.venue.name,
                        other=_describe(other),
                        buffer=plan.venue.setup_buffer_minutes,
                    ),
                }
            )
            continue
        clash = _staff_clash(plan, exclude)
        if clash is not None:
            other, person = clash
            found.append(
                {
                    "code": "instructor_conflict",
                    "session_id": other.id,
                    "starts_at": plan.starts_at,
                    "message": _(
                        "%(name)sさんは同じ時間に %(other)s を担当しています。",
                        name=person.name,
                        other=_describe(other),
                    ),
                }
            )
    for i, a in enumerate(plans):
        for b in plans[i + 1 :]:
            code = _clash_between(a, b)
            if code:
                found.append(
                    {
                        "code": code,
                        "session_id": None,
                        "starts_at": b.starts_at,
                        "message": _(
                            "%(a)s と %(b)s の回どうしが重なっています。",
                            a=format_datetime(a.starts_at),
                            b=format_datetime(b.starts_at),
                        ),
                    }
                )
    if found:
        first = found[0]
        about = {"closure_id": first["closure_id"]} if "closure_id" in first else {}
        raise Conflict(
            first["code"],
            first["message"],
            session_id=first["session_id"],
            **about,
            conflicts=[
                {
                    "code": c["code"],
                    "session_id": c["session_id"],
                    "starts_at": local(c["starts_at"]).isoformat(),
                    "message": c["message"],
                }
                for c in found
            ],
        )
