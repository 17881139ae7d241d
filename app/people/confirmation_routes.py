"""The call list pages (前日確認): the day's list to call from, its printed copy, one small
form per row for the outcome; and a learner's family contact. Thin: read the request, call
app.people.confirmations, render."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import ALL_STAFF, PLANNERS, roles
from app.errors import Conflict, ValidationError
from app.people import bp, confirmations, learners
from app.people.confirmation_forms import CallForm, FamilyContactForm
from app.people.confirmation_schemas import ConfirmationQuery
from app.people.models import CallOutcome
from app.timeutil import japan_today, utcnow

# The buttons of a row, in the order of their keys (1 to 4).
OUTCOME_BUTTONS = (
    CallOutcome.ATTENDING,
    CallOutcome.CANCELLED,
    CallOutcome.NO_ANSWER,
    CallOutcome.MESSAGE_LEFT,
)


def _day() -> date:
    """The list's day: ?date=YYYY-MM-DD, else tomorrow (Japan's)."""
    if not request.args.get("date"):
        return japan_today() + timedelta(days=1)
    return ConfirmationQuery.read_args(request.args).day


def _bad_day(exc: ValidationError):
    why = "".join(str(v) for v in exc.fields.values()) or exc.message
    return render_template("errors/400.html", description=_("日付: %(why)s", why=why)), 400


@bp.get("/calls")
@roles(*ALL_STAFF)
def call_list():
    try:
        day = _day()
    except ValidationError as exc:
        return _bad_day(exc)
    return render_template(
        "people/calls.html",
        day=day,
        groups=confirmations.call_list(current_user, day),
        form=CallForm(),
        buttons=OUTCOME_BUTTONS,
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
    )


@bp.get("/calls/print")
@roles(*ALL_STAFF)
def call_list_print():
    try:
        day = _day()
    except ValidationError as exc:
        return _bad_day(exc)
    return render_template(
        "people/calls_print.html",
        day=day,
        groups=confirmations.call_list(current_user, day),
        printed_at=utcnow(),
        back_url=url_for("people.call_list", date=day.isoformat()),
    )


@bp.post("/calls/<int:registration_id>")
@roles(*ALL_STAFF)
def call_record(registration_id: int):
    registration = confirmations.call_registration(current_user, registration_id)
    form = CallForm()
    if not form.validate():
        abort(400)
    back = url_for("people.call_list", date=form.date.data or None)
    name = registration.learner.name
    try:
        call, promoted = confirmations.record_call(registration, form.call_raw(), current_user)
    except ValidationError as exc:
        flash(
            _("%(name)sさん: %(why)s", name=name, why="".join(str(v) for v in exc.fields.values())),
            "error",
        )
        return redirect(f"{back}#reg-{registration_id}"), 303
    except Conflict as exc:
        flash(_("%(name)sさん: %(why)s", name=name, why=exc.message), "error")
        return redirect(f"{back}#reg-{registration_id}"), 303
    if promoted is not None:
        flash(
            _(
                "%(name)sさんの申し込みを取り消しました。キャンセル待ちの%(next)sさんが"
                "繰り上がりました。続けてお電話ください。",
                name=name,
                next=promoted.learner.name,
            ),
            "success",
        )
        return redirect(f"{back}#reg-{promoted.id}"), 303
    if call.outcome == CallOutcome.CANCELLED:
        flash(_("%(name)sさんの申し込みを取り消しました。", name=name), "success")
    else:
        flash(_("%(name)sさんの結果を記録しました。", name=name), "success")
    return redirect(f"{back}#reg-{registration_id}"), 303


@bp.route("/learners/<int:learner_id>/family", methods=["GET", "POST"])
@roles(*PLANNERS)
def family_contact_edit(learner_id: int):
    learner = learners.get_learner(current_user, learner_id)
    contact = confirmations.family_contact(learner)
    form = FamilyContactForm()
    if not form.is_submitted() and contact is not None:
        form.fill_from(contact)
    if not form.is_submitted() or not form.validate():
        status = 422 if form.is_submitted() else 200
        return render_template("people/family_contact.html", form=form, learner=learner), status
    try:
        saved = confirmations.save_family_contact(learner, form.contact_raw(), current_user)
    except ValidationError as exc:
        general = form.show_service_errors(exc.fields)
        return render_template(
            "people/family_contact.html", form=form, learner=learner, general_errors=general
        ), 422
    if saved is None:
        flash(_("%(name)sさんのご家族の連絡先を削除しました。", name=learner.name), "success")
    else:
        flash(_("%(name)sさんのご家族の連絡先を保存しました。", name=learner.name), "success")
    return redirect(url_for("people.learner_detail", learner_id=learner.id))
