"""The door's quick path (app.checkin.quick): few statements, and nothing it knows goes stale.

A check-in by card over the API is one SELECT (token, user, session, staff, counts, card,
registration, earlier check-in) and one INSERT; a device's batch reads its people once and
writes its accepted items in one transaction. Every fact is read again on the next request: a change
made between two scans decides the second.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.services import create_token, revoke_token
from app.checkin import device
from app.checkin.schemas import CheckinBatchOut, CheckinOut
from app.extensions import db
from app.orgs.services import set_active
from app.people import cards
from app.people.learners import create_learner
from app.people.registration import register
from app.reports import stored, visits
from app.reports.models import DataVersion, SessionFigures, Visit
from app.scheduling.models import Session
from app.scheduling.sessions import cancel_session, update_session
from app.timeutil import iso, utcnow
from tests.checkin.support import attendance_rows, learner, open_session
from tests.querycount import counting_queries


def _key(session, person) -> str:
    return device.card_key(device.door_key(session), person.active_card.token)


def _item(session, person, **extra) -> dict:
    """What the check-in page queues for a scan: the card's keyed hash, never the card."""
    return {
        "learner_id": person.id,
        "card_key": _key(session, person),
        "client_id": str(uuid.uuid4()),
        "scanned_at": iso(utcnow() - timedelta(seconds=30)),
        "method": "qr",
        **extra,
    }


def _kana(*numbers: int) -> str:
    return "".join("あいうえおかきくけこ"[int(d)] for n in numbers for d in str(n))


# ---------------------------------------------------------------- few statements


def test_a_card_scan_is_one_select_and_one_insert(door, api_for):
    api = api_for(door.teacher)
    assert api.check_in(door.session, code=door.token(door.hanako)).status_code == 201
    taro = door.token(door.taro)
    with counting_queries() as statements:
        done = api.check_in(door.session, code=taro)
    assert done.status_code == 201, done.get_json()
    # After the INSERT only what other areas' flush hooks ask (sheets: is there a partner
    # sheet to sync?).
    door_path = [s.lstrip().split()[0:3] for s in statements]
    inserted = door_path.index(["INSERT", "INTO", "attendances"])
    assert door_path[: inserted + 1] == [["SELECT", "users.id", "AS"], door_path[inserted]]
    body = done.get_json()
    assert CheckinOut.model_validate(body).dump() == body  # what the schema writes, exactly
    assert body["counts"] == {"registered": 2, "waitlisted": 0, "checked_in": 2, "capacity": 4}
    assert body["attendance"]["method"] == "qr"
    assert body["attendance"]["learner_id"] == door.taro.id


def test_a_second_scan_reads_and_writes_nothing_more(door, api_for):
    api = api_for(door.teacher)
    first = api.check_in(door.session, code=door.short_code(door.hanako))
    assert first.status_code == 201
    assert first.get_json()["attendance"]["method"] == "code"
    hanako = door.token(door.hanako)
    with counting_queries() as statements:
        again = api.check_in(door.session, code=hanako)
    assert again.status_code == 200
    assert again.get_json()["result"] == "already_checked_in"
    assert again.get_json()["checked_in_at"] == first.get_json()["checked_in_at"]
    assert again.get_json()["counts"]["checked_in"] == 1
    assert len(statements) == 1, statements
    assert len(attendance_rows(door.session)) == 1


def test_a_batch_reads_as_much_for_thirty_as_for_three(make, api_for):
    sessions, people, teachers = [], [], []
    for size in (3, 30):
        teacher = make.user("instructor")
        teachers.append(teacher)
        session = open_session(
            make, instructor_ids=[teacher.id], capacity=40, venue=make.venue(capacity=40)
        )
        group = [
            learner(f"受講者 {size}-{i}", f"じゅこうしゃ {_kana(size, i)}") for i in range(size)
        ]
        for person in group:
            register(session, person, source="phone")
        sessions.append(session)
        people.append(group)
    counted = []
    for session, group, teacher in zip(sessions, people, teachers, strict=True):
        api = api_for(teacher)
        items = [_item(session, person) for person in group]
        with counting_queries() as statements:
            sent = api.post(f"/sessions/{session.id}/checkins/batch", json={"items": items})
        assert sent.status_code == 200
        assert (
            CheckinBatchOut.model_validate(sent.get_json()).model_dump(
                mode="json", exclude_unset=True
            )
            == sent.get_json()
        )
        results = sent.get_json()["results"]
        assert [r["status"] for r in results] == [201] * len(group)
        assert [r["answer"]["counts"]["checked_in"] for r in results] == list(
            range(1, len(group) + 1)
        )
        assert len(attendance_rows(session)) == len(group)
        # The reads do not grow with the items. (SQLite's RETURNING keeps no order, so there
        # the ORM writes each new row with an INSERT of its own, all in one transaction.)
        counted.append(sum(not s.lstrip().startswith("INSERT") for s in statements))
    assert counted[0] == counted[1], counted


