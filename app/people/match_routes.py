"""Pending matches: a coordinator sees the two records side by side and confirms (merges)
or rejects each. Thin: the decisions are app.people.matches."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.auth.access import PLANNERS, roles
from app.people import bp, matches
from app.people.models import PendingMatch


class DecisionForm(FlaskForm):
    """Confirm or reject: nothing to fill in but the CSRF token."""


def _user():
    return current_user._get_current_object()


@bp.get("/learners/matches")
@roles(*PLANNERS)
def pending_matches():
    return render_template(
        "people/pending_matches.html",
        views=matches.pending_matches(),
    )


def _decide(match_id: int, decide: Callable[[PendingMatch], str]):
    """Check the form, then `decide` (which says what was done); back where it belongs."""
    match = matches.get_open_match(match_id)
    if not DecisionForm().validate_on_submit():
        flash(_("もう一度お試しください。"), "error")
        return redirect(url_for("people.pending_matches"))
    flash(decide(match), "success")
    return redirect(url_for("people.pending_matches"))


@bp.post("/learners/matches/<int:match_id>/confirm")
@roles(*PLANNERS)
def pending_match_confirm(match_id: int):
    def merge(match: PendingMatch) -> str:
        name = match.new_learner.name
        matches.confirm(match, _user())
        return _("新しい記録(%(name)sさん)を、前からの記録に統合しました。", name=name)

    return _decide(match_id, merge)


@bp.post("/learners/matches/<int:match_id>/reject")
@roles(*PLANNERS)
def pending_match_reject(match_id: int):
    def keep_both(match: PendingMatch) -> str:
        matches.reject(match, _user())
        return _("%(name)sさんの2つの記録は別の方として残しました。", name=match.new_learner.name)

    return _decide(match_id, keep_both)
