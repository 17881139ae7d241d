"""Flask extensions, created unbound and initialised in create_app()."""

from __future__ import annotations

import os
import sqlite3
from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that Alembic migrations work the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# The base of every model. Flask-SQLAlchemy makes db.Model at run time (Base, with its session
# and table-name rules); a type checker cannot take an attribute made at run time for a class,
# so it is told it is Base, whose typed columns and constructor are what the models use.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Only routes that name a limit are limited (no default limits). The counts live in the
# storage RATELIMIT_STORAGE_URI names (memory, or Redis with REDIS_URL); init_app makes a
# new storage for each app, so each app (each test) starts from no counts. Settings are
# given here, not in the config, because init_app keeps some from the first app it sees.
# A moving window: no burst of twice the limit around the edge of a fixed window.
# When Redis is configured but down, the limits are counted in memory instead (and a
# failing count is logged, not answered with a 500): the limits never stop the app.
limiter = Limiter(
    key_func=get_remote_address,
    strategy="moving-window",
    in_memory_fallback_enabled=True,
    swallow_errors=True,
)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite as a real server database: enforced foreign keys, and WAL with a busy timeout
    so that readers never block the writer and concurrent writers wait instead of failing."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    # How long a writer waits for another's commit before the request answers 503 (its
    # setting is for the tests of that answer, which need not wait the full 15 s).
    cursor.execute(f"PRAGMA busy_timeout = {int(os.environ.get('SQLITE_BUSY_TIMEOUT_MS', 15000))}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()
