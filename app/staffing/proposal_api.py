"""Partners' proposals as JSON: /api/v1/orgs/{slug}/proposals, /api/v1/proposals."""

from __future__ import annotations

from flask import request

from app.api import bp
from app.api.access import api_roles, api_user
from app.api.operations import Reply, operation
from app.auth.access import PLANNERS, is_planner
from app.inputs import json_object
from app.orgs.partner_services import PAGE_ROLES
from app.staffing import proposals as service
from app.staffing.proposal_schemas import (
    DeclineIn,
    ProposalIn,
    ProposalList,
    ProposalOut,
    ProposalQuery,
)


def _out(proposal) -> dict:
    return ProposalOut.model_validate(proposal).dump()


@bp.post("/orgs/<slug>/proposals")
@operation(
    "Propose a class of the organization (its partner users, or planners for it)",
    {201: Reply("The proposal, waiting for a coordinator", ProposalOut)},
    (401, 403, 404, 409, 422),
    description="Refused as scheduling would refuse the session: 409 for a double booking "
    "or a closed venue, 422 naming each bad field.",
    body=ProposalIn,
)
@api_roles(*PAGE_ROLES)
def create_proposal(slug: str):
    org = service.org_by_slug(api_user(), slug)
    return _out(service.propose(org, json_object(), api_user())), 201


@bp.get("/proposals")
@operation(
    "Proposals: planners see every partner's, a partner its own",
    {200: Reply("Proposals, soonest class first", ProposalList)},
    (401, 422),
    query=ProposalQuery,
)
@api_roles(*PAGE_ROLES)
def list_proposals():
    wanted = ProposalQuery.read_args(request.args)
    user = api_user()
    status = None if wanted.status == "all" else wanted.status
    if is_planner(user):
        found = service.list_proposals(status)
    elif user.org is not None:
        found = service.list_proposals(status, org=user.org)
    else:
        found = []
    return ProposalList(items=[ProposalOut.model_validate(p) for p in found]).dump()


@bp.get("/proposals/<int:proposal_id>")
@operation("One proposal", {200: Reply("The proposal", ProposalOut)}, (401, 404))
@api_roles(*PAGE_ROLES)
def get_proposal(proposal_id: int):
    return _out(service.get_proposal(api_user(), proposal_id))


@bp.post("/proposals/<int:proposal_id>/approve")
@operation(
    "Approve a proposal: the session is scheduled with every rule of scheduling",
    {200: Reply("The approved proposal; session_id is the new session", ProposalOut)},
    (401, 403, 404, 409, 422),
    description="409 when something was booked since (the proposal stays proposed) or the "
    "proposal was already decided (not_proposed).",
)
@api_roles(*PLANNERS)
def approve_proposal(proposal_id: int):
    proposal = service.get_proposal(api_user(), proposal_id)
    service.approve(proposal, api_user())
    return _out(proposal)


@bp.post("/proposals/<int:proposal_id>/decline")
@operation(
    "Decline a proposal with a reason the partner reads",
    {200: Reply("The declined proposal", ProposalOut)},
    (401, 403, 404, 409, 422),
    body=DeclineIn,
)
@api_roles(*PLANNERS)
def decline_proposal(proposal_id: int):
    proposal = service.get_proposal(api_user(), proposal_id)
    return _out(service.decline(proposal, json_object(), api_user()))


@bp.post("/proposals/<int:proposal_id>/withdraw")
@operation(
    "Withdraw a proposal still waiting",
    {200: Reply("The withdrawn proposal", ProposalOut)},
    (401, 404, 409),
)
@api_roles(*PAGE_ROLES)
def withdraw_proposal(proposal_id: int):
    proposal = service.get_proposal(api_user(), proposal_id)
    return _out(service.withdraw(proposal, api_user()))
