"""The job queue: Huey carries the messages, the jobs table keeps the truth.

Why Huey: it runs with no server of its own on one machine — its queue in a SQLite file
beside the database, or in the application's PostgreSQL — and on Redis when REDIS_URL is
set, with one API; it brings the consumer (worker threads, graceful shutdown), delayed and
periodic tasks. RQ and Dramatiq need Redis (or RabbitMQ); Procrastinate needs PostgreSQL.

What Huey does not do is acknowledge a message: one taken by a worker that is then killed
(SIGKILL, a power cut) is gone. So each job is also a row (models.Job), claimed by one
UPDATE before it runs (a message sent twice runs the job once), and the reaper sends the
message again for a job whose worker stopped beating, or whose message never came.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import gettext as _
from huey import Huey, MemoryHuey, PostgresHuey, RedisHuey, RetryTask, SqliteHuey, crontab
from huey.api import TaskWrapper
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session as OrmSession

from app.errors import NotFound
from app.extensions import db
from app.jobs.models import Job, JobState, JobWorker
from app.jobs.registry import HANDLERS, SCHEDULES, JobFailed, Retry
from app.timeutil import utcnow
from app.transaction import rowcount

log = logging.getLogger(__name__)
HUEY_NAME = "dekiru"
_PUSH = "dekiru_jobs_to_push"  # session.info: jobs whose message goes when the commit is done


# ---------------------------------------------------------------- the queue of one app


@dataclass
class Queue:
    huey: Huey
    run_job: TaskWrapper

    def push(self, job_id: int, run_after: datetime) -> None:
        delay = (run_after - utcnow()).total_seconds()
        if delay > 0:
            self.run_job.schedule(args=(job_id,), delay=delay)
        else:
            self.run_job(job_id)


def _huey(app: Flask) -> Huey:
    """Where the messages wait: JOBS_QUEUE names it ("memory", a sqlite:///, redis:// or
    postgresql:// URL); unset, in memory for tests, Redis when REDIS_URL is set, else the application's database
    (PostgreSQL's own tables, or a SQLite file beside the database: SQLite locks a whole file
    to write, and the queue must not wait behind a registration storm)."""
    setting = app.config.get("JOBS_QUEUE") or app.config.get("REDIS_URL") or ""
    if not setting and app.testing:
        setting = "memory"  # each test's app its own queue; the tests run the jobs themselves
    if not setting:
        setting = app.config["SQLALCHEMY_DATABASE_URI"]
        if setting.startswith("sqlite"):
            path = make_url(setting).database
            if path and path != ":memory:":
                file = Path(path)
                setting = f"sqlite:///{file.with_name(file.stem + '-jobs' + file.suffix)}"
            else:
                setting = "memory"
    if setting == "memory":
        return MemoryHuey(HUEY_NAME, results=False)
    if setting.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(HUEY_NAME, url=setting, results=False)
    if setting.startswith(("postgresql", "postgres://")):
        # Huey speaks libpq: the URL without SQLAlchemy's "+psycopg" driver name.
        url = make_url(setting).set(drivername="postgresql")
        return PostgresHuey(HUEY_NAME, dsn=url.render_as_string(hide_password=False), results=False)
    if setting.startswith("sqlite:///"):
        return SqliteHuey(HUEY_NAME, filename=make_url(setting).database, results=False)
    raise RuntimeError(
        f"JOBS_QUEUE={setting!r} is not a queue Dekiru knows: memory, sqlite:///PATH, "
        "redis://HOST/N or postgresql://…"
    )


def _make_queue(app: Flask) -> Queue:
    huey = _huey(app)

    @huey.task(name="run_job")
    def run_job(job_id: int) -> None:
        with app.app_context():
            run(job_id)

    @huey.periodic_task(crontab(), name="reap")  # every minute
    def reap_every_minute() -> None:
        with app.app_context():
            reap()

    for schedule in SCHEDULES:
        minutes = int(app.config[schedule.minutes_setting])
        if not 1 <= minutes <= 60:
            raise RuntimeError(f"{schedule.minutes_setting} must be 1 to 60 minutes, not {minutes}")
        every = crontab(minute=f"*/{minutes}") if minutes < 60 else crontab(minute="0")
        huey.periodic_task(every, name=schedule.name)(_in_app(app, schedule.queue))
    return Queue(huey, run_job)


def _in_app(app: Flask, fn: Callable[[], None]) -> Callable[[], None]:
    def call() -> None:
        with app.app_context():
            fn()
            db.session.commit()

    call.__name__ = fn.__name__
    return call


def queue_of(app: Flask | None = None) -> Queue:
    """The app's queue, made on first use: a PostgreSQL or SQLite queue creates its tables
    when it is made, and an app that never queues (a migration, a test) must not."""
    app = app or cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    if "jobs" not in app.extensions:
        app.extensions["jobs"] = _make_queue(app)
    return cast(Queue, app.extensions["jobs"])


# ---------------------------------------------------------------- queueing


def enqueue(
    kind: str,
    args: dict[str, Any] | None = None,
    *,
    key: str | None = None,
    slot: str | None = None,
    delay: float = 0,
    trigger: str = "cli",
    actor_id: int | None = None,
    org_id: int | None = None,
    session: OrmSession | None = None,
) -> int | None:
    """Queue a job in the caller's transaction; its message goes once that commits (a job
    rolled back is never run). Returns the new job's id, or None when the same `key` is
    already waiting or running, or the same `slot` was ever queued: then that job stands.

    One INSERT … ON CONFLICT DO NOTHING on the session's connection, so that two servers
    queueing the same work at once make one job, and so that an ORM event may queue from
    inside a flush (`session`), where the session itself may not be used."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for jobs of kind {kind!r}")
    session = session or db.session()
    connection = session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    run_after = utcnow() + timedelta(seconds=delay)
    statement = (
        insert(Job)
        .values(
            kind=kind,
            args=args or {},
            key=key,
            slot=slot,
            trigger=trigger,
            org_id=org_id,
            queued_by_id=actor_id,
            run_after=run_after,
        )
        .on_conflict_do_nothing()
        .returning(Job.id)
    )
    job_id = connection.execute(statement).scalar()
    if job_id is not None:
        _push_after_commit_of(session, job_id, run_after)
    return job_id


