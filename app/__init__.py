"""Dekiru: the application factory."""

from __future__ import annotations

import os

from flask import Flask, has_request_context, session
from werkzeug.middleware.proxy_fix import ProxyFix

from app import headers, logs, static_files
from app.config import (
    INSTANCE_DIR,
    REPO_ROOT,
    check_secret_key,
    config_for_environment,
    database_url,
    environment_overrides,
)
from app.extensions import babel, csrf, db, limiter, login_manager, migrate


def select_locale() -> str:
    # Japanese unless the person chose English with the switch (kept in their session).
    if not has_request_context():
        return "ja"
    chosen = session.get("lang")
    return chosen if chosen in ("ja", "en") else "ja"


def create_app(config: dict | type | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(REPO_ROOT / "templates"),
        static_folder=str(REPO_ROOT / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    app.config.from_object(config_for_environment())
    app.config.update(environment_overrides())
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    check_secret_key(app.config.get("SECRET_KEY"))
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    _register_blueprints(app)
    _register_template_helpers(app)
    _trust_proxies(app)
    logs.init_app(app)
    headers.init_app(app)
    static_files.init_app(app)

    from app import cli

    cli.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from app import (
        api,
        auth,
        calendars,
        certificates,
        checkin,
        core,
        curricula,
        jobs,
        mail,
        orgs,
        partners,
        people,
        public,
        reports,
        scheduling,
        sheets,
        staffing,
        surveys,
    )

    # Before any route is added: every <int:...> in a URL is an id or a number the database
    # must hold, so a number past its integer columns is no match (404), not a crashed query.
    from app.inputs import IdConverter

    app.url_map.converters["int"] = IdConverter
    areas = (
        core,
        auth,
        jobs,
        orgs,
        curricula,
        mail,
        scheduling,
        people,
        checkin,
        certificates,
        surveys,
        public,
        sheets,
        calendars,
        staffing,
        partners,
        reports,
        api,
    )
    for area in areas:
        app.register_blueprint(area.bp)
    # The API authenticates with Bearer tokens, never cookies, so CSRF does not apply to it.
    csrf.exempt(api.bp)


def _trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies, believe their X-Forwarded-For and X-Forwarded-Proto: the
    client's address (which the per-address limits count) and whether it came by HTTPS.
    Never more than there are: a client could then make up its own address."""
    try:
        count = int(app.config["TRUSTED_PROXIES"])
    except (TypeError, ValueError):
        raise RuntimeError(
            f"TRUSTED_PROXIES must be a number of proxies, not {app.config['TRUSTED_PROXIES']!r}"
        ) from None
    if count > 0:
        # Flask's documented way to wrap its WSGI app, which mypy takes for replacing a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def _register_template_helpers(app: Flask) -> None:
    from app import templating

    templating.init_app(app)
