"""The Sheets sync as a background job: the button queues it, a schedule queues every linked
organization's, and a partner's changed sessions or registrations queue one soon after.

A sync talks to Google, so it never runs inside a web request. One job per organization
waits at a time (its key): a hundred changes in a minute, two servers, two clicks — one
sync. Two never overlap: the organization's sync lock (sync.py) holds while one runs, and a
job finding it taken tries again later.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction

from app.checkin import signals as checkin_signals
from app.checkin.models import Attendance
from app.errors import Conflict, NotFound
from app.extensions import db
from app.jobs.models import Job, JobState
from app.jobs.queue import enqueue, hurry, pending_job, set_progress
from app.jobs.registry import JobFailed, Retry, every, handler
from app.orgs.models import Organization
from app.people.models import Registration
from app.scheduling.models import Session
from app.sheets.models import SheetLink
from app.sheets.sync import linked_orgs, sync_org, syncing
from app.timeutil import utcnow

KIND = "sheets_sync"


def _key(org_id: int) -> str:
    return f"{KIND}:{org_id}"


def queue_sync(org: Organization, *, trigger: str, actor_id: int | None = None) -> Job:
    """Queue the organization's sync (or find the one already waiting or running)."""
    if db.session.scalar(sa.select(SheetLink.id).where(SheetLink.org_id == org.id)) is None:
        raise NotFound(
            _("%(org)s にはスプレッドシートがつながっていません。", org=org.name), code="not_linked"
        )
    queued = enqueue(
        KIND,
        {"org_id": org.id},
        key=_key(org.id),
        trigger=trigger,
        actor_id=actor_id,
        org_id=org.id,
    )
    job = pending_job(_key(org.id))
    assert job is not None  # just queued, or the one that stood in its way
    if queued is None:  # already waiting, perhaps a minute for a change: now, for this person
        hurry(job, trigger=trigger, actor_id=actor_id)
    db.session.commit()
    return job


def _org_job(org: Organization, job_id: int) -> Job | None:
    return db.session.scalar(
        sa.select(Job).where(Job.id == job_id, Job.org_id == org.id, Job.kind == KIND)
    )


def sync_job(org: Organization, job_id: int) -> Job:
    """One of the organization's sync jobs, for the page that follows it (404 otherwise)."""
    job = _org_job(org, job_id)
    if job is None:
        raise NotFound(_("同期の処理(ID %(id)s)は見つかりません。", id=job_id))
    return job


@handler(KIND)
def run_sync(job: Job) -> dict[str, Any]:
    org = db.session.get(Organization, job.args.get("org_id"))
    if org is None:
        raise JobFailed(_("団体(ID %(id)s)はありません。", id=job.args.get("org_id")))
    try:
        report = sync_org(
            org,
            actor=job.queued_by,
            trigger=job.trigger,
            owner=f"job:{job.id}",
            on_step=lambda text: set_progress(job, text),
        )
    except Conflict as exc:  # another sync of this organization is running: after it
        raise Retry(exc.message) from exc
    except NotFound as exc:  # the sheet was unlinked after the job was queued
        raise JobFailed(exc.message) from exc
    if report.outcome == "failed":
        raise (Retry if report.retry else JobFailed)(report.error or "")
    return report.as_json()


@every("sheets_sync_all", "SHEETS_SYNC_EVERY_MINUTES")
def queue_every_linked_org() -> None:
    """The periodic sync. Each worker's scheduler fires it; the slot (this period's start)
    makes one job per organization per period however many fire."""
    minutes = int(current_app.config["SHEETS_SYNC_EVERY_MINUTES"])
    now = utcnow().replace(second=0, microsecond=0)
    period = now - timedelta(minutes=now.minute % minutes)
    for org in linked_orgs():
        enqueue(
            KIND,
            {"org_id": org.id},
            key=_key(org.id),
            slot=f"{KIND}:{org.id}:{period.isoformat()}",
            trigger="schedule",
            org_id=org.id,
        )


# ---------------------------------------------------------------- a change, then a sync


