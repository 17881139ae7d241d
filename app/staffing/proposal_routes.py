"""Proposal pages: a partner's 「講座の提案」 (its proposals, the form, its own venues) and the
coordinators' list of proposals waiting. Thin: read the form, call app.staffing.proposals."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import PLANNERS, roles
from app.errors import Conflict, NotFound, ValidationError
from app.orgs.models import Organization
from app.orgs.partner_services import PAGE_ROLES, get_partner_org
from app.staffing import bp
from app.staffing import proposals as service
from app.staffing.models import SessionProposal
from app.staffing.proposal_forms import ActionForm, DeclineForm, OwnVenueForm, ProposalForm
from app.timeutil import parse_iso

# ---------------------------------------------------------------- helpers


def _conflict_view(exc: Conflict) -> dict[str, Any]:
    """What scheduling's conflict notice (scheduling/_parts.html) shows of a refusal."""
    overlap = exc.code in ("venue_conflict", "instructor_conflict")
    return {
        "code": exc.code,
        "message": exc.message,
        "session_id": exc.extra.get("session_id") if overlap else None,
        "repeated": False,
        "conflicts": [
            {**item, "starts_at": parse_iso(item["starts_at"]) if item.get("starts_at") else None}
            for item in exc.extra.get("conflicts") or []
        ],
    }


def _org_proposal(org: Organization, proposal_id: int) -> SessionProposal:
    proposal = service.get_proposal(current_user, proposal_id)
    if proposal.org_id != org.id:
        raise NotFound(_("提案(ID %(id)s)は見つかりません。", id=proposal_id))
    return proposal


# ---------------------------------------------------------------- the partner's page


def _proposals_page(
    org: Organization,
    form: ProposalForm,
    *,
    general: list[str] | None = None,
    conflict: dict[str, Any] | None = None,
    status: int = 200,
):
    proposals = service.org_proposals(org)
    return render_template(
        "staffing/proposals.html",
        org=org,
        form=form,
        proposals=proposals,
        people=service.people_of(proposals),
        own_venues=service.own_venues(org),
        labels=service.PROPOSAL_STATUS,
        action_form=ActionForm(formdata=None),
        general_errors=general or [],
        conflict=conflict,
    ), status


@bp.route("/orgs/<int:org_id>/proposals", methods=["GET", "POST"])
@roles(*PAGE_ROLES)
def org_proposals(org_id: int):
    org = get_partner_org(current_user, org_id)
    form = ProposalForm()
    form.load_choices(org, service.proposal_venues(org))
    if not form.is_submitted():
        return _proposals_page(org, form)
    form.validate()
    try:
        if form.errors:
            service.read_proposal(org, form.proposal_raw())  # the other fields' errors too
            return _proposals_page(org, form, status=422)
        service.propose(org, form.proposal_raw(), current_user)
    except ValidationError as exc:
        general = form.show_service_errors(exc.fields)
        return _proposals_page(org, form, general=general, status=422)
    except Conflict as exc:
        return _proposals_page(org, form, conflict=_conflict_view(exc), status=409)
    flash(_("講座を提案しました。コーディネーターの承認をお待ちください。"), "success")
    return redirect(url_for("staffing.org_proposals", org_id=org.id, _anchor="proposals"))


@bp.post("/orgs/<int:org_id>/proposals/<int:proposal_id>/withdraw")
@roles(*PAGE_ROLES)
def proposal_withdraw(org_id: int, proposal_id: int):
    org = get_partner_org(current_user, org_id)
    proposal = _org_proposal(org, proposal_id)
    if ActionForm().validate_on_submit():
        try:
            service.withdraw(proposal, current_user)
            flash(_("提案を取り下げました。"), "success")
        except Conflict as exc:
            flash(exc.message, "error")
    return redirect(url_for("staffing.org_proposals", org_id=org.id, _anchor="proposals"))


def _own_venue_page(org: Organization, form: OwnVenueForm, venue=None, general=(), status=200):
    return render_template(
        "staffing/proposal_venue_form.html",
        org=org,
        form=form,
        venue=venue,
        general_errors=list(general),
    ), status


