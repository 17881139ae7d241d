"""Configuration classes. Secrets and locations come from the environment."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = REPO_ROOT / "instance"


def _sqlite_default() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'dekiru.sqlite3'}"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or _sqlite_default()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    CURRICULA_DIR = os.environ.get("CURRICULA_DIR") or str(REPO_ROOT / "curricula")
    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
    BABEL_TRANSLATION_DIRECTORIES = str(REPO_ROOT / "translations")
    LANGUAGES = ("ja", "en")
    DISPLAY_TIMEZONE = "Asia/Tokyo"
    SESSIONS_PER_PAGE = 50
    WTF_CSRF_TIME_LIMIT = None  # a coordinator's form may stay open all morning
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_HTTPONLY = True


class DevelopmentConfig(Config):
    # A fixed key only for local development; production must set SECRET_KEY.
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-only-not-secret"
    WTF_CSRF_ENABLED = False


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


def config_for_environment() -> type[Config]:
    name = os.environ.get("DEKIRU_ENV", "development")
    return {"production": ProductionConfig, "testing": TestingConfig}.get(name, DevelopmentConfig)
