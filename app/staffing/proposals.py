"""Partners' proposals of classes: a partner proposes a session of its own (in a city venue or
in a place of its own), the coordinator approves it (the session is scheduled) or declines it
with a reason.

A proposal is read with scheduling's own reading and double-booking checks (read_plan,
check_conflicts), so that what could not be scheduled is refused when it is proposed, with
the messages the planning page gives; approving runs them again through create_session,
since something may have been booked in between.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.auth.models import Role, User
from app.curricula.models import Course
from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.orgs.models import Organization, OrgKind
from app.orgs.partner_services import get_partner_org
from app.scheduling.conflicts import check_conflicts
from app.scheduling.models import DeliveryType, Session, Venue
from app.scheduling.plans import SessionPlan, read_plan
from app.scheduling.sessions import create_session
from app.scheduling.venues import read_venue, update_venue
from app.staffing import notices
from app.staffing.models import ProposalStatus, SessionProposal
from app.staffing.proposal_schemas import DeclineIn, ProposalIn
from app.timeutil import utcnow
from app.transaction import atomic

PROPOSAL_STATUS = {
    ProposalStatus.PROPOSED: _l("承認待ち"),
    ProposalStatus.APPROVED: _l("承認済み(講座になりました)"),
    ProposalStatus.DECLINED: _l("見送り"),
    ProposalStatus.WITHDRAWN: _l("取り下げ"),
}

# How the national program counts a partner's own class: a carrier's shop class is
# 全国展開型; an NPO's or a 自治会's class with the city is 地域連携型.
DELIVERY_BY_KIND = {OrgKind.CARRIER: DeliveryType.NATIONWIDE}

# What a partner may say of its own venue; the rest (setup buffer, ...) keeps the defaults.
OWN_VENUE_FIELDS = ("name", "address", "district", "capacity", "accessibility_notes")

# A proposal's fields in a session's words (read_plan's), and back for its errors.
_SESSION_NAME = {"note": "notes"}
_PROPOSAL_NAME = {v: k for k, v in _SESSION_NAME.items()}


def delivery_type_of(org: Organization) -> str:
    return DELIVERY_BY_KIND.get(OrgKind(org.kind), DeliveryType.REGIONAL)


# ---------------------------------------------------------------- who sees what


def _with_details(query: sa.Select[SessionProposal]) -> sa.Select[SessionProposal]:
    return query.options(
        joinedload(SessionProposal.org),
        joinedload(SessionProposal.course).joinedload(Course.current_version),
        joinedload(SessionProposal.venue),
    )


def get_proposal(user: User, proposal_id: int) -> SessionProposal:
    """A proposal the user may see: planners any, a partner only its organization's (404)."""
    proposal = db.session.scalar(
        _with_details(sa.select(SessionProposal)).where(SessionProposal.id == proposal_id)
    )
    visible = proposal is not None and (
        user.role in (Role.ADMIN, Role.COORDINATOR)
        or (user.role == Role.PARTNER and user.org_id == proposal.org_id)
    )
    if proposal is None or not visible:
        raise NotFound(_("提案(ID %(id)s)は見つかりません。", id=proposal_id))
    return proposal


def org_by_slug(user: User, slug: str) -> Organization:
    """A partner organization named by its slug, as get_partner_org sees it (404 otherwise)."""
    org_id = db.session.scalar(sa.select(Organization.id).where(Organization.slug == slug))
    try:
        return get_partner_org(user, org_id if org_id is not None else -1)
    except NotFound:
        raise NotFound(_("団体「%(slug)s」は見つかりません。", slug=slug)) from None


def org_proposals(org: Organization) -> list[SessionProposal]:
    """An organization's proposals, the waiting ones first, then the latest."""
    waiting_first = sa.case((SessionProposal.status == ProposalStatus.PROPOSED, 0), else_=1)
    return list(
        db.session.scalars(
            _with_details(sa.select(SessionProposal))
            .where(SessionProposal.org_id == org.id)
            .order_by(waiting_first, SessionProposal.starts_at.desc(), SessionProposal.id)
        )
    )


def list_proposals(
    status: str | None = ProposalStatus.PROPOSED, org: Organization | None = None
) -> list[SessionProposal]:
    """Proposals in a state (None: all), of one organization or every one, soonest first."""
    query = _with_details(sa.select(SessionProposal))
    if org is not None:
        query = query.where(SessionProposal.org_id == org.id)
    if status is not None:
        query = query.where(SessionProposal.status == status)
    return list(db.session.scalars(query.order_by(SessionProposal.starts_at, SessionProposal.id)))


