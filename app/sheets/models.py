"""A partner's linked spreadsheet, each sync's log, and the sign-up rows already imported."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import Model
from app.orgs.models import Organization
from app.timeutil import UTCDateTime, utcnow


class SheetLink(Model):
    __tablename__ = "sheet_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), unique=True)
    spreadsheet_key: Mapped[str] = mapped_column(sa.String(128))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    linked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Held while a sync runs, so two syncs of one organization never overlap; a lock older
    # than the sync time limit is taken over (the process holding it died).
    lock_token: Mapped[str | None] = mapped_column(sa.String(64))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organization] = relationship()
    linked_by: Mapped[User | None] = relationship()


class SyncRun(Model):
    __tablename__ = "sync_runs"
    __table_args__ = (sa.Index("ix_sync_runs_org_started", "org_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    kind: Mapped[str] = mapped_column(sa.String(16), default="sheets")  # sheets | file
    trigger: Mapped[str] = mapped_column(sa.String(32))  # button | cli | upload
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    dry_run: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(sa.String(16), default="running")  # running | ok | failed
    rows_pushed: Mapped[int] = mapped_column(default=0)
    rows_imported: Mapped[int] = mapped_column(default=0)
    rows_refused: Mapped[int] = mapped_column(default=0)
    refusals: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    api_calls: Mapped[int] = mapped_column(default=0)
    duration_ms: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.Text)

    org: Mapped[Organization] = relationship()
    started_by: Mapped[User | None] = relationship()


class SignupImport(Model):
    """A sign-up row already taken in: found again by its content, never imported twice."""

    __tablename__ = "signup_imports"
    __table_args__ = (sa.UniqueConstraint("org_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrations.id"))
    status_text: Mapped[str] = mapped_column(sa.String(300))
    sync_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sync_runs.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
