"""Signing up for a public session without an account, and the confirmation page's link.

A sign-up is one transaction under the session's lock: record the learner (with a card),
then register (or waitlist). Whoever fills in the form is nobody we know, so someone already
on record with the same furigana and phone is never used: the sign-up makes a new record and
a pending match that a coordinator confirms or rejects (app.people.matches). The answer is
thus the same whether or not the person was on record: a new card, and nothing of anyone
else. A double click's second request waits for the first, finds the learner that very form
made (its random key is logged with the new learner) and lands on the same confirmation,
instead of making a second learner.

When a family member signs up for the learner, their contact is kept in that same
transaction (app.people.confirmations), so the family reminder reaches them; a sign-up whose
contact is wrong records nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import joinedload

from app.core.models import AuditEntry, record
from app.curricula.models import Course, CourseVersion
from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.people import cards, confirmations, learners, matches, registration
from app.people.models import Card, Learner, MatchSource, Registration, RegistrationSource
from app.scheduling.models import Session, Venue
from app.scheduling.next_course import open_to_public
from app.timeutil import local, local_day_bounds
from app.transaction import atomic

DEFAULT_HELP_PHONE = "0120-000-000"
UPCOMING_SHOWN = 100
SIGNED_UP = "learner.signed_up"
_TOKEN_SALT = "public-registration"
FORM_KEY_MIN = 16


def help_phone() -> str:
    return current_app.config.get("HELP_PHONE", DEFAULT_HELP_PHONE)


# ---------------------------------------------------------------- which sessions


# Which sessions a resident may sign up for is scheduling's rule, open_to_public (the
# certificate's next classes follow it too).


def _with_details(query: sa.Select) -> sa.Select:
    return query.options(
        joinedload(Session.course_version).joinedload(CourseVersion.course),
        joinedload(Session.venue),
    )


@dataclass(frozen=True)
class PublicFilters:
    """What a resident narrowed the list to: an area (the venue's 地区), a course, a day."""

    area: str | None = None
    course: str | None = None  # the course's slug
    day: date | None = None  # Japan's calendar day


def _narrowed(query: sa.Select, filters: PublicFilters) -> sa.Select:
    if filters.area:
        query = query.where(Session.venue.has(Venue.district == filters.area))
    if filters.course:
        query = query.where(
            Session.course_version.has(CourseVersion.course.has(Course.slug == filters.course))
        )
    if filters.day:
        start, end = local_day_bounds(filters.day)
        query = query.where(Session.starts_at >= start, Session.starts_at < end)
    return query


def upcoming_sessions(
    filters: PublicFilters = PublicFilters(), limit: int = UPCOMING_SHOWN
) -> list[Session]:
    return list(
        db.session.scalars(
            _narrowed(_with_details(sa.select(Session)).where(open_to_public()), filters)
            .order_by(Session.starts_at, Session.id)
            .limit(limit)
        )
    )


@dataclass
class PublicChoices:
    areas: list[str]
    courses: list[tuple[str, CourseVersion]]  # (slug, the version whose title is shown)
    days: list[date]


def public_choices() -> PublicChoices:
    """What the list's filters offer: only areas, courses and days that have a class open to
    sign up for, so no choice leads to an empty list. One query."""
    rows = db.session.execute(
        sa.select(Venue.district, Course.slug, CourseVersion, Session.starts_at)
        .join(Venue, Session.venue_id == Venue.id)
        .join(CourseVersion, Session.course_version_id == CourseVersion.id)
        .join(Course, CourseVersion.course_id == Course.id)
        .where(open_to_public())
        .order_by(Session.starts_at)
    ).all()
    courses: dict[str, CourseVersion] = {}
    for _district, slug, version, _start in rows:
        courses.setdefault(slug, version)
    return PublicChoices(
        areas=sorted({district for district, *_rest in rows if district}),
        courses=sorted(courses.items(), key=lambda item: item[1].title),
        days=sorted({local(start).date() for *_rest, start in rows}),
    )


def open_session(session_id: int) -> Session:
    """A session residents may sign up for; any other (private, cancelled, past) is 404."""
    session = db.session.scalar(
        _with_details(sa.select(Session)).where(Session.id == session_id, open_to_public())
    )
    if session is None:
        raise NotFound(_("講座(ID %(id)s)は見つかりません。", id=session_id))
    return session


# ---------------------------------------------------------------- signing up


@dataclass
class SignUp:
    registration: Registration
    card: Card | None  # only for a learner this very form recorded


def _digest(form_key: str) -> str:
    return hashlib.sha256(form_key.encode()).hexdigest()


def _card_made_by(learner: Learner, form_digest: str) -> Card | None:
    entries = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == SIGNED_UP,
            AuditEntry.subject_type == "learner",
            AuditEntry.subject_id == learner.id,
        )
    )
    for entry in entries:
        if entry.details.get("form") == form_digest:
            card = db.session.get(Card, entry.details.get("card_id"))
            return card if card is not None and card.revoked_at is None else None
    return None


