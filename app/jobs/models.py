"""Background jobs as the application database knows them, and the workers that run them.

The job library (Huey, app/jobs/queue.py) carries wake-up messages; this table is the truth
about each job: whether it waits, runs, succeeded or failed, who queued it, how far it got.
So a message lost with a worker killed mid-job, or with a queue that was flushed, loses no
job: the reaper (queue.reap) finds the row and sends the message again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import Model
from app.timeutil import UTCDateTime, utcnow


class JobState(StrEnum):
    QUEUED = "queued"  # waiting for a worker (run_after says from when)
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # for good: no attempt left, or a failure no retry can mend


class Job(Model):
    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_state_run_after", "state", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    args: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Held while the job waits or runs, so that the same work queued twice (two servers, two
    # clicks, a hundred changes) is one job; released when it ends. NULLs never collide.
    key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    # Never released: the periodic sync of one organization for one 15-minute slot is queued
    # once however many workers' schedulers fire for that slot.
    slot: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    state: Mapped[str] = mapped_column(sa.String(16), default=JobState.QUEUED)
    trigger: Mapped[str] = mapped_column(
        sa.String(32), default="cli"
    )  # button | schedule | change | cli
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    queued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    worker_id: Mapped[str | None] = mapped_column(sa.String(120))
    progress: Mapped[str | None] = mapped_column(sa.String(200))
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)

    queued_by: Mapped[User | None] = relationship()

    @property
    def pending(self) -> bool:
        return self.state in (JobState.QUEUED, JobState.RUNNING)


class JobWorker(Model):
    """A worker process, seen alive by its heartbeat: /healthz asks for one seen lately, and
    the reaper takes back the jobs of one that stopped beating."""

    __tablename__ = "job_workers"

    id: Mapped[str] = mapped_column(sa.String(120), primary_key=True)  # host:pid:random
    host: Mapped[str] = mapped_column(sa.String(100))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
