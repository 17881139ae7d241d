"""Start page, language switch. (/healthz is the jobs area's: it reports the workers.)"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, request, session, url_for
from flask_login import current_user

from app.auth.access import public
from app.auth.models import Role
from app.core import bp


@bp.get("/")
@public
def index():
    if current_user.is_authenticated:
        # An instructor's home is her own classes, today's first, one tap from the door.
        if current_user.role == Role.INSTRUCTOR:
            return redirect(url_for("scheduling.my_sessions"))
        return redirect(url_for("scheduling.session_list"))
    return redirect(url_for("auth.login"))


@bp.post("/language")
@public
def set_language():
    lang = request.form.get("lang")
    if lang in ("ja", "en"):
        session["lang"] = lang
    target = request.form.get("next") or url_for("core.index")
    # Only same-site paths: never an open redirect.
    if urlsplit(target).netloc or not target.startswith("/"):
        target = url_for("core.index")
    return redirect(target)
