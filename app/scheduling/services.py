"""Planning sessions: the rules the pages and the API share.

Every operation validates everything first, checks double bookings, then writes in one
transaction; a refusal raises ValidationError (422) or Conflict (409) and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from math import ceil
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from app.auth.models import Role, User
from app.curricula.models import Course, CourseVersion
from app.errors import Conflict, NotFound, ValidationError
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
from app.scheduling.models import (
    Closure,
    DeliveryType,
    Series,
    Session,
    SessionStaff,
    SessionStatus,
    StaffRole,
    Venue,
)
from app.templating import format_date, format_datetime, format_time
from app.timeutil import OutOfRange, check_day, from_local, local, local_day_bounds, utcnow
from app.transaction import atomic

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
MAX_SERIES_LENGTH = 104  # two years of weekly classes; more is a typo, not a plan
MAX_SESSION_HOURS = 12


# ---------------------------------------------------------------- who sees what


def visibility_clause(user: User) -> sa.ColumnElement[bool]:
    """Sessions a user may know exist. Others answer 404, never 403."""
    if user.role in (Role.ADMIN, Role.COORDINATOR):
        return sa.true()
    if user.role == Role.PARTNER:
        return Session.partner_org_id == user.org_id
    teaches = Session.id.in_(
        sa.select(SessionStaff.session_id).where(SessionStaff.user_id == user.id)
    )
    if user.org_id is not None:
        return sa.or_(teaches, Session.partner_org_id == user.org_id)
    return teaches


def _with_details(query: sa.Select) -> sa.Select:
    # Everything a list, a page or the API shows, loaded in a fixed number of queries.
    return query.options(
        joinedload(Session.course_version).joinedload(CourseVersion.course),
        joinedload(Session.venue),
        joinedload(Session.partner_org),
        selectinload(Session.staff).joinedload(SessionStaff.user),
    )


def get_session(user: User, session_id: int) -> Session:
    session = db.session.scalar(
        _with_details(sa.select(Session)).where(Session.id == session_id, visibility_clause(user))
    )
    if session is None:
        raise NotFound(_("講座(ID %(id)s)は見つかりません。", id=session_id))
    return session


@dataclass
class SessionFilters:
    date_from: date | None = None
    date_to: date | None = None
    course: str | None = None
    venue_id: int | None = None
    district: str | None = None
    partner: str | None = None
    instructor_id: int | None = None
    status: str | None = None


T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of a list: sessions here, the reports' sessions and learners too."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))


def _filtered(user: User, filters: SessionFilters) -> sa.Select:
    query = sa.select(Session).where(visibility_clause(user))
    if filters.date_from:
        query = query.where(Session.starts_at >= local_day_bounds(filters.date_from)[0])
    if filters.date_to:
        query = query.where(Session.starts_at < local_day_bounds(filters.date_to)[1])
    if filters.course:
        query = query.where(
            Session.course_version_id.in_(
                sa.select(CourseVersion.id)
                .join(Course, CourseVersion.course_id == Course.id)
                .where(Course.slug == filters.course)
            )
        )
    if filters.venue_id:
        query = query.where(Session.venue_id == filters.venue_id)
    if filters.district:
        query = query.where(
            Session.venue_id.in_(sa.select(Venue.id).where(Venue.district == filters.district))
        )
    if filters.partner:
        query = query.where(
            Session.partner_org_id.in_(
                sa.select(Organization.id).where(Organization.slug == filters.partner)
            )
        )
    if filters.instructor_id:
        query = query.where(
            Session.id.in_(
                sa.select(SessionStaff.session_id).where(
                    SessionStaff.user_id == filters.instructor_id
                )
            )
        )
    if filters.status:
        query = query.where(Session.status == filters.status)
    return query


def list_sessions(user: User, filters: SessionFilters, page: int = 1, per_page: int = 50) -> Page:
    query = _filtered(user, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    items = db.session.scalars(
        _with_details(query)
        .order_by(Session.starts_at, Session.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).unique()
    return Page(list(items), total, page, per_page)


def sessions_between(
    user: User, start: datetime, end: datetime, filters: SessionFilters
) -> list[Session]:
    query = _filtered(user, filters).where(Session.starts_at >= start, Session.starts_at < end)
    return list(db.session.scalars(_with_details(query).order_by(Session.starts_at)).unique())


# ---------------------------------------------------------------- reading a plan


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


# ---------------------------------------------------------------- double bookings


def _describe(session: Session) -> str:
    return _(
        "%(when)s %(venue)s「%(course)s」(ID %(id)s)",
        when=format_datetime(session.starts_at),
        venue=session.venue.name,
        course=session.course_version.title,
        id=session.id,
    )


def _lock_resources(plans: Iterable[SessionPlan]) -> None:
    """On PostgreSQL, serialize bookings of the same venue and people (SQLite already does)."""
    plans = list(plans)
    venue_ids = sorted({p.venue.id for p in plans})
    user_ids = sorted({u.id for p in plans for u in p.instructors + p.assistants})
    db.session.execute(sa.select(Venue.id).where(Venue.id.in_(venue_ids)).with_for_update())
    if user_ids:
        db.session.execute(sa.select(User.id).where(User.id.in_(user_ids)).with_for_update())


def _venue_clash(plan: SessionPlan, exclude: set[int]) -> Session | None:
    buffer = timedelta(minutes=plan.venue.setup_buffer_minutes)
    return db.session.scalar(
        _with_details(sa.select(Session))
        .where(
            Session.venue_id == plan.venue.id,
            Session.status != SessionStatus.CANCELLED,
            Session.id.not_in(exclude) if exclude else sa.true(),
            Session.starts_at < plan.ends_at + buffer,
            Session.ends_at > plan.starts_at - buffer,
        )
        .order_by(Session.starts_at)
        .limit(1)
    )


def _staff_clash(plan: SessionPlan, exclude: set[int]) -> tuple[Session, User] | None:
    people = {u.id: u for u in plan.instructors + plan.assistants}
    if not people:
        return None
    row = db.session.execute(
        sa.select(Session.id, SessionStaff.user_id)
        .join(SessionStaff, SessionStaff.session_id == Session.id)
        .where(
            SessionStaff.user_id.in_(people),
            Session.status != SessionStatus.CANCELLED,
            Session.id.not_in(exclude) if exclude else sa.true(),
            Session.starts_at < plan.ends_at,
            Session.ends_at > plan.starts_at,
        )
        .order_by(Session.starts_at)
        .limit(1)
    ).first()
    if row is None:
        return None
    other = db.session.scalar(_with_details(sa.select(Session)).where(Session.id == row[0]))
    return other, people[row[1]]


def closure_for(venue_id: int, starts_at: datetime, ends_at: datetime) -> Closure | None:
    """A closure of this venue (or of every venue) overlapping the time, if any."""
    return db.session.scalar(
        sa.select(Closure)
        .where(
            sa.or_(Closure.venue_id == venue_id, Closure.venue_id.is_(None)),
            Closure.starts_at < ends_at,
            Closure.ends_at > starts_at,
        )
        .order_by(Closure.starts_at)
        .limit(1)
    )


def _describe_closure(closure: Closure) -> str:
    if closure.all_day:
        last_day = closure.ends_at - timedelta(days=1)
        when = format_date(closure.starts_at)
        if local(last_day).date() > local(closure.starts_at).date():
            when = f"{when}〜{format_date(last_day)}"
    else:
        when = f"{format_datetime(closure.starts_at)}〜{format_time(closure.ends_at)}"
    return _(
        "%(when)s は「%(summary)s」のため会場が使えません。", when=when, summary=closure.summary
    )


def _clash_between(a: SessionPlan, b: SessionPlan) -> str | None:
    if a.venue.id == b.venue.id:
        buffer = timedelta(minutes=a.venue.setup_buffer_minutes)
        if a.starts_at < b.ends_at + buffer and b.starts_at < a.ends_at + buffer:
            return "venue_conflict"
    shared = {u.id for u in a.instructors + a.assistants} & {
        u.id for u in b.instructors + b.assistants
    }
    if shared and a.starts_at < b.ends_at and b.starts_at < a.ends_at:
        return "instructor_conflict"
    return None


def check_conflicts(plans: list[SessionPlan], exclude: set[int]) -> None:
    """Raise Conflict for the first double booking, listing every one found."""
    _lock_resources(plans)
    found: list[dict[str, Any]] = []
    for plan in plans:
        if plan.status == SessionStatus.CANCELLED:
            continue
        closure = closure_for(plan.venue.id, plan.starts_at, plan.ends_at)
        if closure is not None:
            found.append(
                {
                    "code": "venue_closed",
                    "session_id": None,
                    "closure_id": closure.id,
                    "starts_at": plan.starts_at,
                    "message": _describe_closure(closure),
                }
            )
            continue
        other = _venue_clash(plan, exclude)
        if other is not None:
            found.append(
                {
                    "code": "venue_conflict",
                    "session_id": other.id,
                    "starts_at": plan.starts_at,
                    "message": _(
                        "会場「%(venue)s」は %(other)s と重なっています(準備時間%(buffer)d分を含む)。",
                        venue=plan.venue.name,
                        other=_describe(other),
                        buffer=plan.venue.setup_buffer_minutes,
                    ),
                }
            )
            continue
        clash = _staff_clash(plan, exclude)
        if clash is not None:
            other, person = clash
            found.append(
                {
                    "code": "instructor_conflict",
                    "session_id": other.id,
                    "starts_at": plan.starts_at,
                    "message": _(
                        "%(name)sさんは同じ時間に %(other)s を担当しています。",
                        name=person.name,
                        other=_describe(other),
                    ),
                }
            )
    for i, a in enumerate(plans):
        for b in plans[i + 1 :]:
            code = _clash_between(a, b)
            if code:
                found.append(
                    {
                        "code": code,
                        "session_id": None,
                        "starts_at": b.starts_at,
                        "message": _(
                            "%(a)s と %(b)s の回どうしが重なっています。",
                            a=format_datetime(a.starts_at),
                            b=format_datetime(b.starts_at),
                        ),
                    }
                )
    if found:
        first = found[0]
        about = {"closure_id": first["closure_id"]} if "closure_id" in first else {}
        raise Conflict(
            first["code"],
            first["message"],
            session_id=first["session_id"],
            **about,
            conflicts=[
                {
                    "code": c["code"],
                    "session_id": c["session_id"],
                    "starts_at": local(c["starts_at"]).isoformat(),
                    "message": c["message"],
                }
                for c in found
            ],
        )


# ---------------------------------------------------------------- writing


def _apply(session: Session, plan: SessionPlan) -> None:
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
    _apply(session, plan)
    db.session.add(session)
    db.session.flush()
    return session


def _refuse_if_cancelled(session: Session) -> None:
    if session.is_cancelled:
        raise Conflict(
            "session_cancelled", _("中止した講座は変更できません。"), session_id=session.id
        )


@atomic
def update_session(session: Session, raw: Mapping[str, Any]) -> Session:
    return _update_one(session, raw)


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


# ---------------------------------------------------------------- series


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


def _read_series_rule(raw: Mapping[str, Any], first: date | None, errors: FieldErrors):
    weekdays = read_int_list(raw, "weekdays", errors)
    if not weekdays and "weekdays" not in errors.errors:
        errors.add("weekdays", _("曜日を1つ以上選んでください。"))
    elif weekdays and any(d < 0 or d > 6 for d in weekdays):
        errors.add("weekdays", _("曜日は 0(月)から 6(日)の数で指定してください。"))
    until = None
    until_raw = read_text(raw, "until", errors)
    if until_raw:
        try:
            until = check_day(date.fromisoformat(until_raw))
        except OutOfRange as exc:
            errors.add("until", str(exc))
        except ValueError:
            errors.add("until", _("日付は 2026-04-01 の形式で入力してください。"))
    count = read_int(raw, "count", errors, minimum=1)
    if until is None and count is None and not {"until", "count"} & set(errors.errors):
        errors.add("until", _("終了日か回数のどちらかを入力してください。"))
    if until is not None and count is not None:
        errors.add("count", _("終了日と回数はどちらか一方だけを入力してください。"))
    if until is not None and first is not None and until < first:
        errors.add("until", _("終了日は初回より後の日にしてください。"))
    return weekdays or [], until, count


@atomic
def create_series(raw: Mapping[str, Any]) -> list[Session]:
    """Weekly sessions on the chosen weekdays, all or none."""
    rule_keys = {"weekdays", "until", "count", "on_closed"}
    session_raw = {k: v for k, v in raw.items() if k not in rule_keys}
    errors = FieldErrors()
    try:
        template = read_plan(session_raw)
    except ValidationError as exc:
        errors.errors.update(exc.fields)
        template = None
    first = local(template.starts_at).date() if template else None
    weekdays, until, count = _read_series_rule(raw, first, errors)
    on_closed = read_text(raw, "on_closed", errors) or "refuse"
    if on_closed not in ("refuse", "skip"):
        errors.add("on_closed", _("休館日の扱いは refuse(作らない)か skip(その日を飛ばす)です。"))
    dates = series_dates(first, weekdays, until, count) if template and not errors else []
    if template and not errors and not dates:
        errors.add("weekdays", _("この条件に当てはまる日がありません。"))
    if len(dates) > MAX_SERIES_LENGTH:
        errors.add("count", _("一度に作れるのは%(n)d回までです。", n=MAX_SERIES_LENGTH))
    if errors:
        raise ValidationError(_("入力内容を確認してください。"), fields=errors.errors)

    start_clock = local(template.starts_at).timetz().replace(tzinfo=None)
    duration = template.ends_at - template.starts_at
    plans = []
    skipped: list[str] = []
    for day in dates:
        starts_at = from_local(day, start_clock)
        plan = _replace_times(template, starts_at, starts_at + duration)
        if on_closed == "skip" and closure_for(plan.venue.id, plan.starts_at, plan.ends_at):
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
        _apply(session, plan)
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
        return [_update_one(session, raw)]
    _refuse_if_cancelled(session)
    edited = read_plan(raw, base=session)
    following = list(
        db.session.scalars(
            _with_details(sa.select(Session))
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
        _apply(other, plan)
    return following


def _update_one(session: Session, raw: Mapping[str, Any]) -> Session:
    _refuse_if_cancelled(session)
    plan = read_plan(raw, base=session)
    check_conflicts([plan], exclude={session.id})
    _apply(session, plan)
    return session


# ---------------------------------------------------------------- pages' views of the plan


def staff_sessions(user: User, *, upcoming: bool, limit: int | None = None) -> list[Session]:
    """Sessions `user` teaches or assists: upcoming ones soonest first, past ones latest first.

    A session still running counts as upcoming: the instructor is in the hall right now.
    """
    now = utcnow()
    query = _with_details(sa.select(Session)).where(
        Session.id.in_(sa.select(SessionStaff.session_id).where(SessionStaff.user_id == user.id))
    )
    if upcoming:
        query = query.where(Session.ends_at > now).order_by(Session.starts_at, Session.id)
    else:
        query = query.where(Session.ends_at <= now).order_by(
            Session.starts_at.desc(), Session.id.desc()
        )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query).unique())


def series_sessions(user: User, series_id: int) -> list[Session]:
    """The sessions of a series that `user` may see, in date order (cancelled ones included)."""
    query = _with_details(sa.select(Session)).where(
        Session.series_id == series_id, visibility_clause(user)
    )
    return list(db.session.scalars(query.order_by(Session.starts_at, Session.id)).unique())
