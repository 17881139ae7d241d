"""Login, logout and personal API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from app.auth import bp, services
from app.auth.access import ALL_STAFF, public, roles
from app.auth.forms import LoginForm, TokenForm
from app.auth.models import User
from app.extensions import db, login_manager

login_manager.login_view = "auth.login"
login_manager.login_message = _l("ログインしてください。")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def _safe_next(target: str | None) -> str:
    if not target or urlsplit(target).netloc or not target.startswith("/"):
        return url_for("core.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
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
