"""Every API error has one shape: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from flask import jsonify
from werkzeug.exceptions import HTTPException

from app.api import bp
from app.errors import ServiceError


def error_response(status: int, code: str, message: str, fields: dict | None = None, **extra):
    body = {"code": code, "message": message, "fields": fields or {}}
    body.update(extra)
    return jsonify({"error": body}), status


@bp.errorhandler(ServiceError)
def service_error(exc: ServiceError):
    return error_response(exc.status, exc.code, exc.message, exc.fields, **exc.extra)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    code = (exc.name or "error").lower().replace(" ", "_")
    return error_response(exc.code or 500, code, exc.description or exc.name)
