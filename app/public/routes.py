"""Pages residents see without an account: public sessions, signing up, the confirmation."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import redirect, render_template, url_for
from flask_babel import get_locale

from app.auth.access import public
from app.errors import Conflict, ValidationError
from app.labels import WEEKDAY
from app.people import cards
from app.people.models import RegistrationStatus
from app.people.registration import counts_for
from app.people.registration_routes import waitlist_position
from app.public import bp, signup
from app.public.forms import SignupForm
from app.timeutil import local


def _clock(dt: datetime) -> str:
    return f"{dt.hour}時" if dt.minute == 0 else f"{dt.hour}時{dt.minute}分"


def plain_when(starts_at: datetime, ends_at: datetime) -> str:
    """12月3日(水)10時〜11時30分: no era, no year, no 24-hour colons to decode."""
    start, end = local(starts_at), local(ends_at)
    if get_locale() and get_locale().language == "en":
        return f"{start:%a %d %b}, {start:%H:%M}–{end:%H:%M}"
    weekday = WEEKDAY[start.weekday()]
    return f"{start.month}月{start.day}日({weekday}){_clock(start)}〜{_clock(end)}"


@bp.context_processor
def _helpers() -> dict:
    return {"plain_when": plain_when, "help_phone": signup.help_phone()}


def _seats(session, counts) -> int:
    return max(0, session.capacity - counts.registered)


@bp.get("/public/sessions")
@public
def session_list():
    sessions = signup.upcoming_sessions()
    counts = counts_for(s.id for s in sessions)
    return render_template(
        "public/session_list.html",
        sessions=[(s, _seats(s, counts[s.id])) for s in sessions],
    )


@bp.route("/public/sessions/<int:session_id>/signup", methods=["GET", "POST"])
@public
def signup_form(session_id: int):
    session = signup.open_session(session_id)
    form = SignupForm()
    problem = None
    if form.validate_on_submit():
        try:
            signed = signup.sign_up(session, form.learner_raw(), form.form_key.data or "")
        except ValidationError as exc:
            form.show_plain_errors(exc.fields)
        except Conflict as exc:
            problem = exc.message
        else:
            token = signup.confirmation_token(signed)
            return redirect(url_for("public.confirmation", token=token), code=303)
    if not form.form_key.data:
        form.form_key.data = secrets.token_urlsafe(24)
    seats = _seats(session, counts_for([session.id])[session.id])
    status = 422 if form.errors or problem else 200
    return (
        render_template("public/signup.html", s=session, form=form, seats=seats, problem=problem),
        status,
    )


@bp.get("/public/registrations/<token>")
@public
def confirmation(token: str):
    signed = signup.read_confirmation(token)
    reg = signed.registration
    position = waitlist_position(reg) if reg.status == RegistrationStatus.WAITLISTED else None
    card = signed.card
    return render_template(
        "public/confirmation.html",
        reg=reg,
        s=reg.session,
        position=position,
        card=card,
        qr_svg=cards.qr_svg(card.token) if card else None,
    )