FAMILY = "family_"  # the form's prefix of the family member's fields


def read_sign_up(raw: dict[str, Any], family: dict[str, Any] | None) -> None:
    """Every problem of a sign-up at once: the learner's fields, and the family member's
    (named with FAMILY before the contact's field names) when a family member signs up."""
    problems: dict[str, str] = {}
    message = _("入力内容を確認してください。")
    try:
        learners.read_learner(raw)
    except ValidationError as exc:
        problems.update(exc.fields)
        message = exc.message
    if family is not None:
        wanted, wrong = confirmations.family_problems(family)
        if not wanted.name and "name" not in wrong:
            wrong["name"] = _("ご家族のお名前を入力してください。")
        # A family member who signs up is asked for a way to reach them: that is the point.
        if not (wanted.phone or wanted.email or {"phone", "email"} & wrong.keys()):
            wrong["phone"] = _("ご家族の電話番号かメールアドレスを入力してください。")
        problems.update({FAMILY + name: text for name, text in wrong.items()})
    if problems:
        raise ValidationError(message, fields=problems)


def sign_up(
    session: Session, raw: dict[str, Any], form_key: str, family: dict[str, Any] | None = None
) -> SignUp:
    """Register the person who filled in the public form, with the family member's contact
    when `family` is given; ValidationError names bad fields."""
    read_sign_up(raw, family)
    if len(form_key) < FORM_KEY_MIN:
        # A post without the page's key (not from our form) gets one nobody else can send.
        form_key = secrets.token_urlsafe(24)
    form_digest = _digest(form_key)
    try:
        return _record_sign_up(session, raw, form_digest, family)
    except Conflict as exc:
        if exc.code != "already_registered":
            raise
        # Registered before (a double click, or a second try): the same confirmation again.
        existing = db.session.get_one(Registration, exc.extra["registration_id"])
        return SignUp(existing, _card_made_by(existing.learner, form_digest))


@atomic
def _record_sign_up(
    session: Session, raw: dict[str, Any], form_digest: str, family: dict[str, Any] | None
) -> SignUp:
    """Record the learner (with a card, and the family contact) unless this very form did,
    then register: one transaction."""
    registration.lock_session(session.id)
    known = matches.known(raw, sa.false())
    made_here = next(
        (
            (learner, card)
            for learner in known.unseen
            if (card := _card_made_by(learner, form_digest)) is not None
        ),
        None,
    )
    if made_here is not None:  # a double click: the learner this form recorded
        learner, card = made_here
    else:
        learner = matches.record_new(raw, None, source=MatchSource.PUBLIC, unseen=known.unseen)
        card = cards.ensure_card(learner)  # every new learner has one already
        if family is not None:
            confirmations.save_family_contact(learner, family, None)
        record(
            SIGNED_UP,
            "learner",
            learner.id,
            session_id=session.id,
            form=form_digest,
            card_id=card.id,
        )
    signed = registration.register(session, learner, source=RegistrationSource.PUBLIC)
    return SignUp(signed, card)


# ---------------------------------------------------------------- the confirmation link


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_TOKEN_SALT)


def confirmation_token(signed: SignUp) -> str:
    """Unguessable, and the same for the same sign-up, so a double click lands on one page."""
    return _serializer().dumps(
        {"r": signed.registration.id, "c": signed.card.id if signed.card else None}
    )


def read_confirmation(token: str) -> SignUp:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        data = None
    if not isinstance(data, dict):
        raise NotFound(_("この申し込みは見つかりません。"))
    signed = db.session.scalar(
        sa.select(Registration)
        .options(
            joinedload(Registration.session)
            .joinedload(Session.course_version)
            .joinedload(CourseVersion.course),
            joinedload(Registration.session).joinedload(Session.venue),
            joinedload(Registration.learner),
        )
        .where(Registration.id == data.get("r"))
    )
    if signed is None:
        raise NotFound(_("この申し込みは見つかりません。"))
    card = db.session.get(Card, data["c"]) if data.get("c") else None
    if card is not None and (card.revoked_at is not None or card.learner_id != signed.learner_id):
        card = None
    return SignUp(signed, card)