@bp.route("/orgs/<int:org_id>/venues/new", methods=["GET", "POST"])
@roles(*PAGE_ROLES)
def own_venue_new(org_id: int):
    org = get_partner_org(current_user, org_id)
    form = OwnVenueForm()
    if form.validate_on_submit():
        try:
            venue = service.create_own_venue(org, form.venue_raw())
        except ValidationError as exc:
            return _own_venue_page(
                org, form, general=form.show_service_errors(exc.fields), status=422
            )
        flash(_("会場「%(name)s」を登録しました。", name=venue.name), "success")
        return redirect(url_for("staffing.org_proposals", org_id=org.id, _anchor="venues"))
    return _own_venue_page(org, form)


@bp.route("/orgs/<int:org_id>/venues/<int:venue_id>/edit", methods=["GET", "POST"])
@roles(*PAGE_ROLES)
def own_venue_edit(org_id: int, venue_id: int):
    org = get_partner_org(current_user, org_id)
    venue = service.get_own_venue(org, venue_id)
    form = OwnVenueForm(obj=venue if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            venue = service.update_own_venue(org, venue, form.venue_raw())
        except ValidationError as exc:
            general = form.show_service_errors(exc.fields)
            venue = service.get_own_venue(org, venue_id)
            return _own_venue_page(org, form, venue, general, status=422)
        flash(_("会場「%(name)s」を変更しました。", name=venue.name), "success")
        return redirect(url_for("staffing.org_proposals", org_id=org.id, _anchor="venues"))
    return _own_venue_page(org, form, venue)


# ---------------------------------------------------------------- the coordinators' list


def _queue_page(refused: dict[int, dict[str, Any]] | None = None, status: int = 200):
    """The proposals waiting; `refused` keeps, per proposal, why its decision was refused."""
    refused = refused or {}
    waiting = service.list_proposals()
    decided = service.recently_decided()
    decline_forms = {
        p.id: refused.get(p.id, {}).get("decline_form")
        or DeclineForm(formdata=None, prefix=f"p{p.id}")
        for p in waiting
    }
    return render_template(
        "staffing/proposal_queue.html",
        waiting=waiting,
        decided=decided,
        people=service.people_of([*waiting, *decided]),
        labels=service.PROPOSAL_STATUS,
        action_form=ActionForm(formdata=None),
        decline_forms=decline_forms,
        refused=refused,
    ), status


@bp.get("/proposals")
@roles(*PLANNERS)
def proposal_queue():
    return _queue_page()


@bp.post("/proposals/<int:proposal_id>/approve")
@roles(*PLANNERS)
def proposal_approve(proposal_id: int):
    proposal = service.get_proposal(current_user, proposal_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("staffing.proposal_queue"))
    try:
        session = service.approve(proposal, current_user)
    except Conflict as exc:
        if exc.code == "not_proposed":  # decided meanwhile (another tab, a colleague)
            flash(exc.message, "error")
            return redirect(url_for("staffing.proposal_queue"))
        return _queue_page({proposal_id: {"conflict": _conflict_view(exc)}}, status=409)
    except ValidationError as exc:
        messages = [str(m) for m in exc.fields.values()] or [str(exc.message)]
        return _queue_page({proposal_id: {"general": messages}}, status=422)
    flash(_("提案を承認し、講座を登録しました。"), "success")
    return redirect(url_for("scheduling.session_detail", session_id=session.id))


@bp.post("/proposals/<int:proposal_id>/decline")
@roles(*PLANNERS)
def proposal_decline(proposal_id: int):
    proposal = service.get_proposal(current_user, proposal_id)
    form = DeclineForm(prefix=f"p{proposal_id}")
    if not form.validate_on_submit():
        return redirect(url_for("staffing.proposal_queue"))
    try:
        service.decline(proposal, {"reason": form.reason.data}, current_user)
    except ValidationError as exc:
        general = form.show_service_errors(exc.fields)
        return _queue_page({proposal_id: {"decline_form": form, "general": general}}, status=422)
    except Conflict as exc:  # decided meanwhile
        flash(exc.message, "error")
        return redirect(url_for("staffing.proposal_queue"))
    flash(_("提案を見送りました。協力団体に理由が伝わります。"), "success")
    return redirect(url_for("staffing.proposal_queue"))