def hurry(job: Job, *, trigger: str, actor_id: int | None) -> None:
    """Someone asks now for work already queued for later (a debounced sync, a retry): it runs
    now, as theirs. Running already: nothing to hurry."""
    if job.state != JobState.QUEUED:
        return
    now = utcnow()
    if job.run_after > now:
        job.run_after = now
        _push_after_commit_of(db.session(), job.id, now)
    job.trigger = trigger
    job.queued_by_id = actor_id


def pending_job(key: str) -> Job | None:
    """The job waiting or running under `key`."""
    return db.session.scalar(sa.select(Job).where(Job.key == key))


def _push_after_commit_of(session: OrmSession, job_id: int, run_after: datetime) -> None:
    """Note a job whose message goes once this session's transaction commits."""
    session.info.setdefault(_PUSH, []).append((job_id, run_after))


@sa.event.listens_for(OrmSession, "after_commit")
def _push_after_commit(session: OrmSession) -> None:
    waiting = session.info.pop(_PUSH, None)
    if not waiting:
        return
    queue = queue_of()
    for job_id, run_after in waiting:
        try:
            queue.push(job_id, run_after)
        except Exception:
            # The queue's server is down: the job is saved, and the reaper sends it later.
            log.exception("job %s saved but its message could not be queued", job_id)


@sa.event.listens_for(OrmSession, "after_rollback")
def _forget_after_rollback(session: OrmSession) -> None:
    session.info.pop(_PUSH, None)


# ---------------------------------------------------------------- running


