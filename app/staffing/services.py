"""Asking partners to staff classes, their offers, and the coordinator's decisions.

Each operation checks everything, then writes in one transaction, with the e-mail it causes
written to the outbox in the same transaction (app.staffing.notices): a refusal writes and
tells nothing. Confirming an offer sets the session's staff through scheduling's own edit, so
the same rules hold as when a coordinator types the names: double bookings refused (409), the
1:4 rule warned.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from app.auth.models import Role, User
from app.curricula.models import CourseVersion
from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.orgs.models import InstructorCourse, Organization
from app.scheduling.conflicts import check_conflicts
from app.scheduling.models import Session, SessionStatus, StaffRole
from app.scheduling.plans import read_plan
from app.scheduling.queries import with_details
from app.scheduling.sessions import update_one
from app.staffing import availability, notices
from app.staffing.models import (
    LIVE_REQUEST,
    OfferedPerson,
    OfferStatus,
    RequestStatus,
    StaffingOffer,
    StaffingRequest,
)
from app.staffing.schemas import OfferIn, ReasonIn, RequestIn
from app.templating import format_date
from app.timeutil import japan_today, local, utcnow
from app.transaction import atomic

# ---------------------------------------------------------------- reading


def with_request_details(query: sa.Select[StaffingRequest]) -> sa.Select[StaffingRequest]:
    # Everything a list of requests shows, in a fixed number of queries.
    return query.options(
        joinedload(StaffingRequest.org),
        joinedload(StaffingRequest.session)
        .joinedload(Session.course_version)
        .joinedload(CourseVersion.course),
        joinedload(StaffingRequest.session).joinedload(Session.venue),
        selectinload(StaffingRequest.offers)
        .selectinload(StaffingOffer.people)
        .joinedload(OfferedPerson.user),
    )


def visible_requests(user: User) -> sa.ColumnElement[bool]:
    """Requests a user may know exist: planners all, a partner user its organization's."""
    if user.role in (Role.ADMIN, Role.COORDINATOR):
        return sa.true()
    if user.role == Role.PARTNER and user.org_id is not None:
        return StaffingRequest.org_id == user.org_id
    return sa.false()


def get_request(user: User, request_id: int) -> StaffingRequest:
    found = db.session.scalar(
        with_request_details(sa.select(StaffingRequest)).where(
            StaffingRequest.id == request_id, visible_requests(user)
        )
    )
    if found is None:
        raise NotFound(_("依頼(ID %(id)s)は見つかりません。", id=request_id))
    return found


def get_offer(user: User, offer_id: int) -> StaffingOffer:
    offer = db.session.scalar(
        sa.select(StaffingOffer)
        .join(StaffingRequest, StaffingRequest.id == StaffingOffer.request_id)
        .where(StaffingOffer.id == offer_id, visible_requests(user))
        .options(selectinload(StaffingOffer.people).joinedload(OfferedPerson.user))
    )
    if offer is None:
        raise NotFound(_("申し出(ID %(id)s)は見つかりません。", id=offer_id))
    return offer


def list_requests(
    user: User,
    *,
    org: Organization | None = None,
    statuses: Collection[str] = (),
    session_ids: Collection[int] | None = None,
) -> list[StaffingRequest]:
    query = with_request_details(sa.select(StaffingRequest)).where(visible_requests(user))
    if org is not None:
        query = query.where(StaffingRequest.org_id == org.id)
    if statuses:
        query = query.where(StaffingRequest.status.in_(statuses))
    if session_ids is not None:
        query = query.where(StaffingRequest.session_id.in_(session_ids))
    query = query.join(Session, Session.id == StaffingRequest.session_id).order_by(
        Session.starts_at, StaffingRequest.id
    )
    return list(db.session.scalars(query).unique())


