"""POST /api/v1/sessions/{id}/checkins: idempotent, and every refusal with its own code."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
import time_machine

from app.checkin import services
from app.extensions import db
from app.people import cards
from app.people.models import Learner
from app.people.registration import register
from app.scheduling.sessions import cancel_session
from app.timeutil import iso, utcnow
from tests.checkin.support import (
    attendance_rows,
    audit,
    end,
    learner,
    minute,
    open_session,
    registration_of,
)

# ---------------------------------------------------------------- once, and only once


def test_a_card_checks_in_once_and_the_second_scan_names_the_first_time(door, api_for):
    api = api_for(door.teacher)
    first = api.check_in(door.session, code=door.token(door.hanako))
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["result"] == "checked_in"
    assert body["learner"] == {
        "id": door.hanako.id,
        "name": "山田 花子",
        "furigana": "やまだ はなこ",
    }
    assert body["status"] == "present"
    assert body["attendance"]["method"] == "qr"
    assert body["counts"]["checked_in"] == 1

    again = api.check_in(door.session, code=door.token(door.hanako))
    assert again.status_code == 200
    assert again.get_json()["result"] == "already_checked_in"
    assert again.get_json()["checked_in_at"] == body["checked_in_at"]
    assert "受付済み" in again.get_json()["message"]
    assert len(attendance_rows(door.session)) == 1


def test_a_retry_with_the_same_client_id_is_not_a_second_record(door, api_for):
    api = api_for(door.teacher)
    client_id = str(uuid.uuid4())
    first = api.check_in(door.session, learner_id=door.taro.id, client_id=client_id)
    assert first.status_code == 201
    retry = api.check_in(door.session, learner_id=door.taro.id, client_id=client_id)
    assert retry.status_code == 200
    assert retry.get_json()["result"] == "already_checked_in"
    assert retry.get_json()["attendance"]["id"] == first.get_json()["attendance"]["id"]
    assert [a.client_id for a in attendance_rows(door.session)] == [client_id]


def test_the_same_learner_by_id_twice_is_one_row_with_the_first_time(door, api_for):
    api = api_for(door.teacher)
    first = api.check_in(door.session, learner_id=door.taro.id, client_id=str(uuid.uuid4()))
    second = api.check_in(door.session, learner_id=door.taro.id, client_id=str(uuid.uuid4()))
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.get_json()["checked_in_at"] == first.get_json()["checked_in_at"]
    assert len(attendance_rows(door.session)) == 1


def test_a_short_code_typed_loosely_checks_in(door, api_for):
    typed = door.short_code(door.hanako).replace("-", " ").lower()
    response = api_for(door.teacher).check_in(door.session, code=typed)
    assert response.status_code == 201
    assert response.get_json()["attendance"]["method"] == "code"


# ---------------------------------------------------------------- refusals


def test_an_unknown_code_is_404_unknown_code(door, api_for):
    response = api_for(door.teacher).check_in(door.session, code="DK1AAAAAAAAAAAAAAAAAAAAA")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_code"
    assert attendance_rows(door.session) == []


def test_a_revoked_card_is_410_revoked_card(door, api_for):
    old_token = door.token(door.hanako)
    cards.issue_card(door.hanako)
    response = api_for(door.teacher).check_in(door.session, code=old_token)
    assert response.status_code == 410
    error = response.get_json()["error"]
    assert error["code"] == "revoked_card"
    assert "再発行" in error["message"]
    assert attendance_rows(door.session) == []


def test_someone_not_registered_is_409_with_can_walk_in(door, api_for):
    stranger = learner("鈴木 次郎", "すずき じろう")
    response = api_for(door.teacher).check_in(door.session, code=stranger.active_card.token)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "not_registered"
    assert error["can_walk_in"] is True
    assert error["learner_id"] == stranger.id
    assert "申し込まれていません" in error["message"]


def test_a_card_of_someone_registered_for_another_session_says_so(make, door, api_for):
    other = open_session(make, started_minutes_ago=-24 * 60, instructor_ids=[door.teacher.id])
    elsewhere = learner("高橋 三郎", "たかはし さぶろう")
    register(other, elsewhere, source="phone")
    response = api_for(door.teacher).check_in(door.session, code=elsewhere.active_card.token)
    error = response.get_json()["error"]
    assert (response.status_code, error["code"]) == (409, "not_registered")
    assert "別の講座" in error["message"]
    assert error["other_session_id"] == other.id


def test_check_in_opens_sixty_minutes_before_the_start(make, door, api_for):
    # The clock stopped at the whole minute the sessions are counted from: a minute turning
    # between making them and scanning would open the door of the one 61 minutes ahead.
    with time_machine.travel(minute(utcnow()), tick=False):
        person = learner("田中 四郎", "たなか しろう")
        too_early = open_session(make, started_minutes_ago=-61)
        just_open = open_session(make, started_minutes_ago=-59)
        for session in (too_early, just_open):
            register(session, person, source="phone")
        api = api_for(door.coordinator)

        refused = api.check_in(too_early, learner_id=person.id)
        assert refused.status_code == 409
        assert refused.get_json()["error"]["code"] == "session_not_open"
        assert "60分前" in refused.get_json()["error"]["message"]

        early = api.check_in(just_open, learner_id=person.id)
        assert early.status_code == 201
        assert early.get_json()["status"] == "present"


def test_after_the_end_the_sessions_staff_and_coordinators_record_it_marked_later(
    make, door, api_for
):
    end(door.session)

    # An instructor who does not teach it may not check anyone in to it, before or after.
    colleague = make.user("instructor")
    assert api_for(colleague).check_in(door.session, learner_id=door.hanako.id).status_code == 404

    later = api_for(door.teacher).check_in(door.session, learner_id=door.hanako.id)
    assert later.status_code == 201
    assert later.get_json()["attendance"]["recorded_later"] is True
    assert later.get_json()["attendance"]["method"] == "recorded_later"
    assert later.get_json()["status"] == "present"  # when they came is not known: not late
    # ... nor at the time it was typed: at the start, as every attendance recorded later.
    assert later.get_json()["checked_in_at"] == iso(door.session.starts_at)
    assert "後から記録" in later.get_json()["message"]

    by_coordinator = api_for(door.coordinator).check_in(door.session, learner_id=door.taro.id)
    assert by_coordinator.status_code == 201
    assert by_coordinator.get_json()["attendance"]["recorded_later"] is True


def test_the_sessions_staff_record_later_only_for_the_days_after_the_end(door, api_for):
    end(door.session, ago=timedelta(days=services.PAPER_ROSTER_DAYS, minutes=1))

    refused = api_for(door.teacher).check_in(door.session, learner_id=door.hanako.id)
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "session_not_open"
    assert f"{services.PAPER_ROSTER_DAYS}日" in error["message"]
    assert "コーディネーター" in error["message"]
    # Not even as a walk-in: the door is shut to them.
    stranger = learner("鈴木 次郎", "すずき じろう")
    walk_in = api_for(door.teacher).check_in(door.session, learner_id=stranger.id, walk_in=True)
    assert walk_in.get_json()["error"]["code"] == "session_not_open"
    assert registration_of(door.session, stranger) is None

    later = api_for(door.coordinator).check_in(door.session, learner_id=door.hanako.id)
    assert later.status_code == 201
    assert attendance_rows(door.session)[0].recorded_later is True


def test_a_cancelled_session_is_not_open(door, api_for):

    cancel_session(door.session, "会場の都合")
    response = api_for(door.coordinator).check_in(door.session, learner_id=door.hanako.id)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "session_not_open"


def test_late_after_the_grace_period_present_within_it(make, door, api_for):
    late_session = open_session(make, started_minutes_ago=15)
    register(late_session, door.hanako, source="phone")
    register(late_session, door.taro, source="phone")
    api = api_for(door.coordinator)

    late = api.check_in(late_session, learner_id=door.hanako.id)
    assert late.get_json()["status"] == "late"
    assert "遅刻" in late.get_json()["message"]

    # Read at the door 9 minutes after the start, sent 6 minutes later over bad Wi-Fi.
    scanned = iso(late_session.starts_at + timedelta(minutes=9))
    on_time = api.check_in(late_session, learner_id=door.taro.id, scanned_at=scanned)
    assert on_time.get_json()["status"] == "present"
    assert on_time.get_json()["checked_in_at"] == scanned


# ---------------------------------------------------------------- walk-ins


def test_a_walk_in_is_registered_on_the_spot_and_checked_in(door, api_for):
    stranger = learner("鈴木 次郎", "すずき じろう")
    response = api_for(door.teacher).check_in(
        door.session, code=stranger.active_card.token, walk_in=True
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["result"] == "checked_in"
    assert body["registration"]["source"] == "walk_in"
    assert body["attendance"]["method"] == "walk_in"
    assert registration_of(door.session, stranger).status == "registered"
    assert body["counts"]["registered"] == 3


def test_a_newcomer_with_no_record_is_recorded_registered_and_checked_in(door, api_for):
    newcomer = {
        "name": "高橋 三郎",
        "furigana": "タカハシ サブロウ",
        "phone": "０９０ー５５５５ー６６６６",
    }
    response = api_for(door.teacher).check_in(door.session, walk_in=True, new_learner=newcomer)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["result"] == "checked_in"
    assert body["learner"]["name"] == "高橋 三郎"
    recorded = db.session.scalar(sa.select(Learner).where(Learner.name == "高橋 三郎"))
    assert recorded.phone == "090-5555-6666"
    assert registration_of(door.session, recorded).source == "walk_in"


def test_a_newcomer_already_on_record_is_not_recorded_twice(door, api_for):
    again = {"name": "山田 花子", "furigana": "ヤマダ ハナコ", "phone": "090-1111-2222"}
    response = api_for(door.teacher).check_in(door.session, walk_in=True, new_learner=again)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["learner"]["id"] == door.hanako.id
    assert (
        db.session.scalar(sa.select(sa.func.count(Learner.id)).where(Learner.name == "山田 花子"))
        == 1
    )


def test_a_newcomer_with_bad_input_names_the_field_and_records_nothing(door, api_for):
    before = db.session.scalar(sa.select(sa.func.count(Learner.id)))
    response = api_for(door.teacher).check_in(
        door.session, walk_in=True, new_learner={"name": "", "furigana": "abc"}
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"name", "furigana"}
    assert db.session.scalar(sa.select(sa.func.count(Learner.id))) == before


def test_a_newcomer_when_full_is_refused_and_nothing_is_recorded(door, api_for):
    _fill(door.session, door.session.capacity - 2)
    before = db.session.scalar(sa.select(sa.func.count(Learner.id)))
    response = api_for(door.teacher).check_in(
        door.session, walk_in=True, new_learner={"name": "伊藤 四郎", "furigana": "いとう しろう"}
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "session_full"
    assert db.session.scalar(sa.select(sa.func.count(Learner.id))) == before


def _fill(session, count):
    for n in range(count):
        register(session, learner(f"満員 {n}", "まんいん" + "あいうえお"[n]), source="phone")


def test_a_walk_in_when_full_is_session_full_or_waitlisted(make, door, api_for):
    _fill(door.session, door.session.capacity - 2)
    # Someone the teacher may walk in by id: registered in another class they teach.
    stranger = learner("鈴木 次郎", "すずき じろう")
    tomorrow = open_session(make, started_minutes_ago=-24 * 60, instructor_ids=[door.teacher.id])
    register(tomorrow, stranger, source="phone")
    api = api_for(door.teacher)

    asked = api.check_in(door.session, learner_id=stranger.id)
    assert asked.get_json()["error"]["can_walk_in"] is False

    full = api.check_in(door.session, learner_id=stranger.id, walk_in=True)
    assert full.status_code == 409
    assert full.get_json()["error"]["code"] == "session_full"
    assert registration_of(door.session, stranger) is None

    waiting = api.check_in(door.session, learner_id=stranger.id, walk_in=True, waitlist=True)
    assert waiting.status_code == 201
    assert waiting.get_json()["result"] == "waitlisted"
    assert "attendance" not in waiting.get_json()
    assert registration_of(door.session, stranger).status == "waitlisted"
    assert attendance_rows(door.session) == []


def test_after_the_end_a_walk_in_is_invited_and_accepted_recorded_later(door, api_for):
    stranger = learner("鈴木 次郎", "すずき じろう")
    end(door.session)
    api = api_for(door.coordinator)

    asked = api.check_in(door.session, learner_id=stranger.id)
    assert asked.status_code == 409
    assert asked.get_json()["error"]["code"] == "not_registered"
    assert asked.get_json()["error"]["can_walk_in"] is True

    walked_in = api.check_in(door.session, learner_id=stranger.id, walk_in=True)
    assert walked_in.status_code == 201, walked_in.get_json()
    body = walked_in.get_json()
    assert body["registration"]["source"] == "walk_in"
    assert body["attendance"]["recorded_later"] is True
    assert body["attendance"]["method"] == "recorded_later"
    assert body["checked_in_at"] == iso(door.session.starts_at)

    # Someone with no record at all, too (the session's instructor, within the days).
    newcomer = {"name": "伊藤 四郎", "furigana": "いとう しろう"}
    recorded = api_for(door.teacher).check_in(door.session, walk_in=True, new_learner=newcomer)
    assert recorded.status_code == 201, recorded.get_json()
    assert recorded.get_json()["attendance"]["recorded_later"] is True
    assert recorded.get_json()["registration"]["status"] == "registered"


def test_after_the_end_a_full_session_invites_no_walk_in_and_refuses_one(make, door, api_for):
    _fill(door.session, door.session.capacity - 2)
    stranger = learner("鈴木 次郎", "すずき じろう")
    tomorrow = open_session(make, started_minutes_ago=-24 * 60, instructor_ids=[door.teacher.id])
    register(tomorrow, stranger, source="phone")
    end(door.session)
    api = api_for(door.teacher)

    asked = api.check_in(door.session, learner_id=stranger.id)
    assert asked.get_json()["error"]["can_walk_in"] is False
    for body in ({"walk_in": True}, {"walk_in": True, "waitlist": True}):
        # Nobody waits for a seat in a class that is over.
        refused = api.check_in(door.session, learner_id=stranger.id, **body)
        assert refused.status_code == 409
        assert refused.get_json()["error"]["code"] == "session_full"
    assert registration_of(door.session, stranger) is None


def test_only_a_coordinator_overrides_capacity_and_it_is_logged(door, api_for):
    _fill(door.session, door.session.capacity - 2)
    stranger = learner("鈴木 次郎", "すずき じろう")
    body = {"learner_id": stranger.id, "walk_in": True, "override_capacity": True}

    refused = api_for(door.teacher).check_in(door.session, **body)
    assert refused.status_code == 403
    assert registration_of(door.session, stranger) is None

    done = api_for(door.coordinator).check_in(door.session, **body)
    assert done.status_code == 201
    assert done.get_json()["counts"]["registered"] == door.session.capacity + 1
    [entry] = audit("registration.capacity_override")
    assert entry.details["session_id"] == door.session.id


# ---------------------------------------------------------------- who may


def test_an_instructor_who_does_not_teach_the_session_gets_403(make, api_for):
    org = make.org(slug="npo-aoba")
    colleague = make.user("instructor", org=org)
    session = open_session(make, partner_org=org.slug)
    person = learner()
    register(session, person, source="phone")
    api = api_for(colleague)
    assert api.get(f"/sessions/{session.id}").status_code == 200  # sees it: same organization
    response = api.check_in(session, learner_id=person.id)
    assert response.status_code == 403
    assert attendance_rows(session) == []


def test_a_partner_may_not_check_in_and_never_sees_another_orgs_roster(make, api_for):
    ours, theirs = make.org(slug="npo-ours"), make.org(slug="npo-theirs")
    partner = make.user("partner", org=ours)
    own = open_session(make, partner_org=ours.slug)
    other = open_session(make, partner_org=theirs.slug)
    person = learner()
    register(own, person, source="phone")
    api = api_for(partner)
    assert api.check_in(own, learner_id=person.id).status_code == 403
    assert api.check_in(other, learner_id=person.id).status_code == 403
    assert api.get(f"/sessions/{own.id}/roster").status_code == 200
    assert api.get(f"/sessions/{other.id}/roster").status_code == 404
    assert api.get("/sessions/999999/roster").status_code == 404


# ---------------------------------------------------------------- bad input


def test_a_body_with_bad_fields_names_each_of_them(door, api_for):
    response = api_for(door.teacher).check_in(
        door.session, learner_id="7", scanned_at="yesterday", walk_in="yes"
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"learner_id", "scanned_at", "walk_in"}


def test_neither_code_nor_learner_is_422(door, api_for):
    response = api_for(door.teacher).check_in(door.session)
    assert response.status_code == 422
    assert "code" in response.get_json()["error"]["fields"]


def test_an_unknown_learner_id_is_404(door, api_for):
    response = api_for(door.teacher).check_in(door.session, learner_id=999999)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_learner"
