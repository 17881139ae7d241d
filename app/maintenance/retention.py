"""Retention of personal data: what Dekiru forgets, and when.

One run (`flask --app app retention`, nightly or monthly from a timer) does, in one
transaction:

- **Learners** with no registration, attendance or sign-up for RETENTION_YEARS (default 5)
  are anonymized. Activity is any of: the record made; a registration made, queued,
  cancelled, or for a session that starts on or after the cut-off (waitlist and public or
  partner sign-ups are registrations); an attendance (check-in or its arrival); a pending
  match (a sign-up waiting for a coordinator) made or resolved; a refusal at the door.
  Removed: name, furigana, phones, notes, accessibility needs (health information no
  report counts), the device's walk-in id, consent to share with a partner, the names typed
  on their door refusals; their cards and calendar feeds stop working. Kept, as figures for
  the reports: birth year (age bands), district, kind of learner, device and language, the
  consent date (that consent had been given), and every registration, attendance and skill
  reached, so that past reports still count the same people. The learner reads 「削除済み」
  and no search finds them.
- **Audit entries** older than AUDIT_RETENTION_YEARS (default 5) are deleted.
- **Sync logs** (app.sheets SyncRun: sheet and file syncs) started more than
  SYNC_LOG_RETENTION_DAYS (default 90) ago are deleted; the sign-up rows they imported stay
  remembered (so that no row is imported twice) without the link to the run.

The run itself is written to the audit log (`maintenance.retention`, with its counts and
cut-offs). The cut-offs are Japan's days: "5 years before today" is counted from Japan's
today, from midnight in Japan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.calendars.models import CalendarToken, FeedOwner
from app.checkin.models import Attendance, DoorRefusal
from app.core.models import AuditEntry, record
from app.errors import ValidationError
from app.extensions import db
from app.people.models import Card, Learner, PendingMatch, Registration
from app.scheduling.models import Session
from app.sheets.models import SignupImport, SyncRun
from app.timeutil import japan_today, local_day_bounds, utcnow
from app.transaction import atomic, dry_run

RETENTION_RUN = "maintenance.retention"
SETTINGS = ("RETENTION_YEARS", "AUDIT_RETENTION_YEARS", "SYNC_LOG_RETENTION_DAYS")
# Rows changed per statement: far below every database's limit on bound parameters.
CHUNK = 500


@dataclass(frozen=True)
class RetentionReport:
    today: date
    dry_run: bool
    learners_before: date  # learners with no activity since this day are anonymized
    audit_before: date
    sync_logs_before: date
    learners_anonymized: int
    cards_revoked: int
    feeds_revoked: int
    audit_entries_deleted: int
    sync_runs_deleted: int

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("today", "learners_before", "audit_before", "sync_logs_before"):
            data[name] = data[name].isoformat()
        return data

    def summary(self) -> list[str]:
        return [
            _("個人データの保存期間の処理(%(today)s)", today=self.today.isoformat())
            + (_("— 試行のみ。何も変えていません") if self.dry_run else ""),
            _(
                "受講者: %(before)s 以降に申し込み・出席のない %(n)d 人を匿名化"
                "(カード %(cards)d 枚・カレンダー %(feeds)d 件を無効化)",
                before=self.learners_before.isoformat(),
                n=self.learners_anonymized,
                cards=self.cards_revoked,
                feeds=self.feeds_revoked,
            ),
            _(
                "監査ログ: %(before)s より前の %(n)d 件を削除",
                before=self.audit_before.isoformat(),
                n=self.audit_entries_deleted,
            ),
            _(
                "同期の記録: %(before)s より前の %(n)d 件を削除",
                before=self.sync_logs_before.isoformat(),
                n=self.sync_runs_deleted,
            ),
        ]


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier; 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def setting(name: str) -> int:
    """A retention period from the config (the environment gives text): a whole number of
    at least 1, or ValidationError naming the setting."""
    raw = current_app.config[name]
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if value < 1:
        raise ValidationError(
            _("%(name)s は1以上の整数にしてください(今は %(value)s)。", name=name, value=raw),
            fields={name: str(raw)},
        )
    return value


def _since(day: date) -> datetime:
    return local_day_bounds(day)[0]


def stale_learners(before: date) -> sa.Select[int]:
    """The learners not yet anonymized with no activity on or after `before` (Japan's day)."""
    since = _since(before)
    learner = Learner.id
    registration = (
        sa.select(Registration.id)
        .join(Session, Session.id == Registration.session_id)
        .where(
            Registration.learner_id == learner,
            sa.or_(
                Registration.created_at >= since,
                Registration.queued_at >= since,
                Registration.cancelled_at >= since,
                Session.starts_at >= since,
            ),
        )
    )
    attendance = sa.select(Attendance.id).where(
        Attendance.learner_id == learner,
        sa.or_(
            Attendance.created_at >= since,
            Attendance.checked_in_at >= since,
            Attendance.received_at >= since,
        ),
    )
    match = sa.select(PendingMatch.id).where(
        sa.or_(PendingMatch.new_learner_id == learner, PendingMatch.existing_learner_id == learner),
        sa.or_(PendingMatch.created_at >= since, PendingMatch.resolved_at >= since),
    )
    refusal = sa.select(DoorRefusal.id).where(
        DoorRefusal.learner_id == learner, DoorRefusal.received_at >= since
    )
    return sa.select(Learner.id).where(
        Learner.anonymized_at.is_(None),
        Learner.created_at < since,
        ~registration.exists(),
        ~attendance.exists(),
        ~match.exists(),
        ~refusal.exists(),
    )


def _chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _count(result: sa.Result[Any]) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _anonymize(ids: Sequence[int], now: datetime) -> tuple[int, int]:
    """Remove what identifies these learners; (cards revoked, calendar feeds revoked)."""
    cards = feeds = 0
    unsynced = {"synchronize_session": False}
    for chunk in _chunks(ids):
        db.session.execute(
            sa.update(Learner)
            .where(Learner.id.in_(chunk))
            .values(
                {
                    Learner.stored_name: "",
                    Learner.furigana: "",
                    Learner.furigana_key: "",
                    Learner.phone: None,
                    Learner.phone2: None,
                    Learner.phone_key: None,
                    Learner.notes: "",
                    Learner.client_id: None,
                    Learner.share_with_partner: False,
                    Learner.needs_vision: False,
                    Learner.needs_hearing: False,
                    Learner.needs_mobility: False,
                    Learner.anonymized_at: now,
                    Learner.updated_at: now,
                }
            )
            .execution_options(**unsynced)
        )
        cards += _count(
            db.session.execute(
                sa.update(Card)
                .where(Card.learner_id.in_(chunk), Card.revoked_at.is_(None))
                .values(revoked_at=now)
                .execution_options(**unsynced)
            )
        )
        feeds += _count(
            db.session.execute(
                sa.update(CalendarToken)
                .where(
                    CalendarToken.owner_type == FeedOwner.LEARNER,
                    CalendarToken.owner_id.in_(chunk),
                    CalendarToken.revoked_at.is_(None),
                )
                .values(revoked_at=now)
                .execution_options(**unsynced)
            )
        )
        db.session.execute(
            sa.update(DoorRefusal)
            .where(DoorRefusal.learner_id.in_(chunk))
            .values(typed_name=None, message="")
            .execution_options(**unsynced)
        )
    return cards, feeds


def _delete_sync_runs(before: date) -> int:
    old = sa.select(SyncRun.id).where(SyncRun.started_at < _since(before))
    db.session.execute(
        sa.update(SignupImport)
        .where(SignupImport.sync_run_id.in_(old))
        .values(sync_run_id=None)
        .execution_options(synchronize_session=False)
    )
    return _count(
        db.session.execute(
            sa.delete(SyncRun)
            .where(SyncRun.started_at < _since(before))
            .execution_options(synchronize_session=False)
        )
    )


@atomic
def _apply(today: date, *, dry: bool) -> RetentionReport:
    learners_before = years_before(today, setting("RETENTION_YEARS"))
    audit_before = years_before(today, setting("AUDIT_RETENTION_YEARS"))
    sync_before = today - timedelta(days=setting("SYNC_LOG_RETENTION_DAYS"))
    now = utcnow()
    ids = list(db.session.scalars(stale_learners(learners_before).order_by(Learner.id)))
    cards, feeds = _anonymize(ids, now)
    audit = _count(
        db.session.execute(
            sa.delete(AuditEntry)
            .where(AuditEntry.at < _since(audit_before))
            .execution_options(synchronize_session=False)
        )
    )
    report = RetentionReport(
        today=today,
        dry_run=dry,
        learners_before=learners_before,
        audit_before=audit_before,
        sync_logs_before=sync_before,
        learners_anonymized=len(ids),
        cards_revoked=cards,
        feeds_revoked=feeds,
        audit_entries_deleted=audit,
        sync_runs_deleted=_delete_sync_runs(sync_before),
    )
    details = report.as_json()
    details.pop("dry_run")
    record(RETENTION_RUN, "maintenance", 0, None, **details)
    db.session.expire_all()
    return report


def run_retention(*, today: date | None = None, dry: bool = False) -> RetentionReport:
    """Apply the retention rules as of `today` (Japan's today by default) in one transaction.
    With `dry`, everything is done and counted, then rolled back: nothing changes."""
    today = today or japan_today()
    if dry:
        with dry_run():
            return _apply(today, dry=True)
    return _apply(today, dry=False)
