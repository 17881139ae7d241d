"""Configuration: defaults in classes, secrets and locations from the environment.

The environment is read when an app is created (not at import), so that a test or a
process that sets a variable before create_app() gets what it set.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = REPO_ROOT / "instance"


class Config:
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'dekiru.sqlite3'}"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    CURRICULA_DIR = str(REPO_ROOT / "curricula")
    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
    BABEL_TRANSLATION_DIRECTORIES = str(REPO_ROOT / "translations")
    SESSIONS_PER_PAGE = 50
    # Uploads are small (sign-up sheets, closure calendars); the upload confirmation carries
    # the file in a signed form field, so leave room above the 2 MB file limit.
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    # Staffing: a reminder to each instructor and assistant this many days before a class;
    # how often the reminders and the requests' reply-by dates are looked at.
    STAFF_REMINDER_DAYS = 2
    STAFF_REMINDER_EVERY_MINUTES = 15
    STAFFING_DEADLINES_EVERY_MINUTES = 60
    # The day-before call: a learner's family contact (with an e-mail and consent) hears of
    # each class this many days before it; how often the reminders due are looked for.
    FAMILY_REMINDER_DAYS = 2
    FAMILY_REMINDER_EVERY_MINUTES = 15
    # Calendar feeds keep each written event (app/calendars/store.py); one no feed used for
    # this many days is deleted by a job queued once a day (looked for this often).
    CALENDAR_EVENTS_KEEP_DAYS = 30
    CALENDAR_PRUNE_EVERY_MINUTES = 60
    HELP_PHONE = "0120-000-000"  # the city's help line, printed on cards and confirmations
    # The municipality, as the per-session records and a printed 活動記録 name it.
    CITY_NAME = "若葉市"
    SHEETS_API_URL = "https://sheets.googleapis.com"
    SHEETS_ACCESS_TOKEN: str | None = None
    SHEETS_CREDENTIALS: str | None = None
    WTF_CSRF_TIME_LIMIT = None  # a coordinator's form may stay open all morning
    # Rate limits (app/throttle.py), as "N per PERIOD"; the counts are in memory, per process,
    # unless REDIS_URL names a Redis that all processes share.
    RATELIMIT_STORAGE_URI = "memory://"
    # How many reverse proxies stand in front (each adds X-Forwarded-For/-Proto); 0: none.
    TRUSTED_PROXIES = 0
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"  # failed logins for one e-mail address
    LOGIN_LIMIT_PER_ADDRESS = "20 per 15 minutes"  # failed logins from one client address
    SIGNUP_LIMIT_PER_ADDRESS = "10 per hour"  # public sign-ups from one client address
    SIGNUP_LIMIT_PER_PHONE = "3 per day"  # public sign-ups giving one phone number
    # Background jobs (app/jobs). JOBS_QUEUE: where Huey keeps its messages — unset means
    # Redis when REDIS_URL is set, else the database's (PostgreSQL tables, or a SQLite file
    # beside the database); "memory" only for tests. The jobs table is the truth either way.
    JOBS_QUEUE: str | None = None
    REDIS_URL: str | None = None
    JOB_ATTEMPTS = 4  # a job failing for a reason that may pass is tried this many times
    JOB_RETRY_DELAY = 30  # seconds before the second attempt, doubled for each next one
    JOB_WORKER_TIMEOUT = 60  # a worker not heard from for this long is gone; its jobs run again
    JOB_LOST_AFTER = 120  # a job overdue this long had its message lost: the reaper resends it
    JOB_KEEP_DAYS = 30  # finished jobs are listed this long, then deleted
    SHEETS_SYNC_EVERY_MINUTES = 15  # every linked organization's sheet is synced this often
    SHEETS_SYNC_AFTER_CHANGE = 60  # seconds after a partner's change: many changes, one sync
    HEALTH_REQUIRES_WORKER = True  # /healthz fails when no worker was seen in the last minute
    # Retention of personal data (flask --app app retention; app/maintenance/retention.py).
    # A learner with no registration, attendance or sign-up for this many years is
    # anonymized: five years covers a person who comes back after a few years away (a term
    # missed for illness, a new phone at 80) while not keeping everyone forever.
    RETENTION_YEARS = 5
    # Audit entries answer "who did what with whose data": kept as long as the learners'
    # records they concern may themselves be kept (RETENTION_YEARS), so that what was done
    # with a person's data can be traced for as long as the data existed.
    AUDIT_RETENTION_YEARS = 5
    # Sync logs are for troubleshooting a partner's sheet; their refusals quote what was
    # typed in the sheet (names perhaps). A quarter is time enough to look into a problem
    # a partner reports late.
    SYNC_LOG_RETENTION_DAYS = 90
    # E-mail (app/mail): sent through this SMTP server by the worker, never inside a request.
    # No MAIL_SERVER: messages are composed and kept in the outbox (/admin/mail), unsent.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 587  # the submission port; STARTTLS on it with MAIL_USE_TLS
    MAIL_USERNAME: str | None = None  # set: log in to the server (AUTH) with MAIL_PASSWORD
    MAIL_PASSWORD: str | None = None  # a secret: read from the environment, never logged
    MAIL_USE_TLS = True  # STARTTLS before anything else is said (the environment: true/false)
    MAIL_FROM = "Dekiru <dekiru@dekiru.local>"  # the From of every message
    # Notices to one person within this many minutes go as one message ("3件の講座が変更"),
    # never one per session of a series.
    MAIL_BATCH_MINUTES = 5
    # The address people reach Dekiru at (https://dekiru.city.example.jp): where the links in
    # e-mail point. Unset: the address of the request that caused the message; a job's own
    # message (a reminder) then links to SERVER_NAME, else localhost.
    SITE_URL: str | None = None
    SESSION_COOKIE_SAMESITE = "Lax"
    # Logs (app/logs.py): "json", one object per line, or "text"; unset in tests, whose app
    # leaves logging to pytest unless a test names a format.
    LOG_FORMAT: str | None = None
    LOG_LEVEL = "INFO"
    SESSION_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_HTTPONLY = True


class DevelopmentConfig(Config):
    # A fixed key only for local development; production must set SECRET_KEY.
    SECRET_KEY = "dev-only-not-secret"
    LOG_FORMAT = "text"


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-only-not-secret"
    WTF_CSRF_ENABLED = False


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    LOG_FORMAT = "json"


def database_url(url: str) -> str:
    """Accept the usual postgresql:// form and use the psycopg 3 driver for it."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


