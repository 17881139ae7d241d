"""The paper roster typed in after the class: /sessions/<id>/attendance/paper."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from app.checkin.services import PAPER_ROSTER_DAYS
from app.extensions import db
from app.people.models import Learner, PendingMatch, Registration
from app.people.registration import register
from app.scheduling.models import Session
from app.timeutil import utcnow
from tests.checkin.support import (
    attendance_rows,
    audit,
    end,
    learner,
    open_session,
    registration_of,
)
from tests.conftest import login


def _url(session) -> str:
    return f"/sessions/{session.id}/attendance/paper"


def _tick(session, person) -> str:
    return f"r{registration_of(session, person).id}"


def _line(n: int, **fields) -> dict[str, str]:
    """Walk-in line n (from 0) as the page sends it; unnamed fields blank, present ticked."""
    line = {"name": "", "furigana": "", "phone": "", "birth_year": "", "status": "present"}
    line.update(fields)
    return {f"walk_ins-{n}-{name}": value for name, value in line.items()}


def _sheet(*lines: dict[str, str], blank_to: int = 5, **ticks: str) -> dict[str, str]:
    data: dict[str, str] = {}
    for n in range(blank_to):
        data.update(_line(n))
    for line in lines:
        data.update(line)
    return {**data, **ticks}


def _checked(page: str, radio_id: str) -> bool:
    return re.search(rf'<input[^>]*\bchecked\b[^>]*id="{radio_id}"', page) is not None


def _learners(furigana: str) -> list[Learner]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Learner).where(Learner.furigana == furigana)))


def _by_learner(session) -> dict[int, object]:
    return {a.learner_id: a for a in attendance_rows(session)}


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_sheet_typed_in_afterwards_gives_attendances_registrations_and_learners(door, client):
    regular = learner("高橋 三郎", "たかはし さぶろう", phone="080-7777-8888")
    login(client, door.teacher)
    client.post(f"/sessions/{door.session.id}/checkin", json={"learner_id": door.hanako.id})
    came_at = attendance_rows(door.session)[0].checked_in_at
    end(door.session)
    # Three seats: the second walk-in is beyond capacity (it is what happened in the room).
    db.session.execute(sa.update(Session).where(Session.id == door.session.id).values(capacity=3))
    db.session.commit()

    login(client, door.coordinator)
    page = client.get(_url(door.session)).get_data(as_text=True)
    # Pre-set from what is recorded: Hanako came (the door), Taro is absent so far.
    hanako, taro = _tick(door.session, door.hanako), _tick(door.session, door.taro)
    assert _checked(page, f"{hanako}-0")  # present
    assert _checked(page, f"{taro}-2")  # absent
    assert not _checked(page, f"{taro}-0")
    assert 'name="walk_ins-4-name"' in page  # five blank lines
    assert 'name="walk_ins-5-name"' not in page

    sent = _sheet(
        _line(
            0,
            name="伊藤 四郎",
            furigana="いとう しろう",
            phone="０９０－５５５５－６６６６",
            birth_year="昭和23年",
        ),
        # Someone on record, written in katakana with the number they gave before.
        _line(
            1, name="高橋 三郎", furigana="タカハシ サブロウ", phone="080-7777-8888", status="late"
        ),
        **{hanako: "present", taro: "late"},
    )
    response = client.post(_url(door.session), data=sent)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/sessions/{door.session.id}/attendance")
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "紙の名簿を保存しました(出欠の変更1人、当日参加2人)" in shown
    assert "新しい受講者として1人を記録しました" in shown

    [ito] = _learners("いとう しろう")
    assert (ito.phone, ito.birth_year) == ("090-5555-6666", 1948)
    assert [p.id for p in _learners("たかはし さぶろう")] == [regular.id]  # not recorded twice
    for person in (ito, regular):
        registration = registration_of(door.session, person)
        assert (registration.source, registration.status) == ("walk_in", "registered")
    starts = door.session.starts_at
    late_from = starts + timedelta(minutes=door.session.late_after_minutes)
    rows = _by_learner(door.session)
    # What the door recorded stays as it was.
    assert (rows[door.hanako.id].status, rows[door.hanako.id].checked_in_at) == ("present", came_at)
    assert rows[door.hanako.id].recorded_later is False
    # The rest is recorded later, at the rule's time: the start, or the end of the grace.
    expected = {
        door.taro.id: ("late", late_from),
        ito.id: ("present", starts),
        regular.id: ("late", late_from),
    }
    for learner_id, (status, at) in expected.items():
        row = rows[learner_id]
        assert (row.status, row.checked_in_at) == (status, at)
        assert (row.recorded_later, row.method) == (True, "recorded_later")
        assert row.recorded_by_id == door.coordinator.id
    [override] = audit("registration.capacity_override")
    assert override.subject_id == registration_of(door.session, regular).id
    assert _count(PendingMatch) == 0


def test_someone_on_the_waitlist_ticked_as_there_is_given_the_seat(make, client):
    session = open_session(make, capacity=1)
    came_as_booked = learner("佐藤 太郎", "さとう たろう")
    came_off_the_list = learner("待機 花", "たいき はな")
    stayed_home = learner("待機 海", "たいき うみ")
    for person in (came_as_booked, came_off_the_list, stayed_home):
        register(session, person, source="phone")
    end(session)
    login(client, make.user("coordinator"))
    page = client.get(_url(session)).get_data(as_text=True)
    assert "キャンセル待ちの人(待っている順)" in page
    waiting, home = _tick(session, came_off_the_list), _tick(session, stayed_home)
    assert _checked(page, f"{waiting}-2")  # absent until ticked

    sent = _sheet(**{waiting: "present", home: "absent"})
    saved = client.post(_url(session), data=sent, follow_redirects=True)
    assert "キャンセル待ちだった1人は、来ていたので申し込み済みにしました" in saved.text
    assert registration_of(session, came_off_the_list).status == "registered"
    assert registration_of(session, stayed_home).status == "waitlisted"
    [row] = attendance_rows(session)
    assert (row.learner_id, row.status, row.recorded_later) == (
        came_off_the_list.id,
        "present",
        True,
    )
    assert row.checked_in_at == session.starts_at
    [override] = audit("registration.capacity_override")
    assert override.subject_id == registration_of(session, came_off_the_list).id


def test_a_bad_line_is_named_and_nothing_is_saved(door, client):
    end(door.session)
    taro = _tick(door.session, door.taro)
    learners_before, registrations_before = _count(Learner), _count(Registration)
    login(client, door.coordinator)

    good = _line(
        0,
        name="伊藤 四郎",
        furigana="いとう しろう",
        phone="０９０－１２３４－５６７８",
        birth_year="１９４８",
    )
    sent = _sheet(
        good,
        _line(1, name="木村 五郎"),  # no furigana
        _line(2, name="林 六子", furigana="はやし むつこ", birth_year="3000"),
        **{taro: "present"},
    )
    response = client.post(_url(door.session), data=sent)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "当日参加の2, 3行目を直してください。まだ何も保存していません。" in page
    # Beside the fields, and in the list at the top, each with its line.
    assert re.search(r'id="walk_ins-1-furigana-error">[^<]*ふりがな', page)
    assert re.search(r'id="walk_ins-2-birth_year-error">[^<]*3000', page)
    assert 'href="#walk_ins-1-furigana">当日参加 2行目のふりがな</a>' in page
    assert "当日参加 1行目" not in page
    # What was typed is there to fix, and Taro's tick too.
    assert 'value="木村 五郎"' in page
    assert _checked(page, f"{taro}-0")
    assert attendance_rows(door.session) == []
    assert (_count(Learner), _count(Registration)) == (learners_before, registrations_before)

    # Fixed: all of it is saved, full-width digits read as digits.
    sent.update(_line(1, name="木村 五郎", furigana="きむら ごろう"))
    sent.update(_line(2, name="林 六子", furigana="はやし むつこ", birth_year="昭和25"))
    assert client.post(_url(door.session), data=sent).status_code == 302
    [ito] = _learners("いとう しろう")
    assert (ito.phone, ito.birth_year) == ("090-1234-5678", 1948)
    assert len(attendance_rows(door.session)) == 4


def test_a_walk_in_already_on_the_list_or_written_twice_is_named(door, client):
    end(door.session)
    login(client, door.coordinator)
    newcomer = {"name": "伊藤 四郎", "furigana": "いとう しろう", "phone": "090-5555-6666"}
    sent = _sheet(
        _line(0, name="山田 花子", furigana="やまだ はなこ", phone="090-1111-2222"),
        _line(1, **newcomer),
        _line(2, **newcomer),
    )
    page = client.post(_url(door.session), data=sent).get_data(as_text=True)
    assert "当日参加の1, 3行目を直してください" in page
    assert re.search(r'id="walk_ins-0-name-error">[^<]*上の一覧で出欠を選んでください', page)
    assert re.search(r'id="walk_ins-2-name-error">[^<]*2行目と同じ方です', page)
    assert _learners("いとう しろう") == []
    assert attendance_rows(door.session) == []


def test_the_sessions_instructor_types_it_in_for_the_days_after_the_end_only(
    make, door, client, time_machine
):
    # The clock stands still: a minute either side of the limit must not pass on a slow run.
    time_machine.move_to(utcnow(), tick=False)
    # Someone on record whom the instructor may not see: a new record, for a coordinator.
    elsewhere = learner("他団体 花子", "たいだん はなこ", phone="090-9999-0000")
    register(open_session(make, started_minutes_ago=-24 * 60), elsewhere, source="phone")
    end(door.session, ago=timedelta(days=PAPER_ROSTER_DAYS) - timedelta(minutes=1))
    login(client, door.teacher)
    assert client.get(_url(door.session)).status_code == 200
    sent = _sheet(
        _line(0, name="他団体 花子", furigana="たいだん はなこ", phone="090-9999-0000"),
        **{_tick(door.session, door.taro): "present"},
    )
    saved = client.post(_url(door.session), data=sent, follow_redirects=True)
    assert "記録にある方と同じかもしれないため、コーディネーターが確認します" in saved.text
    assert len(_learners("たいだん はなこ")) == 2
    assert db.session.scalar(sa.select(PendingMatch.existing_learner_id)) == elsewhere.id
    assert registration_of(door.session, elsewhere) is None
    assert {a.learner_id for a in attendance_rows(door.session)} == {
        door.taro.id,
        next(p.id for p in _learners("たいだん はなこ") if p.id != elsewhere.id),
    }

    end(door.session, ago=timedelta(days=PAPER_ROSTER_DAYS, minutes=1))
    assert client.get(_url(door.session)).status_code == 403
    late = _sheet(**{_tick(door.session, door.hanako): "present"})
    assert client.post(_url(door.session), data=late).status_code == 403
    assert door.hanako.id not in {a.learner_id for a in attendance_rows(door.session)}
    # A coordinator still may.
    login(client, door.coordinator)
    assert client.post(_url(door.session), data=late).status_code == 302
    assert door.hanako.id in {a.learner_id for a in attendance_rows(door.session)}


def test_before_the_end_the_page_says_when_it_opens_and_saves_nothing(door, client):
    login(client, door.teacher)
    page = client.get(_url(door.session))
    assert page.status_code == 200
    assert "講座が終わってから" in page.text
    assert 'name="walk_ins-0-name"' not in page.text
    sent = _sheet(**{_tick(door.session, door.taro): "present"})
    assert client.post(_url(door.session), data=sent).status_code == 409
    assert attendance_rows(door.session) == []


def test_who_else_may_not_type_it_in(make, client):
    org, other_org = make.org(slug="npo-aoba"), make.org(slug="npo-other")
    session = open_session(make, partner_org=org.slug)
    person = learner()
    register(session, person, source="phone")
    end(session)
    sent = _sheet(**{_tick(session, person): "present"})
    cases = [
        (make.user("instructor", org=org), 403),  # sees it (its org) but does not teach it
        (make.user("instructor"), 404),  # does not even see it
        (make.user("partner", org=org), 403),
        (make.user("partner", org=other_org), 403),  # refused before any session is read
    ]
    wrong = []
    for user, expected in cases:
        login(client, user)
        for method in (client.get, client.post):
            got = method(_url(session), data=sent).status_code
            if got != expected:
                wrong.append(f"{user.role} {user.email} {method.__name__}: {got}")
    assert wrong == []
    assert attendance_rows(session) == []


def test_more_blank_lines_on_asking_keeping_what_was_typed(door, client):
    end(door.session)
    login(client, door.coordinator)
    page = client.get(f"{_url(door.session)}?extra=10").get_data(as_text=True)
    assert 'name="walk_ins-9-name"' in page
    assert 'name="walk_ins-10-name"' not in page

    learners_before = _count(Learner)
    sent = _sheet(_line(0, name="伊藤 四郎", furigana="いとう しろう"), more="1")
    page = client.post(_url(door.session), data=sent).get_data(as_text=True)
    assert 'name="walk_ins-9-name"' in page
    assert 'name="walk_ins-10-name"' not in page
    assert 'value="伊藤 四郎"' in page
    assert _count(Learner) == learners_before  # only more lines: nothing saved
    assert attendance_rows(door.session) == []


def test_the_attendance_check_in_and_printed_roster_pages_lead_there(make, door, client):
    end(door.session)
    link = f'href="{_url(door.session)}"'
    pages = [f"/sessions/{door.session.id}/{page}" for page in ("attendance", "roster/print")]
    for user in (door.teacher, door.coordinator):
        login(client, user)
        for page in pages:
            assert link in client.get(page).text, (user.role, page)
        door_page = client.get(f"/sessions/{door.session.id}/checkin").text
        assert "ここで受付すると「後から記録」として残ります" in door_page
        assert link in door_page
    # Not for a partner, who reads the roster but records nothing.
    partner_org = make.org(slug="npo-aoba")
    db.session.execute(
        sa.update(Session)
        .where(Session.id == door.session.id)
        .values(partner_org_id=partner_org.id)
    )
    db.session.commit()
    login(client, make.user("partner", org=partner_org))
    for page in pages:
        assert link not in client.get(page).text

    end(door.session, ago=timedelta(days=PAPER_ROSTER_DAYS, minutes=1))
    login(client, door.teacher)
    for page in pages:
        assert link not in client.get(page).text
    door_page = client.get(f"/sessions/{door.session.id}/checkin").text
    assert f"終わってから{PAPER_ROSTER_DAYS}日を過ぎました" in door_page
    assert link not in door_page
