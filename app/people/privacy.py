"""Who may see which learners, which of their fields, and whose rosters: the one place that
says it. Pages, files, print-outs and the API all ask here, and the README's table of roles ×
fields is SEEN written out.

The city is answerable for the learners' data. Its own staff (admins, coordinators, and
instructors with no organization or the city's own) see a learner's whole record, for the
learners they work with. Staff of a partner organization (its partner users, and instructors
who belong to it) are outside the city: they get what running their classes needs, and a
phone number only when the learner agreed to share it with the partner.

Which learners: planners see everyone; an instructor, the people registered or waitlisted
in the sessions they teach; a partner user, the people registered or waitlisted in its
organization's sessions (past or future). A cancelled registration shows nobody.
"""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import Role, User
from app.core.models import AuditEntry, record
from app.errors import Forbidden
from app.people.models import Learner, Registration, RegistrationStatus
from app.scheduling.models import Session, SessionStaff
from app.transaction import atomic


class Viewer(StrEnum):
    PLANNER = "planner"  # admin, coordinator
    CITY_INSTRUCTOR = "city_instructor"  # instructor or assistant with no org, or the city's
    PARTNER_INSTRUCTOR = "partner_instructor"  # instructor or assistant of a partner org
    PARTNER = "partner"  # a partner organization's user


class Field(StrEnum):
    """A learner's fields as people see them (a card is its number and its QR together)."""

    NAME = "name"
    FURIGANA = "furigana"
    PHONE = "phone"
    PHONE2 = "phone2"
    NEEDS = "needs"  # needs_vision, needs_hearing, needs_mobility
    DEVICE = "device"
    LANGUAGE = "language"
    CARD = "card"  # the card number (short code) and the QR's token
    BIRTH_YEAR = "birth_year"
    DISTRICT = "district"
    KIND = "kind"
    CONSENT = "consent"  # the day consent was given and who recorded it
    SHARE_WITH_PARTNER = "share_with_partner"
    NOTES = "notes"
    CREATED_AT = "created_at"


EVERYTHING = frozenset(Field)
# What a partner's work needs: whom to expect, how to reach them (with consent), what to
# prepare for. Neither birth year, district, notes, consent records nor cards.
PARTNER_FIELDS = frozenset({Field.NAME, Field.FURIGANA, Field.PHONE, Field.PHONE2, Field.NEEDS})
# Teaching and running the door add the phone the person uses, their language, and the card
# the door reads (the check-in page matches cards on the device).
PARTNER_INSTRUCTOR_FIELDS = PARTNER_FIELDS | {Field.DEVICE, Field.LANGUAGE, Field.CARD}

SEEN: dict[Viewer, frozenset[Field]] = {
    Viewer.PLANNER: EVERYTHING,
    Viewer.CITY_INSTRUCTOR: EVERYTHING,
    Viewer.PARTNER_INSTRUCTOR: PARTNER_INSTRUCTOR_FIELDS,
    Viewer.PARTNER: PARTNER_FIELDS,
}
OUTSIDE_THE_CITY = frozenset({Viewer.PARTNER_INSTRUCTOR, Viewer.PARTNER})
# Shown outside the city only with the learner's consent to share them with the partner.
NEEDS_CONSENT = frozenset({Field.PHONE, Field.PHONE2})


# Who may read a session's roster (require_roster_rights), as the API's document says it.
ROSTER_READERS = (
    "For the session's instructors and assistants, its partner organization and planners (403 "
    "for other staff who see the session); every read is written to the audit log."
)


def viewer(user: User) -> Viewer:
    if user.role in (Role.ADMIN, Role.COORDINATOR):
        return Viewer.PLANNER
    if user.role == Role.PARTNER:
        return Viewer.PARTNER
    if user.org is not None and user.org.is_partner:
        return Viewer.PARTNER_INSTRUCTOR
    return Viewer.CITY_INSTRUCTOR


def fields_seen_by(who: Viewer, learner: Learner | None = None) -> frozenset[Field]:
    """The fields `who` sees of `learner`; without a learner, those it may see of anyone."""
    seen = SEEN[who]
    if who in OUTSIDE_THE_CITY and learner is not None and not learner.share_with_partner:
        seen = seen - NEEDS_CONSENT
    return seen


def fields_seen(user: User, learner: Learner | None = None) -> frozenset[Field]:
    return fields_seen_by(viewer(user), learner)


def may_see(user: User, field: Field, learner: Learner | None = None) -> bool:
    return field in fields_seen(user, learner)


def may_see_phone(user: User, learner: Learner) -> bool:
    return may_see(user, Field.PHONE, learner)


def phone_visible(user: User) -> sa.ColumnElement[bool]:
    """The learners whose phone `user` sees, as SQL: a search by phone looks only there, so
    that a hidden number cannot be found out digit by digit."""
    if viewer(user) in OUTSIDE_THE_CITY:
        return Learner.share_with_partner.is_(True)
    return sa.true()


# ---------------------------------------------------------------- which learners, whose rosters


def roster_sessions(user: User) -> sa.Select:
    """The ids of the sessions whose people `user` may read (roster, attendance,
    registrations): planners any; a partner user its organization's; an instructor or
    assistant only those they teach (seeing that a colleague's session exists is not
    reading its people)."""
    if user.role in (Role.ADMIN, Role.COORDINATOR):
        return sa.select(Session.id)
    if user.role == Role.PARTNER:
        return sa.select(Session.id).where(Session.partner_org_id == user.org_id)
    return sa.select(SessionStaff.session_id).where(SessionStaff.user_id == user.id)


def is_session_staff(user: User, session: Session) -> bool:
    return any(s.user_id == user.id for s in session.staff)


def may_read_roster(user: User, session: Session) -> bool:
    if user.role in (Role.ADMIN, Role.COORDINATOR):
        return True
    if user.role == Role.PARTNER:
        return user.org_id is not None and session.partner_org_id == user.org_id
    return is_session_staff(user, session)


def require_roster_rights(user: User, session: Session) -> None:
    if not may_read_roster(user, session):
        raise Forbidden(
            _("この講座の名簿は、担当の講師・アシスタントとコーディネーターが見られます。")
        )


def _on_lists_of(sessions: sa.Select) -> sa.ColumnElement[bool]:
    return Learner.id.in_(
        sa.select(Registration.learner_id).where(
            Registration.session_id.in_(sessions),
            Registration.status != RegistrationStatus.CANCELLED,
        )
    )


def learner_visibility(user: User) -> sa.ColumnElement[bool]:
    """The learners `user` may see at all, as SQL."""
    if user.role in (Role.ADMIN, Role.COORDINATOR):
        return sa.true()
    return _on_lists_of(roster_sessions(user))


def org_visibility(org_id: int) -> sa.ColumnElement[bool]:
    """The learners a partner organization sees (its users, its sheet, its files)."""
    return _on_lists_of(sa.select(Session.id).where(Session.partner_org_id == org_id))


# ---------------------------------------------------------------- downloads are logged

DOWNLOADED = "personal_data.downloaded"


@atomic
def record_download(
    user: User | None,
    what: str,
    *,
    fmt: str,
    rows: int,
    subject_type: str = "report",
    subject_id: int = 0,
    **filters: object,
) -> AuditEntry:
    """Write down (and commit) that `user` took personal data away, even none of it: who
    (the entry's actor), when (its time), what, with which filter, in which format, how many
    rows."""
    return record(
        DOWNLOADED,
        subject_type,
        subject_id,
        user,
        what=what,
        format=fmt,
        rows=rows,
        filter={k: v for k, v in filters.items() if v not in (None, "")},
    )
