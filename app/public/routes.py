"""Pages residents see without an account: public sessions, signing up, the confirmation."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime

from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_limiter import RequestLimit
from itsdangerous import URLSafeSerializer

from app.auth.access import public
from app.checkin.counts import counts_for
from app.errors import Conflict, ValidationError
from app.extensions import limiter
from app.labels import WEEKDAY
from app.parsing import phone_digits
from app.people import cards
from app.people.models import RegistrationStatus
from app.people.registration_routes import waitlist_position
from app.public import bp, signup
from app.public.forms import PublicFilterForm, SignupForm
from app.throttle import LimitOptions, config_limit, minutes_to_wait, too_many_tries
from app.timeutil import local


def _clock(dt: datetime) -> str:
    return f"{dt.hour}時" if dt.minute == 0 else f"{dt.hour}時{dt.minute}分"


def plain_when(starts_at: datetime, ends_at: datetime) -> str:
    """12月3日(水)10時〜11時30分: no era, no year, no 24-hour colons to decode."""
    start, end = local(starts_at), local(ends_at)
    if (locale := get_locale()) is not None and locale.language == "en":
        return f"{start:%a %d %b}, {start:%H:%M}–{end:%H:%M}"
    weekday = WEEKDAY[start.weekday()]
    return f"{start.month}月{start.day}日({weekday}){_clock(start)}〜{_clock(end)}"


@bp.context_processor
def _helpers() -> dict:
    return {"plain_when": plain_when, "help_phone": signup.help_phone()}


def _seats(session, counts) -> int:
    return max(0, session.capacity - counts.registered)


def plain_day(day: date) -> str:
    """12月3日(水), or Wed 03 Dec: a day to pick in the list's filter."""
    if (locale := get_locale()) is not None and locale.language == "en":
        return f"{day:%a %d %b}"
    return f"{day.month}月{day.day}日({WEEKDAY[day.weekday()]})"


@bp.get("/public/sessions")
@public
def session_list():
    form = PublicFilterForm(request.args)
    form.load_choices(signup.public_choices(), plain_day)
    filters = form.read()
    sessions = signup.upcoming_sessions(filters) if filters is not None else []
    counts = counts_for(s.id for s in sessions)
    return (
        render_template(
            "public/session_list.html",
            sessions=[(s, _seats(s, counts[s.id])) for s in sessions],
            form=form,
            narrowed=filters is not None and filters != signup.PublicFilters(),
        ),
        200 if filters is not None else 400,
    )


def _phone_key() -> str:
    """The limit's key for the number typed: keyed-hashed, so that the limiter's storage
    (Redis, perhaps) never holds a phone number."""
    digits = phone_digits(request.form.get("phone")) or "-"
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, digits.encode(), hashlib.sha256).hexdigest()[:32]


def _sent(_response) -> bool:
    return g.get("signup_sent", False)


def _too_many(limit: RequestLimit):
    return too_many_tries(limit, "public/too_many.html", minutes=minutes_to_wait(limit))


# Counted: sign-ups that went through (or that the honeypot swallowed); a form sent back to
# be fixed is not, so a person who mistypes is never stopped.
_sign_ups_only: LimitOptions = {"methods": ["POST"], "deduct_when": _sent}


def _decoy_location() -> str:
    """A confirmation address like a real one (signed data), which leads to no sign-up."""
    decoy = URLSafeSerializer(current_app.config["SECRET_KEY"], salt="public-decoy")
    token = decoy.dumps({"r": secrets.randbelow(10**6), "c": secrets.randbelow(10**6)})
    return url_for("public.confirmation", token=token)


def _sign_up(session, form: SignupForm) -> str:
    """Sign the person up; where the answer sends them."""
    if form.is_bot():
        # The same checks and the same kind of answer as for a person, and nothing recorded:
        # the bot cannot tell it was caught.
        signup.read_sign_up(form.learner_raw(), form.family_raw())
        return _decoy_location()
    signed = signup.sign_up(
        session, form.learner_raw(), form.form_key.data or "", form.family_raw()
    )
    return url_for("public.confirmation", token=signup.confirmation_token(signed))


def _every_problem_shown(form: SignupForm) -> bool:
    """The form's checks and the services' (the learner's, the family member's) together, so
    that every field to fix is shown at once (not one more on each try); True when none."""
    fine = form.validate()
    try:
        signup.read_sign_up(form.learner_raw(), form.family_raw())
    except ValidationError as exc:
        form.show_plain_errors(exc.fields)
        fine = False
    return fine


@bp.route("/public/sessions/<int:session_id>/signup", methods=["GET", "POST"])
@public
@limiter.limit(config_limit("SIGNUP_LIMIT_PER_ADDRESS"), on_breach=_too_many, **_sign_ups_only)
@limiter.limit(
    config_limit("SIGNUP_LIMIT_PER_PHONE"),
    key_func=_phone_key,
    on_breach=_too_many,
    **_sign_ups_only,
)
def signup_form(session_id: int):
    session = signup.open_session(session_id)
    form = SignupForm()
    problem = None
    if form.is_submitted() and _every_problem_shown(form):
        try:
            location = _sign_up(session, form)
        except ValidationError as exc:
            form.show_plain_errors(exc.fields)
        except Conflict as exc:
            problem = exc.message
        else:
            g.signup_sent = True
            return redirect(location, code=303)
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
