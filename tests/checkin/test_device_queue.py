"""What a local-first device sends back: scans saved offline, with their own times, in one
batch; cards matched on the device by keyed hash; two devices that saw the same person."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.checkin.device import card_key, door_key
from app.checkin.models import DoorRefusal
from app.extensions import db
from app.people import cards
from app.people.models import Learner
from app.timeutil import iso, utcnow
from tests.checkin.support import attendance_rows
from tests.conftest import login


def _key(door, person) -> str:
    return card_key(door_key(door.session), person.active_card.token)


def _batch(api, door, *items):
    response = api.post(f"/sessions/{door.session.id}/checkins/batch", json={"items": items})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def test_a_batch_keeps_each_scan_time_and_answers_each_item(door, api_for):
    api = api_for(door.teacher)
    scanned = (utcnow() - timedelta(minutes=3)).replace(microsecond=0)
    results = _batch(
        api,
        door,
        {
            "learner_id": door.hanako.id,
            "card_key": _key(door, door.hanako),
            "method": "qr",
            "client_id": "dev-1",
            "scanned_at": iso(scanned),
        },
        {"learner_id": door.taro.id, "client_id": "dev-2", "scanned_at": iso(scanned)},
        {"code": "ZZ-ZZZZ", "client_id": "dev-3", "scanned_at": iso(scanned)},
    )
    assert [(r["client_id"], r["status"]) for r in results] == [
        ("dev-1", 201),
        ("dev-2", 201),
        ("dev-3", 404),
    ]
    assert results[2]["error"]["code"] == "unknown_code"
    rows = {a.learner_id: a for a in attendance_rows(door.session)}
    assert rows[door.hanako.id].checked_in_at == scanned  # the scan's time, not the sending
    assert rows[door.hanako.id].method == "qr"
    assert rows[door.hanako.id].received_at > scanned

    # The device did not hear the answer and sends all of it again: nothing doubles.
    again = _batch(
        api,
        door,
        {"learner_id": door.hanako.id, "card_key": _key(door, door.hanako), "client_id": "dev-1"},
        {"learner_id": door.taro.id, "client_id": "dev-2"},
    )
    assert [r["answer"]["result"] for r in again] == ["already_checked_in"] * 2
    assert [r["answer"]["attendance"]["client_id"] for r in again] == ["dev-1", "dev-2"]
    assert len(attendance_rows(door.session)) == 2


def test_two_devices_offline_keep_one_attendance_at_the_earlier_scan(door, api_for):
    api = api_for(door.teacher)
    early = (utcnow() - timedelta(minutes=4)).replace(microsecond=0)
    late = early + timedelta(minutes=2)
    # The device that scanned later comes back first...
    [second] = _batch(
        api, door, {"learner_id": door.hanako.id, "client_id": "b", "scanned_at": iso(late)}
    )
    assert second["status"] == 201
    # ...then the one that scanned first: its time is kept, one attendance.
    [first] = _batch(
        api, door, {"learner_id": door.hanako.id, "client_id": "a", "scanned_at": iso(early)}
    )
    assert first["status"] == 201
    [row] = attendance_rows(door.session)
    assert (row.checked_in_at, row.client_id) == (early, "a")
    # The later device, asking again, hears that another device recorded it.
    [retry] = _batch(
        api, door, {"learner_id": door.hanako.id, "client_id": "b", "scanned_at": iso(late)}
    )
    assert retry["answer"]["result"] == "already_checked_in"
    assert retry["answer"]["attendance"]["client_id"] == "a"
    assert len(attendance_rows(door.session)) == 1


def test_a_card_revoked_after_the_download_is_refused_on_arrival_and_listed(door, api_for, client):
    old_key = _key(door, door.hanako)
    cards.issue_card(door.hanako)  # lost card: a new one, the old one stops working
    api = api_for(door.teacher)
    [result] = _batch(
        api,
        door,
        {
            "learner_id": door.hanako.id,
            "card_key": old_key,
            "client_id": "dev-r",
            "scanned_at": iso(utcnow()),
        },
    )
    assert (result["status"], result["error"]["code"]) == (410, "revoked_card")
    assert attendance_rows(door.session) == []
    # Refused again on a retry: listed once.
    _batch(api, door, {"learner_id": door.hanako.id, "card_key": old_key, "client_id": "dev-r"})
    refusals = db.session.scalars(sa.select(DoorRefusal)).all()
    assert [(r.client_id, r.code, r.learner_id) for r in refusals] == [
        ("dev-r", "revoked_card", door.hanako.id)
    ]
    login(client, door.coordinator)
    page = client.get(f"/sessions/{door.session.id}/attendance").get_data(as_text=True)
    assert "端末から届いて受付できなかったもの" in page
    assert "再発行" in page


def test_a_newcomer_saved_offline_is_recorded_once_however_often_sent(door, api_for):
    api = api_for(door.teacher)
    newcomer = {
        "walk_in": True,
        "client_id": "new-1",
        "scanned_at": iso(utcnow()),
        "new_learner": {"name": "木村 一子", "furigana": "きむら いちこ", "birth_year": "昭和20"},
    }
    for _ in range(3):
        [result] = _batch(api, door, newcomer)
        assert result["status"] in (200, 201), result
    made = db.session.scalars(sa.select(Learner).where(Learner.name == "木村 一子")).all()
    assert len(made) == 1
    assert made[0].birth_year == 1945
    assert made[0].client_id == "new-1"
    assert len(attendance_rows(door.session)) == 1


def test_a_batch_that_is_not_a_list_of_objects_is_refused_whole(door, api_for):
    api = api_for(door.teacher)
    url = f"/sessions/{door.session.id}/checkins/batch"
    for body in ({"items": []}, {"items": "x"}, {"items": [1]}, {}):
        response = api.post(url, json=body)
        assert response.status_code == 422, body
        assert "items" in response.get_json()["error"]["fields"]
    assert attendance_rows(door.session) == []
