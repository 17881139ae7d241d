"""Dekiru as a city runs it: Caddy (HTTPS, deploy/Caddyfile) in front of two gunicorn servers
(deploy/gunicorn.conf.py, DEKIRU_ENV=production) sharing one PostgreSQL database and one Redis.
What one server did, the other knows: a login, the failed-login count, the seats taken, the
calendar feed's content, a sync queued on both at once (run once, by the worker, against the
local Sheets server). Started once for the module (tests/stack/harness.py), torn down at
the end even when a test fails; skipped, with the reason, where PostgreSQL, Redis or Caddy is
missing.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa

from app import create_app
from app.auth.services import create_token, find_user_by_email
from app.calendars import tokens
from app.calendars.models import FeedOwner
from app.extensions import db
from app.orgs.services import create_org, create_staff_user
from app.scheduling.models import Venue
from app.sheets.models import SyncRun
from app.sheets.sync import link_sheet
from tests.sheets.sheets_api_server import SheetsAPIServer
from tests.stack import harness

PASSWORD = "stack-password-" + secrets.token_hex(4)
CAPACITY = 5
PEOPLE = 40

pytestmark = pytest.mark.skipif(bool(harness.missing()), reason=harness.missing() or "")


@dataclass
class World:
    stack: harness.Stack
    coordinator: str  # e-mail
    token: str  # the coordinator's API token
    instructor_id: int
    feed_token: str
    venue_id: int
    course: str


@pytest.fixture(scope="module")
def sheets():
    with SheetsAPIServer() as server:
        yield server


@pytest.fixture(scope="module")
def world(sheets):
    with harness.production_stack(web_servers=2) as stack:
        # The worker, as deploy/dekiru-worker.service runs it, talking to the local Sheets API.
        stack.start(
            "worker",
            stack.flask_argv("worker"),
            env={"SHEETS_API_URL": sheets.url, "SHEETS_ACCESS_TOKEN": "stack-token"},
        )
        yield _build_world(stack)


def _build_world(stack: harness.Stack) -> World:
    # The first admin as an installation makes it (README: "Running in production").
    run = secrets.token_hex(3)
    made = stack.flask(
        "create-user", f"admin-{run}@city.example.jp", "--role", "admin", stdin=PASSWORD
    )
    assert "Created admin" in made
    # The rest as the admin would make them on the pages, made here to start sooner; and
    # what no API makes: a venue, the instructor's feed address (their page shows it).
    with _stack_app(stack).app_context():
        coordinator = _staff(f"coordinator-{run}@city.example.jp", "coordinator").email
        instructor_id = _staff(f"teacher-{run}@npo.example.jp", "instructor").id
        token = create_token(find_user_by_email(coordinator))[1]
        venue = Venue(
            slug="stack-hall", name="中央公民館", address="中央区1-1", district="中央", capacity=30
        )
        db.session.add(venue)
        db.session.commit()
        feed_token = tokens.token_for(FeedOwner.INSTRUCTOR, instructor_id).token
        db.session.commit()
        venue_id = venue.id
        db.engine.dispose()
    courses = stack.https("/api/v1/courses", headers=_bearer(token)).json()
    return World(
        stack, coordinator, token, instructor_id, feed_token, venue_id, courses["items"][0]["slug"]
    )


def _stack_app(stack: harness.Stack):
    return create_app(
        {"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": stack.database}
    )


def _staff(email: str, role: str):
    return create_staff_user(
        {"email": email, "role": role, "password": PASSWORD, "name": "", "org": None}
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Browser:
    """A browser's cookie jar carried by hand, so that a cookie marked Secure (set through
    Caddy's HTTPS) is sent to a gunicorn server directly too, as Caddy would forward it."""

    def __init__(self, verify: str | bool = False):
        self.cookies: dict[str, str] = {}
        self.verify = verify
        self.last_set_cookie = ""

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        headers = {"X-Forwarded-Proto": "https", **kwargs.pop("headers", {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = requests.request(
            method,
            url,
            headers=headers,
            verify=self.verify,
            allow_redirects=False,
            timeout=30,
            **kwargs,
        )
        if "Set-Cookie" in response.headers:
            self.last_set_cookie = response.headers["Set-Cookie"]
        self.cookies.update(response.cookies.get_dict())
        return response

    def log_in(self, base: str, email: str, password: str) -> requests.Response:
        page = self.request("GET", f"{base}/login")
        (csrf,) = re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
        # Over HTTPS (Caddy's, or X-Forwarded-Proto), Flask-WTF wants the Referer of this
        # site, as a browser sends it.
        return self.request(
            "POST",
            f"{base}/login",
            data={"csrf_token": csrf, "email": email, "password": password},
            headers={"Referer": f"{base.replace('http://', 'https://')}/login"},
        )


def _at(minutes: int) -> str:
    return (
        (datetime.now(UTC) + timedelta(minutes=minutes))
        .replace(second=0, microsecond=0)
        .isoformat()
    )


def _session(w: World, base: str, start: int, end: int, **extra) -> dict:
    body = {
        "course": w.course,
        "venue_id": w.venue_id,
        "starts_at": _at(start),
        "ends_at": _at(end),
        **extra,
    }
    response = requests.post(
        f"{base}/api/v1/sessions", json=body, headers=_bearer(w.token), timeout=30
    )
    assert response.status_code == 201, response.text
    return response.json()


def _learner(w: World, base: str, n: int) -> int:
    body = {"name": f"試験 {n}号", "furigana": "しけん", "phone": f"090-0000-{n:04d}"}
    response = requests.post(
        f"{base}/api/v1/learners", json=body, headers=_bearer(w.token), timeout=30
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_login_over_https_gives_a_secure_http_only_cookie_and_hsts(world):
    browser = Browser(verify=world.stack.ca_bundle)
    answer = browser.log_in(world.stack.site, world.coordinator, PASSWORD)

    assert answer.status_code == 302, answer.text[:300]
    cookie = browser.last_set_cookie.lower()
    assert cookie.startswith("session=")
    assert "; secure" in cookie
    assert "; httponly" in cookie
    assert "samesite=lax" in cookie
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    page = browser.request("GET", f"{world.stack.site}/sessions")
    assert page.status_code == 200


def test_plain_http_is_sent_to_https(world):
    answer = requests.get(f"{world.stack.http_site}/login?x=1", allow_redirects=False, timeout=10)
    assert answer.status_code in (301, 308)
    # To the standard HTTPS port (443 on a server): Caddy's redirect names no other.
    location = urlsplit(answer.headers["Location"])
    assert (location.scheme, location.hostname) == ("https", "localhost")
    assert (location.path, location.query) == ("/login", "x=1")


def test_a_login_on_one_server_is_valid_on_the_other(world):
    first, second = world.stack.web
    browser = Browser()
    assert browser.log_in(first, world.coordinator, PASSWORD).status_code == 302

    assert browser.request("GET", f"{second}/sessions").status_code == 200
    assert browser.request("GET", f"{first}/sessions").status_code == 200
    stranger = Browser()
    assert stranger.request("GET", f"{second}/sessions").status_code == 302  # to the login page


def test_failed_logins_spread_over_both_servers_count_together(world):
    """5 failures per account (LOGIN_LIMIT_PER_ACCOUNT): alternating between the servers,
    the sixth attempt is refused, on either server, the right password too."""
    run = secrets.token_hex(3)
    email = f"guessed-{run}@city.example.jp"
    with _stack_app(world.stack).app_context():
        _staff(email, "coordinator")
        db.engine.dispose()
    servers = world.stack.web
    statuses = [Browser().log_in(servers[i % 2], email, f"wrong-{i}").status_code for i in range(5)]
    assert statuses == [200] * 5
    assert Browser().log_in(servers[1], email, "wrong-again").status_code == 429
    assert Browser().log_in(servers[0], email, PASSWORD).status_code == 429


def test_a_registration_storm_over_both_servers_never_overbooks(world):
    stack = world.stack
    session = _session(
        world, stack.web[0], start=60 * 24 * 3, end=60 * 24 * 3 + 60, capacity=CAPACITY
    )
    learners = [_learner(world, stack.web[n % 2], 1000 + n) for n in range(PEOPLE)]
    barrier = threading.Barrier(PEOPLE)

    def register(n: int) -> tuple[int, dict]:
        # Through both servers directly and through Caddy.
        base = (stack.web[0], stack.web[1], stack.site)[n % 3]
        with requests.Session() as http:
            http.get(f"{base}/healthz", verify=stack.ca_bundle, timeout=30)  # connected
            barrier.wait(60)
            response = http.post(
                f"{base}/api/v1/sessions/{session['id']}/registrations",
                json={"learner_id": learners[n]},
                headers=_bearer(world.token),
                verify=stack.ca_bundle,  # per request: a Session's is overridden by REQUESTS_CA_BUNDLE
                timeout=60,
            )
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        answers = list(pool.map(register, range(PEOPLE)))

    assert [status for status, _ in answers] == [201] * PEOPLE, answers[:3]
    said = [body["status"] for _, body in answers]
    assert said.count("registered") == CAPACITY
    assert said.count("waitlisted") == PEOPLE - CAPACITY
    listed = requests.get(
        f"{stack.web[1]}/api/v1/sessions/{session['id']}/registrations",
        params={"per_page": 100},
        headers=_bearer(world.token),
        timeout=30,
    ).json()
    statuses = [r["status"] for r in listed["items"]]
    assert statuses.count("registered") == CAPACITY


def test_register_and_check_in_through_the_api_over_https(world):
    stack = world.stack
    session = _session(world, stack.web[0], start=30, end=90)
    learner = _learner(world, stack.web[1], 1)

    registered = stack.https(
        f"/api/v1/sessions/{session['id']}/registrations",
        "POST",
        json={"learner_id": learner},
        headers=_bearer(world.token),
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["status"] == "registered"
    came = stack.https(
        f"/api/v1/sessions/{session['id']}/checkins",
        "POST",
        json={"learner_id": learner, "client_id": "stack-door-1"},
        headers=_bearer(world.token),
    )
    assert came.status_code == 201, came.text
    roster = stack.https(f"/api/v1/sessions/{session['id']}/roster", headers=_bearer(world.token))
    assert roster.json()["counts"]["checked_in"] == 1
    again = stack.https(
        f"/api/v1/sessions/{session['id']}/checkins",
        "POST",
        json={"learner_id": learner, "client_id": "stack-door-1"},
        headers=_bearer(world.token),
    )
    assert again.status_code == 200


def test_a_feed_from_server_two_shows_a_change_made_through_server_one(world):
    first, second = world.stack.web
    session = _session(
        world,
        first,
        start=60 * 24 * 10,
        end=60 * 24 * 10 + 60,
        instructor_ids=[world.instructor_id],
    )
    feed = f"{second}/calendar/instructor/{world.feed_token}.ics"
    before = {requests.get(feed, timeout=30).text for _ in range(4)}  # each of its workers
    (old,) = before
    assert "BEGIN:VEVENT" in old

    moved = requests.patch(
        f"{first}/api/v1/sessions/{session['id']}",
        json={"starts_at": _at(60 * 24 * 11), "ends_at": _at(60 * 24 * 11 + 90)},
        headers=_bearer(world.token),
        timeout=30,
    )
    assert moved.status_code == 200, moved.text

    new_start = datetime.fromisoformat(moved.json()["starts_at"]).astimezone(UTC)
    # The feed writes Japan time (TZID=Asia/Tokyo) or UTC (Z): either way, the new start.
    stamps = {
        new_start.strftime("%Y%m%dT%H%M"),
        (new_start + timedelta(hours=9)).strftime("%Y%m%dT%H%M"),
    }
    for _ in range(4):
        after = requests.get(feed, timeout=30).text
        assert after != old
        assert any(stamp in after for stamp in stamps)


def test_each_request_is_a_json_log_line_with_the_id_caddy_returned(world):
    answer = world.stack.https("/login", headers={"X-Request-ID": "stack-check-0001"})
    assert answer.headers["X-Request-ID"] == "stack-check-0001"
    lines = [
        json.loads(line)
        for name in ("web1", "web2")
        for line in world.stack.log(name).splitlines()
        if line.startswith("{")
    ]
    (mine,) = [line for line in lines if line.get("request_id") == "stack-check-0001"]
    assert mine["route"] == "/login"
    assert mine["status"] == 200
    written = world.stack.log("web1") + world.stack.log("web2")
    assert world.feed_token not in written
    assert world.token not in written
    assert "090-0000-" not in written


def _wait_for(check, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError("not seen in time")


def test_a_sync_queued_from_both_servers_at_once_runs_once_by_the_worker(world, sheets):
    run = secrets.token_hex(3)
    key = sheets.create_spreadsheet(f"NPO {run}")
    with _stack_app(world.stack).app_context():
        org = create_org({"slug": f"npo-{run}", "name": f"NPO {run}", "kind": "npo"})
        link_sheet(org, key)
        partner = create_staff_user(
            {
                "email": f"partner-{run}@npo.example.jp",
                "role": "partner",
                "password": PASSWORD,
                "name": "つなぐ担当",
                "org": org.slug,
            }
        )
        org_id, partner_id = org.id, partner.id
        db.engine.dispose()
    browsers = []
    for base in world.stack.web:
        browser = Browser()
        assert browser.log_in(base, partner.email, PASSWORD).status_code == 302
        browsers.append((browser, base))

    tokens = []
    for browser, base in browsers:
        page = browser.request("GET", f"{base}/orgs/{org_id}")
        # Every form of the page carries the same token; the sync form's is taken.
        tokens.append(re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)[0])
    together = threading.Barrier(2)

    def press(n):
        browser, base = browsers[n]
        together.wait()  # both buttons pressed at the same moment, one on each server
        return browser.request(
            "POST",
            f"{base}/orgs/{org_id}/sync",
            data={"csrf_token": tokens[n]},
            headers={"Referer": f"{base.replace('http://', 'https://')}/orgs/{org_id}"},
        )

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(press, range(2)))
    assert [a.status_code for a in answers] == [302, 302], [a.text[:300] for a in answers]
    jobs = {re.search(r"sync_job=(\d+)", a.headers["Location"]).group(1) for a in answers}
    assert len(jobs) == 1, "two servers queued two jobs"
    (job,) = jobs
    browser, base = browsers[1]

    def finished():
        status = browser.request("GET", f"{base}/orgs/{org_id}/sync-jobs/{job}").json()
        return status if not status["pending"] else None

    status = _wait_for(finished)
    assert status["state"] == "done", status
    assert "同期しました" in status["text"]
    with _stack_app(world.stack).app_context():
        runs = db.session.scalars(sa.select(SyncRun).where(SyncRun.org_id == org_id)).all()
        assert [(r.outcome, r.trigger, r.started_by_id) for r in runs] == [
            ("ok", "button", partner_id)
        ]
        db.engine.dispose()
    assert sheets.get_values(key, "Classes", render="FORMATTED_VALUE")[0][0]


def test_healthz_through_caddy_says_all_is_well_and_nothing_personal(world):
    def healthy():
        answer = world.stack.https("/healthz")
        return answer if answer.status_code == 200 else None

    answer = _wait_for(healthy, 30)
    body = answer.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"]
    assert body["migrations"]["ok"]
    assert body["worker"]["ok"]
    assert body["migrations"]["database"] == body["migrations"]["code"]
    assert body["worker"]["seen_seconds_ago"] <= 60
    assert isinstance(body["queue"]["queued"], int)
    assert "@" not in answer.text
    assert answer.headers["Cache-Control"] == "no-store"
