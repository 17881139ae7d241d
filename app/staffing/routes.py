"""Staffing's pages: asking partners (from a class, a series or the board), a partner's
「依頼」 page where it offers its people, the coordinator's decisions, and the staffing board."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth.access import PLANNERS, is_planner, roles
from app.auth.models import Role
from app.errors import Conflict, ServiceError, ValidationError
from app.orgs import partner_services as orgs_partners
from app.orgs.models import Organization
from app.orgs.partner_services import PAGE_ROLES
from app.scheduling.forms import SessionFilterForm, int_or_none
from app.scheduling.models import SessionStatus
from app.scheduling.queries import get_session, series_sessions
from app.schemas import ApiIn
from app.staffing import board as boards
from app.staffing import bp, services
from app.staffing.models import RequestStatus, StaffingRequest
from app.staffing.schemas import ReasonIn, RequestIn
from app.timeutil import japan_today

BOARD_WEEKS = 4  # the board opens on the coming four weeks


def _refused(exc: ServiceError) -> None:
    flash(exc.message, "error")
    for why in exc.fields.values():
        if str(why) != str(exc.message):
            flash(why, "error")


def _tried(action: Callable[[], object], done: str) -> None:
    """Do a decision that goes back to the page it came from: its refusal, or the news."""
    try:
        action()
    except ServiceError as exc:
        _refused(exc)
    else:
        flash(done, "success")


def _fields_of(model: type[ApiIn]) -> dict[str, str]:
    """The posted form's fields that the model reads (the form also carries its token, the
    page to go back to, the chosen classes)."""
    return {name: request.form[name] for name in model.model_fields if name in request.form}


def _back(default: str) -> Response:
    target = request.form.get("next") or ""
    # Only a path of this site: a form must not send anyone elsewhere.
    if not target.startswith("/") or target.startswith("//"):
        target = default
    return redirect(target)


# ---------------------------------------------------------------- asking


def _chosen_sessions() -> list:
    ids = [int_or_none(v) for v in request.values.getlist("session_id")]
    sessions = [get_session(current_user, i) for i in dict.fromkeys(i for i in ids if i)]
    series_id = int_or_none(request.values.get("series_id"))
    if series_id:
        sessions.extend(
            s
            for s in series_sessions(current_user, series_id)
            if s.id not in {x.id for x in sessions}
        )
    return sessions


@bp.route("/staffing/requests/new", methods=["GET", "POST"])
@roles(*PLANNERS)
def request_form():
    sessions = _chosen_sessions()
    upcoming = [s for s in sessions if boards.askable(s)]
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            made = services.request_staff(
                upcoming,
                _fields_of(RequestIn),
                by=current_user,
                orgs=request.form.getlist("orgs"),
            )
        except ValidationError as exc:
            errors = {k: str(v) for k, v in exc.fields.items()}
            flash(exc.message, "error")
            status = 422
        except Conflict as exc:
            flash(exc.message, "error")
            status = 409
        else:
            flash(
                _("%(n)d件の依頼を送りました。", n=len(made)),
                "success",
            )
            return _back(url_for("staffing.board"))
    return render_template(
        "staffing/request_form.html",
        sessions=sessions,
        upcoming=upcoming,
        partners=boards.partner_choices(upcoming),
        errors=errors,
        values=request.form if request.method == "POST" else {},
        default_respond_by=boards.default_respond_by(upcoming),
        next=request.values.get("next", ""),
    ), status


@bp.post("/staffing/requests/<int:request_id>/withdraw")
@roles(*PLANNERS)
def request_withdraw(request_id: int):
    found = services.get_request(current_user, request_id)
    _tried(
        lambda: services.withdraw_request(found, _fields_of(ReasonIn), by=current_user),
        _("依頼を取り下げました。団体にお知らせします。"),
    )
    return _back(url_for("staffing.board"))


# ---------------------------------------------------------------- the partner's page


@bp.get("/orgs/<int:org_id>/requests")
@roles(*PAGE_ROLES)
def org_requests(org_id: int):
    org = orgs_partners.get_partner_org(current_user, org_id)
    return render_template("staffing/org_requests.html", **boards.org_page(current_user, org)), 200


def _org_request(org_id: int, request_id: int) -> tuple[Organization, StaffingRequest]:
    """The organization's request: another organization's, named under this one's address,
    is no request here (404), as is one the user may not see at all."""
    org = orgs_partners.get_partner_org(current_user, org_id)
    found = services.get_request(current_user, request_id)
    if found.org_id != org.id:
        abort(404)
    return org, found


def _people_posted(*others: str) -> dict[str, Any]:
    """The ticked people of an offer's form, and its other boxes by name."""
    values: dict[str, Any] = {
        name: request.form.getlist(name) for name in ("instructor_ids", "assistant_ids")
    }
    values.update({name: request.form.get(name, "") for name in others})
    return values


