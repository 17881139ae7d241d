"""Fixtures: a fresh app and database per test, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.

Every test that uses `app` runs once per database. On PostgreSQL the schema is created once
and every table is emptied after each test; on SQLite each test gets its own file.
"""

from __future__ import annotations

import contextvars
import functools
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.security import generate_password_hash

from app import create_app
from app.auth.models import User
from app.config import database_url
from app.curricula.models import Course, CourseVersion, Skill
from app.extensions import db
from app.jobs.queue import queue_of
from app.orgs.models import Organization
from app.scheduling.models import Venue
from app.scheduling.sessions import create_session
from app.timeutil import from_local, japan_today

PASSWORD = "correct horse battery"
DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def clock_instant() -> datetime | None:
    """The instant every test starts at, when DEKIRU_TEST_CLOCK names one (ISO 8601 with offset).

    The app's day is Japan's and the machine's is UTC: from 15:00 UTC they differ, and at
    midnight in Japan on 1 April a new 年度 begins while UTC is still in March. `make
    test-clock` runs the suite at such instants to show that no test takes the machine's date
    for the app's. The clock ticks on from there, so that waits and timeouts still work.
    """
    text = os.environ.get("DEKIRU_TEST_CLOCK")
    if not text:
        return None
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise pytest.UsageError("DEKIRU_TEST_CLOCK needs an offset, e.g. 2027-04-01T00:30:00+09:00")
    return instant


def pytest_configure(config):
    # Modules read the date when they are imported (TODAY = japan_today()): travel before that.
    instant = clock_instant()
    if instant is not None:
        config._dekiru_clock = time_machine.travel(instant, tick=True)
        config._dekiru_clock.start()


def pytest_report_header(config):
    instant = clock_instant()
    return f"clock: every test starts at {instant.isoformat()}" if instant else None


@pytest.fixture(autouse=True)
def _start_at_the_test_clock():
    """With DEKIRU_TEST_CLOCK, each test begins at that very instant, however long the run."""
    instant = clock_instant()
    if instant is None:
        yield
        return
    with time_machine.travel(instant, tick=True):
        yield


@pytest.fixture(scope="session", params=DATABASES)
def database(request):
    """Which database this round of tests runs on.

    On PostgreSQL each test run gets a database of its own on the TEST_DATABASE_URL server,
    so that two runs (two developers, or CI beside a developer) never touch each other's
    tables; the schema is created once and dropped with the database at the end.
    """
    if request.param != "postgresql":
        yield "sqlite"
        return
    server = database_url(os.environ["TEST_DATABASE_URL"])
    name = f"dekiru_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server.rsplit("/", 1)[0] + f"/{name}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production, even while the test body
    holds one (the `make` fixture): nothing cached on `g` or in the database session leaks
    between the test and the requests it makes."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


class IsolatedCliRunner(FlaskCliRunner):
    def invoke(self, *args, **kwargs):
        return contextvars.Context().run(super().invoke, *args, **kwargs)


def make_app(database: str, tmp_path, **extra):
    url = f"sqlite:///{tmp_path / 'test.sqlite3'}" if database == "sqlite" else database
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-only",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "dekiru.test",
    }
    config.update(extra)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    app.test_cli_runner_class = IsolatedCliRunner
    return app


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory):
    """An SQLite file holding the empty schema, made once per test process: each test starts
    from a copy of it (a file copy, not a third of a second of CREATE TABLEs)."""
    folder = tmp_path_factory.mktemp("schema")
    app = make_app("sqlite", folder)
    with app.app_context():
        db.create_all()
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
    return folder / "test.sqlite3"


