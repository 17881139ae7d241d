"""A partner organization's space: who it is, who teaches for it, its sessions, its figures
and its sheet's sync log.

Everything a page shows is loaded in a fixed number of queries, whatever the number of
sessions, staff or runs; figures for many organizations at once cost the same as for one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from app.auth.models import Role, User
from app.checkin.models import Attendance, AttendanceStatus
from app.curricula import services as curricula
from app.curricula.models import Course, CourseVersion
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.fiscal import FiscalYear
from app.orgs.models import InstructorCourse, Organization, OrgKind
from app.people.models import Registration, RegistrationStatus
from app.scheduling.models import Session, SessionStaff, SessionStatus
from app.sheets.models import SheetLink, SyncRun
from app.timeutil import utcnow
from app.transaction import atomic

RECENT_DAYS = 30
UPCOMING_SHOWN = 50
SYNC_LOG_SHOWN = 20


# ---------------------------------------------------------------- who may see which organization


def get_partner_org(user: User, org_id: int) -> Organization:
    """A partner organization the user may see: planners any, a partner user only their own.

    Anything else answers 404, so that nobody learns which other organizations exist.
    """
    org = db.session.get(Organization, org_id)
    visible = org is not None and org.is_partner
    if visible and user.role == Role.PARTNER:
        visible = user.org_id == org.id
    elif visible and user.role not in (Role.ADMIN, Role.COORDINATOR):
        visible = False
    if not visible:
        raise NotFound(_("団体(ID %(id)s)は見つかりません。", id=org_id))
    return org


# ---------------------------------------------------------------- 年度 and figures


@dataclass
class Figures:
    held: int = 0  # completed, or scheduled and already over
    planned: int = 0  # scheduled and not over yet
    learners: int = 0  # different people registered
    attendances: int = 0  # present or late


def figures_for(
    org_ids: Iterable[int], now: datetime | None = None
) -> tuple[FiscalYear, dict[int, Figures]]:
    """This 年度's figures for each organization, in three queries whatever their number.

    A session counts in the 年度 its start falls in (Japan time); cancelled sessions count
    nowhere, and neither do their registrations or attendance.
    """
    now = now or utcnow()
    year = FiscalYear.of(now)
    start, end = year.bounds()
    ids = list(org_ids)
    result = {org_id: Figures() for org_id in ids}
    if not ids:
        return year, result
    in_year = sa.and_(
        Session.partner_org_id.in_(ids),
        Session.starts_at >= start,
        Session.starts_at < end,
        Session.status != SessionStatus.CANCELLED,
    )

    over = Session.ends_at <= now
    held = sa.or_(
        Session.status == SessionStatus.COMPLETED,
        sa.and_(Session.status == SessionStatus.SCHEDULED, over),
    )
    planned = sa.and_(Session.status == SessionStatus.SCHEDULED, sa.not_(over))
    sessions = db.session.execute(
        sa.select(
            Session.partner_org_id,
            sa.func.sum(sa.case((held, 1), else_=0)),
            sa.func.sum(sa.case((planned, 1), else_=0)),
        )
        .where(in_year)
        .group_by(Session.partner_org_id)
    )
    for org_id, held_count, planned_count in sessions:
        result[org_id].held = int(held_count or 0)
        result[org_id].planned = int(planned_count or 0)

    learners = db.session.execute(
        sa.select(Session.partner_org_id, sa.func.count(sa.distinct(Registration.learner_id)))
        .join(Session, Session.id == Registration.session_id)
        .where(in_year, Registration.status == RegistrationStatus.REGISTERED)
        .group_by(Session.partner_org_id)
    )
    for org_id, count in learners:
        result[org_id].learners = count

    attendances = db.session.execute(
        sa.select(Session.partner_org_id, sa.func.count(Attendance.id))
        .join(Session, Session.id == Attendance.session_id)
        .where(in_year, Attendance.status.in_((AttendanceStatus.PRESENT, AttendanceStatus.LATE)))
        .group_by(Session.partner_org_id)
    )
    for org_id, count in attendances:
        result[org_id].attendances = count
    return year, result


# ---------------------------------------------------------------- instructors and their courses


@dataclass
class StaffMember:
    user: User
    courses: list[CourseVersion]  # what they can teach, as the courses' current versions

    @property
    def course_ids(self) -> list[int]:
        return [v.course_id for v in self.courses]


def org_staff(
    org: Organization, offered: Sequence[CourseVersion] | None = None
) -> list[StaffMember]:
    """The organization's active instructors and assistants, each with the courses they teach.

    `offered` (the current courses, in learning order) orders each person's courses; without
    it they come in title order.
    """
    users = list(
        db.session.scalars(
            sa.select(User)
            .where(User.org_id == org.id, User.role == Role.INSTRUCTOR, User.active.is_(True))
            .order_by(User.name, User.id)
        )
    )
    if not users:
        return []
    rows = db.session.execute(
        sa.select(InstructorCourse.user_id, CourseVersion)
        .join(Course, Course.id == InstructorCourse.course_id)
        .join(CourseVersion, CourseVersion.id == Course.current_version_id)
        .options(joinedload(CourseVersion.course))
        .where(InstructorCourse.user_id.in_([u.id for u in users]))
    )
    rank = {v.course_id: i for i, v in enumerate(offered or ())}
    teaches: dict[int, list[CourseVersion]] = {u.id: [] for u in users}
    for user_id, version in rows:
        teaches[user_id].append(version)
    for versions in teaches.values():
        versions.sort(key=lambda v: (rank.get(v.course_id, len(rank)), v.title_ja))
    return [StaffMember(u, teaches[u.id]) for u in users]


@atomic
def set_instructor_courses(
    org: Organization, user_id: int, course_ids: Iterable[str | int]
) -> User:
    """Replace the courses one of the organization's instructors can teach, all or nothing.

    Only current courses can be chosen; a teachable course that is no longer offered is left
    as it was, since the form never showed it.
    """
    user = db.session.get(User, user_id)
    if user is None or user.org_id != org.id or user.role != Role.INSTRUCTOR:
        raise NotFound(_("この団体の講師・アシスタント(ID %(id)s)は見つかりません。", id=user_id))
    offered = set(
        db.session.scalars(sa.select(Course.id).where(Course.current_version_id.is_not(None)))
    )
    chosen: set[int] = set()
    for raw in course_ids:
        try:
            course_id = int(raw)
        except (TypeError, ValueError):
            course_id = None
        if course_id not in offered:
            why = _("選べるのは現在のコースだけです。一覧から選び直してください。")
            raise ValidationError(why, fields={"course_ids": why})
        chosen.add(course_id)
    current = set(
        db.session.scalars(
            sa.select(InstructorCourse.course_id).where(
                InstructorCourse.user_id == user.id, InstructorCourse.course_id.in_(offered)
            )
        )
    )
    if current - chosen:
        db.session.execute(
            sa.delete(InstructorCourse).where(
                InstructorCourse.user_id == user.id,
                InstructorCourse.course_id.in_(current - chosen),
            )
        )
    db.session.add_all(InstructorCourse(user_id=user.id, course_id=c) for c in chosen - current)
    return user


# ---------------------------------------------------------------- sessions


def _with_details(query: sa.Select) -> sa.Select:
    return query.options(
        joinedload(Session.course_version).joinedload(CourseVersion.course),
        joinedload(Session.venue),
        joinedload(Session.partner_org),
        selectinload(Session.staff).joinedload(SessionStaff.user),
    )


@dataclass
class OrgSessions:
    upcoming: list[Session]  # not over yet, soonest first, at most UPCOMING_SHOWN
    upcoming_total: int
    recent: list[Session]  # over within the last RECENT_DAYS days, latest first


def org_sessions(org: Organization, now: datetime | None = None) -> OrgSessions:
    now = now or utcnow()
    ours = Session.partner_org_id == org.id
    upcoming = list(
        db.session.scalars(
            _with_details(sa.select(Session))
            .where(ours, Session.ends_at > now)
            .order_by(Session.starts_at, Session.id)
            .limit(UPCOMING_SHOWN)
        ).unique()
    )
    total = len(upcoming)
    if total == UPCOMING_SHOWN:
        total = db.session.scalar(
            sa.select(sa.func.count(Session.id)).where(ours, Session.ends_at > now)
        )
    recent = list(
        db.session.scalars(
            _with_details(sa.select(Session))
            .where(
                ours,
                Session.ends_at <= now,
                Session.ends_at > now - timedelta(days=RECENT_DAYS),
            )
            .order_by(Session.starts_at.desc(), Session.id.desc())
        ).unique()
    )
    return OrgSessions(upcoming, total, recent)


# ---------------------------------------------------------------- the sheet and its log


def sync_log(org: Organization, limit: int = SYNC_LOG_SHOWN) -> list[SyncRun]:
    """The latest runs, with who started them, in one query."""
    return list(
        db.session.scalars(
            sa.select(SyncRun)
            .options(joinedload(SyncRun.started_by))
            .where(SyncRun.org_id == org.id)
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(limit)
        )
    )


def get_sync_run(org: Organization, run_id: int) -> SyncRun:
    run = db.session.scalar(
        sa.select(SyncRun)
        .options(joinedload(SyncRun.started_by))
        .where(SyncRun.id == run_id, SyncRun.org_id == org.id)
    )
    if run is None:
        raise NotFound(_("同期の記録(ID %(id)s)は見つかりません。", id=run_id))
    return run


def sheet_url(key: str) -> str:
    return f"https://docs.google.com/spreadsheets/d/{key}/edit"


# ---------------------------------------------------------------- the page and the list


@dataclass
class PartnerSpace:
    org: Organization
    fiscal_year: FiscalYear
    figures: Figures
    staff: list[StaffMember]
    sessions: OrgSessions
    link: SheetLink | None
    runs: list[SyncRun]
    offered: list[CourseVersion] = field(default_factory=list)


def partner_space(org: Organization, now: datetime | None = None) -> PartnerSpace:
    now = now or utcnow()
    offered = curricula.list_courses()
    year, figures = figures_for([org.id], now)
    return PartnerSpace(
        org=org,
        fiscal_year=year,
        figures=figures[org.id],
        staff=org_staff(org, offered),
        sessions=org_sessions(org, now),
        link=db.session.scalar(sa.select(SheetLink).where(SheetLink.org_id == org.id)),
        runs=sync_log(org),
        offered=offered,
    )


@dataclass
class PartnerRow:
    org: Organization
    figures: Figures
    link: SheetLink | None
    last_run: SyncRun | None
    staff_count: int


def partner_rows(now: datetime | None = None) -> tuple[FiscalYear, list[PartnerRow]]:
    """Every partner organization with this 年度's figures and its sheet's last sync."""
    orgs = list(
        db.session.scalars(
            sa.select(Organization)
            .where(Organization.kind != OrgKind.MUNICIPALITY)
            .order_by(Organization.name, Organization.id)
        )
    )
    ids = [o.id for o in orgs]
    year, figures = figures_for(ids, now)
    if not ids:
        return year, []
    links = {
        link.org_id: link
        for link in db.session.scalars(sa.select(SheetLink).where(SheetLink.org_id.in_(ids)))
    }
    latest = (
        sa.select(sa.func.max(SyncRun.id)).where(SyncRun.org_id.in_(ids)).group_by(SyncRun.org_id)
    )
    last_runs = {
        run.org_id: run
        for run in db.session.scalars(sa.select(SyncRun).where(SyncRun.id.in_(latest)))
    }
    staff = dict(
        db.session.execute(
            sa.select(User.org_id, sa.func.count(User.id))
            .where(User.org_id.in_(ids), User.role == Role.INSTRUCTOR, User.active.is_(True))
            .group_by(User.org_id)
        ).all()
    )
    rows = [
        PartnerRow(o, figures[o.id], links.get(o.id), last_runs.get(o.id), staff.get(o.id, 0))
        for o in orgs
    ]
    return year, rows
