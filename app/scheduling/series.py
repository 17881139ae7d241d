"""Series: weekly sessions made all at once, and "this and later" edits.

All or none: a series is created, or an edit applied to every later session, in one
transaction, or nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import ValidationError
from app.extensions import db
from app.scheduling.conflicts import check_conflicts, closure_for
from app.scheduling.models import Series, Session, SessionStatus
from app.scheduling.plans import SessionPlan, read_plan
from app.scheduling.queries import with_details
from app.scheduling.schemas import SeriesRule
from app.scheduling.sessions import apply_plan, refuse_if_cancelled, update_one
from app.timeutil import from_local, local
from app.transaction import atomic

MAX_SERIES_LENGTH = 104  # two years of weekly classes; more is a typo, not a plan


def series_dates(
    first: date, weekdays: Iterable[int], until: date | None, count: int | None
) -> list[date]:
    """Dates on the chosen weekdays from `first`, up to `until` (inclusive) or `count` of them."""
    days = sorted(set(weekdays))
    dates: list[date] = []
    day = first
    while len(dates) < MAX_SERIES_LENGTH + 1:
        if until is not None and day > until:
            break
        if count is not None and len(dates) >= count:
            break
        if day.weekday() in days:
            dates.append(day)
        day += timedelta(days=1)
    return dates


def _read_series_rule(
    raw: Mapping[str, Any], first: date | None, errors: dict[str, str]
) -> SeriesRule:
    rule, wrong = SeriesRule.read_partly(raw)
    for name, message in wrong.items():
        errors.setdefault(name, message)
    if not rule.weekdays:
        errors.setdefault("weekdays", _("曜日を1つ以上選んでください。"))
    if rule.until is None and rule.count is None and not {"until", "count"} & set(errors):
        errors["until"] = _("終了日か回数のどちらかを入力してください。")
    if rule.until is not None and rule.count is not None:
        errors.setdefault("count", _("終了日と回数はどちらか一方だけを入力してください。"))
    if rule.until is not None and first is not None and rule.until < first:
        errors.setdefault("until", _("終了日は初回より後の日にしてください。"))
    return rule


@atomic
def create_series(raw: Mapping[str, Any]) -> list[Session]:
    """Weekly sessions on the chosen weekdays, all or none."""
    rule_keys = set(SeriesRule.model_fields)
    errors: dict[str, str] = {}
    try:
        template = read_plan({k: v for k, v in raw.items() if k not in rule_keys})
    except ValidationError as exc:
        errors.update(exc.fields)
        template = None
    first = local(template.starts_at).date() if template else None
    rule = _read_series_rule({k: v for k, v in raw.items() if k in rule_keys}, first, errors)
    weekdays, until, count = rule.weekdays or [], rule.until, rule.count
    dates = series_dates(first, weekdays, until, count) if first is not None and not errors else []
    if template and not errors and not dates:
        errors["weekdays"] = _("この条件に当てはまる日がありません。")
    if len(dates) > MAX_SERIES_LENGTH:
        errors["count"] = _("一度に作れるのは%(n)d回までです。", n=MAX_SERIES_LENGTH)
    if errors:
        raise ValidationError(_("入力内容を確認してください。"), fields=errors)
    assert template is not None  # read without an error

    start_clock = local(template.starts_at).timetz().replace(tzinfo=None)
    duration = template.ends_at - template.starts_at
    plans = []
    skipped: list[str] = []
    for day in dates:
        starts_at = from_local(day, start_clock)
        plan = _replace_times(template, starts_at, starts_at + duration)
        if rule.on_closed == "skip" and closure_for(plan.venue.id, plan.starts_at, plan.ends_at):
            skipped.append(day.isoformat())
            continue
        plans.append(plan)
    if not plans:
        raise ValidationError(
            _("入力内容を確認してください。"),
            fields={"weekdays": _("どの日も休館日にあたります。")},
        )
    check_conflicts(plans, exclude=set())
    series = Series(
        weekdays=sorted(set(weekdays)),
        first_date=first,
        until=until,
        count=count,
        skipped_dates=skipped,
    )
    db.session.add(series)
    sessions = []
    for plan in plans:
        session = Session(series=series)
        apply_plan(session, plan)
        db.session.add(session)
        sessions.append(session)
    db.session.flush()
    return sessions


def _replace_times(plan: SessionPlan, starts_at: datetime, ends_at: datetime) -> SessionPlan:
    return SessionPlan(**{**plan.__dict__, "starts_at": starts_at, "ends_at": ends_at})


@atomic
def update_series_from(session: Session, raw: Mapping[str, Any]) -> list[Session]:
    """Apply one edit to this session and every later scheduled one of its series.

    A change of time moves each later session by the same number of days and to the same
    clock time, so "from Tuesday 10:00 to Wednesday 13:00" carries through the series.
    """
    if session.series_id is None:
        return [update_one(session, raw)]
    refuse_if_cancelled(session)
    edited = read_plan(raw, base=session)
    following = list(
        db.session.scalars(
            with_details(sa.select(Session))
            .where(
                Session.series_id == session.series_id,
                Session.starts_at >= session.starts_at,
                Session.status == SessionStatus.SCHEDULED,
            )
            .order_by(Session.starts_at)
        ).unique()
    )
    old_start = local(session.starts_at)
    new_start = local(edited.starts_at)
    day_shift = new_start.date() - old_start.date()
    duration = edited.ends_at - edited.starts_at
    clock = new_start.timetz().replace(tzinfo=None)
    plans = []
    for other in following:
        starts_at = from_local(local(other.starts_at).date() + day_shift, clock)
        plan = _replace_times(edited, starts_at, starts_at + duration)
        if (
            other.course_version.course_id == edited.course_version.course_id
            and other is not session
        ):
            plan = SessionPlan(**{**plan.__dict__, "course_version": other.course_version})
        plans.append(plan)
    check_conflicts(plans, exclude={s.id for s in following})
    for other, plan in zip(following, plans, strict=True):
        apply_plan(other, plan)
    return following
