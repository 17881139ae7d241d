"""Login, logout and personal API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import RequestLimit
from flask_login import current_user, login_user, logout_user

from app.auth import bp, services
from app.auth.access import ALL_STAFF, public, roles
from app.auth.forms import LoginForm, TokenForm
from app.auth.models import User
from app.extensions import db, limiter, login_manager
from app.text import clean
from app.throttle import config_limit, minutes_to_wait, too_many_tries

login_manager.login_view = "auth.login"
login_manager.login_message = _l("ログインしてください。")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def _safe_next(target: str | None) -> str:
    if not target or urlsplit(target).netloc or not target.startswith("/"):
        return url_for("core.index")
    return target


def _login_email() -> str:
    return clean(request.form.get("email")).lower() or "-"


def _login_failed(_response) -> bool:
    return g.get("login_failed", False)


def _locked_out(limit: RequestLimit):
    message = _(
        "ログインの失敗が続いたため、しばらくログインできません。"
        "%(minutes)d分ほど待ってから、もう一度お試しください。",
        minutes=minutes_to_wait(limit),
    )
    return too_many_tries(limit, "auth/login.html", form=LoginForm(), locked=message)


# Only failures count (deduct_when), so that staff who log in often are never slowed down;
# while a limit is reached even the right password is refused, or guessing could go on.
_login_limit = {
    "methods": ["POST"],
    "deduct_when": _login_failed,
    "on_breach": _locked_out,
}


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(config_limit("LOGIN_LIMIT_PER_ACCOUNT"), key_func=_login_email, **_login_limit)
@limiter.limit(config_limit("LOGIN_LIMIT_PER_ADDRESS"), **_login_limit)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            g.login_failed = True
            form.password.errors.append(_("メールアドレスかパスワードが違います。"))
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@roles(*ALL_STAFF)
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@roles(*ALL_STAFF)
def tokens():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        _token, new_token = services.create_token(current_user, form.label.data or "")
    return render_template(
        "auth/tokens.html", form=form, tokens=services.tokens_of(current_user), new_token=new_token
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@roles(*ALL_STAFF)
def revoke_token(token_id: int):
    services.revoke_token(current_user, token_id)
    flash(_("トークンを無効にしました。"), "success")
    return redirect(url_for("auth.tokens"))
