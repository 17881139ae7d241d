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
from app.auth.forms import LoginForm, PasswordForm, TokenForm
from app.auth.models import User
from app.errors import ValidationError
from app.extensions import limiter, login_manager
from app.text import clean
from app.throttle import LimitOptions, config_limit, minutes_to_wait, too_many_tries
from app.timeutil import utcnow

login_manager.login_view = "auth.login"
login_manager.login_message = _l("ログインしてください。")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return services.user_for_session(user_id)


def _safe_next(target: str | None) -> str:
    if not target or urlsplit(target).netloc or not target.startswith("/"):
        return url_for("core.index")
    return target


def _login_email() -> str:
    return clean(request.form.get("email")).lower() or "-"


def _own_email() -> str:
    return current_user.email


def _password_failed(_response) -> bool:
    return g.get("password_failed", False)


def _wait_message(limit: RequestLimit) -> str:
    return _(
        "パスワードの誤りが続いたため、しばらく受け付けられません。"
        "%(minutes)d分ほど待ってから、もう一度お試しください。",
        minutes=minutes_to_wait(limit),
    )


def _locked_out(limit: RequestLimit):
    return too_many_tries(limit, "auth/login.html", form=LoginForm(), locked=_wait_message(limit))


def _password_locked(limit: RequestLimit):
    return too_many_tries(
        limit, "auth/password.html", **_password_page(PasswordForm()), locked=_wait_message(limit)
    )


# Only failures count (deduct_when), so that staff who log in often are never slowed down;
# while a limit is reached even the right password is refused, or guessing could go on.
# The count per account is shared with the password page, whose "current password" would
# otherwise let someone holding a session guess the password without limit.
_ACCOUNT = "password-guesses-per-account"
_failures_only: LimitOptions = {"methods": ["POST"], "deduct_when": _password_failed}


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.shared_limit(
    config_limit("LOGIN_LIMIT_PER_ACCOUNT"),
    _ACCOUNT,
    key_func=_login_email,
    on_breach=_locked_out,
    **_failures_only,
)
@limiter.limit(config_limit("LOGIN_LIMIT_PER_ADDRESS"), on_breach=_locked_out, **_failures_only)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            g.password_failed = True
            form.password.errors = [
                *form.password.errors,
                _("メールアドレスかパスワードが違います。"),
            ]
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@roles(*ALL_STAFF)
def logout():
    # Raise the session version first: a copy of this cookie (another tab's, a stolen one)
    # stops working too, and so do this person's sessions on other devices.
    services.end_sessions(current_user)
    logout_user()
    response = redirect(url_for("auth.login"))
    # The check-in page keeps its sessions' people on the device (IndexedDB, the service
    # worker's copy of the page): logging out wipes them all, in every browser that honors
    # the header (Chromium, Firefox, Safari 17); the page sends what waits before.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@roles(*ALL_STAFF)
@limiter.shared_limit(
    config_limit("LOGIN_LIMIT_PER_ACCOUNT"),
    _ACCOUNT,
    key_func=_own_email,
    on_breach=_password_locked,
    **_failures_only,
)
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user,
                form.current.data or "",
                form.new.data or "",
                form.again.data or "",
            )
        except ValidationError as exc:
            g.password_failed = "current" in exc.fields
            _show_errors(form, exc)
        else:
            # The user, not the current_user proxy: Flask-Login keeps what it is given as
            # g._login_user, and a proxy kept there would stand for itself.
            login_user(
                current_user._get_current_object()
            )  # this session goes on, with the new version
            flash(_("パスワードを変更しました。ほかの端末のログインは終了しました。"), "success")
            return redirect(url_for("scheduling.session_list"))
    status = 422 if form.errors else 200
    return render_template("auth/password.html", **_password_page(form)), status


def _password_page(form: PasswordForm) -> dict:
    return {"form": form, "min_length": services.MIN_PASSWORD_LENGTH}


def _show_errors(form, exc: ValidationError) -> None:
    for name, why in exc.fields.items():
        form[name].errors = [*form[name].errors, why]


@bp.route("/account/tokens", methods=["GET", "POST"])
@roles(*ALL_STAFF)
def tokens():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        try:
            _token, new_token = services.create_token(
                current_user, form.label.data or "", expires_days=form.expires_days.data
            )
        except ValidationError as exc:
            _show_errors(form, exc)
    return (
        render_template(
            "auth/tokens.html",
            form=form,
            tokens=services.tokens_of(current_user),
            new_token=new_token,
            now=utcnow(),
        ),
        422 if form.errors else 200,
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@roles(*ALL_STAFF)
def revoke_token(token_id: int):
    services.revoke_token(current_user, token_id)
    flash(_("トークンを無効にしました。"), "success")
    return redirect(url_for("auth.tokens"))