ENVIRONMENTS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}
# Keys written in this file are public: each may sign sessions only in its own environment.
PUBLIC_KEYS = {DevelopmentConfig.SECRET_KEY: "development", TestingConfig.SECRET_KEY: "testing"}


def config_for_environment() -> type[Config]:
    # Unset: the base configuration, which has no key, so that a server nobody configured
    # refuses to start (check_secret_key) instead of signing sessions with a public key.
    name = os.environ.get("DEKIRU_ENV")
    return ENVIRONMENTS.get(name, Config) if name else Config


def check_secret_key(secret_key: str | None) -> None:
    """Refuse to start with no key, with a key from this file outside its environment, or
    with a DEKIRU_ENV nobody knows (a typo of production must not run as something else)."""
    name = os.environ.get("DEKIRU_ENV")
    known = ", ".join(ENVIRONMENTS)
    if name and name not in ENVIRONMENTS:
        raise RuntimeError(f"DEKIRU_ENV={name!r} is not known: set it to one of {known}.")
    what_to_set = (
        "Set DEKIRU_ENV=development to work on this machine (`make run` does), or "
        "DEKIRU_ENV=production with SECRET_KEY set to a long random value, e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_hex(32))'`."
    )
    if not secret_key:
        raise RuntimeError(f"SECRET_KEY is not set. {what_to_set}")
    if secret_key in PUBLIC_KEYS and PUBLIC_KEYS[secret_key] != name:
        raise RuntimeError(
            f"SECRET_KEY is the {PUBLIC_KEYS[secret_key]} key written in app/config.py, "
            f"which is public and signs sessions only with DEKIRU_ENV={PUBLIC_KEYS[secret_key]}"
            f" (DEKIRU_ENV is {name or 'unset'}). {what_to_set}"
        )


def environment_overrides() -> dict[str, str]:
    overrides: dict[str, str] = {}
    if os.environ.get("SECRET_KEY"):
        overrides["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("DATABASE_URL"):
        overrides["SQLALCHEMY_DATABASE_URI"] = database_url(os.environ["DATABASE_URL"])
    if os.environ.get("REDIS_URL"):
        overrides["RATELIMIT_STORAGE_URI"] = os.environ["REDIS_URL"]
        overrides["REDIS_URL"] = os.environ["REDIS_URL"]
    for name in (
        "CURRICULA_DIR",
        "HELP_PHONE",
        "CITY_NAME",
        "SHEETS_API_URL",
        "SHEETS_ACCESS_TOKEN",
        "SHEETS_CREDENTIALS",
        "LOGIN_LIMIT_PER_ACCOUNT",
        "LOGIN_LIMIT_PER_ADDRESS",
        "SIGNUP_LIMIT_PER_ADDRESS",
        "SIGNUP_LIMIT_PER_PHONE",
        "TRUSTED_PROXIES",
        "JOBS_QUEUE",
        "JOB_ATTEMPTS",
        "JOB_RETRY_DELAY",
        "JOB_WORKER_TIMEOUT",
        "JOB_LOST_AFTER",
        "JOB_KEEP_DAYS",
        "SHEETS_SYNC_EVERY_MINUTES",
        "SHEETS_SYNC_AFTER_CHANGE",
        "SITE_URL",
        "STAFF_REMINDER_DAYS",
        "STAFF_REMINDER_EVERY_MINUTES",
        "STAFFING_DEADLINES_EVERY_MINUTES",
        "FAMILY_REMINDER_DAYS",
        "FAMILY_REMINDER_EVERY_MINUTES",
        "CALENDAR_EVENTS_KEEP_DAYS",
        "CALENDAR_PRUNE_EVERY_MINUTES",
        "LOG_FORMAT",
        "LOG_LEVEL",
        "RETENTION_YEARS",
        "AUDIT_RETENTION_YEARS",
        "SYNC_LOG_RETENTION_DAYS",
        "MAIL_SERVER",
        "MAIL_PORT",
        "MAIL_USERNAME",
        "MAIL_PASSWORD",
        "MAIL_USE_TLS",
        "MAIL_FROM",
        "MAIL_BATCH_MINUTES",
    ):
        if os.environ.get(name):
            overrides[name] = os.environ[name]
    return overrides
