"""A partner organization's space: its figures, its sessions, its staff and its sheet, on one
page; and, for planners, the list of partners.

Everything a page shows is loaded in a fixed number of queries, whatever the number of
sessions, staff or runs; figures for many organizations at once cost the same as for one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.auth.models import Role, User
from app.checkin.models import CAME, Attendance
from app.curricula import services as curricula
from app.curricula.models import CourseVersion
from app.extensions import db
from app.fiscal import FiscalYear
from app.orgs.models import Organization, OrgKind
from app.orgs.partner_services import StaffMember, org_staff
from app.people.models import Registration, RegistrationStatus
from app.scheduling.models import Session, SessionStatus, held_clause
from app.scheduling.queries import with_details
from app.sheets.models import SheetLink, SyncRun
from app.sheets.runs import sync_log
from app.timeutil import utcnow

RECENT_DAYS = 30
UPCOMING_SHOWN = 50


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

    held = held_clause(now)
    planned = sa.and_(Session.status == SessionStatus.SCHEDULED, Session.ends_at > now)
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
        assert org_id is not None  # (in_year names organizations)
        result[org_id].held = int(held_count or 0)
        result[org_id].planned = int(planned_count or 0)

    learners = db.session.execute(
        sa.select(Session.partner_org_id, sa.func.count(sa.distinct(Registration.learner_id)))
        .join(Session, Session.id == Registration.session_id)
        .where(in_year, Registration.status == RegistrationStatus.REGISTERED)
        .group_by(Session.partner_org_id)
    )
    for org_id, count in learners:
        assert org_id is not None
        result[org_id].learners = count

    attendances = db.session.execute(
        sa.select(Session.partner_org_id, sa.func.count(Attendance.id))
        .join(Session, Session.id == Attendance.session_id)
        .where(in_year, Attendance.status.in_(CAME))
        .group_by(Session.partner_org_id)
    )
    for org_id, count in attendances:
        assert org_id is not None
        result[org_id].attendances = count
    return year, result


# ---------------------------------------------------------------- sessions


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
            with_details(sa.select(Session))
            .where(ours, Session.ends_at > now)
            .order_by(Session.starts_at, Session.id)
            .limit(UPCOMING_SHOWN)
        ).unique()
    )
    total = len(upcoming)
    if total == UPCOMING_SHOWN:
        total = (
            db.session.scalar(
                sa.select(sa.func.count(Session.id)).where(ours, Session.ends_at > now)
            )
            or 0
        )
    recent = list(
        db.session.scalars(
            with_details(sa.select(Session))
            .where(
                ours,
                Session.ends_at <= now,
                Session.ends_at > now - timedelta(days=RECENT_DAYS),
            )
            .order_by(Session.starts_at.desc(), Session.id.desc())
        ).unique()
    )
    return OrgSessions(upcoming, total, recent)


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