_worker_id: str | None = None  # this process's JobWorker.id, when it is a worker


def this_worker() -> str:
    return _worker_id or f"{socket.gethostname()}:{os.getpid()}"


def set_progress(job: Job, text: str) -> None:
    """Say how far a running job has got, for the page that follows it. Its own short
    transaction on its own connection: the job's work stays uncommitted until it is done."""
    with db.engine.begin() as connection:
        connection.execute(sa.update(Job).where(Job.id == job.id).values(progress=text[:200]))


def retry_delay(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: JOB_RETRY_DELAY, doubled for each attempt made."""
    return float(current_app.config["JOB_RETRY_DELAY"]) * 2 ** max(0, attempts - 1)


def run(job_id: int) -> None:
    """Run one job if it still waits: claimed by one UPDATE, so a message sent twice, or
    to two workers, runs it once."""
    now = utcnow()
    claimed = rowcount(
        db.session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.state == JobState.QUEUED)
            .values(
                state=JobState.RUNNING,
                worker_id=this_worker(),
                started_at=now,
                attempts=Job.attempts + 1,
                progress=None,
            )
        )
    )
    db.session.commit()
    if not claimed:
        return
    job = db.session.get_one(Job, job_id)
    handler = HANDLERS.get(job.kind)
    retry = False
    try:
        if handler is None:
            raise JobFailed(_("この種類の処理(%(kind)s)はありません。", kind=job.kind))
        result = handler(job)
    except Retry as exc:
        error, retry = str(exc), True
    except JobFailed as exc:
        error = str(exc)
    except Exception as exc:
        # A bug or an outage we did not foresee: the traceback goes to the log, and the job
        # is tried again (the database or the network may be back by then).
        log.exception("job %s (%s) failed", job_id, job.kind)
        error, retry = repr(exc), True
    else:
        db.session.commit()
        _finish(job_id, JobState.DONE, result=result)
        return
    db.session.rollback()
    attempts = db.session.get_one(Job, job_id).attempts
    if retry and attempts < int(current_app.config["JOB_ATTEMPTS"]):
        delay = retry_delay(attempts)
        db.session.execute(
            sa.update(Job)
            .where(Job.id == job_id)
            .values(
                state=JobState.QUEUED,
                worker_id=None,
                error=error,
                run_after=utcnow() + timedelta(seconds=delay),
            )
        )
        db.session.commit()
        # Huey schedules the next attempt; our row says when and why.
        raise RetryTask(delay=delay)
    _finish(job_id, JobState.FAILED, error=error)


def _finish(job_id: int, state: JobState, **values: Any) -> None:
    db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id)
        .values(state=state, finished_at=utcnow(), key=None, **values)
    )
    db.session.commit()


# ---------------------------------------------------------------- workers and the reaper


def register_worker() -> str:
    global _worker_id
    host, pid = socket.gethostname()[:100], os.getpid()
    _worker_id = f"{host}:{pid}:{os.urandom(3).hex()}"
    db.session.add(JobWorker(id=_worker_id, host=host, pid=pid))
    db.session.commit()
    return _worker_id


def beat(worker_id: str, *, stopped: bool = False) -> None:
    now = utcnow()
    values: dict[str, Any] = {"seen_at": now}
    if stopped:
        values["stopped_at"] = now
    db.session.execute(sa.update(JobWorker).where(JobWorker.id == worker_id).values(**values))
    db.session.commit()


def _alive_here(worker: JobWorker) -> bool:
    """A worker of this machine is alive while its process is (a SIGKILL is known at once)."""
    try:
        os.kill(worker.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _gone(worker: JobWorker, now: datetime) -> bool:
    if worker.stopped_at is not None:
        return True
    if worker.seen_at < now - timedelta(seconds=int(current_app.config["JOB_WORKER_TIMEOUT"])):
        return True
    return worker.host == socket.gethostname()[:100] and not _alive_here(worker)


@dataclass
class Reaped:
    taken_back: int = 0
    sent_again: int = 0


def reap() -> Reaped:
    """Take back the jobs of workers that stopped (killed, or stopped while a job ran) and
    send again the message of jobs overdue by JOB_LOST_AFTER (the queue lost it)."""
    now = utcnow()
    done = Reaped()
    running_workers = db.session.scalars(
        sa.select(JobWorker).where(
            JobWorker.id.in_(sa.select(Job.worker_id).where(Job.state == JobState.RUNNING))
        )
    )
    gone = [w.id for w in running_workers if _gone(w, now)]
    if gone:
        jobs = list(
            db.session.scalars(
                sa.select(Job).where(Job.state == JobState.RUNNING, Job.worker_id.in_(gone))
            )
        )
        for job in jobs:
            job.state = JobState.QUEUED
            job.worker_id = None
            job.run_after = now
            job.error = _("処理の途中で作業プロセスが止まったので、もう一度実行します。")
            _push_after_commit_of(db.session(), job.id, now)
        done.taken_back = len(jobs)
    lost_before = now - timedelta(seconds=int(current_app.config["JOB_LOST_AFTER"]))
    overdue = db.session.scalars(
        sa.select(Job.id).where(Job.state == JobState.QUEUED, Job.run_after < lost_before)
    ).all()
    for job_id in overdue:
        _push_after_commit_of(db.session(), job_id, now)
    done.sent_again = len(overdue)
    # Old records: workers gone for a day, finished jobs past JOB_KEEP_DAYS.
    db.session.execute(sa.delete(JobWorker).where(JobWorker.seen_at < now - timedelta(days=1)))
    keep = timedelta(days=int(current_app.config["JOB_KEEP_DAYS"]))
    db.session.execute(
        sa.delete(Job).where(
            Job.state.in_((JobState.DONE, JobState.FAILED)), Job.finished_at < now - keep
        )
    )
    db.session.commit()
    if done.taken_back or done.sent_again:
        log.warning("reaper: %d jobs taken back, %d sent again", done.taken_back, done.sent_again)
    return done


# ---------------------------------------------------------------- what the lists show


RECENT_SHOWN = 30


@dataclass
class Overview:
    queued: list[Job]
    running: list[Job]
    failed: list[Job]
    recent: list[Job]
    workers: list[JobWorker]


def overview(limit: int = RECENT_SHOWN) -> Overview:
    def jobs(*states: JobState, newest_first: bool = True) -> list[Job]:
        order = Job.id.desc() if newest_first else Job.run_after
        return list(
            db.session.scalars(
                sa.select(Job)
                .options(sa.orm.joinedload(Job.queued_by))
                .where(Job.state.in_(states))
                .order_by(order)
                .limit(limit)
            )
        )

    workers = db.session.scalars(sa.select(JobWorker).order_by(JobWorker.seen_at.desc()).limit(10))
    return Overview(
        queued=jobs(JobState.QUEUED, newest_first=False),
        running=jobs(JobState.RUNNING),
        failed=jobs(JobState.FAILED),
        recent=jobs(JobState.DONE),
        workers=list(workers),
    )


def queue_length() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Job).where(Job.state == JobState.QUEUED)
        )
        or 0
    )


def last_worker_seen() -> datetime | None:
    return db.session.scalar(
        sa.select(sa.func.max(JobWorker.seen_at)).where(JobWorker.stopped_at.is_(None))
    )


def retry_failed(job_id: int) -> Job:
    """Queue a failed job again (the admin's button), with its attempts counted afresh."""
    job = db.session.get(Job, job_id)
    if job is None or job.state != JobState.FAILED:
        raise NotFound(_("やり直せる失敗した処理(ID %(id)s)はありません。", id=job_id))
    job.state = JobState.QUEUED
    job.attempts = 0
    job.run_after = utcnow()
    job.finished_at = None
    _push_after_commit_of(db.session(), job.id, job.run_after)
    db.session.commit()
    return job