def recently_decided(limit: int = 20) -> list[SessionProposal]:
    return list(
        db.session.scalars(
            _with_details(sa.select(SessionProposal))
            .where(SessionProposal.status.in_([ProposalStatus.APPROVED, ProposalStatus.DECLINED]))
            .order_by(SessionProposal.decided_at.desc(), SessionProposal.id.desc())
            .limit(limit)
        )
    )


def waiting_count() -> int:
    """How many proposals wait for a coordinator's decision."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SessionProposal)
            .where(SessionProposal.status == ProposalStatus.PROPOSED)
        )
        or 0
    )


def people_of(proposals: Iterable[SessionProposal]) -> dict[int, User]:
    """The proposed instructors and assistants of many proposals, in one query."""
    ids = {i for p in proposals for i in [*p.instructor_ids, *p.assistant_ids]}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


# ---------------------------------------------------------------- the partner's venues


def proposal_venues(org: Organization) -> list[Venue]:
    """Where an organization may propose a class: the city's venues and its own."""
    return list(
        db.session.scalars(
            sa.select(Venue)
            .where(sa.or_(Venue.org_id.is_(None), Venue.org_id == org.id))
            .order_by(Venue.org_id.is_(None), Venue.district, Venue.name)
        )
    )


def own_venues(org: Organization) -> list[Venue]:
    return list(
        db.session.scalars(
            sa.select(Venue).where(Venue.org_id == org.id).order_by(Venue.district, Venue.name)
        )
    )


def get_own_venue(org: Organization, venue_id: int) -> Venue:
    """One of the organization's own venues; a city venue or another's is not found (404)."""
    venue = db.session.get(Venue, venue_id)
    if venue is None or venue.org_id != org.id:
        raise NotFound(_("会場(ID %(id)s)は見つかりません。", id=venue_id))
    return venue


def _own_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {name: raw.get(name) for name in OWN_VENUE_FIELDS if name in raw}


@atomic
def create_own_venue(org: Organization, raw: Mapping[str, Any]) -> Venue:
    """A place of the partner's own. Its slug is made here (partners never see slugs),
    random enough that two partners adding places at once do not collide."""
    slug = f"{org.slug[:48]}-{secrets.token_hex(4)}"
    values = read_venue({**_own_fields(raw), "slug": slug})
    venue = Venue(**values, org_id=org.id)
    db.session.add(venue)
    db.session.flush()
    return venue


def update_own_venue(org: Organization, venue: Venue, raw: Mapping[str, Any]) -> Venue:
    """Change one of the organization's own venues with scheduling's rules (a capacity below
    a planned session's is refused); update_venue commits, or rolls back, itself."""
    if venue.org_id != org.id:
        raise NotFound(_("会場(ID %(id)s)は見つかりません。", id=venue.id))
    return update_venue(venue, _own_fields(raw))


# ---------------------------------------------------------------- reading a proposal


@dataclass
class ProposalPlan:
    """A checked proposal: the session it would be, and the fields the proposal keeps."""

    plan: SessionPlan
    course: Course
    note: str


def _session_raw(org: Organization, given: ProposalIn) -> dict[str, Any]:
    """The proposal as a request to schedule a session of the organization."""
    raw: dict[str, Any] = {
        _SESSION_NAME.get(name, name): getattr(given, name) for name in given.model_fields_set
    }
    raw["partner_org"] = org.slug
    raw["delivery_type"] = delivery_type_of(org)
    return raw


def _own_rules(org: Organization, given: ProposalIn) -> dict[str, str]:
    """What a partner may propose beyond what any session may be: its own people, a venue
    of the city's or its own, a time still to come."""
    errors: dict[str, str] = {}
    if given.venue_id is not None:
        venue = db.session.get(Venue, given.venue_id)
        if venue is not None and venue.org_id not in (None, org.id):
            # Another partner's place: not one it may know of, so said as not registered.
            errors["venue_id"] = _("会場(ID %(id)s)は登録されていません。", id=given.venue_id)
    for name in ("instructor_ids", "assistant_ids"):
        ids = getattr(given, name) or []
        if not ids:
            continue
        ours = set(
            db.session.scalars(
                sa.select(User.id).where(
                    User.id.in_(ids),
                    User.org_id == org.id,
                    User.role == Role.INSTRUCTOR,
                    User.active.is_(True),
                )
            )
        )
        stranger = next((i for i in ids if i not in ours), None)
        if stranger is not None:
            errors[name] = _(
                "ID %(id)s はこの団体の講師・アシスタントではありません。", id=stranger
            )
    if given.starts_at is not None and given.starts_at <= utcnow():
        errors["starts_at"] = _("開始日時が過ぎています。これからの日時を入力してください。")
    return errors


