"""Logs: one JSON object per line in production, plain text on a developer's machine.

Every answer has a request id: the caller's `X-Request-ID` when it is a short safe token,
else a new one. It goes back in the `X-Request-ID` header, on the error pages (a coordinator
can read it out to whoever looks into the problem) and in the API's error bodies, and into
every line logged while the request runs.

Each request ends with one line (logger `dekiru.request`) saying the method, the route (the
URL rule, `/sessions/<int:session_id>`, never the path: calendar-feed and card tokens live in
paths), the status, how long it took and the user's id. Never a name, phone number, e-mail
address, token or query string: what people type stays out of the logs.

Configured by create_app from LOG_FORMAT (`json`, the production default; `text`, the others')
and LOG_LEVEL; a test's app leaves logging as pytest set it unless its config names a format.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import IO, Any

from flask import Flask, Response, g, has_request_context, request, request_finished
from flask import request_started as flask_request_started
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

HEADER = "X-Request-ID"
# What a caller (a proxy, a door device) may name its request: letters, digits and - _ . :,
# at most 64. Anything else is ignored and a new id made, so that nobody writes into the logs.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
HANDLER_NAME = "dekiru"  # the one handler this module puts on the root logger
REQUEST_LOGGER = "dekiru.request"
# Flask's own line for an unhandled exception (Flask.log_exception) names the path, which may
# hold a token: it is written with the route instead.
FLASK_EXCEPTION_MESSAGE = "Exception on {path} [{method}]"


def request_id() -> str:
    """This request's id: the caller's when well formed, else new (made once per request)."""
    if "request_id" not in g:
        given = request.headers.get(HEADER, "")
        g.request_id = given if WELL_FORMED.fullmatch(given) else secrets.token_hex(8)
    return g.request_id


def _route() -> str | None:
    rule = request.url_rule
    return rule.rule if rule is not None else None


def _user_id() -> int | None:
    # The user already loaded by this request (an API token's, or Flask-Login's, which keeps
    # it in g._login_user): asking current_user here would load one for every static file.
    user = g.get("api_user") or g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.id


class RequestContext(logging.Filter):
    """Adds the request's id, method and route to every line logged while it runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not has_request_context():
            return True
        record.request_id = request_id()
        record.method = request.method
        record.route = _route()
        flasks = FLASK_EXCEPTION_MESSAGE.format(path=request.path, method=request.method)
        if record.msg == flasks:
            record.msg = FLASK_EXCEPTION_MESSAGE.format(path=_route(), method=request.method)
        return True


class UtcJsonFormatter(JsonFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return UtcJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )
    if log_format == "text":
        return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    raise RuntimeError(f"LOG_FORMAT must be json or text, not {log_format!r}")


def configure(app: Flask, stream: IO[str] | None = None) -> None:
    """Send every logger's lines (the app's, Flask-Limiter's, SQLAlchemy's warnings) to
    standard error in the app's format; journald keeps them under systemd."""
    log_format = app.config.get("LOG_FORMAT") or "text"
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.name = HANDLER_NAME
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RequestContext())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL") or "INFO")
    # Flask's handler would write each app line a second time, as text.
    app.logger.removeHandler(default_handler)


def _started(_sender: Flask, **_extra: Any) -> None:
    g.request_started = time.perf_counter()


def _answer_with_id(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    return response


def _finished(_sender: Flask, response: Response, **_extra: Any) -> None:
    started = g.get("request_started")
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    route = _route()
    logging.getLogger(REQUEST_LOGGER).info(
        "%s %s %s",
        request.method,
        route or "(no route)",
        response.status_code,
        extra={
            "status": response.status_code,
            "duration_ms": duration,
            "user_id": _user_id(),
        },
    )


def init_app(app: Flask) -> None:
    # Set explicitly (LOG_FORMAT in the environment, or a test's config), or outside tests.
    if not app.testing or app.config.get("LOG_FORMAT"):
        configure(app)
    app.after_request(_answer_with_id)
    app.add_template_global(request_id)
    flask_request_started.connect(_started, app)
    request_finished.connect(_finished, app)
