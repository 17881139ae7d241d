"""What staffing's pages show: the board's rows, a partner's 「依頼」 page, the request form's
partners with who of their people is free. Read in a fixed number of queries per page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from app.auth.models import User
from app.errors import ServiceError
from app.extensions import db
from app.labels import WARNING
from app.orgs.models import Organization, OrgKind
from app.orgs.partner_services import StaffMember, org_staff
from app.scheduling.models import Session, SessionStaff, SessionStatus
from app.scheduling.queries import SessionFilters, list_sessions
from app.staffing import availability, services
from app.staffing.models import (
    LIVE_REQUEST,
    OfferStatus,
    RequestStatus,
    StaffingOffer,
    StaffingRequest,
)
from app.timeutil import japan_today, local, utcnow

BOARD_PAGE = 200  # classes on one page of the board: a coordinator's busy month

# The board's states, in the order a coordinator deals with them.
STATES = ("none", "requested", "offered", "confirmed")


def warning_text(code: str) -> str:
    return str(WARNING.get(code, code))


def askable(session: Session) -> bool:
    return session.status == SessionStatus.SCHEDULED and session.starts_at > utcnow()


def default_respond_by(sessions: Sequence[Session]) -> date:
    """A week from today, but no later than two days before the first class."""
    today = japan_today()
    if not sessions:
        return today + timedelta(days=7)
    first = min(local(s.starts_at).date() for s in sessions)
    return max(today, min(today + timedelta(days=7), first - timedelta(days=2)))


# ---------------------------------------------------------------- who is free


@dataclass
class Candidate:
    member: StaffMember
    availability: str  # their usual times, as words; "" when they keep none
    away: list[str] = field(default_factory=list)  # why they are not free for a chosen class
    busy: int = 0  # chosen classes they already teach something else at the time of


@dataclass
class PartnerChoice:
    org: Organization
    candidates: list[Candidate]

    @property
    def free(self) -> list[Candidate]:
        return [c for c in self.candidates if not c.away and not c.busy]


def busy_people(user_ids: list[int], sessions: Sequence[Session]) -> dict[int, set[int]]:
    """For each of the sessions, who of these people teaches another class at its time:
    one query for all of them."""
    if not user_ids or not sessions:
        return {}
    rows = db.session.execute(
        sa.select(SessionStaff.user_id, Session.starts_at, Session.ends_at, Session.id)
        .join(Session, Session.id == SessionStaff.session_id)
        .where(
            SessionStaff.user_id.in_(user_ids),
            Session.status != SessionStatus.CANCELLED,
            Session.starts_at < max(s.ends_at for s in sessions),
            Session.ends_at > min(s.starts_at for s in sessions),
        )
    ).all()
    return {
        s.id: {
            user_id
            for user_id, starts, ends, other in rows
            if other != s.id and starts < s.ends_at and ends > s.starts_at
        }
        for s in sessions
    }


def partner_choices(sessions: Sequence[Session]) -> list[PartnerChoice]:
    """Every partner, with each of its instructors and whether they are free for the chosen
    classes (their usual times, their days off, other classes then)."""
    orgs = list(
        db.session.scalars(
            sa.select(Organization)
            .where(Organization.kind != OrgKind.MUNICIPALITY)
            .order_by(Organization.name)
        )
    )
    members = {org.id: org_staff(org) for org in orgs}
    # Everyone's times, days off and other classes at once: a few queries for the whole form.
    ids = [m.user.id for staff in members.values() for m in staff]
    summaries = availability.availability_summary(ids)
    away: dict[int, list[str]] = defaultdict(list)
    for reasons in availability.unavailable_reasons_each(
        ids, [(x.starts_at, x.ends_at) for x in sessions]
    ):
        for user_id, why in reasons.items():
            away[user_id].append(why)
    busy = busy_people(ids, sessions)
    return [
        PartnerChoice(
            org,
            [
                Candidate(
                    m,
                    summaries.get(m.user.id, ""),
                    away[m.user.id],
                    sum(1 for people in busy.values() if m.user.id in people),
                )
                for m in members[org.id]
            ],
        )
        for org in orgs
    ]


# ---------------------------------------------------------------- the board


@dataclass
class BoardRow:
    session: Session
    requests: list[StaffingRequest]
    state: str
    warnings: list[str]


def _state(session: Session, requests: list[StaffingRequest]) -> str:
    statuses = {r.status for r in requests}
    if RequestStatus.CONFIRMED in statuses:
        return "confirmed"
    if RequestStatus.OFFERED in statuses:
        return "offered"
    if RequestStatus.OPEN in statuses:
        return "requested"
    return "none"


def board(user: User, filters: SessionFilters, wanted_state: str = "") -> dict[str, Any]:
    page = list_sessions(user, filters, page=1, per_page=BOARD_PAGE)
    ids = [s.id for s in page.items]
    by_session: dict[int, list[StaffingRequest]] = defaultdict(list)
    for r in services.list_requests(user, session_ids=ids):
        by_session[r.session_id].append(r)
    rows = []
    for s in page.items:
        requests = by_session[s.id]
        row = BoardRow(s, requests, _state(s, requests), s.warnings)
        if wanted_state == "short" and not row.warnings:
            continue
        if wanted_state in STATES and row.state != wanted_state:
            continue
        rows.append(row)
    counts = {state: sum(1 for r in rows if r.state == state) for state in STATES}
    return {
        "rows": rows,
        "total": page.total,
        "cut": page.total > BOARD_PAGE,
        "counts": counts,
        "short": sum(1 for r in rows if r.warnings),
        "offers": services.waiting_offers(),
        "status_label": services.request_status_label,
        "default_respond_by": default_respond_by([r.session for r in rows if askable(r.session)]),
        "askable": askable,
        "warning_text": warning_text,
    }


# ---------------------------------------------------------------- the partner's page


def org_page(
    user: User, org: Organization, refused: tuple[int, ServiceError] | None = None
) -> dict[str, Any]:
    requests = services.list_requests(user, org=org)
    live = [r for r in requests if r.is_live]
    to_name = [
        (r, o)
        for r in requests
        for o in r.offers
        if o.status == OfferStatus.CONFIRMED and not o.people and r.session.starts_at > utcnow()
    ]
    members = org_staff(org)
    ids = [m.user.id for m in members]
    each = availability.unavailable_reasons_each(
        ids, [(r.session.starts_at, r.session.ends_at) for r in live]
    )
    away = {r.id: reasons for r, reasons in zip(live, each, strict=True)}
    return {
        "org": org,
        "live": live,
        "to_name": to_name,
        "past": [r for r in requests if not r.is_live][:100],
        "members": members,
        "summaries": availability.availability_summary(ids),
        "away": away,
        "busy": busy_people(ids, [r.session for r in live]),
        "refused": refused,
        "OfferStatus": OfferStatus,
        "LIVE_REQUEST": LIVE_REQUEST,
        "status_label": services.request_status_label,
    }


def waiting_offer(offers: Sequence[StaffingOffer]) -> StaffingOffer | None:
    return next((o for o in offers if o.status == OfferStatus.OFFERED), None)
