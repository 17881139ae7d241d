"""Bearer-token authentication and role checks for the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, request
from flask_babel import gettext as _

from app.api.errors import error_response
from app.auth.access import allow
from app.auth.services import user_for_token


def api_roles(*allowed: str) -> Callable:
    allowed_set = frozenset(allowed)

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _sep, token = header.partition(" ")
            user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                response = error_response(
                    401,
                    "unauthorized",
                    _("有効なAPIトークンを Authorization: Bearer で送ってください。"),
                )
                response[0].headers["WWW-Authenticate"] = "Bearer"
                return response
            if user.role not in allowed_set:
                return error_response(403, "forbidden", _("この操作の権限がありません。"))
            g.api_user = user
            return view(*args, **kwargs)

        allow(wrapper, allowed_set)
        return wrapper

    return decorate


def api_user():
    return g.api_user
