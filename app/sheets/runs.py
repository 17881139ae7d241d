"""A partner's sheet as its page shows it: the sync log, one run, the sheet's address."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.errors import NotFound
from app.extensions import db
from app.orgs.models import Organization
from app.sheets.models import SyncRun

SYNC_LOG_SHOWN = 20


def sync_log(org: Organization, limit: int = SYNC_LOG_SHOWN) -> list[SyncRun]:
    """The latest runs, with who started them, in one query."""
    return list(
        db.session.scalars(
            sa.select(SyncRun)
            .options(joinedload(SyncRun.started_by))
            .where(SyncRun.org_id == org.id)
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(limit)
        )
    )


def get_sync_run(org: Organization, run_id: int) -> SyncRun:
    run = db.session.scalar(
        sa.select(SyncRun)
        .options(joinedload(SyncRun.started_by))
        .where(SyncRun.id == run_id, SyncRun.org_id == org.id)
    )
    if run is None:
        raise NotFound(_("同期の記録(ID %(id)s)は見つかりません。", id=run_id))
    return run


def sheet_url(key: str) -> str:
    return f"https://docs.google.com/spreadsheets/d/{key}/edit"
