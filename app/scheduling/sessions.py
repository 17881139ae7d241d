"""Creating, changing and cancelling one session.

Every operation validates everything first, checks double bookings, then writes in one
transaction; a refusal raises ValidationError (422) or Conflict (409) and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from app.errors import Conflict, ValidationError
from app.extensions import db
from app.scheduling.conflicts import check_conflicts
from app.scheduling.models import Session, SessionStaff, SessionStatus, StaffRole
from app.scheduling.plans import SessionPlan, read_plan
from app.timeutil import utcnow
from app.transaction import atomic


def apply_plan(session: Session, plan: SessionPlan) -> None:
    """Write a checked plan onto a session, new or saved: series write theirs through it too."""
    if session.id is not None and (
        session.starts_at != plan.starts_at
        or session.ends_at != plan.ends_at
        or session.venue_id != plan.venue.id
        or session.status != plan.status
    ):
        session.ical_sequence = (session.ical_sequence or 0) + 1
    wanted = {u.id: StaffRole.INSTRUCTOR for u in plan.instructors}
    wanted.update({u.id: StaffRole.ASSISTANT for u in plan.assistants})
    if session.id is not None and wanted != {s.user_id: s.role for s in session.staff}:
        session.updated_at = utcnow()  # staff live in another table; the session still changed
    session.course_version = plan.course_version
    session.venue = plan.venue
    session.starts_at = plan.starts_at
    session.ends_at = plan.ends_at
    session.capacity = plan.capacity
    session.delivery_type = plan.delivery_type
    session.partner_org = plan.partner_org
    session.public = plan.public
    session.notes = plan.notes
    session.status = plan.status
    users = {u.id: u for u in plan.instructors + plan.assistants}
    session.staff = [
        SessionStaff(user=users[user_id], role=role) for user_id, role in sorted(wanted.items())
    ]


@atomic
def create_session(raw: Mapping[str, Any]) -> Session:
    plan = read_plan(raw)
    if plan.status != SessionStatus.SCHEDULED:
        raise ValidationError(
            _("入力内容を確認してください。"),
            fields={"status": _("新しい講座は予定(scheduled)で作成します。")},
        )
    check_conflicts([plan], exclude=set())
    session = Session()
    apply_plan(session, plan)
    db.session.add(session)
    db.session.flush()
    return session


def refuse_if_cancelled(session: Session) -> None:
    if session.is_cancelled:
        raise Conflict(
            "session_cancelled", _("中止した講座は変更できません。"), session_id=session.id
        )


@atomic
def update_session(session: Session, raw: Mapping[str, Any]) -> Session:
    return update_one(session, raw)


@atomic
def cancel_session(session: Session, reason: Any) -> Session:
    if reason is not None and not isinstance(reason, str):
        raise ValidationError(
            _("中止の理由を確認してください。"),
            fields={"reason": _("中止の理由は文字で入力してください。")},
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("中止の理由を入力してください。"),
            fields={"reason": _("中止の理由を入力してください。")},
        )
    if session.status != SessionStatus.SCHEDULED:
        raise Conflict("not_scheduled", _("予定の講座だけを中止できます。"), session_id=session.id)
    session.status = SessionStatus.CANCELLED
    session.cancel_reason = reason
    session.ical_sequence = (session.ical_sequence or 0) + 1
    return session


def update_one(session: Session, raw: Mapping[str, Any]) -> Session:
    """One session's edit, inside the caller's transaction (a series edit of a lone session)."""
    refuse_if_cancelled(session)
    plan = read_plan(raw, base=session)
    check_conflicts([plan], exclude={session.id})
    apply_plan(session, plan)
    return session
