"""The day-before call (前日確認): the list of tomorrow's people, one outcome per call, a
欠席 passing the seat to the waitlist (whose first person then appears to be called), and the
phones each role may see."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from app.auth.services import create_token
from app.extensions import db
from app.people.learners import create_learner
from app.people.models import ConfirmationCall, Registration, RegistrationStatus
from app.people.registration import register
from app.timeutil import japan_today
from tests.conftest import login


def _world(make, *, capacity=2):
    npo = make.org(slug="npo-tsunagu")
    volunteer = make.user("partner", org=npo, name="自治会長 佐藤")
    tomorrow = japan_today() + timedelta(days=1)
    session = make.session(day=tomorrow, capacity=capacity, partner_org=npo.slug)
    people = [
        create_learner(
            {
                "name": name,
                "furigana": furigana,
                "phone": phone,
                "share_with_partner": shared,
                "consent": True,
            }
        )
        for name, furigana, phone, shared in (
            ("山田 花子", "やまだ はなこ", "090-1111-1111", True),
            ("鈴木 一郎", "すずき いちろう", "090-2222-2222", False),
            ("田中 次郎", "たなか じろう", "090-3333-3333", True),
        )
    ]
    registrations = [register(session, p, source="phone") for p in people]
    return npo, volunteer, tomorrow, session, people, registrations


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr id="reg-\d+".*?</tr>', page, re.S)


def test_a_cancelling_call_moves_the_waitlist_up_onto_the_same_list(make, client):
    _npo, volunteer, tomorrow, _session, people, regs = _world(make)
    hanako, ichiro, jiro = people
    assert regs[2].status == RegistrationStatus.WAITLISTED
    login(client, volunteer)

    page = client.get("/calls").get_data(as_text=True)
    assert hanako.name in page
    assert ichiro.name in page
    assert jiro.name not in page  # waiting, not called

    answer = client.post(
        f"/calls/{regs[0].id}",
        data={"outcome": "cancelled", "note": "通院のため", "date": tomorrow.isoformat()},
    )
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "田中 次郎さんが繰り上がりました" in page
    rows = _rows(page)
    # Those still to call come first: the promoted one is among them, the cancelled one last.
    assert jiro.name in rows[0] or jiro.name in rows[1]
    assert hanako.name in rows[-1]
    assert "欠席(申し込みを取り消しました)" in rows[-1]
    assert "通院のため" in rows[-1]
    assert "自治会長 佐藤" in rows[-1]
    db.session.expire_all()
    assert db.session.get(Registration, regs[0].id).status == RegistrationStatus.CANCELLED
    assert db.session.get(Registration, regs[2].id).status == RegistrationStatus.REGISTERED


def test_no_answer_asks_for_a_second_try_and_every_try_is_kept(make, client):
    _npo, volunteer, tomorrow, _session, people, regs = _world(make)
    login(client, volunteer)
    client.post(f"/calls/{regs[1].id}", data={"outcome": "no_answer"})
    (row,) = [r for r in _rows(client.get("/calls").get_data(as_text=True)) if people[1].name in r]
    assert "もう一度お電話ください(2回目)" in row
    assert "不在" in row
    assert "自治会長 佐藤" in row

    client.post(f"/calls/{regs[1].id}", data={"outcome": "attending", "note": "息子さんと来る"})
    (row,) = [r for r in _rows(client.get("/calls").get_data(as_text=True)) if people[1].name in r]
    assert "もう一度" not in row
    assert row.index("不在") < row.index("参加")
    assert "息子さんと来る" in row
    calls = db.session.scalars(
        sa.select(ConfirmationCall).where(ConfirmationCall.registration_id == regs[1].id)
    ).all()
    assert [c.outcome for c in calls] == ["no_answer", "attending"]
    assert {c.recorded_by_id for c in calls} == {volunteer.id}


def test_an_unknown_outcome_is_refused_with_its_name(make, client):
    _npo, volunteer, _tomorrow, _session, people, regs = _world(make)
    login(client, volunteer)
    answer = client.post(f"/calls/{regs[0].id}", data={"outcome": "maybe"}, follow_redirects=True)
    assert "山田 花子さん: 結果は attending, cancelled, no_answer, message_left" in answer.get_data(
        as_text=True
    )
    assert db.session.scalar(sa.select(sa.func.count(ConfirmationCall.id))) == 0
    assert client.get("/calls?date=2026-13-01").status_code == 400


def test_phones_as_the_role_may_see_them_and_no_other_partners_people(make, client):
    npo, volunteer, tomorrow, session, people, regs = _world(make, capacity=3)
    other = make.org(slug="npo-other")
    stranger_session = make.session(
        day=tomorrow, start="14:00", end="15:00", partner_org=other.slug
    )
    stranger = create_learner({"name": "別団体 三郎", "furigana": "べつだん さぶろう"})
    theirs = register(stranger_session, stranger, source="phone")

    login(client, volunteer)
    page = client.get("/calls").get_data(as_text=True)
    assert "090-1111-1111" in page  # agreed to share with the partner
    assert "090-2222-2222" not in page
    assert "非表示(共有の同意なし)" in page
    assert stranger.name not in page
    assert client.post(f"/calls/{theirs.id}", data={"outcome": "attending"}).status_code == 404
    printed = client.get("/calls/print").get_data(as_text=True)
    assert "090-1111-1111" in printed
    assert "090-2222-2222" not in printed

    login(client, make.user("coordinator"))
    page = client.get("/calls").get_data(as_text=True)
    assert "090-2222-2222" in page
    assert stranger.name in page


def test_the_api_lists_the_day_and_records_a_cancellation_with_the_promoted(make, client):
    _npo, volunteer, tomorrow, _session, _people, regs = _world(make)
    headers = {"Authorization": f"Bearer {create_token(volunteer)[1]}"}
    listed = client.get(f"/api/v1/confirmations?date={tomorrow.isoformat()}", headers=headers)
    assert listed.status_code == 200
    items = listed.get_json()["items"]
    assert [i["registration_id"] for i in items] == [regs[1].id, regs[0].id]  # すずき, やまだ
    assert [i["learner"]["phone"] for i in items] == [None, "090-1111-1111"]
    assert all(i["last"] is None for i in items)

    answer = client.post(
        f"/api/v1/registrations/{regs[0].id}/confirmations",
        json={"outcome": "cancelled", "note": "入院"},
        headers=headers,
    )
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["outcome"] == "cancelled"
    assert body["recorded_by"] == "自治会長 佐藤"
    assert body["promoted"]["id"] == regs[2].id
    assert body["promoted"]["status"] == "registered"

    items = client.get(
        f"/api/v1/confirmations?date={tomorrow.isoformat()}", headers=headers
    ).get_json()["items"]
    assert regs[2].id in [i["registration_id"] for i in items]
    (cancelled,) = [i for i in items if i["registration_id"] == regs[0].id]
    assert cancelled["status"] == "cancelled"
    assert cancelled["last"]["note"] == "入院"

    again = client.post(
        f"/api/v1/registrations/{regs[0].id}/confirmations",
        json={"outcome": "attending"},
        headers=headers,
    )
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "not_registered"
    wrong = client.post(
        f"/api/v1/registrations/{regs[1].id}/confirmations",
        json={"outcome": "yes"},
        headers=headers,
    )
    assert wrong.status_code == 422
    assert "outcome" in wrong.get_json()["error"]["fields"]
    no_day = client.get("/api/v1/confirmations", headers=headers)
    assert no_day.status_code == 422
    assert "date" in no_day.get_json()["error"]["fields"]