@pytest.fixture
def app(request, database, tmp_path):
    if database == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_schema"), tmp_path / "test.sqlite3")
    app = make_app(database, tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        if database != "sqlite":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@functools.cache
def password_hash() -> str:
    """PASSWORD hashed once per test process: the hash is slow on purpose (a third of a second)
    and every user a test makes has this password. Logging in still checks it for real."""
    return generate_password_hash(PASSWORD)


@dataclass
class Maker:
    """Builds the rows a test needs, with defaults a test can override by name."""

    app: object
    counter: dict = field(default_factory=lambda: {"n": 0})

    def _n(self) -> int:
        self.counter["n"] += 1
        return self.counter["n"]

    def org(self, slug=None, kind="npo", name=None) -> Organization:
        n = self._n()
        org = Organization(slug=slug or f"org-{n}", name=name or f"団体{n}", kind=kind)
        db.session.add(org)
        db.session.commit()
        return org

    def user(self, role="coordinator", org=None, email=None, name=None) -> User:
        n = self._n()
        user = User(
            email=email or f"{role}{n}@example.jp",
            name=name or f"{role}{n}",
            role=role,
            org=org,
        )
        user.password_hash = password_hash()
        db.session.add(user)
        db.session.commit()
        return user

    def venue(self, capacity=20, buffer=15, district="中央", name=None) -> Venue:
        n = self._n()
        venue = Venue(
            slug=f"venue-{n}",
            name=name or f"公民館{n}",
            address=f"中央区{n}-1",
            district=district,
            capacity=capacity,
            setup_buffer_minutes=buffer,
        )
        db.session.add(venue)
        db.session.commit()
        return venue

    def course(
        self, slug=None, title="スマートフォンの基本操作", skills=("power", "tap")
    ) -> Course:
        n = self._n()
        course = Course(slug=slug or f"course-{n}")
        db.session.add(course)
        self.course_version(course, 1, title, skills=skills)
        return course

    def course_version(
        self, course, version, title, title_en="Smartphone basics", skills=()
    ) -> CourseVersion:
        """A version of `course`, made its current one (a curriculum update)."""
        made = CourseVersion(
            course=course,
            version=version,
            content_hash=("x" if version == 1 else str(version)) * 64,
            title_ja=title,
            title_en=title_en,
            track="basic",
            audience=["senior"],
            duration_minutes=60,
            prerequisites=[],
            materials=[],
            skills=[Skill(key=k, label_ja=k, label_en=k, position=i) for i, k in enumerate(skills)],
        )
        db.session.add(made)
        db.session.flush()
        course.current_version = made
        db.session.commit()
        return made

    def session(self, course=None, venue=None, day=None, start="10:00", end="11:00", **extra):
        course = course or self.course()
        venue = venue or self.venue()
        day = day or (japan_today() + timedelta(days=7))
        raw = {
            "course": course.slug,
            "venue_id": venue.id,
            "starts_at": at(day, start),
            "ends_at": at(day, end),
            "capacity": extra.pop("capacity", 4),
        }
        raw.update(extra)
        return create_session(raw)


def at(day: date, clock: str) -> datetime:
    """A Japan-time moment on `day` at "HH:MM"."""
    return from_local(day, time.fromisoformat(clock))


@pytest.fixture
def make(app):
    with app.app_context():
        yield Maker(app)


def login(client, user: User) -> None:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def run_jobs(app, *, scheduled: bool = False) -> int:
    """Do what a worker does with the app's queue (in memory for tests): run each message's
    task, in this process, until none is left; with `scheduled`, the delayed ones too (a
    debounced sync, a retry) as if their time had come. Returns how many messages were
    handled (a delayed one seen before its time is handled by putting it back)."""
    huey = queue_of(app).huey
    ran = 0
    while True:
        task, when = huey.dequeue(), None
        if task is None and scheduled:
            due = sorted(
                huey.read_schedule(huey._get_timestamp() + timedelta(days=36500)),
                key=lambda t: t.eta,
            )
            if due:
                task, when = due[0], due[0].eta
                for later in due[1:]:
                    huey.add_schedule(later)
        if task is None:
            return ran
        contextvars.Context().run(huey.execute, task, when)
        ran += 1
