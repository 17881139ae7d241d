"""Staffing as JSON: /api/v1/sessions/{id}/staffing-requests, /api/v1/staffing-requests,
/api/v1/offers/{id}/confirm|decline. A partner's token sees its own organization's requests
only: another's answers 404, as if it did not exist."""

from __future__ import annotations

from typing import Any

from flask import request

from app.api import bp
from app.api.access import api_roles, api_user
from app.api.operations import Reply, operation
from app.auth.access import PLANNERS
from app.auth.models import Role
from app.inputs import json_object
from app.scheduling.models import StaffRole
from app.scheduling.queries import get_session
from app.staffing import services
from app.staffing.models import StaffingOffer, StaffingRequest
from app.staffing.schemas import (
    ConfirmOut,
    OfferIn,
    OfferOut,
    ReasonIn,
    RequestIn,
    RequestList,
    RequestOut,
)

OFFERING = (*PLANNERS, Role.PARTNER)


def _offer(offer: StaffingOffer, warnings: list[str] | None = None) -> OfferOut:
    def people(role: str) -> list[dict[str, Any]]:
        return [{"id": u.id, "name": u.name} for u in offer.of_role(role)]

    return OfferOut.model_validate(
        {
            "id": offer.id,
            "request_id": offer.request_id,
            "status": offer.status,
            "instructors": people(StaffRole.INSTRUCTOR),
            "assistants": people(StaffRole.ASSISTANT),
            "name_by": offer.name_by,
            "note": offer.note,
            "reason": offer.reason,
            "warnings": offer.warnings if warnings is None else warnings,
        }
    )


def _request(found: StaffingRequest) -> dict[str, Any]:
    out = RequestOut.model_validate(
        {
            "id": found.id,
            "session_id": found.session_id,
            "org": found.org.slug,
            "course_title": found.session.course_version.title,
            "starts_at": found.session.starts_at,
            "ends_at": found.session.ends_at,
            "venue": found.session.venue.name,
            "instructors": found.instructors,
            "assistants": found.assistants,
            "respond_by": found.respond_by,
            "note": found.note,
            "status": found.status,
            "reason": found.reason,
            "offers": [_offer(o) for o in found.offers],
        }
    )
    return out.dump()


@bp.post("/sessions/<int:session_id>/staffing-requests")
@operation(
    "Ask a partner organization to staff a session (coordinators and admins)",
    {201: Reply("The request, open", RequestOut)},
    (401, 403, 404, 409, 422),
    body=RequestIn,
)
@api_roles(*PLANNERS)
def create_staffing_request(session_id: int):
    session = get_session(api_user(), session_id)
    made = services.request_staff([session], json_object(), by=api_user())
    return _request(services.get_request(api_user(), made[0].id)), 201


@bp.get("/staffing-requests")
@operation(
    "Staffing requests: all for planners, the token's organization's for a partner",
    {200: Reply("The requests, soonest class first", RequestList)},
    (401, 403),
)
@api_roles(*OFFERING)
def list_staffing_requests():
    statuses = [s for s in request.args.getlist("status") if s]
    found = services.list_requests(api_user(), statuses=statuses)
    return {"items": [_request(r) for r in found]}


@bp.get("/staffing-requests/<int:request_id>")
@operation("One staffing request", {200: Reply("The request", RequestOut)}, (401, 403, 404))
@api_roles(*OFFERING)
def get_staffing_request(request_id: int):
    return _request(services.get_request(api_user(), request_id))


@bp.post("/staffing-requests/<int:request_id>/offers")
@operation(
    "Offer named instructors and assistants, or a date by which to name them (partners)",
    {201: Reply("The offer, with warnings (not trained for the course, unavailable)", OfferOut)},
    {
        401: "",
        403: "",
        404: "",
        409: "instructor_conflict: someone teaches elsewhere then; request_closed",
        422: "",
    },
    body=OfferIn,
)
@api_roles(*OFFERING)
def create_offer(request_id: int):
    found = services.get_request(api_user(), request_id)
    result = services.make_offer(found, json_object(), by=api_user())
    return _offer(result.offer, result.warnings).dump(), 201


@bp.post("/offers/<int:offer_id>/confirm")
@operation(
    "Confirm an offer: the session's staff become the offered people (coordinators)",
    {200: Reply("The confirmed offer and the session's staffing warnings", ConfirmOut)},
    (401, 403, 404, 409),
)
@api_roles(*PLANNERS)
def confirm_offer(offer_id: int):
    offer = services.get_offer(api_user(), offer_id)
    session = services.confirm_offer(offer, by=api_user())
    return ConfirmOut(offer=_offer(offer), session_warnings=session.warnings).dump()


@bp.post("/offers/<int:offer_id>/decline")
@operation(
    "Decline an offer, with a reason the partner is told (coordinators)",
    {200: Reply("The declined offer", OfferOut)},
    (401, 403, 404, 409, 422),
    body=ReasonIn,
)
@api_roles(*PLANNERS)
def decline_offer(offer_id: int):
    offer = services.get_offer(api_user(), offer_id)
    services.decline_offer(offer, json_object(), by=api_user())
    return _offer(offer).dump()


@bp.post("/staffing-requests/<int:request_id>/withdraw")
@operation(
    "Withdraw a request still waiting (coordinators)",
    {200: Reply("The withdrawn request", RequestOut)},
    (401, 403, 404, 409, 422),
    body=ReasonIn,
)
@api_roles(*PLANNERS)
def withdraw_staffing_request(request_id: int):
    found = services.get_request(api_user(), request_id)
    services.withdraw_request(found, json_object(), by=api_user())
    return _request(found)
