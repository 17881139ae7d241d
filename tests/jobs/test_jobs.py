"""Background jobs as a coordinator, a partner and the IT officer meet them: a sync queued by
the button, by the schedule, by a partner's changes; once however often it is asked for;
tried again when Google fails, not when the sheet is not shared; taken back from a worker
that died; and what /healthz, the admins' page and `flask jobs` say. The queue is Huey's
memory queue of each test's app; `run_jobs` does what a worker does with it."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask_migrate import stamp

from app.auth.services import create_token
from app.config import REPO_ROOT
from app.extensions import db
from app.jobs.models import Job, JobState, JobWorker
from app.jobs.queue import reap, register_worker
from app.people.learners import create_learner
from app.people.registration import register
from app.sheets.jobs import queue_every_linked_org, queue_sync
from app.sheets.models import SheetLink, SyncRun
from app.sheets.sync import link_sheet
from app.sheets.tables import SIGNUPS, SIGNUPS_HEADER
from app.timeutil import utcnow
from app.transaction import atomic
from tests.conftest import login, run_jobs
from tests.sheets.sheets_api_server import SheetsAPIServer


@pytest.fixture
def api_server():
    with SheetsAPIServer() as server:
        yield server
    assert server.internal_errors == []


@pytest.fixture
def world(make, app, api_server):
    app.config.update(
        SHEETS_API_URL=api_server.url,
        SHEETS_ACCESS_TOKEN="t",
        SHEETS_CREDENTIALS=None,
        SHEETS_BACKOFF_BASE=0.001,
        SHEETS_MAX_ATTEMPTS=1,
    )
    ours = make.org(slug="npo-ours", name="NPOつなぐ")
    key = api_server.create_spreadsheet("NPOつなぐ")
    link_sheet(ours, key)
    session = make.session(partner_org=ours.slug, capacity=10)
    # Making the partner's session queued its sync (a change): each test starts from none.
    db.session.execute(sa.delete(Job))
    db.session.commit()
    app.extensions["jobs"].huey.flush()
    return {
        "server": api_server,
        "key": key,
        "ours": ours,
        "session": session,
        "partner": make.user("partner", org=ours, name="つなぐ担当"),
        "admin": make.user("admin"),
        "coordinator": make.user("coordinator"),
    }


def _jobs() -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Job).order_by(Job.id)))


def _runs() -> list[SyncRun]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SyncRun).order_by(SyncRun.id)))


def _learner(n: int):
    return create_learner(
        {"name": f"受講 {n}", "furigana": "じゅこう", "phone": f"090-1000-{n:04d}"}
    )


# ---------------------------------------------------------------- once, whatever the asking


def test_a_double_click_queues_one_sync_and_the_page_follows_it_to_the_end(world, client, app):
    login(client, world["partner"])
    org_id = world["ours"].id
    first = client.post(f"/orgs/{org_id}/sync")
    second = client.post(f"/orgs/{org_id}/sync")

    assert first.headers["Location"] == second.headers["Location"]
    [job] = _jobs()
    assert (job.state, job.trigger, job.queued_by_id) == ("queued", "button", world["partner"].id)
    waiting = client.get(f"/orgs/{org_id}/sync-jobs/{job.id}").get_json()
    assert waiting["pending"] is True
    assert "受け付けました" in waiting["text"]
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert 'data-pending="true"' in page
    assert "sync_status.js" in page

    run_jobs(app)
    done = client.get(f"/orgs/{org_id}/sync-jobs/{job.id}").get_json()
    [run] = _runs()
    assert done["state"] == "done"
    assert done["pending"] is False
    assert "同期しました" in done["text"]
    assert done["run_url"] == f"/orgs/{org_id}/sync-runs/{run.id}"
    assert (run.trigger, run.started_by_id) == ("button", world["partner"].id)
    assert "つなぐ担当" in client.get(f"/orgs/{org_id}").get_data(as_text=True)


def test_a_message_delivered_twice_runs_the_job_once(world, app):
    job = queue_sync(world["ours"], trigger="cli")
    queue = app.extensions["jobs"]
    queue.push(job.id, utcnow())  # the reaper resent it, or two workers got it

    run_jobs(app)

    assert len(_runs()) == 1
    assert _jobs()[0].state == "done"


def test_another_partners_job_is_not_found(world, client, make):
    theirs = make.org(slug="npo-theirs")
    job = queue_sync(world["ours"], trigger="cli")
    login(client, make.user("partner", org=theirs))
    assert client.get(f"/orgs/{theirs.id}/sync-jobs/{job.id}").status_code == 404
    assert client.get(f"/orgs/{world['ours'].id}/sync-jobs/{job.id}").status_code == 404


def test_the_schedule_queues_each_linked_organization_once_per_period(world, app, make):
    make.org(slug="npo-unlinked")
    with time_machine.travel(utcnow().replace(minute=7, second=10), tick=False):
        queue_every_linked_org()
        db.session.commit()
        run_jobs(app)
        queue_every_linked_org()  # a second worker's scheduler, the same quarter hour
        db.session.commit()
    jobs = _jobs()
    assert [(j.org_id, j.trigger, j.state) for j in jobs] == [
        (world["ours"].id, "schedule", "done")
    ]
    assert jobs[0].slot.endswith(":00:00+00:00")
    with time_machine.travel(utcnow().replace(minute=16), tick=False):
        queue_every_linked_org()  # the next quarter hour
        db.session.commit()
    assert len(_jobs()) == 2


# ---------------------------------------------------------------- a partner's change, then a sync


def test_many_changes_to_a_partners_sessions_queue_one_sync_soon_after(world, app, make):
    other = make.session(capacity=10)  # the city's own: no sheet to sync
    for n in range(5):
        register(world["session"], _learner(n), source="phone")
    register(other, _learner(9), source="phone")

    [job] = _jobs()
    assert (job.org_id, job.trigger, job.state) == (world["ours"].id, "change", "queued")
    delay = (job.run_after - utcnow()).total_seconds()
    assert 0 < delay <= app.config["SHEETS_SYNC_AFTER_CHANGE"]
    run_jobs(app)  # a worker now: not before its time
    assert _runs() == []
    run_jobs(app, scheduled=True)
    [run] = _runs()
    assert run.trigger == "change"
    roster = world["server"].get_values(world["key"], "Roster", render="FORMATTED_VALUE")
    assert len(roster) == 1 + 5


def test_what_a_sync_imports_does_not_queue_another_sync(world, app):
    rows = [
        SIGNUPS_HEADER,
        [
            str(world["session"].id),
            "",
            "",
            "",
            "山田 花子",
            "やまだ はなこ",
            "090-1111-2222",
            "1948",
            "",
        ],
    ]
    world["server"].add_sheet(world["key"], SIGNUPS, rows)
    queue_sync(world["ours"], trigger="button")

    run_jobs(app, scheduled=True)

    [run] = _runs()
    assert run.rows_imported == 1
    assert [j.state for j in _jobs()] == ["done"]


def test_a_change_rolled_back_queues_nothing(world):
    learner = _learner(2)
    db.session.commit()

    @atomic
    def register_then_fail():
        register(world["session"], learner, source="phone")
        raise RuntimeError("the operation fails after the registration")

    with pytest.raises(RuntimeError):
        register_then_fail()
    assert _jobs() == []
    register(world["session"], learner, source="phone")
    assert len(_jobs()) == 1


# ---------------------------------------------------------------- failures


def test_googles_500_is_tried_again_later_with_a_longer_wait_each_time(world, app):
    world["server"].fail_next(2, 500)
    job = queue_sync(world["ours"], trigger="button")

    run_jobs(app)  # the first attempt fails
    db.session.refresh(job)
    first_wait = (job.run_after - utcnow()).total_seconds()
    assert job.state == "queued"
    assert job.attempts == 1
    assert "500" in job.error
    assert first_wait == pytest.approx(app.config["JOB_RETRY_DELAY"], abs=2)

    huey = app.extensions["jobs"].huey
    [retry] = huey.read_schedule(huey._get_timestamp() + timedelta(days=1))
    huey.execute(retry, retry.eta)  # the second fails too: twice the wait
    db.session.refresh(job)
    assert job.attempts == 2
    assert (job.run_after - utcnow()).total_seconds() == pytest.approx(2 * first_wait, abs=2)

    run_jobs(app, scheduled=True)  # the third succeeds
    db.session.refresh(job)
    assert (job.state, job.attempts) == ("done", 3)
    assert [r.outcome for r in _runs()] == ["failed", "failed", "ok"]


def test_a_sheet_not_shared_fails_at_once_and_an_admin_may_queue_it_again(world, app, client):
    world["server"].fail_next(1, 403)
    job = queue_sync(world["ours"], trigger="button")

    run_jobs(app, scheduled=True)

    db.session.refresh(job)
    assert (job.state, job.attempts) == ("failed", 1)
    assert "共有" in job.error
    assert job.key is None  # the next click queues a new sync
    login(client, world["admin"])
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert f'id="job-{job.id}"' in page
    assert "共有" in page
    client.post(f"/admin/jobs/{job.id}/retry")
    run_jobs(app)
    db.session.refresh(job)
    assert job.state == "done"
    assert client.post("/admin/jobs/999999/retry").status_code == 404


# ---------------------------------------------------------------- workers that die


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def test_a_job_left_running_by_a_killed_worker_is_taken_back_and_finished(world, app):
    job = queue_sync(world["ours"], trigger="schedule")
    dead = JobWorker(
        id="hall-pc:1:dead", host="elsewhere", pid=1, seen_at=utcnow() - timedelta(minutes=5)
    )
    alive = JobWorker(id="hall-pc:2:alive", host="elsewhere", pid=2, seen_at=utcnow())
    db.session.add_all([dead, alive])
    job.state, job.worker_id, job.started_at = JobState.RUNNING, dead.id, utcnow()
    # It held the organization's sync lock when it was killed.
    link = db.session.scalar(sa.select(SheetLink))
    link.lock_token, link.locked_at = f"job:{job.id}", utcnow()
    other = queue_sync(world["ours"], trigger="cli")  # the same key: the same job
    assert other.id == job.id
    db.session.commit()
    huey = app.extensions["jobs"].huey
    huey.flush()  # the killed worker had taken the message with it

    reaped = reap()

    assert reaped.taken_back == 1
    run_jobs(app)
    db.session.refresh(job)
    assert job.state == "done"
    assert "作業プロセスが止まった" in job.error
    [run] = _runs()
    assert run.outcome == "ok"  # its own lock, taken back at once


def test_a_worker_of_this_machine_whose_process_is_gone_is_known_at_once(world, app):
    register_worker()  # this process, alive
    gone = JobWorker(
        id="x", host=db.session.scalar(sa.select(JobWorker.host)), pid=_dead_pid(), seen_at=utcnow()
    )
    db.session.add(gone)
    job = queue_sync(world["ours"], trigger="schedule")
    job.state, job.worker_id = JobState.RUNNING, gone.id
    db.session.commit()

    assert reap().taken_back == 1


def test_a_lost_message_is_sent_again(world, app):
    job = queue_sync(world["ours"], trigger="schedule")
    app.extensions["jobs"].huey.flush()
    with time_machine.travel(utcnow() + timedelta(seconds=app.config["JOB_LOST_AFTER"] + 5)):
        assert reap().sent_again == 1
        run_jobs(app)
    db.session.refresh(job)
    assert job.state == "done"


# ---------------------------------------------------------------- what the IT officer reads


def _unstamp(app) -> None:
    # alembic_version is no model's table: the PostgreSQL database of the run keeps it
    # across tests unless it is dropped.
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def test_healthz_fails_until_the_schema_is_current_and_a_worker_is_seen(app, client, request):
    answer = client.get("/healthz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["database"]["ok"] is True
    assert body["migrations"]["ok"] is False  # the tests' schema is made without migrations
    assert client.get("/healthz?check=web").status_code == 503

    with app.app_context():
        stamp(directory=str(REPO_ROOT / "migrations"))
    request.addfinalizer(lambda: _unstamp(app))
    assert client.get("/healthz?check=web").status_code == 200  # the web server can serve
    assert client.get("/healthz").get_json()["worker"] == {"ok": False, "seen_seconds_ago": None}

    with app.app_context():
        register_worker()
    answer = client.get("/healthz")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["status"] == "ok"
    assert body["worker"]["seen_seconds_ago"] <= 1
    assert body["queue"] == {"ok": True, "queued": 0}
    assert answer.headers["Cache-Control"] == "no-store"


def test_flask_jobs_lists_what_waits_and_what_failed(world, app, runner):
    world["server"].fail_next(1, 404)
    failed = queue_sync(world["ours"], trigger="cli")
    run_jobs(app)
    waiting = queue_sync(world["ours"], trigger="schedule")

    out = runner.invoke(args=["jobs"]).output
    assert "queued: 1" in out
    assert "failed: 1" in out
    assert f"#{waiting.id} sheets_sync" in out
    assert "404" in out
    lines = runner.invoke(args=["jobs", "--json"]).output.splitlines()
    assert len(lines) == 2
    assert str(failed.id) in lines[-1] or str(failed.id) in lines[0]


def test_partners_and_coordinators_may_not_see_the_jobs_page(world, client):
    for user in (world["partner"], world["coordinator"]):
        login(client, user)
        assert client.get("/admin/jobs").status_code == 403


def test_a_check_in_at_the_door_queues_the_partners_sync(world, make, client):
    """The door's quick path writes with Core, past the ORM's flush hooks: it still queues."""
    person = _learner(1)
    register(world["session"], person, source="phone")
    world["session"].starts_at = utcnow() - timedelta(minutes=5)
    world["session"].ends_at = utcnow() + timedelta(minutes=55)
    db.session.execute(sa.delete(Job))  # what registering and moving it queued
    db.session.commit()
    token = create_token(world["coordinator"])[1]
    done = client.post(
        f"/api/v1/sessions/{world['session'].id}/checkins",
        json={"code": person.active_card.token},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert done.status_code == 201, done.get_json()
    [job] = _jobs()
    assert (job.org_id, job.trigger, job.state) == (world["ours"].id, "change", "queued")
