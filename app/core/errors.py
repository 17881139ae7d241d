"""HTML error pages. The API blueprint has its own JSON handlers, which take precedence."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import InternalServerError

from app.core import bp
from app.errors import RETRY_AFTER_SECONDS, Forbidden, NotFound, database_busy
from app.logs import request_id


@bp.app_errorhandler(404)
@bp.app_errorhandler(NotFound)
def not_found(_exc):
    return render_template("errors/404.html"), 404


@bp.app_errorhandler(403)
@bp.app_errorhandler(Forbidden)
def forbidden(_exc):
    return render_template("errors/403.html"), 403


@bp.app_errorhandler(CSRFError)
def csrf_error(_exc):
    description = _("フォームの有効期限が切れたか、不正な送信です。")
    return render_template("errors/400.html", description=description), 400


@bp.app_errorhandler(sa.exc.OperationalError)
def busy_error(exc: sa.exc.OperationalError):
    if not database_busy(exc):
        raise exc
    description = _("いま混み合っています。数秒待ってから、もう一度送ってください。")
    page = render_template("errors/400.html", description=description)
    return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


@bp.app_errorhandler(InternalServerError)
def server_error(_exc):
    """An unhandled exception (logged with its traceback and the request id by Flask, see
    app/logs.py): a page with the id to quote. Should the page itself fail (the database
    gone), plain text still gives the id."""
    try:
        return render_template("errors/500.html"), 500
    except Exception:
        text = _("問題が起きました。お問い合わせ番号: %(id)s", id=request_id())
        return text, 500, {"Content-Type": "text/plain; charset=utf-8"}