def test_a_batch_judges_its_items_in_order_around_those_it_cannot_take_quickly(door, api_for):
    session = door.session
    newcomer = {"name": "鈴木 一郎", "furigana": "すずき いちろう", "phone": "070-5555-6666"}
    items = [
        _item(session, door.hanako),
        {"code": "DK1NOSUCHCARDATALL00000", "client_id": str(uuid.uuid4())},  # unknown card
        _item(session, door.hanako),  # the same learner again, another device's later scan
        {"walk_in": True, "new_learner": newcomer, "client_id": str(uuid.uuid4())},
        _item(session, door.taro),
    ]
    sent = api_for(door.teacher).post(
        f"/sessions/{session.id}/checkins/batch", json={"items": items}
    )
    results = sent.get_json()["results"]
    assert [r["status"] for r in results] == [201, 404, 200, 201, 201]
    assert results[1]["error"]["code"] == "unknown_code"
    assert results[2]["answer"]["result"] == "already_checked_in"
    assert results[2]["answer"]["attendance"]["client_id"] == items[0]["client_id"]
    assert results[3]["answer"]["registration"]["source"] == "walk_in"
    # Each answer's counts as they stood after that item: the walk-in registered a third.
    assert [r["answer"]["counts"]["checked_in"] for r in results if "answer" in r] == [1, 1, 2, 3]
    assert results[4]["answer"]["counts"]["registered"] == 3
    assert len(attendance_rows(session)) == 3


def test_a_client_id_used_before_for_someone_else_is_refused_in_a_batch(door, api_for):
    api = api_for(door.teacher)
    used = str(uuid.uuid4())
    assert (
        api.check_in(door.session, code=door.token(door.hanako), client_id=used).status_code == 201
    )
    items = [_item(door.session, door.taro, client_id=used)]
    results = api.post(f"/sessions/{door.session.id}/checkins/batch", json={"items": items})
    assert results.get_json()["results"][0]["error"]["code"] == "client_id_reused"
    assert len(attendance_rows(door.session)) == 1


# ---------------------------------------------------------------- nothing goes stale


def test_a_revoked_token_is_refused_on_the_next_scan(door, client):
    token, plain = create_token(door.teacher)
    headers = {"Authorization": f"Bearer {plain}"}
    url = f"/api/v1/sessions/{door.session.id}/checkins"
    assert (
        client.post(url, json={"code": door.token(door.hanako)}, headers=headers).status_code == 201
    )
    revoke_token(door.teacher, token.id)
    refused = client.post(url, json={"code": door.token(door.taro)}, headers=headers)
    assert refused.status_code == 401
    assert len(attendance_rows(door.session)) == 1


def test_a_deactivated_user_is_refused_on_the_next_scan(door, make, api_for):
    api = api_for(door.teacher)
    assert api.check_in(door.session, code=door.token(door.hanako)).status_code == 201
    set_active(make.user("admin"), door.teacher, False)
    db.session.commit()
    refused = api.check_in(door.session, code=door.token(door.taro))
    assert refused.status_code == 401
    assert len(attendance_rows(door.session)) == 1


def test_an_instructor_taken_off_the_session_is_refused_on_the_next_scan(door, make, api_for):
    api = api_for(door.teacher)
    assert api.check_in(door.session, code=door.token(door.hanako)).status_code == 201
    other = make.user("instructor")
    update_session(door.session, {"instructor_ids": [other.id]})
    refused = api.check_in(door.session, code=door.token(door.taro))
    assert refused.status_code in (403, 404), refused.get_json()
    assert len(attendance_rows(door.session)) == 1
    # And the one put on it may check in at once.
    assert api_for(other).check_in(door.session, code=door.token(door.taro)).status_code == 201


def test_a_session_cancelled_between_two_scans_refuses_the_second(door, api_for):
    api = api_for(door.teacher)
    assert api.check_in(door.session, code=door.token(door.hanako)).status_code == 201
    cancel_session(door.session, "講師の急病")
    refused = api.check_in(door.session, code=door.token(door.taro))
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "session_not_open"
    batch = api.post(
        f"/sessions/{door.session.id}/checkins/batch",
        json={"items": [_item(door.session, door.taro)]},
    )
    assert batch.get_json()["results"][0]["error"]["code"] == "session_not_open"
    assert len(attendance_rows(door.session)) == 1