def read_proposal(org: Organization, raw: Mapping[str, Any]) -> ProposalPlan:
    """Check a whole proposal; raise ValidationError naming every bad field at once."""
    given, errors = ProposalIn.read_partly(raw)
    own = _own_rules(org, given)
    plan = None
    try:
        plan = read_plan(_session_raw(org, given))
    except ValidationError as exc:
        for name, message in exc.fields.items():
            errors.setdefault(_PROPOSAL_NAME.get(name, name), message)
    for name, message in own.items():
        errors.setdefault(name, message)
    if errors or plan is None:
        raise ValidationError(_("入力内容を確認してください。"), fields=errors)
    return ProposalPlan(plan=plan, course=plan.course_version.course, note=given.note or "")


# ---------------------------------------------------------------- the partner's operations


@atomic
def propose(org: Organization, raw: Mapping[str, Any], by: User | None) -> SessionProposal:
    """Record a partner's proposal, refused as scheduling would refuse the session."""
    checked = read_proposal(org, raw)
    check_conflicts([checked.plan], exclude=set())
    plan = checked.plan
    proposal = SessionProposal(
        org=org,
        course=checked.course,
        venue=plan.venue,
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        capacity=plan.capacity,
        instructor_ids=[u.id for u in plan.instructors],
        assistant_ids=[u.id for u in plan.assistants],
        note=checked.note,
        proposed_by=by,
    )
    db.session.add(proposal)
    db.session.flush()
    notices.proposal_made(proposal)
    return proposal


def _refuse_unless_waiting(proposal: SessionProposal) -> None:
    if proposal.status != ProposalStatus.PROPOSED:
        raise Conflict(
            "not_proposed",
            _(
                "この提案はすでに「%(status)s」です。",
                status=PROPOSAL_STATUS[ProposalStatus(proposal.status)],
            ),
            proposal_id=proposal.id,
        )


@atomic
def withdraw(proposal: SessionProposal, by: User | None) -> SessionProposal:
    """The partner takes back a proposal not yet decided."""
    _refuse_unless_waiting(proposal)
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.decided_by = by
    proposal.decided_at = utcnow()
    return proposal


# ---------------------------------------------------------------- the coordinator's decision


def _proposal_raw(proposal: SessionProposal) -> dict[str, Any]:
    """The proposal's fields as the partner would send them again."""
    return {
        "course": proposal.course.slug,
        "venue_id": proposal.venue_id,
        "starts_at": proposal.starts_at,
        "ends_at": proposal.ends_at,
        "capacity": proposal.capacity,
        "instructor_ids": list(proposal.instructor_ids),
        "assistant_ids": list(proposal.assistant_ids),
        "note": proposal.note,
    }


@atomic
def approve(proposal: SessionProposal, by: User | None) -> Session:
    """Schedule the proposed class and mark the proposal approved, all or nothing.

    The proposal is read again (its people may have left the organization, its time may have
    passed) and create_session checks the bookings again: on a refusal nothing is written
    and the proposal stays waiting.
    """
    _refuse_unless_waiting(proposal)
    given, _wrong = ProposalIn.read_partly(_proposal_raw(proposal))
    own = _own_rules(proposal.org, given)
    if own:
        raise ValidationError(_("この提案はこのままでは登録できません。"), fields=own)
    session = create_session(_session_raw(proposal.org, given))
    proposal.status = ProposalStatus.APPROVED
    proposal.session = session
    proposal.decided_by = by
    proposal.decided_at = utcnow()
    proposal.reason = ""
    notices.proposal_decided(proposal)
    return session


@atomic
def decline(proposal: SessionProposal, raw: Mapping[str, Any], by: User | None) -> SessionProposal:
    """Decline with a reason the partner will read."""
    reason = (DeclineIn.read(raw).reason or "").strip()
    if not reason:
        why = _("見送る理由を入力してください(協力団体に伝わります)。")
        raise ValidationError(why, fields={"reason": why})
    _refuse_unless_waiting(proposal)
    proposal.status = ProposalStatus.DECLINED
    proposal.reason = reason
    proposal.decided_by = by
    proposal.decided_at = utcnow()
    notices.proposal_decided(proposal)
    return proposal
