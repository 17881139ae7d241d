"""Reading a plan: a session's wanted state from a form or a request, every field checked.

The checks that need no other session live here; double bookings are conflicts.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.auth.models import Role, User
from app.curricula.models import Course, CourseVersion
from app.errors import ValidationError
from app.extensions import db
from app.orgs.models import Organization, OrgKind
from app.scheduling.models import DeliveryType, Session, SessionStatus, Venue
from app.scheduling.schemas import SessionIn, SessionOut
from app.timeutil import utcnow

# The fields a session's request may carry: SessionIn's, the one list of them.
SESSION_FIELDS = frozenset(SessionIn.model_fields)
MAX_SESSION_HOURS = 12


@dataclass
class SessionPlan:
    """A session's wanted state, every field checked."""

    course_version: CourseVersion
    venue: Venue
    starts_at: datetime
    ends_at: datetime
    capacity: int
    delivery_type: str
    partner_org: Organization | None
    instructors: list[User]
    assistants: list[User]
    public: bool
    notes: str
    status: str = SessionStatus.SCHEDULED
    extra: dict[str, Any] = field(default_factory=dict)


def _current_values(session: Session) -> dict[str, Any]:
    """What an edit starts from: the session's fields as the API writes them."""
    now = SessionOut.model_validate(session)
    return {name: getattr(now, name) for name in SESSION_FIELDS}


def _staff(ids: list[int], name: str, errors: dict[str, str]) -> list[User]:
    if not ids:
        return []
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
    for user_id in ids:
        user = users.get(user_id)
        if user is None or not user.active or user.role != Role.INSTRUCTOR:
            errors.setdefault(
                name,
                _(
                    "ID %(id)s は講師・アシスタントとして登録された利用者ではありません。",
                    id=user_id,
                ),
            )
            return []
    return [users[i] for i in ids]


def read_plan(raw: Mapping[str, Any], base: Session | None = None) -> SessionPlan:
    """Check a whole request; raise ValidationError naming every bad field at once.

    SessionIn reads each field; what needs the database or several fields is checked here,
    for the fields that read right.
    """
    given, errors = SessionIn.read_partly(raw)
    values: dict[str, Any] = _current_values(base) if base else {}
    values.update({name: getattr(given, name) for name in given.model_fields_set})

    def wrong(name: str, message: str) -> None:
        errors.setdefault(name, message)

    course_version = None
    slug = values.get("course")
    if not slug:
        wrong("course", _("講座(コース)を選んでください。"))
    elif base is not None and slug == base.course_version.course.slug:
        course_version = base.course_version  # a session keeps the version it was planned with
    else:
        course = db.session.scalar(sa.select(Course).where(Course.slug == slug))
        if course is None or course.current_version is None:
            wrong("course", _("コース「%(slug)s」は登録されていません。", slug=slug))
        else:
            course_version = course.current_version

    venue = None
    venue_id = values.get("venue_id")
    if venue_id is None:
        wrong("venue_id", _("会場を選んでください。"))
    else:
        venue = db.session.get(Venue, venue_id)
        if venue is None:
            wrong("venue_id", _("会場(ID %(id)s)は登録されていません。", id=venue_id))

    starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
    if starts_at is None:
        wrong("starts_at", _("開始日時を入力してください。"))
    if ends_at is None:
        wrong("ends_at", _("終了日時を入力してください。"))
    if starts_at and ends_at:
        if ends_at <= starts_at:
            wrong("ends_at", _("終了は開始より後の時刻にしてください。"))
        elif ends_at - starts_at > timedelta(hours=MAX_SESSION_HOURS):
            wrong("ends_at", _("1回の講座は%(h)d時間以内にしてください。", h=MAX_SESSION_HOURS))

    capacity = values.get("capacity")
    if capacity is None and "capacity" not in errors:
        if venue is not None:
            capacity = venue.capacity
        else:
            wrong("capacity", _("定員を入力してください。"))
    if capacity is not None and venue is not None and capacity > venue.capacity:
        wrong(
            "capacity",
            _("定員は会場の収容人数(%(n)d人)以下にしてください。", n=venue.capacity),
        )

    partner = None
    partner_slug = values.get("partner_org")
    if partner_slug:
        partner = db.session.scalar(
            sa.select(Organization).where(Organization.slug == partner_slug)
        )
        if partner is None or partner.kind == OrgKind.MUNICIPALITY:
            wrong("partner_org", _("協力団体「%(slug)s」は登録されていません。", slug=partner_slug))
            partner = None

    instructor_ids = values.get("instructor_ids") or []
    assistant_ids = values.get("assistant_ids") or []
    if set(instructor_ids) & set(assistant_ids):
        wrong("assistant_ids", _("同じ人を講師とアシスタントの両方にはできません。"))
    instructors = _staff(instructor_ids, "instructor_ids", errors)
    assistants = _staff(assistant_ids, "assistant_ids", errors)

    status = values.get("status") or SessionStatus.SCHEDULED
    if status == SessionStatus.CANCELLED and (base is None or base.status != status):
        wrong("status", _("中止は中止の操作(理由を添えて)で行ってください。"))
    elif status == SessionStatus.COMPLETED and ends_at and ends_at > utcnow():
        wrong("status", _("終了前の講座を実施済にはできません。"))

    if errors:
        raise ValidationError(_("入力内容を確認してください。"), fields=errors)
    # Each is set, or its field has an error.
    assert course_version is not None
    assert venue is not None
    assert capacity is not None
    assert starts_at is not None
    assert ends_at is not None
    public = values.get("public")
    return SessionPlan(
        course_version=course_version,
        venue=venue,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        delivery_type=values.get("delivery_type") or DeliveryType.REGIONAL,
        partner_org=partner,
        instructors=instructors,
        assistants=assistants,
        public=True if public is None else public,
        notes=values.get("notes") or "",
        status=status,
    )
