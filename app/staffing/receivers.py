"""A change to a class, heard wherever it is made (its page, the API, a series edit, a sheet
synced in): the people it concerns get an e-mail, and a cancelled class's waiting requests are
withdrawn.

What each flush did is noted in after_flush, where the session's histories still show it, and
told in before_commit, where the ORM may be used again: so a change rolled back tells no one,
and many flushes of one operation (a series) tell each person once per class."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction

from app.scheduling.models import Session, SessionStatus
from app.staffing import notices, services

_KEY = "staffing_changes"


def _staff(members) -> dict[int, str]:
    return {m.user_id: m.role for m in members}


def _note(row: Session, new: bool, changes: dict[int, notices.Change]) -> None:
    attrs = sa.inspect(row).attrs
    history = attrs.staff.history
    moved = not new and any(
        attrs[name].history.deleted and attrs[name].history.added
        for name in ("starts_at", "ends_at", "venue_id")
    )
    cancelled = SessionStatus.CANCELLED in (attrs.status.history.added or ())
    org_history = attrs.partner_org_id.history
    if not (new or history.has_changes() or moved or cancelled or org_history.has_changes()):
        return  # nothing anyone is told of (its notes, its registrations' counts)
    now_staff = _staff(row.staff)
    found = changes.get(row.id)
    if found is None:
        changes[row.id] = notices.Change(
            staff_before={}
            if new
            else (
                _staff([*history.unchanged, *history.deleted])
                if history.has_changes()
                else now_staff
            ),
            staff_after=now_staff,
            new=new,
            moved=moved,
            cancelled=cancelled,
            org_before=None
            if new
            else (org_history.deleted[0] if org_history.deleted else row.partner_org_id),
            org_after=row.partner_org_id,
        )
    else:  # a later flush of the same operation: the first "before" stands
        found.staff_after = now_staff
        found.moved = found.moved or moved
        found.cancelled = found.cancelled or cancelled
        found.org_after = row.partner_org_id


@sa.event.listens_for(OrmSession, "after_flush")
def _note_changes(session: OrmSession, _flush: UOWTransaction) -> None:
    changes = session.info.get(_KEY, {})
    for row in session.new:
        if isinstance(row, Session):
            _note(row, True, changes)
    for row in session.dirty:
        if isinstance(row, Session):
            _note(row, False, changes)
    if changes:
        session.info[_KEY] = changes


@sa.event.listens_for(OrmSession, "before_commit")
def _tell(session: OrmSession) -> None:
    session.flush()  # what is still pending is noted too
    changes = session.info.pop(_KEY, None)
    if not changes:
        return
    cancelled = [sid for sid, c in changes.items() if c.cancelled]
    if cancelled:
        services.close_for_cancelled(cancelled)
    notices.sessions_changed(changes)
    session.flush()


@sa.event.listens_for(OrmSession, "after_rollback")
def _forget(session: OrmSession) -> None:
    session.info.pop(_KEY, None)
