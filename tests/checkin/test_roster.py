"""GET /api/v1/sessions/{id}/roster: what a device needs to run the check-in page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from app.extensions import db
from app.people.registration import register
from app.timeutil import iso, utcnow
from tests.checkin.support import learner, minute, move, open_session


def _rows_by_name(body) -> dict:
    return {row["learner"]["name"]: row for row in body["rows"]}


def test_the_roster_gives_the_session_counts_and_each_learners_state(make, door, api_for):
    waiting = learner("待機 花", "たいき はな")
    door.session.capacity = 2
    db.session.commit()
    register(door.session, waiting, source="phone")
    api = api_for(door.teacher)
    api.check_in(door.session, code=door.token(door.hanako))

    response = api.get(f"/sessions/{door.session.id}/roster")
    assert response.status_code == 200
    body = response.get_json()
    assert body["session"]["id"] == door.session.id
    assert body["session"]["starts_at"] == iso(door.session.starts_at)
    assert body["session"]["late_after_minutes"] == 10
    assert body["counts"] == {"registered": 2, "waitlisted": 1, "checked_in": 1, "capacity": 2}
    rows = _rows_by_name(body)
    assert rows["山田 花子"]["status"] == "present"
    assert rows["山田 花子"]["checked_in_at"] is not None
    assert rows["山田 花子"]["short_code"] == door.short_code(door.hanako)
    assert rows["佐藤 太郎"]["status"] is None
    assert rows["佐藤 太郎"]["checked_in_at"] is None
    assert rows["待機 花"]["registration_status"] == "waitlisted"
    assert rows["山田 花子"]["learner"]["phone"] == "090-1111-2222"


def test_after_the_end_those_who_did_not_come_are_absent(door, api_for):
    api_for(door.teacher).check_in(door.session, learner_id=door.hanako.id)
    over = minute(utcnow()) - timedelta(minutes=1)
    move(door.session, starts=over - timedelta(minutes=60), ends=over)
    rows = _rows_by_name(api_for(door.teacher).get(f"/sessions/{door.session.id}/roster").json)
    assert rows["山田 花子"]["status"] == "present"
    assert rows["佐藤 太郎"]["status"] == "absent"


def test_a_partner_sees_its_own_roster_with_phones_only_where_shared(make, api_for):
    org = make.org(slug="npo-aoba")
    session = open_session(make, partner_org=org.slug)
    shared = learner("共有 あり", "きょうゆう あり", phone="090-5555-6666", share_with_partner=True)
    private = learner("共有 なし", "きょうゆう なし", phone="090-7777-8888")
    for person in (shared, private):
        register(session, person, source="phone")

    body = api_for(make.user("partner", org=org)).get(f"/sessions/{session.id}/roster").json
    rows = _rows_by_name(body)
    assert rows["共有 あり"]["learner"]["phone"] == "090-5555-6666"
    assert "phone" not in rows["共有 なし"]["learner"]
    assert rows["共有 なし"]["learner"]["name"] == "共有 なし"


@pytest.fixture
def count_queries():
    def counted(call) -> int:
        seen = []

        def before(*_args):
            seen.append(1)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            call()
        finally:
            event.remove(engine, "before_cursor_execute", before)
        return len(seen)

    return counted


def test_the_roster_takes_as_many_queries_for_30_learners_as_for_3(make, api_for, count_queries):
    coordinator = make.user("coordinator")
    api = api_for(coordinator)
    small = open_session(make, capacity=30, venue=make.venue(capacity=40))
    big = open_session(make, capacity=30, venue=make.venue(capacity=40))
    for n in range(30):
        person = learner(
            f"受講者 {n}", "じゅこうしゃ" + "あいうえおかきくけこ"[n % 10] * (n // 10 + 1)
        )
        register(big, person, source="phone")
        if n < 3:
            register(small, person, source="phone")
        if n % 2:
            api.check_in(big, learner_id=person.id)

    # Read the ids first: reading them from expired objects would be a query of the test's own.
    small_url, big_url = f"/sessions/{small.id}/roster", f"/sessions/{big.id}/roster"
    few = count_queries(lambda: api.get(small_url))
    many = count_queries(lambda: api.get(big_url))
    assert many == few
