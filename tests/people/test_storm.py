"""The registration storm: many people registering at the same moment against a real server.

The app runs under a real threaded WSGI server on 127.0.0.1 over a file database (SQLite in
tmp_path, or the PostgreSQL test database); 40 threads released together by a barrier post
registrations over HTTP. The session must never hold more registered than its capacity,
nobody may get a server error ("database is locked" included), and the same person posted 20
times at once is registered once.
"""

from __future__ import annotations

import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import urlencode

import sqlalchemy as sa
from werkzeug.serving import make_server

from app.auth.services import create_token
from app.extensions import db
from app.people.models import Learner, Registration, RegistrationStatus

CAPACITY = 5
PEOPLE = 40
SAME_PERSON_TRIES = 20
WAIT_SECONDS = 60


@contextmanager
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(WAIT_SECONDS)
        server.server_close()


def storm(port: int, path: str, bodies: list[dict], tokens: list[str]) -> list[tuple[int, dict]]:
    """POST every body at once, each from its own thread and connection."""
    barrier = threading.Barrier(len(bodies))

    def post(i: int) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_SECONDS)
        try:
            conn.connect()
            barrier.wait(WAIT_SECONDS)
            conn.request(
                "POST",
                path,
                body=json.dumps(bodies[i]),
                headers={
                    "Host": "dekiru.test",
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {tokens[i % len(tokens)]}",
                },
            )
            response = conn.getresponse()
            raw = response.read().decode()
            try:
                return response.status, json.loads(raw)
            except ValueError:
                return response.status, {"raw": raw}
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, range(len(bodies))))


def _rows(session_id: int) -> list[Registration]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(Registration).where(Registration.session_id == session_id))
    )


def _coordinator_tokens(make, n: int = 4) -> list[str]:
    return [create_token(make.user("coordinator"))[1] for _ in range(n)]


def test_forty_at_once_fill_five_seats_and_queue_the_rest_in_order(app, make, new_learner):
    session = make.session(capacity=CAPACITY)
    learner_ids = [new_learner().id for _ in range(PEOPLE)]
    tokens = _coordinator_tokens(make)

    with live_server(app) as port:
        answers = storm(
            port,
            f"/api/v1/sessions/{session.id}/registrations",
            [{"learner_id": i} for i in learner_ids],
            tokens,
        )

    statuses = sorted(status for status, _body in answers)
    assert statuses == [201] * PEOPLE, [b for s, b in answers if s != 201][:3]
    said = [body["status"] for _status, body in answers]
    assert said.count("registered") == CAPACITY
    assert said.count("waitlisted") == PEOPLE - CAPACITY
    positions = sorted(body["position"] for _s, body in answers if body["status"] == "waitlisted")
    assert positions == list(range(1, PEOPLE - CAPACITY + 1))

    rows = _rows(session.id)
    assert len(rows) == PEOPLE
    assert sorted(r.learner_id for r in rows) == sorted(learner_ids)
    registered = [r for r in rows if r.status == RegistrationStatus.REGISTERED]
    waitlisted = [r for r in rows if r.status == RegistrationStatus.WAITLISTED]
    assert len(registered) == CAPACITY
    assert len(waitlisted) == PEOPLE - CAPACITY
    # The queue order is total: nobody shares a place, and every waitlisted person came
    # after every registered one.
    queue = sorted(waitlisted, key=lambda r: (r.queued_at, r.id))
    assert len({(r.queued_at, r.id) for r in queue}) == len(queue)
    assert max(r.queued_at for r in registered) <= min(r.queued_at for r in waitlisted)


def test_the_same_person_twenty_times_at_once_is_registered_once(app, make, new_learner):
    session = make.session(capacity=CAPACITY)
    learner = new_learner()
    tokens = _coordinator_tokens(make)

    with live_server(app) as port:
        answers = storm(
            port,
            f"/api/v1/sessions/{session.id}/registrations",
            [{"learner_id": learner.id}] * SAME_PERSON_TRIES,
            tokens,
        )

    statuses = sorted(status for status, _body in answers)
    assert statuses == [201] + [409] * (SAME_PERSON_TRIES - 1), answers[:3]
    refusals = [body["error"]["code"] for status, body in answers if status == 409]
    assert set(refusals) == {"already_registered"}
    rows = _rows(session.id)
    assert len(rows) == 1
    assert rows[0].status == RegistrationStatus.REGISTERED


def test_a_public_form_sent_many_times_at_once_makes_one_learner_and_one_registration(app, make):
    session_id = make.session(capacity=CAPACITY).id
    form = urlencode(
        {
            "name": "田中道子",
            "furigana": "たなか みちこ",
            "phone": "090-5555-6666",
            "consent": "y",
            "form_key": "one-form-clicked-many-times",
        }
    )
    clicks = 8
    barrier = threading.Barrier(clicks)

    def submit(_i: int) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_SECONDS)
        try:
            conn.connect()
            barrier.wait(WAIT_SECONDS)
            conn.request(
                "POST",
                f"/public/sessions/{session_id}/signup",
                body=form,
                headers={
                    "Host": "dekiru.test",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            response = conn.getresponse()
            response.read()
            return response.status, response.getheader("Location", "")
        finally:
            conn.close()

    with live_server(app) as port, ThreadPoolExecutor(max_workers=clicks) as pool:
        answers = list(pool.map(submit, range(clicks)))

    assert {status for status, _where in answers} == {303}
    assert len({where for _status, where in answers}) == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Learner.id))) == 1
    assert len(_rows(session_id)) == 1