def _offer_answer(
    org: Organization, request_id: int, offering: Callable[[], services.OfferResult], done: str
) -> Any:
    """Make an offer or name its people: the page again with the reasons beside the request
    when refused, else its warnings (not trained, unavailable) with the news."""
    try:
        result = offering()
    except ServiceError as exc:
        page = boards.org_page(current_user, org, refused=(request_id, exc))
        return render_template("staffing/org_requests.html", **page), exc.status
    flash(done, "success")
    for warning in result.warnings:
        flash(warning, "warning")
    return redirect(
        url_for("staffing.org_requests", org_id=org.id, _anchor=f"request-{request_id}")
    )


@bp.post("/orgs/<int:org_id>/requests/<int:request_id>/offer")
@roles(*PAGE_ROLES)
def make_offer(org_id: int, request_id: int):
    org, found = _org_request(org_id, request_id)
    values = _people_posted("name_by", "note")
    return _offer_answer(
        org,
        found.id,
        lambda: services.make_offer(found, values, by=current_user),
        _("申し出を送りました。市のコーディネーターが確定します。"),
    )


@bp.post("/orgs/<int:org_id>/requests/<int:request_id>/decline")
@roles(*PAGE_ROLES)
def decline_request(org_id: int, request_id: int):
    org, found = _org_request(org_id, request_id)
    _tried(
        lambda: services.decline_request(found, _fields_of(ReasonIn), by=current_user),
        _("担当できないことを市にお知らせしました。"),
    )
    return redirect(url_for("staffing.org_requests", org_id=org.id))


@bp.post("/orgs/<int:org_id>/offers/<int:offer_id>/names")
@roles(*PAGE_ROLES)
def name_people(org_id: int, offer_id: int):
    offer = services.get_offer(current_user, offer_id)
    org, found = _org_request(org_id, offer.request_id)
    values = _people_posted()
    return _offer_answer(
        org,
        found.id,
        lambda: services.name_people(offer, values, by=current_user),
        _("担当者を講座に登録しました。"),
    )


# ---------------------------------------------------------------- the coordinator decides


@bp.post("/staffing/offers/<int:offer_id>/confirm")
@roles(*PLANNERS)
def confirm_offer(offer_id: int):
    offer = services.get_offer(current_user, offer_id)
    try:
        session = services.confirm_offer(offer, by=current_user)
    except ServiceError as exc:
        _refused(exc)
    else:
        flash(
            _(
                "%(org)s の申し出を確定しました。担当者に予定をお送りします。",
                org=offer.request.org.name,
            ),
            "success",
        )
        for warning in session.warnings:
            flash(boards.warning_text(warning), "warning")
    return _back(url_for("staffing.board"))


@bp.post("/staffing/offers/<int:offer_id>/decline")
@roles(*PLANNERS)
def decline_offer(offer_id: int):
    offer = services.get_offer(current_user, offer_id)
    _tried(
        lambda: services.decline_offer(offer, _fields_of(ReasonIn), by=current_user),
        _("申し出をお断りしました。団体に理由をお知らせします。"),
    )
    return _back(url_for("staffing.board"))


# ---------------------------------------------------------------- the board


@bp.get("/staffing")
@roles(*PLANNERS)
def board():
    form = SessionFilterForm(formdata=request.args)
    form.load_choices(planner=True)
    form.validate()
    today = japan_today()
    filters = form.filters()
    # Classes to staff: a cancelled one needs no one (the board has its own states).
    filters.status = SessionStatus.SCHEDULED
    filters.date_from = filters.date_from or today
    filters.date_to = filters.date_to or today + timedelta(weeks=BOARD_WEEKS)
    if not form.date_from.data:
        form.date_from.data = filters.date_from
    if not form.date_to.data:
        form.date_to.data = filters.date_to
    wanted_state = request.args.get("state") or ""
    return render_template(
        "staffing/board.html",
        form=form,
        state=wanted_state,
        **boards.board(current_user, filters, wanted_state),
        planner=is_planner(current_user),
        Role=Role,
        RequestStatus=RequestStatus,
    )


# ---------------------------------------------------------------- the menu's count


@bp.app_context_processor
def menu_counts() -> dict[str, object]:
    """The menu's numbers, counted only when a page's menu asks: a partner's requests
    waiting for its answer, a coordinator's offers waiting for a decision."""

    def staffing_waiting() -> int:
        if not current_user.is_authenticated:
            return 0
        if current_user.role == Role.PARTNER and current_user.org_id:
            return services.live_count(current_user.org_id)
        if is_planner(current_user):
            return services.offers_waiting_count()
        return 0

    return {"staffing_waiting": staffing_waiting}
