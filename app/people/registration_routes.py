"""A session's registrations: the lists, and registration by phone.

The page is made for a coordinator with a caller on the line, keyboard only: the search box
has the focus, typing shows matches, and the first match's 登録 button is the next thing Tab
reaches, so an existing learner is registered with: type, Tab, Enter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app.auth.access import ALL_STAFF, PLANNERS, is_planner, roles
from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.labels import REGISTRATION_SOURCE
from app.people import bp, learners, registration
from app.people.models import Learner, Registration, RegistrationSource, RegistrationStatus
from app.people.privacy import may_see_phone, require_roster_rights
from app.people.registration_forms import (
    AddRegistrationForm,
    CancelRegistrationForm,
    LearnerSearchForm,
    NewLearnerForm,
)
from app.scheduling.models import Session
from app.scheduling.queries import get_session
from app.text import clean
from app.timeutil import utcnow

RESULTS_SHOWN = 8

SOURCE_LABELS = REGISTRATION_SOURCE


# ---------------------------------------------------------------- reading the lists


@dataclass
class SessionRegistrations:
    registered: list[Registration]
    waitlisted: list[Registration]  # in queue order: the first is promoted first

    def status_of(self, learner_id: int) -> str | None:
        for reg in self.registered + self.waitlisted:
            if reg.learner_id == learner_id:
                return reg.status
        return None


def registrations_of(session: Session) -> SessionRegistrations:
    """Registered and waitlisted people of a session, with their learners, in one query."""
    rows = db.session.scalars(
        sa.select(Registration)
        .options(joinedload(Registration.learner))
        .where(
            Registration.session_id == session.id,
            Registration.status != RegistrationStatus.CANCELLED,
        )
        .order_by(Registration.queued_at, Registration.id)
    ).all()
    return SessionRegistrations(
        registered=[r for r in rows if r.status == RegistrationStatus.REGISTERED],
        waitlisted=[r for r in rows if r.status == RegistrationStatus.WAITLISTED],
    )


def waitlist_position(reg: Registration) -> int:
    """1 for the first on the waitlist (the order in which registration.cancel promotes)."""
    ahead = sa.or_(
        Registration.queued_at < reg.queued_at,
        sa.and_(Registration.queued_at == reg.queued_at, Registration.id < reg.id),
    )
    ahead_count = db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(
            Registration.session_id == reg.session_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            ahead,
        )
    )
    return (ahead_count or 0) + 1


# ---------------------------------------------------------------- the page


def _prefilled_new_form(query: str) -> NewLearnerForm:
    """What was searched for starts the new learner's form (the kana, the phone number or the
    name), read as the learner list reads it."""
    form = NewLearnerForm(formdata=None)
    for name, value in learners.new_learner_args(query).items():
        form[name].data = value
    return form


def _search(query: str) -> list[Learner]:
    return learners.search(current_user, query, limit=RESULTS_SHOWN) if query else []


def _page(
    session: Session,
    *,
    query: str = "",
    new_form: NewLearnerForm | None = None,
    duplicates: list[Learner] | None = None,
    new_learner_id: int | None = None,
    status: int = 200,
):
    listed = registrations_of(session)
    planner = is_planner(current_user)
    return (
        render_template(
            "people/registrations.html",
            s=session,
            listed=listed,
            planner=planner,
            full=len(listed.registered) >= session.capacity,
            closed=session.is_cancelled or session.ends_at <= utcnow(),
            search=LearnerSearchForm(formdata=None, q=query),
            query=query,
            results=_search(query) if planner else [],
            add_form=AddRegistrationForm(formdata=None),
            new_form=new_form or _prefilled_new_form(query),
            duplicates=duplicates or [],
            new_card=_new_card(listed, new_learner_id),
            source_labels=SOURCE_LABELS,
            may_see_phone=may_see_phone,
        ),
        status,
    )


def _new_card(listed: SessionRegistrations, learner_id: int | None):
    """The card of the person just recorded here, to print at once; only someone on this
    session's lists (the address carries a learner's id)."""
    for reg in listed.registered + listed.waitlisted:
        if reg.learner_id == learner_id:
            return reg.learner.active_card
    return None


@bp.get("/sessions/<int:session_id>/registrations")
@roles(*ALL_STAFF)
def session_registrations(session_id: int):
    session = get_session(current_user, session_id)
    require_roster_rights(current_user, session)
    query = clean(request.args.get("q"))
    if request.args.get("partial") and is_planner(current_user):
        # The few lines of script on the page ask for the results alone while one types.
        listed = registrations_of(session)
        return render_template(
            "people/registrations_results.html",
            s=session,
            query=query,
            results=_search(query),
            listed=listed,
        )
    return _page(session, query=query, new_learner_id=request.args.get("new", type=int))


def _back(session: Session, query: str = "", new_learner: Learner | None = None):
    args: dict[str, Any] = {"q": query} if query else {}
    if new_learner is not None:
        args["new"] = new_learner.id
    return redirect(url_for("people.session_registrations", session_id=session.id, **args))


def _say_registered(reg: Registration, learner: Learner) -> None:
    if reg.status == RegistrationStatus.WAITLISTED:
        flash(
            _(
                "満席のため、%(name)sさんをキャンセル待ち(%(n)d番目)にしました。",
                name=learner.name,
                n=waitlist_position(reg),
            ),
            "warning",
        )
    else:
        flash(_("%(name)sさんを登録しました。", name=learner.name), "success")


@bp.post("/sessions/<int:session_id>/registrations/add")
@roles(*PLANNERS)
def registration_add(session_id: int):
    session = get_session(current_user, session_id)
    form = AddRegistrationForm()
    query = clean(request.form.get("q"))
    if not form.validate() or form.learner_id.data is None:
        flash(_("登録する受講者を選んでください。"), "error")
        return _back(session, query)
    learner = learners.get_learner(current_user, form.learner_id.data)
    try:
        reg = registration.register(
            session,
            learner,
            source=RegistrationSource.PHONE,
            actor=current_user,
            override_capacity=form.override_capacity.data,
        )
    except Conflict as exc:
        flash(exc.message, "error")
        return _back(session, query)
    _say_registered(reg, learner)
    return _back(session)


@bp.post("/sessions/<int:session_id>/registrations/new")
@roles(*PLANNERS)
def registration_new_learner(session_id: int):
    session = get_session(current_user, session_id)
    form = NewLearnerForm()
    form.validate()
    raw = form.learner_raw()
    if session.is_cancelled or session.ends_at <= utcnow():
        # Refused before the learner is written, so nothing is left half done.
        flash(_("この講座は中止か終了しているため、申し込みを受けられません。"), "error")
        return _back(session)
    if not form.confirmed_new.data:
        duplicates = learners.possible_duplicates(raw)
        if duplicates:
            return _page(session, new_form=form, duplicates=duplicates)
    try:
        learner = learners.create_learner(raw, current_user)
    except ValidationError as exc:
        for message in form.show_service_errors(exc.fields):
            flash(message, "error")
        return _page(session, new_form=form, status=422)
    try:
        reg = registration.register(
            session,
            learner,
            source=RegistrationSource.PHONE,
            actor=current_user,
            override_capacity=form.override_capacity.data,
        )
    except Conflict as exc:
        flash(
            _(
                "%(name)sさんを受講者として記録しましたが、登録できませんでした: %(why)s",
                name=learner.name,
                why=exc.message,
            ),
            "error",
        )
        return _back(session, new_learner=learner)
    _say_registered(reg, learner)
    return _back(session, new_learner=learner)


@bp.route(
    "/sessions/<int:session_id>/registrations/<int:registration_id>/cancel",
    methods=["GET", "POST"],
)
@roles(*PLANNERS)
def registration_cancel(session_id: int, registration_id: int):
    """Asks first (GET, or a POST without the answer), then cancels: one click on the list
    used to cancel and promote the next person at once, with no way back."""
    session = get_session(current_user, session_id)
    reg = registration.get_registration(registration_id)
    if reg.session_id != session.id:
        raise NotFound(_("申し込み(ID %(id)s)は見つかりません。", id=registration_id))
    form = CancelRegistrationForm()
    if not (form.validate_on_submit() and form.confirmed.data):
        if reg.status == RegistrationStatus.CANCELLED:
            flash(_("この申し込みは既に取り消されています。"), "error")
            return _back(session)
        return render_template(
            "people/registration_cancel.html",
            s=session,
            reg=reg,
            form=form,
            promoted=registration.promoted_by_cancelling(reg),
        )
    name = reg.learner.name
    try:
        promoted = registration.cancel(reg, current_user)
    except Conflict as exc:
        flash(exc.message, "error")
        return _back(session)
    flash(_("%(name)sさんの申し込みを取り消しました。", name=name), "success")
    if promoted is not None:
        flash(
            _(
                "キャンセル待ちの%(name)sさんが繰り上がって登録されました。"
                "ご本人に連絡してください。",
                name=promoted.learner.name,
            ),
            "warning",
        )
    return _back(session)
