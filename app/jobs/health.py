"""What /healthz says: the database answers, its schema is the code's, a worker is alive,
and how long the queue is. Nothing personal, nothing that needs a login."""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import current_app

from app.config import REPO_ROOT
from app.extensions import db
from app.jobs.queue import last_worker_seen, queue_length
from app.timeutil import utcnow

WORKER_SEEN_WITHIN = 60  # seconds: the "worker seen in the last minute"


@cache
def code_heads() -> frozenset[str]:
    """The migrations' heads in this checkout: read once per process (they change only with
    the code, and a deploy restarts the process)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


# What a load balancer asks of one web server (`/healthz?check=web`): that it can serve. A
# stopped worker delays syncs but must not take the site down with it.
WEB_PARTS = ("database", "migrations")


def _database_heads() -> frozenset[str]:
    """The schema versions Alembic recorded; none when it never ran (no alembic_version).
    Read as a plain query: Alembic's MigrationContext would log two lines per health check."""
    try:
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            return frozenset(row[0] for row in rows)
    except sa.exc.SQLAlchemyError:
        return frozenset()


def health(web_only: bool = False) -> tuple[dict[str, Any], bool]:
    answer: dict[str, Any] = {}
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        answer["database"] = {"ok": False, "error": type(exc).__name__}
        return {"status": "failing", **answer}, False
    current = _database_heads()
    answer["database"] = {"ok": True}
    heads = code_heads()
    answer["migrations"] = {
        "ok": current == heads,
        "database": sorted(current),
        "code": sorted(heads),
    }
    seen = last_worker_seen()
    ago = None if seen is None else max(0, int((utcnow() - seen).total_seconds()))
    required = bool(current_app.config.get("HEALTH_REQUIRES_WORKER", True))
    answer["worker"] = {
        "ok": (ago is not None and ago <= WORKER_SEEN_WITHIN) or not required,
        "seen_seconds_ago": ago,
    }
    answer["queue"] = {"ok": True, "queued": queue_length()}
    counted = WEB_PARTS if web_only else tuple(answer)
    ok = all(answer[name]["ok"] for name in counted)
    return {"status": "ok" if ok else "failing", **answer}, ok
