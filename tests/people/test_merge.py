"""Merging two records of one person: everything moves to the kept record, a clash over the
same class keeps the one that tells more, the merge is logged, the other record is gone."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.checkin.models import Attendance, SkillReached
from app.core.models import AuditEntry
from app.errors import ValidationError
from app.extensions import db
from app.people import cards, learners
from app.people.models import Card, Learner, Registration
from app.timeutil import japan_today
from tests.conftest import login

PAST = japan_today() - timedelta(days=14)
AHEAD = japan_today() + timedelta(days=14)


@pytest.fixture
def two_records(make, add_learner, enroll):
    """One person recorded twice, with classes, attendance, skills and cards on both."""
    coordinator = make.user("coordinator")
    keep = add_learner("山田 花子", "やまだ はなこ", phone="090-1234-5678")
    other = add_learner("山田 花子", "ヤマダ ハナコ", birth_year="1948", district="中央")
    course = make.course(skills=("power", "tap", "camera"))
    power, tap, camera = course.current_version.skills
    venue = make.venue()
    only_other = make.session(course=course, venue=venue, day=PAST, start="09:00", end="10:00")
    other_came = make.session(course=course, venue=venue, day=PAST, start="11:00", end="12:00")
    keep_registered = make.session(
        course=course, venue=venue, day=AHEAD, start="09:00", end="10:00"
    )
    other_registered = make.session(
        course=course, venue=venue, day=AHEAD, start="11:00", end="12:00"
    )
    enroll(only_other, other, attended="present")
    enroll(other_came, keep)  # keep's registration never checked in...
    enroll(other_came, other, attended="late")  # ...the other record's did: it is kept
    enroll(keep_registered, keep)
    enroll(keep_registered, other, status="waitlisted")
    enroll(other_registered, keep, status="waitlisted")
    enroll(other_registered, other)
    db.session.add_all(
        [
            SkillReached(learner_id=keep.id, skill_id=power.id, session_id=other_came.id),
            SkillReached(learner_id=other.id, skill_id=power.id, session_id=only_other.id),
            SkillReached(learner_id=other.id, skill_id=tap.id, session_id=only_other.id),
        ]
    )
    db.session.commit()
    keep_card = cards.issue_card(keep)
    other_card = cards.issue_card(other)
    return {
        "coordinator": coordinator,
        "keep": keep,
        "other": other,
        "sessions": {
            "only_other": only_other,
            "other_came": other_came,
            "keep_registered": keep_registered,
            "other_registered": other_registered,
        },
        "skills": {"power": power, "tap": tap, "camera": camera},
        "cards": {"keep": keep_card, "other": other_card},
    }


def _registrations(learner_id: int) -> dict[int, Registration]:
    db.session.expire_all()
    return {
        r.session_id: r
        for r in db.session.scalars(
            sa.select(Registration).where(Registration.learner_id == learner_id)
        )
    }


def test_merge_moves_registrations_attendance_skills_and_cards(two_records):
    keep, other = two_records["keep"], two_records["other"]
    sessions, skills = two_records["sessions"], two_records["skills"]
    other_id = other.id
    learners.merge(keep, other, two_records["coordinator"])

    regs = _registrations(keep.id)
    assert set(regs) == {s.id for s in sessions.values()}
    assert regs[sessions["only_other"].id].status == "registered"
    assert regs[sessions["keep_registered"].id].status == "registered"
    assert regs[sessions["other_registered"].id].status == "registered"
    attended = {
        a.session_id: a.status
        for a in db.session.scalars(sa.select(Attendance).where(Attendance.learner_id == keep.id))
    }
    assert attended == {sessions["only_other"].id: "present", sessions["other_came"].id: "late"}
    # The kept registration of the clashing class is the one that was checked in.
    came = regs[sessions["other_came"].id]
    assert (
        db.session.scalar(sa.select(Attendance.status).where(Attendance.registration_id == came.id))
        == "late"
    )
    reached = set(
        db.session.scalars(
            sa.select(SkillReached.skill_id).where(SkillReached.learner_id == keep.id)
        )
    )
    assert reached == {skills["power"].id, skills["tap"].id}
    owned = {c.id: c for c in db.session.scalars(sa.select(Card).where(Card.learner_id == keep.id))}
    assert {two_records["cards"]["keep"].id, two_records["cards"]["other"].id} <= set(owned)
    assert [c.id for c in owned.values() if c.revoked_at is None] == [
        two_records["cards"]["keep"].id
    ]
    assert owned[two_records["cards"]["keep"].id].revoked_at is None
    assert owned[two_records["cards"]["other"].id].revoked_at is not None  # one card in use
    assert db.session.get(Learner, other_id) is None
    # Gaps in the kept record are filled from the other one.
    assert keep.birth_year == 1948
    assert keep.district == "中央"
    assert keep.phone == "090-1234-5678"


def test_merge_is_in_the_audit_log(two_records):
    keep, other = two_records["keep"], two_records["other"]
    other_id = other.id
    learners.merge(keep, other, two_records["coordinator"])
    entry = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == "learner.merged", AuditEntry.subject_id == keep.id
        )
    )
    assert entry is not None
    assert entry.subject_type == "learner"
    assert entry.actor_id == two_records["coordinator"].id
    assert entry.details["merged_id"] == other_id
    assert entry.details["moved"]["registrations"] == 1  # only_other; the clashes were resolved
    assert entry.details["moved"]["skills"] == 1


def test_a_learner_cannot_be_merged_with_itself(two_records):
    keep = two_records["keep"]
    with pytest.raises(ValidationError):
        learners.merge(keep, keep, two_records["coordinator"])
    assert db.session.get(Learner, keep.id) is not None


def test_merge_page_previews_then_merges_and_shows_it_on_the_kept_page(two_records, client):
    keep, other = two_records["keep"], two_records["other"]
    keep_id, other_id = keep.id, other.id
    login(client, two_records["coordinator"])

    choose = client.get(f"/learners/{keep_id}/merge").get_data(as_text=True)
    # Before anything is typed, the look-alike record is offered.
    assert f"/learners/{keep_id}/merge?other={other_id}" in choose
    found = client.get(f"/learners/{keep_id}/merge?q=やまだ").get_data(as_text=True)
    assert f"other={other_id}" in found
    assert f"other={keep_id}" not in found

    preview = client.get(f"/learners/{keep_id}/merge?other={other_id}").get_data(as_text=True)
    assert "申し込み: 4件" in preview
    assert "うち3件は同じ講座への申し込みです" in preview
    assert "出欠の記録: 2件" in preview
    assert "できるようになったこと: 2件" in preview
    assert "うち1件は残す記録にもあります" in preview
    assert "カード: 2枚" in preview  # the one made when it was recorded, and its reissue
    assert db.session.get(Learner, other_id) is not None  # a preview changes nothing

    response = client.post(f"/learners/{keep_id}/merge", data={"other": other_id})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/learners/{keep_id}")
    page = client.get(f"/learners/{keep_id}").get_data(as_text=True)
    assert "記録の履歴" in page
    assert f"ID {other_id})の記録をこの記録に統合しました" in page
    assert "移した申し込み 1件・出欠 2件・できたこと 1件・カード 2枚" in page
    assert client.get(f"/learners/{other_id}").status_code == 404


def test_the_merged_learner_is_404_in_the_api(two_records, client, api_for):
    keep, other = two_records["keep"], two_records["other"]
    other_id = other.id
    learners.merge(keep, other, two_records["coordinator"])
    api = api_for(two_records["coordinator"])
    response = api.get(f"/learners/{other_id}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_merge_page_refuses_the_same_record(two_records, client):
    keep = two_records["keep"]
    login(client, two_records["coordinator"])
    page = client.get(f"/learners/{keep.id}/merge?other={keep.id}").get_data(as_text=True)
    assert "同じ受講者どうしは統合できません" in page
    response = client.post(f"/learners/{keep.id}/merge", data={"other": keep.id})
    assert response.status_code == 302
    assert db.session.get(Learner, keep.id) is not None


def test_merging_a_record_someone_already_merged_says_so(two_records, client):
    keep, other = two_records["keep"], two_records["other"]
    keep_id, other_id = keep.id, other.id
    learners.merge(keep, other, two_records["coordinator"])
    login(client, two_records["coordinator"])
    response = client.post(f"/learners/{keep_id}/merge", data={"other": other_id})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"受講者(ID {other_id})は見つかりません" in page
