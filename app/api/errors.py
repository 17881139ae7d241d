"""Every API error has one shape: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, request
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect

from app.api import bp
from app.errors import RETRY_AFTER_SECONDS, ServiceError, database_busy
from app.inputs import unstorable
from app.logs import request_id


class ErrorBody(BaseModel):
    # What a refusal adds to say more: on conflicts, the session clashed with; at the door,
    # the learner and whether a walk-in is possible.
    model_config = ConfigDict(extra="allow")

    # snake_case, as documented; not checked when written (an error must never fail itself).
    code: str = Field(json_schema_extra={"pattern": "^[a-z][a-z0-9_]*$"})
    message: str
    fields: dict[str, str] = Field(description="Each field that is wrong, and what is expected")
    request_id: str = Field(
        description="This answer's id (also its X-Request-ID header), as the server's logs "
        "name it: quote it when asking for help"
    )


class ErrorOut(BaseModel):
    error: ErrorBody


def error_response(status: int, code: str, message: str, fields: dict | None = None, **extra):
    why = {name: str(text) for name, text in (fields or {}).items()}
    body = ErrorBody(code=code, message=str(message), fields=why, request_id=request_id(), **extra)
    # The extras as the service gave them, written by Flask's JSON as they always were.
    return jsonify(ErrorOut(error=body).model_dump()), status


@bp.errorhandler(ServiceError)
def service_error(exc: ServiceError):
    return error_response(exc.status, exc.code, exc.message, exc.fields, **exc.extra)


@bp.errorhandler(sa.exc.OperationalError)
def busy_error(exc: sa.exc.OperationalError):
    if not database_busy(exc):
        raise exc
    message = _("いま混み合っています。数秒待ってから、もう一度送ってください。")
    response, status = error_response(503, "busy", message)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response, status


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    code = (exc.name or "error").lower().replace(" ", "_")
    response, status = error_response(exc.code or 500, code, exc.description or exc.name)
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response, status


def _under_api(path: str) -> bool:
    prefix = bp.url_prefix or ""
    return path == prefix or path.startswith(prefix + "/")


@bp.before_app_request
def unmatched_api_route():
    """No such route, or not with this method, under /api/v1: the error shape, not HTML.

    The handlers above never see these: no route matched, so no blueprint did either, and
    the app's HTML 404 page would answer. Hooks before the request run all the same.
    """
    exc = request.routing_exception
    if exc is None or isinstance(exc, RequestRedirect) or not _under_api(request.path):
        return None
    if isinstance(exc, MethodNotAllowed):
        exc.description = _("このURLでは %(method)s は使えません。", method=request.method)
    elif isinstance(exc, HTTPException) and exc.code == 404:
        exc.description = _("このURLのAPIはありません。/api/v1/openapi.json をご覧ください。")
    return http_error(exc)


@bp.before_request
def refuse_unstorable_query():
    """A NUL in the query string or the path reaches no query (PostgreSQL refuses it there)."""
    if any(isinstance(v, str) and unstorable(v) for v in (request.view_args or {}).values()):
        return error_response(404, "not_found", _("見つかりません。"))
    bad = {
        name if not unstorable(name) else "query": _("使えない文字(NUL)が含まれています。")
        for name, value in request.args.items(multi=True)
        if unstorable(name) or unstorable(value)
    }
    if bad:
        return error_response(422, "invalid_input", _("検索条件を確認してください。"), bad)
    return None
