"""Learners: recording, finding, spotting duplicates, merging."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from app.auth.models import User
from app.core.models import record
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.parsing import (
    check_furigana,
    furigana_key,
    normalize_phone,
    parse_birth_year,
    phone_digits,
)
from app.people import cards, signals
from app.people.cards import SHORT_CODE_LENGTH, normalize_code
from app.people.models import (
    Card,
    Learner,
    MatchOutcome,
    PendingMatch,
    Registration,
    RegistrationStatus,
)
from app.people.privacy import Field, learner_visibility, may_see, phone_visible
from app.people.schemas import LearnerChange, LearnerIn
from app.scheduling.models import Session
from app.signals import answers, merged
from app.text import clean
from app.timeutil import japan_today, utcnow
from app.transaction import atomic

SEARCH_LIMIT = 30


def read_learner(raw: Mapping[str, Any], base: Learner | None = None) -> dict[str, Any]:
    """Check a learner's fields (app.people.schemas.LearnerIn, or LearnerChange for `base`);
    ValidationError naming every bad field at once. The search keys come with them."""
    model = LearnerChange if base is not None else LearnerIn
    context = {"consent_on": base.consent_on if base is not None else None}
    values = model.read(raw, context=context).values()
    if "furigana" in values:
        values["furigana_key"] = furigana_key(values["furigana"])
    if "phone" in values:
        values["phone_key"] = phone_digits(values["phone"]) or None
    return values


def _apply(learner: Learner, values: dict[str, Any], actor: User | None) -> None:
    consent = values.pop("consent", None)
    for name, value in values.items():
        setattr(learner, name, value)
    if consent is True and learner.consent_on is None:
        learner.consent_on = japan_today()
        learner.consent_recorded_by_id = actor.id if actor else None
    elif consent is False:
        learner.consent_on = None
        learner.consent_recorded_by_id = None
        learner.share_with_partner = False


@atomic
def create_learner(raw: Mapping[str, Any], actor: User | None = None) -> Learner:
    """A new learner, with a card: whoever registered them (by phone, at the door, a
    partner's sheet) can print it at once, instead of finding the record later to issue one."""
    learner = Learner()
    _apply(learner, read_learner(raw), actor)
    db.session.add(learner)
    db.session.flush()
    cards.issue_card(learner, actor)
    return learner


@atomic
def update_learner(learner: Learner, raw: Mapping[str, Any], actor: User | None = None) -> Learner:
    _apply(learner, read_learner(raw, base=learner), actor)
    return learner


def new_learner_args(query: str) -> dict[str, str]:
    """What a search that found no one already says about the new person."""
    if not query:
        return {}
    if phone_digits(query) and not any(ch.isalpha() for ch in query):
        return {"phone": query}
    try:
        check_furigana(query)
    except ValueError:
        return {"name": query}
    return {"furigana": query}


# ---------------------------------------------------------------- who sees whom


def get_learner(user: User, learner_id: int) -> Learner:
    learner = db.session.scalar(
        sa.select(Learner).where(Learner.id == learner_id, learner_visibility(user))
    )
    if learner is None:
        raise NotFound(_("受講者(ID %(id)s)は見つかりません。", id=learner_id))
    return learner


# What may stand between the digits of a phone number someone types as a search.
_PHONE_QUERY = re.compile(r"^\+?[0-9\s()\-‐‑‒–—―−ーｰ－]+$")
MIN_PHONE_DIGITS = 3


def _phone_query(text: str) -> str | None:
    """The digits to look for when the query is (part of) a phone number."""
    if not _PHONE_QUERY.match(text):
        return None
    digits = phone_digits(text)
    if text.startswith("+81"):
        digits = "0" + digits[2:].removeprefix("0")
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def search(
    user: User,
    query: str,
    *,
    district: str | None = None,
    limit: int = SEARCH_LIMIT,
    offset: int = 0,
):
    """By furigana (hiragana and katakana alike), name, phone digits or card short code.

    A search matches only on what the user may see of a learner: phone digits among the
    phones they see, card numbers and districts only for those who see them. Otherwise a
    hidden number could be found out digit by digit.

    Cards come loaded with the learners, so a list can show each card without a query per row.
    """
    text = clean(query)
    # Anonymized learners (app.maintenance.retention) are nobody anyone can look up.
    statement = sa.select(Learner).where(learner_visibility(user), Learner.anonymized_at.is_(None))
    if district and may_see(user, Field.DISTRICT):
        statement = statement.where(Learner.district == district)
    if text:
        digits = _phone_query(text)
        if digits:
            statement = statement.where(
                phone_visible(user), Learner.phone_key.contains(digits, autoescape=True)
            )
        else:
            matches = [
                Learner.furigana_key.contains(furigana_key(text), autoescape=True),
                Learner.name.contains(text, autoescape=True),
            ]
            code = normalize_code(text)
            if len(code) == SHORT_CODE_LENGTH and may_see(user, Field.CARD):
                matches.append(
                    Learner.id.in_(
                        sa.select(Card.learner_id).where(
                            Card.short_code == f"{code[:2]}-{code[2:]}", Card.revoked_at.is_(None)
                        )
                    )
                )
            statement = statement.where(sa.or_(*matches))
    statement = (
        statement.options(selectinload(Learner.cards))
        .order_by(Learner.furigana_key, Learner.id)
        .limit(limit)
        .offset(max(0, offset))
    )
    return list(db.session.scalars(statement))


def possible_duplicates(raw: Mapping[str, Any], exclude_id: int | None = None) -> list[Learner]:
    """Same furigana with the same phone or the same birth year."""
    key = furigana_key(clean(raw.get("furigana")))
    if not key:
        return []
    try:
        # Compared as stored: "+81 90-..." and "090-..." are the same number.
        phone = phone_digits(normalize_phone(raw.get("phone")))
    except ValueError:
        phone = ""
    try:
        year = parse_birth_year(str(raw.get("birth_year") or "")) if raw.get("birth_year") else None
    except ValueError:
        year = None
    same = []
    if phone:
        same.append(Learner.phone_key == phone)
    if year:
        same.append(Learner.birth_year == year)
    if not same:
        return []
    statement = sa.select(Learner).where(Learner.furigana_key == key, sa.or_(*same))
    if exclude_id:
        statement = statement.where(Learner.id != exclude_id)
    return list(db.session.scalars(statement.order_by(Learner.id)))


# ---------------------------------------------------------------- merging


@atomic
def merge(keep: Learner, other: Learner, actor: User) -> Learner:
    """Move other's registrations, attendance, skills and cards to `keep`, then remove other.

    Where both were registered for the same session, the one that tells more (attended, or
    registered over waitlisted over cancelled) is kept.
    """
    if keep.id == other.id:
        raise ValidationError(
            _("同じ受講者どうしは統合できません。"),
            fields={"other": _("別の受講者を選んでください。")},
        )
    rank: dict[str, int] = {RegistrationStatus.REGISTERED: 2, RegistrationStatus.WAITLISTED: 1}
    kept_regs = {
        r.session_id: r
        for r in db.session.scalars(
            sa.select(Registration).where(Registration.learner_id == keep.id)
        )
    }
    attended: set[int] = set().union(*answers(signals.attended_registrations, [keep.id, other.id]))
    moved = {"registrations": 0, "attendances": 0, "skills": 0, "cards": 0}
    for reg in db.session.scalars(
        sa.select(Registration).where(Registration.learner_id == other.id)
    ):
        mine = kept_regs.get(reg.session_id)
        if mine is None:
            reg.learner_id = keep.id
            moved["registrations"] += 1
            continue
        theirs_better = (reg.id in attended and mine.id not in attended) or (
            mine.id not in attended and rank.get(reg.status, 0) > rank.get(mine.status, 0)
        )
        loser, winner = (mine, reg) if theirs_better else (reg, mine)
        signals.registration_dropping.send(loser)
        db.session.delete(loser)
        db.session.flush()
        winner.learner_id = keep.id
    db.session.flush()
    moved.update(merged(signals.learner_merging, keep, other=other))
    keep_card = keep.active_card
    for card in list(other.cards):
        card.learner = keep
        if keep_card is not None and card.revoked_at is None:
            card.revoked_at = utcnow()
        moved["cards"] += 1
    for field in ("phone", "phone2", "birth_year", "district", "device"):
        if getattr(keep, field) is None and getattr(other, field) is not None:
            setattr(keep, field, getattr(other, field))
    if keep.phone and not keep.phone_key:
        keep.phone_key = phone_digits(keep.phone)
    _repoint_matches(keep, other, actor)
    record(
        "learner.merged",
        "learner",
        keep.id,
        actor,
        merged_id=other.id,
        merged_name=other.name,
        merged_furigana=other.furigana,
        moved=moved,
    )
    db.session.flush()
    db.session.delete(other)
    return keep


def _repoint_matches(keep: Learner, other: Learner, actor: User) -> None:
    """Pending matches follow the record that stays; one between the two merged records is
    settled by the merge itself."""
    for column in (PendingMatch.new_learner_id, PendingMatch.existing_learner_id):
        db.session.execute(
            sa.update(PendingMatch).where(column == other.id).values({column: keep.id})
        )
    db.session.execute(
        sa.update(PendingMatch)
        .where(
            PendingMatch.new_learner_id == keep.id,
            PendingMatch.existing_learner_id == keep.id,
            PendingMatch.resolved_at.is_(None),
        )
        .values(resolved_at=utcnow(), resolved_by_id=actor.id, outcome=MatchOutcome.MERGED)
    )


def learner_sessions(learner: Learner) -> list[Registration]:
    """Every registration of a learner with its session, newest session first."""
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.learner_id == learner.id)
            .options(joinedload(Registration.session).joinedload(Session.venue))
            .join(Session, Session.id == Registration.session_id)
            .order_by(Session.starts_at.desc())
        )
    )