def test_a_session_moved_to_tomorrow_between_two_scans_refuses_the_second(door, api_for):
    api = api_for(door.coordinator)
    assert api.check_in(door.session, code=door.token(door.hanako)).status_code == 201
    later = door.session.starts_at + timedelta(days=1)
    update_session(door.session, {"starts_at": later, "ends_at": later + timedelta(hours=1)})
    refused = api.check_in(door.session, code=door.token(door.taro))
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "session_not_open"
    assert len(attendance_rows(door.session)) == 1


def test_a_card_replaced_between_two_scans_is_refused_as_replaced(door, api_for):
    api = api_for(door.teacher)
    old_token, old_key = door.token(door.taro), _key(door.session, door.taro)
    assert api.check_in(door.session, code=door.token(door.hanako)).status_code == 201
    cards.issue_card(door.taro)
    refused = api.check_in(door.session, code=old_token)
    assert refused.status_code == 410
    assert refused.get_json()["error"]["code"] == "revoked_card"
    item = _item(door.session, door.taro, card_key=old_key)
    batch = api.post(f"/sessions/{door.session.id}/checkins/batch", json={"items": [item]})
    assert batch.get_json()["results"][0]["error"]["code"] == "revoked_card"
    assert len(attendance_rows(door.session)) == 1


def test_someone_registered_between_two_scans_is_checked_in_by_the_second(door, api_for):
    api = api_for(door.teacher)
    jiro = create_learner({"name": "田中 次郎", "furigana": "たなか じろう", "consent": True})
    cards.issue_card(jiro)
    refused = api.check_in(door.session, code=jiro.active_card.token)
    assert refused.get_json()["error"]["code"] == "not_registered"
    register(door.session, jiro, source="phone")
    done = api.check_in(door.session, code=jiro.active_card.token)
    assert done.status_code == 201
    assert done.get_json()["counts"]["registered"] == 3


def test_a_quick_check_in_keeps_the_reports_stored_figures_equal_to_the_rows(door, api_for):
    # The quick path's Core INSERT is heard by no flush hook: the reports count it from
    # checkin's signal, in the same transaction. A batch, too.
    def stored_and_raw():
        columns = [getattr(SessionFigures, name) for name in stored.COLUMNS]
        kept = db.session.execute(
            sa.select(*columns).where(SessionFigures.session_id == door.session.id)
        ).one()
        counted = db.session.execute(
            sa.select(*stored.session_counts(Session.id)).where(Session.id == door.session.id)
        ).one()
        kept_visits = {tuple(r) for r in db.session.execute(sa.select(*Visit.__table__.c))}
        counted_visits = {tuple(r) for r in db.session.execute(visits.visit_rows())}
        return (tuple(kept), kept_visits), (tuple(counted), counted_visits)

    api = api_for(door.teacher)
    version = db.session.scalar(sa.select(DataVersion.version))
    assert api.check_in(door.session, code=door.token(door.hanako)).status_code == 201
    kept, counted = stored_and_raw()
    assert kept == counted
    assert dict(zip(stored.COLUMNS, kept[0], strict=True))["present"] == 1
    assert len(kept[1]) == 1  # hanako's visit
    assert db.session.scalar(sa.select(DataVersion.version)) > (version or 0)

    done = api.post(
        f"/sessions/{door.session.id}/checkins/batch",
        json={"items": [_item(door.session, door.taro)]},
    )
    assert done.status_code == 200, done.get_json()
    kept, counted = stored_and_raw()
    assert kept == counted
    assert dict(zip(stored.COLUMNS, kept[0], strict=True))["present"] == 2


# ---------------------------------------------------------------- a busy database


def test_a_check_in_waiting_past_sqlites_busy_timeout_is_a_503_to_retry(
    door, api_for, database, monkeypatch
):
    """Another writer holds SQLite's one write lock past the busy timeout: the device is told
    to send again (503 with Retry-After, the error shape), not a 500; sent again, it counts."""
    if database != "sqlite":
        pytest.skip("PostgreSQL's writers do not wait on one lock")
    api = api_for(door.teacher)
    code = door.token(door.hanako)
    db.session.commit()
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT_MS", "50")
    db.engine.dispose()  # new connections take the short timeout
    other = sqlite3.connect(db.engine.url.database, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        busy = api.check_in(door.session, code=code)
    finally:
        other.rollback()
        other.close()
    assert busy.status_code == 503, busy.get_data(as_text=True)
    assert busy.headers["Retry-After"] == "5"
    assert busy.get_json()["error"]["code"] == "busy"
    assert "もう一度" in busy.get_json()["error"]["message"]
    assert attendance_rows(door.session) == []
    again = api.check_in(door.session, code=code)
    assert again.status_code == 201
    assert [a.learner_id for a in attendance_rows(door.session)] == [door.hanako.id]
