"""The worker as a real process (`flask --app app worker`), on the queue a single machine
uses with no server of its own (a SQLite file, or the PostgreSQL database): it runs what the app queues, it beats, and a
job whose worker is killed (SIGKILL, mid-sync) is run to the end by the next worker, once.
Against the local Sheets API server, slowed down so that the kill lands mid-sync."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from app.config import REPO_ROOT
from app.extensions import db
from app.jobs.models import Job, JobWorker
from app.sheets.jobs import queue_sync
from app.sheets.models import SheetLink, SyncRun
from app.sheets.sync import link_sheet
from tests.sheets.sheets_api_server import SheetsAPIServer

WAIT = 60


@pytest.fixture
def sheets():
    with SheetsAPIServer() as server:
        yield server


@pytest.fixture
def queue_app(app, tmp_path):
    """The test's app with the queue a worker process shares when there is no Redis: a SQLite
    file beside a SQLite database, PostgreSQL's own tables (huey_*) in the application's."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config["JOBS_QUEUE"] = (
        url if url.startswith("postgresql") else f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    )
    return app


def _worker(app, sheets, tmp_path, name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEKIRU_ENV": "development",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "JOBS_QUEUE": app.config["JOBS_QUEUE"],
        "SHEETS_API_URL": sheets.url,
        "SHEETS_ACCESS_TOKEN": "t",
        "JOB_WORKER_TIMEOUT": "8",
        "LOG_FORMAT": "text",
    }
    env.pop("DEKIRU_TEST_CLOCK", None)
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--threads", "1"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _until(check, what: str, tmp_path):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        db.session.expire_all()
        found = check()
        if found:
            return found
        time.sleep(0.2)
    logs = "\n".join(p.read_text() for p in tmp_path.glob("worker*.log"))
    raise AssertionError(f"{what}: not within {WAIT} s\n{logs[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _job(job_id: int) -> Job:
    return db.session.get_one(Job, job_id)


def test_a_job_whose_worker_is_killed_mid_sync_is_finished_by_the_next_worker_once(
    queue_app, make, sheets, tmp_path
):
    org = make.org(slug="npo-hall", name="NPO公民館")
    key = sheets.create_spreadsheet("NPO公民館")
    link_sheet(org, key)
    make.session(partner_org=org.slug)
    sheets.latency = 2.0  # each Sheets call takes 2 s: the kill lands mid-sync
    job = queue_sync(org, trigger="button")
    job_id = job.id

    first = _worker(queue_app, sheets, tmp_path, "worker1")
    try:
        _until(lambda: _job(job_id).state == "running" and sheets.calls >= 1, "running", tmp_path)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first)
    killed = db.session.scalar(sa.select(JobWorker).where(JobWorker.pid == first.pid))
    assert killed is not None
    assert killed.stopped_at is None  # it had no time to say so
    assert _job(job_id).state == "running"
    assert db.session.scalar(sa.select(SheetLink.lock_token)) == f"job:{job_id}"

    sheets.latency = 0.0
    second = _worker(queue_app, sheets, tmp_path, "worker2")
    try:
        done = _until(lambda: _job(job_id).state == "done" and _job(job_id), "done", tmp_path)
    finally:
        _stop(second)

    assert done.attempts == 2
    # The button's sync (a quarter hour may also have passed: the schedule's own sync is
    # another, later run).
    runs = list(
        db.session.scalars(
            sa.select(SyncRun).where(SyncRun.trigger == "button").order_by(SyncRun.id)
        )
    )
    assert [r.outcome for r in runs] == ["failed", "ok"]  # the cut one says so, not "running"
    assert "止まりました" in runs[0].error
    assert db.session.scalar(sa.select(SheetLink.lock_token)) is None
    classes = sheets.get_values(key, "Classes", render="FORMATTED_VALUE")
    assert len(classes) == 2  # the header and the one session, written once
    stopped = db.session.scalar(sa.select(JobWorker).where(JobWorker.pid == second.pid))
    assert stopped.stopped_at is not None  # SIGINT: it finished and said it stopped