def _changed(session: OrmSession) -> tuple[set[int], set[int]]:
    """The sessions this flush touched (themselves, their registrations, their attendance),
    and the organizations a session was moved away from. Read in after_flush, where the
    session's lists and histories still show what was flushed, and new rows have ids."""
    session_ids: set[int] = set()
    former_orgs: set[int] = set()
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, Session):
            session_ids.add(row.id)
            former_orgs.update(
                org_id for org_id in sa.inspect(row).attrs.partner_org_id.history.deleted if org_id
            )
        elif isinstance(row, Registration | Attendance) and row.session_id is not None:
            session_ids.add(row.session_id)
    return session_ids, former_orgs


@sa.event.listens_for(OrmSession, "after_flush")
def _queue_after_change(session: OrmSession, _flush: UOWTransaction) -> None:
    """Queue a sync, debounced (SHEETS_SYNC_AFTER_CHANGE seconds), for each linked partner
    whose sessions, registrations or attendance this flush changed; in the same transaction
    as the change, so a change rolled back queues nothing. The sync's own imports are not
    a change to sync again."""
    if syncing.get():
        return
    session_ids, former_orgs = _changed(session)
    _queue_for(session, session_ids, former_orgs)


@checkin_signals.attendances_recorded.connect
def _queue_after_check_ins(
    _sender: object, *, partner_org_ids: list[int], **_kwargs: object
) -> None:
    """The door's quick path writes check-ins with Core, which no flush hook sees: the same
    sync, queued in the same transaction, for the partners of the sessions."""
    if not syncing.get():
        _queue_for_orgs(db.session(), set(partner_org_ids))


def _queue_for(session: OrmSession, session_ids: set[int], former_orgs: set[int]) -> None:
    if not session_ids and not former_orgs:
        return
    orgs = set(
        session.connection()
        .execute(sa.select(Session.partner_org_id).where(Session.id.in_(session_ids)).distinct())
        .scalars()
    )
    _queue_for_orgs(session, {org for org in orgs | former_orgs if org is not None})


def _queue_for_orgs(session: OrmSession, orgs: set[int]) -> None:
    if not orgs:
        return
    linked = (
        session.connection()
        .execute(sa.select(SheetLink.org_id).where(SheetLink.org_id.in_(orgs)))
        .scalars()
    )
    delay = float(current_app.config["SHEETS_SYNC_AFTER_CHANGE"])
    for org_id in linked:
        enqueue(
            KIND,
            {"org_id": org_id},
            key=_key(org_id),
            delay=delay,
            trigger="change",
            org_id=org_id,
            session=session,
        )


def job_message(job: Job) -> dict[str, str]:
    """What the sync's job says to the partner, and how it looks (success, warning, error)."""
    if job.state == JobState.QUEUED:
        if job.attempts:
            text = _(
                "同期を再試行します(%(n)d回目が失敗しました: %(error)s)",
                n=job.attempts,
                error=job.error or "",
            )
            return {"text": text, "level": "warning"}
        return {"text": _("同期を受け付けました。まもなく始まります。"), "level": "info"}
    if job.state == JobState.RUNNING:
        return {"text": job.progress or _("同期しています…"), "level": "info"}
    if job.state == JobState.FAILED:
        return {
            "text": _("同期できませんでした。%(error)s", error=job.error or ""),
            "level": "error",
        }
    result = job.result or {}
    text = _(
        "同期しました。書き出した行 %(pushed)d、取り込んだ申込 %(imported)d、取り込めなかった申込 %(refused)d。",
        pushed=result.get("rows_pushed", 0),
        imported=result.get("rows_imported", 0),
        refused=result.get("rows_refused", 0),
    )
    return {"text": text, "level": "warning" if result.get("rows_refused") else "success"}


def followed_job(org: Organization, job_id: int | None) -> Job | None:
    """The sync job the organization page follows: the one just queued (`job_id`, once it
    finished too, to show what it did), else the one waiting or running now."""
    job = _org_job(org, job_id) if job_id is not None else None
    return job or pending_job(_key(org.id))
