"""The paper roster typed in after the class (app.checkin.paper): the sheet as one form."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import is_planner, roles
from app.checkin import bp, paper, services
from app.checkin.forms import BLANK_ROWS, paper_roster_form, status_label
from app.checkin.routes import DOOR_STAFF
from app.inputs import digits_int
from app.scheduling.queries import get_session


def _blank_rows() -> int:
    """How many blank lines for walk-ins: `?extra=10` asks for more than the usual few."""
    extra = digits_int(request.args.get("extra"))
    return BLANK_ROWS if extra is None else extra


def _saved_message(saved: paper.PaperSaved) -> str:
    message = _(
        "紙の名簿を保存しました(出欠の変更%(changed)d人、当日参加%(walk_ins)d人)。",
        changed=saved.changed,
        walk_ins=saved.walk_ins,
    )
    if saved.seated:
        message += " " + _(
            "キャンセル待ちだった%(n)d人は、来ていたので申し込み済みにしました。", n=saved.seated
        )
    if saved.new_learners:
        message += " " + _("新しい受講者として%(n)d人を記録しました。", n=saved.new_learners)
    if saved.to_confirm:
        message += " " + _(
            "そのうち%(n)d人は記録にある方と同じかもしれないため、コーディネーターが確認します。",
            n=saved.to_confirm,
        )
    return message


@bp.route("/sessions/<int:session_id>/attendance/paper", methods=["GET", "POST"])
@roles(*DOOR_STAFF)
def paper_roster(session_id: int):
    user = current_user._get_current_object()
    session = get_session(user, session_id)
    state = paper.paper_state(session, user)
    page = {
        "s": session,
        "state": state,
        "until": services.record_later_until(session),
        "planner": is_planner(user),
    }
    if state != "open":
        # Before the end the page only says when it opens; nothing sent then is saved.
        return render_template("checkin/paper_roster.html", **page), (
            409 if request.method == "POST" else 200
        )
    registered, waitlisted = services.on_the_sheet(services.roster(session))
    form = paper_roster_form(
        ((r.registration.id, r.learner.name, r.status) for r in registered + waitlisted),
        blank_rows=_blank_rows(),
    )
    problems: list[tuple[str, str, str]] = []
    status = 200
    if form.validate_on_submit():
        if form.more.data:
            form.add_blank_rows(BLANK_ROWS)
        else:
            try:
                saved = paper.save_paper_roster(session, user, form.ticks(), form.walk_in_lines())
            except paper.PaperRosterRefused as refused:
                flash(refused.message, "error")
                problems = form.show_problems(refused.ticks, refused.walk_ins)
                status = 422
            else:
                flash(_saved_message(saved), "success")
                return redirect(url_for("checkin.attendance", session_id=session.id))
    return render_template(
        "checkin/paper_roster.html",
        **page,
        form=form,
        registered=registered,
        waitlisted=waitlisted,
        problems=problems,
        status_label=status_label,
    ), status