def live_count(org_id: int) -> int:
    """The menu's count for a partner: requests waiting for its answer."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(StaffingRequest)
            .where(StaffingRequest.org_id == org_id, StaffingRequest.status == RequestStatus.OPEN)
        )
        or 0
    )


def offers_waiting_count() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(StaffingOffer)
            .where(StaffingOffer.status == OfferStatus.OFFERED)
        )
        or 0
    )


def waiting_offers() -> list[StaffingOffer]:
    """Offers waiting for a coordinator's decision, soonest class first (the board's top)."""
    return list(
        db.session.scalars(
            sa.select(StaffingOffer)
            .join(StaffingRequest, StaffingRequest.id == StaffingOffer.request_id)
            .join(Session, Session.id == StaffingRequest.session_id)
            .where(StaffingOffer.status == OfferStatus.OFFERED)
            .options(
                selectinload(StaffingOffer.people).joinedload(OfferedPerson.user),
                joinedload(StaffingOffer.request).joinedload(StaffingRequest.org),
                joinedload(StaffingOffer.request)
                .joinedload(StaffingRequest.session)
                .options(
                    joinedload(Session.course_version),
                    joinedload(Session.venue),
                ),
            )
            .order_by(Session.starts_at, StaffingOffer.id)
        ).unique()
    )


# ---------------------------------------------------------------- asking


def _partners(slugs: Iterable[str]) -> list[Organization]:
    wanted = list(dict.fromkeys(s for s in slugs if s))
    if not wanted:
        why = _("依頼する団体を選んでください。")
        raise ValidationError(why, fields={"org": why})
    found = {
        o.slug: o
        for o in db.session.scalars(sa.select(Organization).where(Organization.slug.in_(wanted)))
    }
    for slug in wanted:
        org = found.get(slug)
        if org is None or not org.is_partner:
            why = _("協力団体「%(slug)s」は登録されていません。", slug=slug)
            raise ValidationError(why, fields={"org": why})
    return [found[s] for s in wanted]


def _askable(sessions: Sequence[Session], respond_by: date) -> None:
    now = utcnow()
    for session in sessions:
        if session.status != SessionStatus.SCHEDULED:
            raise Conflict(
                "not_scheduled",
                _("予定の講座だけに依頼できます(ID %(id)s)。", id=session.id),
                session_id=session.id,
            )
        if session.starts_at <= now:
            raise Conflict(
                "session_started",
                _("始まった講座には依頼できません(ID %(id)s)。", id=session.id),
                session_id=session.id,
            )
    first = min(local(s.starts_at).date() for s in sessions)
    if respond_by > first:
        why = _("回答期限は最初の講座の日(%(day)s)までにしてください。", day=format_date(first))
        raise ValidationError(why, fields={"respond_by": why})


@atomic
def request_staff(
    sessions: Sequence[Session], raw: Mapping[str, Any], *, by: User, orgs: Sequence[str] = ()
) -> list[StaffingRequest]:
    """Ask one or more partners to staff each of the sessions (one request per class and
    partner). Asking again while a request waits is no new request: a double click, a retry
    or a repeated bulk action returns the waiting one."""
    wanted = RequestIn.read(raw)
    if not sessions:
        why = _("依頼する講座を選んでください。")
        raise ValidationError(why, fields={"session_ids": why})
    partners = _partners([*orgs, wanted.org or ""])
    if not (wanted.instructors or wanted.assistants):
        why = _("講師かアシスタントを1人以上依頼してください。")
        raise ValidationError(why, fields={"instructors": why})
    if wanted.respond_by is None:
        why = _("回答期限を入力してください。")
        raise ValidationError(why, fields={"respond_by": why})
    if wanted.respond_by < japan_today():
        why = _("回答期限は今日以降の日にしてください。")
        raise ValidationError(why, fields={"respond_by": why})
    _askable(sessions, wanted.respond_by)
    waiting = {
        (r.session_id, r.org_id): r
        for r in db.session.scalars(
            sa.select(StaffingRequest).where(
                StaffingRequest.session_id.in_([s.id for s in sessions]),
                StaffingRequest.org_id.in_([o.id for o in partners]),
                StaffingRequest.status.in_(LIVE_REQUEST),
            )
        )
    }
    made: list[StaffingRequest] = []
    result: list[StaffingRequest] = []
    for org in partners:
        for session in sessions:
            found = waiting.get((session.id, org.id))
            if found is not None:
                result.append(found)
                continue
            request = StaffingRequest(
                session=session,
                org=org,
                instructors=wanted.instructors or 0,
                assistants=wanted.assistants or 0,
                respond_by=wanted.respond_by,
                note=wanted.note or "",
                created_by=by,
            )
            db.session.add(request)
            made.append(request)
            result.append(request)
    db.session.flush()
    notices.requests_made(made)
    return result


def _close(request: StaffingRequest, status: RequestStatus, reason: str = "") -> None:
    request.status = status
    request.reason = reason
    request.closed_at = utcnow()
    for offer in request.offers:
        if offer.status == OfferStatus.OFFERED:
            offer.status = OfferStatus.CLOSED
            offer.decided_at = utcnow()


def _refuse_unless_live(request: StaffingRequest) -> None:
    if not request.is_live:
        raise Conflict(
            "request_closed",
            _("この依頼は受付を終えています(%(status)s)。", status=request_status_label(request)),
            staffing_request_id=request.id,
        )


@atomic
def withdraw_request(request: StaffingRequest, raw: Mapping[str, Any], *, by: User) -> None:
    reason = ReasonIn.read(raw).reason or ""
    _refuse_unless_live(request)
    _close(request, RequestStatus.WITHDRAWN, reason)
    notices.request_closed(request)


@atomic
def decline_request(request: StaffingRequest, raw: Mapping[str, Any], *, by: User) -> None:
    """The partner cannot staff the class."""
    reason = ReasonIn.read(raw).reason or ""
    _refuse_unless_live(request)
    _close(request, RequestStatus.DECLINED, reason)
    notices.partner_replied(request, None)


# ---------------------------------------------------------------- offering


def _people(org: Organization, ids: list[int], name: str) -> list[User]:
    if not ids:
        return []
    users = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(
                User.id.in_(ids),
                User.org_id == org.id,
                User.role == Role.INSTRUCTOR,
                User.active.is_(True),
            )
        )
    }
    for user_id in ids:
        if user_id not in users:
            why = _(
                "ID %(id)s はこの団体の講師・アシスタントではありません。",
                id=user_id,
            )
            raise ValidationError(why, fields={name: why})
    return [users[i] for i in ids]


def _warnings(session: Session, people: Sequence[User]) -> list[str]:
    """What the partner and the coordinator should know, though it does not refuse the offer:
    someone not trained for the course, someone marked unavailable then."""
    if not people:
        return []
    trained = set(
        db.session.scalars(
            sa.select(InstructorCourse.user_id).where(
                InstructorCourse.user_id.in_([u.id for u in people]),
                InstructorCourse.course_id == session.course_version.course_id,
            )
        )
    )
    found = [
        _(
            "%(name)sさんは「%(course)s」を教えられるコースに登録していません。",
            name=u.name,
            course=session.course_version.title,
        )
        for u in people
        if u.id not in trained
    ]
    away = availability.unavailable_reasons(
        [u.id for u in people], session.starts_at, session.ends_at
    )
    found.extend(f"{u.name}: {away[u.id]}" for u in people if u.id in away)
    return found


@dataclass
class OfferResult:
    offer: StaffingOffer
    warnings: list[str] = field(default_factory=list)


def _check_people_fit(session: Session, instructors: list[User], assistants: list[User]) -> None:
    """The same refusal as editing the session: someone teaching elsewhere then is 409."""
    plan = read_plan(
        {
            "instructor_ids": [u.id for u in instructors],
            "assistant_ids": [u.id for u in assistants],
        },
        base=session,
    )
    check_conflicts([plan], exclude={session.id})


@atomic
def make_offer(request: StaffingRequest, raw: Mapping[str, Any], *, by: User) -> OfferResult:
    wanted = OfferIn.read(raw)
    _refuse_unless_live(request)
    if request.session.starts_at <= utcnow():
        raise Conflict(
            "session_started",
            _("始まった講座には申し出られません。"),
            staffing_request_id=request.id,
        )
    instructor_ids = wanted.instructor_ids or []
    assistant_ids = wanted.assistant_ids or []
    if set(instructor_ids) & set(assistant_ids):
        why = _("同じ人を講師とアシスタントの両方にはできません。")
        raise ValidationError(why, fields={"assistant_ids": why})
    instructors = _people(request.org, instructor_ids, "instructor_ids")
    assistants = _people(request.org, assistant_ids, "assistant_ids")
    if not instructors and not assistants:
        if wanted.name_by is None:
            why = _("担当する人を選ぶか、いつまでに決めるか(日付)を入力してください。")
            raise ValidationError(why, fields={"instructor_ids": why, "name_by": why})
        if wanted.name_by > local(request.session.starts_at).date():
            why = _("担当者は講座の日までに決めてください。")
            raise ValidationError(why, fields={"name_by": why})
    if instructors or assistants:
        _check_people_fit(request.session, instructors, assistants)
    warnings = _warnings(request.session, [*instructors, *assistants])
    if len(instructors) < request.instructors and (instructors or assistants):
        warnings.append(
            _(
                "講師は%(asked)d人の依頼に%(given)d人です。",
                asked=request.instructors,
                given=len(instructors),
            )
        )
    # A new offer replaces the partner's earlier one that still waits.
    for earlier in request.offers:
        if earlier.status == OfferStatus.OFFERED:
            earlier.status = OfferStatus.CLOSED
            earlier.decided_at = utcnow()
    offer = StaffingOffer(
        request=request,
        name_by=None if (instructors or assistants) else wanted.name_by,
        note=wanted.note or "",
        warnings=warnings,
        offered_by=by,
        people=[OfferedPerson(user=u, role=StaffRole.INSTRUCTOR) for u in instructors]
        + [OfferedPerson(user=u, role=StaffRole.ASSISTANT) for u in assistants],
    )
    db.session.add(offer)
    request.status = RequestStatus.OFFERED
    db.session.flush()
    notices.partner_replied(request, offer)
    return OfferResult(offer, warnings)


# ---------------------------------------------------------------- deciding


def _refuse_unless_waiting(offer: StaffingOffer) -> None:
    if offer.status != OfferStatus.OFFERED or not offer.request.is_live:
        raise Conflict(
            "offer_decided",
            _("この申し出はすでに決定済みです。"),
            offer_id=offer.id,
        )


def _set_staff(session: Session, org: Organization, offer: StaffingOffer) -> None:
    values: dict[str, Any] = {"partner_org": org.slug}
    if offer.people:
        values["instructor_ids"] = [u.id for u in offer.of_role(StaffRole.INSTRUCTOR)]
        values["assistant_ids"] = [u.id for u in offer.of_role(StaffRole.ASSISTANT)]
    update_one(session, values)


@atomic
def confirm_offer(offer: StaffingOffer, *, by: User) -> Session:
    """The offer fills its request: the session's staff become the offered people (all the
    rules of editing a session), and the other partners asked for the class hear it is no
    longer needed."""
    request = offer.request
    _refuse_unless_waiting(offer)
    session = db.session.scalars(
        with_details(sa.select(Session)).where(Session.id == request.session_id)
    ).one()
    _set_staff(session, request.org, offer)
    offer.status = OfferStatus.CONFIRMED
    offer.decided_by = by
    offer.decided_at = utcnow()
    request.status = RequestStatus.CONFIRMED
    request.closed_at = utcnow()
    others = db.session.scalars(
        sa.select(StaffingRequest)
        .where(
            StaffingRequest.session_id == request.session_id,
            StaffingRequest.id != request.id,
            StaffingRequest.status.in_(LIVE_REQUEST),
        )
        .options(selectinload(StaffingRequest.offers))
    ).all()
    for other in others:
        _close(other, RequestStatus.NOT_NEEDED)
    db.session.flush()
    notices.offer_decided(offer)
    for other in others:
        notices.request_closed(other)
    return session


@atomic
def decline_offer(offer: StaffingOffer, raw: Mapping[str, Any], *, by: User) -> None:
    reason = ReasonIn.read(raw).reason or ""
    if not reason:
        why = _("お断りの理由を入力してください。")
        raise ValidationError(why, fields={"reason": why})
    _refuse_unless_waiting(offer)
    offer.status = OfferStatus.DECLINED
    offer.reason = reason
    offer.decided_by = by
    offer.decided_at = utcnow()
    _close(offer.request, RequestStatus.DECLINED, reason)
    notices.offer_decided(offer)


@atomic
def name_people(offer: StaffingOffer, raw: Mapping[str, Any], *, by: User) -> OfferResult:
    """A confirmed "to be named" offer gets its people: they become the session's staff."""
    if offer.status != OfferStatus.CONFIRMED or offer.people:
        raise Conflict(
            "offer_not_open_for_names",
            _("担当者を後で決める、確定済みの申し出だけに名前を入れられます。"),
            offer_id=offer.id,
        )
    wanted = OfferIn.read(raw)
    request = offer.request
    instructors = _people(request.org, wanted.instructor_ids or [], "instructor_ids")
    assistants = _people(request.org, wanted.assistant_ids or [], "assistant_ids")
    if not instructors and not assistants:
        why = _("担当する人を選んでください。")
        raise ValidationError(why, fields={"instructor_ids": why})
    offer.people = [OfferedPerson(user=u, role=StaffRole.INSTRUCTOR) for u in instructors] + [
        OfferedPerson(user=u, role=StaffRole.ASSISTANT) for u in assistants
    ]
    offer.name_by = None
    warnings = _warnings(request.session, [*instructors, *assistants])
    _set_staff(request.session, request.org, offer)
    return OfferResult(offer, warnings)


