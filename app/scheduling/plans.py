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
from app.scheduling.fields import (
    FieldErrors,
    read_bool,
    read_int,
    read_int_list,
    read_text,
    read_time,
)
from app.scheduling.models import DeliveryType, Session, SessionStatus, Venue
from app.timeutil import utcnow

SESSION_FIELDS = frozenset(
    {
        "course",
        "venue_id",
        "starts_at",
        "ends_at",
        "capacity",
        "delivery_type",
        "partner_org",
        "instructor_ids",
        "assistant_ids",
        "public",
        "notes",
        "status",
    }
)
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
    return {
        "course": session.course_version.course.slug,
        "venue_id": session.venue_id,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "capacity": session.capacity,
        "delivery_type": session.delivery_type,
        "partner_org": session.partner_org.slug if session.partner_org else None,
        "instructor_ids": [u.id for u in session.instructors],
        "assistant_ids": [u.id for u in session.assistants],
        "public": session.public,
        "notes": session.notes,
        "status": session.status,
    }


def _staff(ids: list[int], name: str, errors: FieldErrors) -> list[User]:
    if not ids:
        return []
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
    for user_id in ids:
        user = users.get(user_id)
        if user is None or not user.active or user.role != Role.INSTRUCTOR:
            errors.add(
                name,
                _(
                    "ID %(id)s は講師・アシスタントとして登録された利用者ではありません。",
                    id=user_id,
                ),
            )
            return []
    return [users[i] for i in ids]


def read_plan(raw: Mapping[str, Any], base: Session | None = None) -> SessionPlan:
    """Check a whole request; raise ValidationError naming every bad field at once."""
    errors = FieldErrors()
    for name in sorted(set(raw) - SESSION_FIELDS):
        errors.add(name, _("この項目は使えません。"))
    values: dict[str, Any] = _current_values(base) if base else {}
    values.update({k: v for k, v in raw.items() if k in SESSION_FIELDS})

    course_version = None
    slug = read_text(values, "course", errors)
    if not slug:
        errors.add("course", _("講座(コース)を選んでください。"))
    elif base is not None and slug == base.course_version.course.slug:
        course_version = base.course_version  # a session keeps the version it was planned with
    else:
        course = db.session.scalar(sa.select(Course).where(Course.slug == slug))
        if course is None or course.current_version is None:
            errors.add("course", _("コース「%(slug)s」は登録されていません。", slug=slug))
        else:
            course_version = course.current_version

    venue = None
    venue_id = read_int(values, "venue_id", errors)
    if venue_id is None and "venue_id" not in errors.errors:
        errors.add("venue_id", _("会場を選んでください。"))
    elif venue_id is not None:
        venue = db.session.get(Venue, venue_id)
        if venue is None:
            errors.add("venue_id", _("会場(ID %(id)s)は登録されていません。", id=venue_id))

    starts_at = read_time(values, "starts_at", errors)
    ends_at = read_time(values, "ends_at", errors)
    if starts_at is None and "starts_at" not in errors.errors:
        errors.add("starts_at", _("開始日時を入力してください。"))
    if ends_at is None and "ends_at" not in errors.errors:
        errors.add("ends_at", _("終了日時を入力してください。"))
    if starts_at and ends_at:
        if ends_at <= starts_at:
            errors.add("ends_at", _("終了は開始より後の時刻にしてください。"))
        elif ends_at - starts_at > timedelta(hours=MAX_SESSION_HOURS):
            errors.add(
                "ends_at", _("1回の講座は%(h)d時間以内にしてください。", h=MAX_SESSION_HOURS)
            )

    capacity = read_int(values, "capacity", errors, minimum=1)
    if capacity is None and "capacity" not in errors.errors:
        if venue is not None:
            capacity = venue.capacity
        else:
            errors.add("capacity", _("定員を入力してください。"))
    if capacity is not None and venue is not None and capacity > venue.capacity:
        errors.add(
            "capacity",
            _("定員は会場の収容人数(%(n)d人)以下にしてください。", n=venue.capacity),
        )

    delivery_type = read_text(values, "delivery_type", errors) or DeliveryType.REGIONAL
    if delivery_type not in set(DeliveryType):
        errors.add(
            "delivery_type",
            _("実施形態は %(choices)s のいずれかです。", choices=", ".join(DeliveryType)),
        )

    partner = None
    partner_slug = read_text(values, "partner_org", errors)
    if partner_slug:
        partner = db.session.scalar(
            sa.select(Organization).where(Organization.slug == partner_slug)
        )
        if partner is None or partner.kind == OrgKind.MUNICIPALITY:
            errors.add(
                "partner_org", _("協力団体「%(slug)s」は登録されていません。", slug=partner_slug)
            )
            partner = None

    instructor_ids = read_int_list(values, "instructor_ids", errors) or []
    assistant_ids = read_int_list(values, "assistant_ids", errors) or []
    both = set(instructor_ids) & set(assistant_ids)
    if both:
        errors.add("assistant_ids", _("同じ人を講師とアシスタントの両方にはできません。"))
    instructors = _staff(instructor_ids, "instructor_ids", errors)
    assistants = _staff(assistant_ids, "assistant_ids", errors)

    public = read_bool(values, "public", errors)
    notes = read_text(values, "notes", errors, multiline=True) or ""

    status = read_text(values, "status", errors) or SessionStatus.SCHEDULED
    if status == SessionStatus.CANCELLED and (base is None or base.status != status):
        errors.add("status", _("中止は中止の操作(理由を添えて)で行ってください。"))
    elif status not in set(SessionStatus):
        errors.add("status", _("状態は scheduled か completed です。"))
    elif status == SessionStatus.COMPLETED and ends_at and ends_at > utcnow():
        errors.add("status", _("終了前の講座を実施済にはできません。"))

    if errors:
        raise ValidationError(_("入力内容を確認してください。"), fields=errors.errors)
    return SessionPlan(
        course_version=course_version,
        venue=venue,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        delivery_type=delivery_type,
        partner_org=partner,
        instructors=instructors,
        assistants=assistants,
        public=True if public is None else public,
        notes=notes,
        status=status,
    )
