"""The secrets in private feed URLs: one live token per owner, replaced (never edited) when
someone fears the URL has spread, and useless from the moment it is replaced.

The token is the only credential of a feed request (calendar apps send no cookies), so it
is random (192 bits), looked up exactly, and a revoked one is treated as never issued.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from app.auth.models import Role, User
from app.calendars.models import CalendarToken, FeedOwner
from app.extensions import db
from app.orgs.models import Organization, OrgKind
from app.people.models import Learner
from app.timeutil import utcnow
from app.transaction import atomic

TOKEN_BYTES = 24


def _live(owner_type: str, owner_id: int) -> sa.Select:
    return (
        sa.select(CalendarToken)
        .where(
            CalendarToken.owner_type == owner_type,
            CalendarToken.owner_id == owner_id,
            CalendarToken.revoked_at.is_(None),
        )
        # Two first visits at once may each have made one; both work, the oldest is shown.
        .order_by(CalendarToken.created_at, CalendarToken.id)
        .limit(1)
    )


def current(owner_type: str, owner_id: int) -> CalendarToken | None:
    """The live token, if the owner has one; never creates one."""
    return db.session.scalar(_live(owner_type, owner_id))


def _new(owner_type: str, owner_id: int) -> CalendarToken:
    token = CalendarToken(
        owner_type=FeedOwner(owner_type).value,
        owner_id=owner_id,
        token=secrets.token_urlsafe(TOKEN_BYTES),
    )
    db.session.add(token)
    db.session.flush()
    return token


@atomic
def token_for(owner_type: str, owner_id: int) -> CalendarToken:
    """The owner's live token, made on first use."""
    return current(owner_type, owner_id) or _new(owner_type, owner_id)


@atomic
def regenerate(owner_type: str, owner_id: int) -> CalendarToken:
    """A new token; every earlier one stops working in the same transaction."""
    db.session.execute(
        sa.update(CalendarToken)
        .where(
            CalendarToken.owner_type == owner_type,
            CalendarToken.owner_id == owner_id,
            CalendarToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return _new(owner_type, owner_id)


@dataclass(frozen=True)
class FeedKey:
    """Whose feed a token opens."""

    owner_type: str
    owner: User | Organization | Learner


def _owner(owner_type: str, owner_id: int) -> User | Organization | Learner | None:
    if owner_type == FeedOwner.INSTRUCTOR:
        user = db.session.get(User, owner_id)
        # A deactivated account's calendar goes dark with the account.
        ok = user is not None and user.active and user.role == Role.INSTRUCTOR
        return user if ok else None
    if owner_type == FeedOwner.ORG:
        org = db.session.get(Organization, owner_id)
        return org if org is not None and org.kind != OrgKind.MUNICIPALITY else None
    if owner_type == FeedOwner.LEARNER:
        return db.session.get(Learner, owner_id)
    return None


def find(token: str, owner_type: str | None = None) -> FeedKey | None:
    """The owner a live token belongs to (of this kind, when given); None for anything else
    (an unknown, revoked or other kind's token), which the feed answers with 404."""
    if not token or len(token) > 64:
        return None
    query = sa.select(CalendarToken.owner_type, CalendarToken.owner_id).where(
        CalendarToken.token == token, CalendarToken.revoked_at.is_(None)
    )
    if owner_type is not None:
        query = query.where(CalendarToken.owner_type == owner_type)
    row = db.session.execute(query).first()
    if row is None:
        return None
    owner = _owner(row.owner_type, row.owner_id)
    return FeedKey(row.owner_type, owner) if owner is not None else None