# ---------------------------------------------------------------- deadlines


@atomic
def close_overdue(today: date | None = None) -> list[StaffingRequest]:
    """Requests no one answered by their date, and offers still undecided when the class
    began, go `unfilled`; the coordinators and the partner hear of it."""
    today = today or japan_today()
    overdue = db.session.scalars(
        sa.select(StaffingRequest)
        .join(Session, Session.id == StaffingRequest.session_id)
        .where(
            sa.or_(
                sa.and_(
                    StaffingRequest.status == RequestStatus.OPEN,
                    StaffingRequest.respond_by < today,
                ),
                sa.and_(
                    StaffingRequest.status.in_(LIVE_REQUEST),
                    Session.starts_at <= utcnow(),
                ),
            )
        )
        .options(selectinload(StaffingRequest.offers))
    ).all()
    for request in overdue:
        _close(request, RequestStatus.UNFILLED)
    db.session.flush()
    notices.requests_unfilled(list(overdue))
    return list(overdue)


def close_for_cancelled(session_ids: Collection[int]) -> list[StaffingRequest]:
    """A cancelled class needs no staff: its waiting requests are withdrawn (the partner
    hears of the cancellation itself). Inside the caller's transaction."""
    found = db.session.scalars(
        sa.select(StaffingRequest)
        .where(
            StaffingRequest.session_id.in_(session_ids),
            StaffingRequest.status.in_(LIVE_REQUEST),
        )
        .options(selectinload(StaffingRequest.offers))
    ).all()
    for request in found:
        _close(request, RequestStatus.WITHDRAWN, _("講座が中止になりました。"))
    return list(found)


# ---------------------------------------------------------------- words


def request_status_label(request: StaffingRequest) -> str:
    return str(REQUEST_STATUS_LABELS.get(request.status, request.status))


REQUEST_STATUS_LABELS: dict[str, Any] = {
    RequestStatus.OPEN: _l("回答待ち"),
    RequestStatus.OFFERED: _l("申し出あり"),
    RequestStatus.CONFIRMED: _l("確定"),
    RequestStatus.DECLINED: _l("お断り"),
    RequestStatus.WITHDRAWN: _l("取り下げ"),
    RequestStatus.UNFILLED: _l("期限切れ"),
    RequestStatus.NOT_NEEDED: _l("不要になりました"),
}
