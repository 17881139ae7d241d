"""Sign-ups that may be someone already on record, and the coordinator's decision on them.

A sign-up with the furigana and phone of someone on record used to register that person,
after which whoever signed them up could read their record. Now a sign-up uses a record on
file only when its author may already see it (a planner, or a learner already on the
partner's or instructor's lists); otherwise it makes a new record and a pending match, and a
coordinator confirms it (the two records are merged) or rejects it (both stay).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from app.auth.models import User
from app.core.models import record
from app.errors import NotFound
from app.extensions import db
from app.people import learners
from app.people.models import Learner, MatchOutcome, PendingMatch, Registration
from app.scheduling.models import Session
from app.timeutil import utcnow
from app.transaction import atomic


@dataclass
class Known:
    """What the records on file say about a sign-up."""

    seen: Learner | None = None  # on record, and its author may see them: use this record
    unseen: list[Learner] = field(default_factory=list)  # on record, but not theirs to see


def known(raw: Mapping[str, Any], seen: sa.ColumnElement[bool]) -> Known:
    """The records with the same furigana and phone, split by whether `seen` (the sign-up's
    author's view, as SQL) includes them."""
    same = learners.possible_duplicates(
        {"furigana": raw.get("furigana"), "phone": raw.get("phone")}
    )
    if not same:
        return Known()
    visible = set(
        db.session.scalars(sa.select(Learner.id).where(Learner.id.in_([p.id for p in same]), seen))
    )
    first_seen = next((p for p in same if p.id in visible), None)
    if first_seen is not None:
        return Known(seen=first_seen)
    return Known(unseen=same)


@atomic
def record_new(
    raw: Mapping[str, Any],
    actor: User | None,
    *,
    source: str,
    unseen: list[Learner],
    org_id: int | None = None,
) -> Learner:
    """A new record for the sign-up, and a pending match with each record it may be."""
    learner = learners.create_learner(raw, actor)
    for other in unseen:
        db.session.add(
            PendingMatch(
                new_learner_id=learner.id,
                existing_learner_id=other.id,
                source=source,
                org_id=org_id,
                created_by_id=actor.id if actor else None,
            )
        )
    db.session.flush()
    return learner


# ---------------------------------------------------------------- the coordinator's page


def _open() -> sa.ColumnElement[bool]:
    return PendingMatch.resolved_at.is_(None)


def pending_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(PendingMatch.id)).where(_open())) or 0


def pending_for(learner: Learner) -> int:
    """How many open matches involve this record (its page points to them)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(PendingMatch.id)).where(
                _open(),
                sa.or_(
                    PendingMatch.new_learner_id == learner.id,
                    PendingMatch.existing_learner_id == learner.id,
                ),
            )
        )
        or 0
    )


@dataclass
class Side:
    learner: Learner
    registrations: list[Registration]


@dataclass
class MatchView:
    match: PendingMatch
    new: Side
    existing: Side


def pending_matches() -> list[MatchView]:
    """Every open match, oldest first, each record with its registrations: a fixed number
    of queries however many there are."""
    matches = list(
        db.session.scalars(
            sa.select(PendingMatch)
            .options(
                joinedload(PendingMatch.new_learner).selectinload(Learner.cards),
                joinedload(PendingMatch.existing_learner).selectinload(Learner.cards),
            )
            .where(_open())
            .order_by(PendingMatch.created_at, PendingMatch.id)
        ).unique()
    )
    ids = {m.new_learner_id for m in matches} | {m.existing_learner_id for m in matches}
    by_learner: dict[int, list[Registration]] = {i: [] for i in ids}
    if ids:
        for reg in db.session.scalars(
            sa.select(Registration)
            .options(
                selectinload(Registration.session).joinedload(Session.course_version),
                selectinload(Registration.session).joinedload(Session.venue),
            )
            .join(Session, Session.id == Registration.session_id)
            .where(Registration.learner_id.in_(ids))
            .order_by(Session.starts_at.desc())
        ):
            by_learner[reg.learner_id].append(reg)
    return [
        MatchView(
            m,
            Side(m.new_learner, by_learner[m.new_learner_id]),
            Side(m.existing_learner, by_learner[m.existing_learner_id]),
        )
        for m in matches
    ]


def get_open_match(match_id: int) -> PendingMatch:
    match = db.session.scalar(sa.select(PendingMatch).where(PendingMatch.id == match_id, _open()))
    if match is None:
        raise NotFound(_("確認待ちの照合(ID %(id)s)は見つかりません。", id=match_id))
    return match


def _details(match: PendingMatch) -> dict[str, Any]:
    return {
        "match_id": match.id,
        "new_learner_id": match.new_learner_id,
        "existing_learner_id": match.existing_learner_id,
        "source": match.source,
    }


@atomic
def confirm(match: PendingMatch, actor: User) -> Learner:
    """The same person: the new record is merged into the one on record (logged twice: the
    decision, and the merge with what moved)."""
    keep, other = match.existing_learner, match.new_learner
    details = _details(match)
    learners.merge(keep, other, actor)
    # The merge pointed this match at `keep` twice and closed it; the decision is the actor's.
    match.resolved_by_id = actor.id
    match.outcome = MatchOutcome.MERGED
    record("learner.match_confirmed", "learner", keep.id, actor, **details)
    return keep


@atomic
def reject(match: PendingMatch, actor: User) -> PendingMatch:
    """Two people after all: both records stay."""
    match.resolved_at = utcnow()
    match.resolved_by_id = actor.id
    match.outcome = MatchOutcome.REJECTED
    record("learner.match_rejected", "learner", match.existing_learner_id, actor, **_details(match))
    return match
