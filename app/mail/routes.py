"""The admins' outbox, and 「通知の設定」: for staff at a plain URL (their own address), for
anyone at the signed link in each message."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.access import ALL_STAFF, public, roles
from app.auth.models import Role
from app.errors import NotFound, ValidationError
from app.mail import bp, outbox, preferences
from app.mail.forms import SettingsForm
from app.mail.kinds import mandatory_kinds
from app.mail.models import MailState
from app.mail.outbox import LOCALES, METHODS

STATE_LABELS = {
    MailState.COLLECTING: _l("まとめ中"),
    MailState.QUEUED: _l("送信待ち"),
    MailState.SENDING: _l("送信中"),
    MailState.SENT: _l("送信済み"),
    MailState.HELD: _l("保留(サーバー未設定)"),
    MailState.FAILED: _l("失敗"),
}


@bp.context_processor
def _state_words() -> dict:
    return {"state_label": lambda state: str(STATE_LABELS.get(state, state))}


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@bp.get("/admin/mail")
@roles(Role.ADMIN)
def outbox_list():
    state = request.args.get("state") or None
    try:
        page = outbox.outbox(state, page=_page_number())
    except ValidationError as exc:
        return render_template("mail/outbox.html", error=exc, page=None, state=state), 400
    return render_template(
        "mail/outbox.html",
        page=page,
        state=state,
        states=list(MailState),
        pager_args={"state": state} if state else {},
        error=None,
    )


@bp.get("/admin/mail/<int:mail_id>")
@roles(Role.ADMIN)
def message_detail(mail_id: int):
    return render_template("mail/message.html", message=outbox.message(mail_id), methods=METHODS)


@bp.get("/admin/mail/<int:mail_id>/<method>.ics")
@roles(Role.ADMIN)
def message_ics(mail_id: int, method: str):
    ics = outbox.message(mail_id).ics(method.upper())
    if not ics:
        raise NotFound(_("このメールにはその招待状はありません。"))
    return (
        ics,
        200,
        {
            "Content-Type": f"text/calendar; method={method.upper()}; charset=utf-8",
            "Content-Disposition": f'attachment; filename="mail-{mail_id}-{method.lower()}.ics"',
        },
    )


@bp.post("/admin/mail/<int:mail_id>/retry")
@roles(Role.ADMIN)
def message_retry(mail_id: int):
    message = outbox.retry_message(mail_id)
    flash(_("メール %(id)s をもう一度送ります。", id=message.id), "success")
    return redirect(url_for("mail.message_detail", mail_id=message.id))


def _settings_page(email: str, *, signed: bool):
    form = SettingsForm()
    form.set_kinds()
    if request.method == "GET":
        form.locale.data, receive = preferences.chosen(email)
        form.receive.data = sorted(receive)
    elif form.validate_on_submit():
        try:
            preferences.save(email, locale=form.locale.data or "", receive=form.receive.data or [])
        except ValidationError as exc:
            for name, why in exc.fields.items():
                if name in form:
                    form[name].errors = [*form[name].errors, why]
        else:
            flash(_("通知の設定を保存しました。"), "success")
            return redirect(request.path)
    status = 422 if form.errors else 200
    return render_template(
        "mail/settings.html", form=form, email=email, always=mandatory_kinds(), signed=signed
    ), status


@bp.route("/account/notifications", methods=["GET", "POST"])
@roles(*ALL_STAFF)
def my_settings():
    return _settings_page(current_user.email, signed=False)


@bp.route("/mail/settings/<token>", methods=["GET", "POST"])
@public
def settings_signed(token: str):
    # The link in each message: whoever holds it chooses for that address, no login. The
    # page speaks the language the mail came in, unless this browser chose one (the switch).
    email = preferences.email_of(token)
    if session.get("lang") in LOCALES:
        return _settings_page(email, signed=True)
    with force_locale(preferences.chosen(email)[0]):
        return _settings_page(email, signed=True)
