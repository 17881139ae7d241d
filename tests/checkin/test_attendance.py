"""After the fact: attendance corrections (logged; excused by coordinators) and the skills grid."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.checkin.models import SkillReached
from app.extensions import db
from app.people.registration import register
from tests.checkin.support import attendance_rows, audit, learner, open_session, registration_of
from tests.conftest import login


def _status_url(door, person) -> str:
    reg = registration_of(door.session, person)
    return f"/sessions/{door.session.id}/attendance/{reg.id}", f"r{reg.id}-status"


def _row(page: str, name: str) -> str:
    """The attendance table's row of a learner."""
    found = re.search(rf"<tr id=\"reg-\d+\"[^>]*>(?:(?!</tr>).)*{name}.*?</tr>", page, re.S)
    assert found, f"no row for {name}"
    return found.group(0)


def test_the_sessions_instructor_corrects_a_status_and_it_is_logged(door, client):
    client_api = client
    login(client_api, door.teacher)
    client.post(f"/sessions/{door.session.id}/checkin", json={"learner_id": door.taro.id})
    url, field = _status_url(door, door.taro)

    response = client.post(url, data={field: "late"}, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "佐藤 太郎さんの出欠を「遅刻」にしました。" in page
    assert "遅刻" in _row(page, "佐藤 太郎")
    [row] = attendance_rows(door.session)
    assert row.status == "late"
    [entry] = audit("attendance.changed")
    assert (entry.details["before"], entry.details["after"]) == ("present", "late")
    assert entry.actor_id == door.teacher.id


def test_only_a_coordinator_sets_excused(door, client):
    url, field = _status_url(door, door.hanako)
    login(client, door.teacher)
    form = client.get(f"/sessions/{door.session.id}/attendance").get_data(as_text=True)
    assert 'value="excused"' not in form
    assert client.post(url, data={field: "excused"}).status_code == 403
    assert attendance_rows(door.session) == []

    login(client, door.coordinator)
    assert 'value="excused"' in client.get(f"/sessions/{door.session.id}/attendance").text
    client.post(url, data={field: "excused"})
    [row] = attendance_rows(door.session)
    assert row.status == "excused"
    [entry] = audit("attendance.changed")
    assert (entry.details["before"], entry.details["after"]) == (None, "excused")


def test_who_may_see_and_change_attendance(make, client):
    org = make.org(slug="npo-aoba")
    session = open_session(make, partner_org=org.slug)
    person = learner()
    register(session, person, source="phone")
    page_url = f"/sessions/{session.id}/attendance"
    reg = registration_of(session, person)

    login(client, make.user("partner", org=org))
    page = client.get(page_url)
    assert page.status_code == 200
    assert "山田 花子" in page.text
    assert "<select" not in page.text
    assert (
        client.post(f"{page_url}/{reg.id}", data={f"r{reg.id}-status": "present"}).status_code
        == 403
    )

    login(client, make.user("partner", org=make.org(slug="npo-other")))
    assert client.get(page_url).status_code == 404
    assert attendance_rows(session) == []


def test_the_skills_grid_saves_in_one_post_and_shows_on_the_roster(door, client, api_for):
    skills = {s.key: s.id for s in door.session.course_version.skills}
    login(client, door.teacher)
    url = f"/sessions/{door.session.id}/skills"
    page = client.get(url).get_data(as_text=True)
    assert page.count('type="checkbox"') == 2 * 3

    data = {
        "learner": [str(door.hanako.id), str(door.taro.id)],
        f"skills-{door.hanako.id}": [str(skills["power"]), str(skills["tap"])],
        f"skills-{door.taro.id}": [str(skills["camera"])],
    }
    saved = client.post(url, data=data, follow_redirects=True)
    assert "保存しました(3件の変更)" in saved.get_data(as_text=True)
    rows = api_for(door.teacher).get(f"/sessions/{door.session.id}/roster").get_json()["rows"]
    reached = {r["learner"]["name"]: r["skills"] for r in rows}
    assert reached == {"山田 花子": ["power", "tap"], "佐藤 太郎": ["camera"]}

    # Unticking is saved too: the grid is the truth for everyone on it.
    data[f"skills-{door.hanako.id}"] = [str(skills["tap"])]
    del data[f"skills-{door.taro.id}"]
    client.post(url, data=data)
    rows = api_for(door.teacher).get(f"/sessions/{door.session.id}/roster").get_json()["rows"]
    assert {r["learner"]["name"]: r["skills"] for r in rows} == {
        "山田 花子": ["tap"],
        "佐藤 太郎": [],
    }
    page = client.get(url).get_data(as_text=True)
    assert re.search(rf'value="{skills["tap"]}" checked', page)


def test_the_skills_grid_refuses_someone_not_registered_and_saves_nothing(door, client):
    stranger = learner("鈴木 次郎", "すずき じろう")
    login(client, door.teacher)
    url = f"/sessions/{door.session.id}/skills"
    skill_id = door.session.course_version.skills[0].id
    page = client.post(
        url,
        data={"learner": [str(stranger.id)], f"skills-{stranger.id}": [str(skill_id)]},
    ).get_data(as_text=True)
    assert "申し込んでいない受講者" in page


def test_a_non_staff_instructor_may_not_tick_skills(make, client):
    org = make.org(slug="npo-aoba")
    session = open_session(make, partner_org=org.slug)
    login(client, make.user("instructor", org=org))
    assert client.get(f"/sessions/{session.id}/skills").status_code == 403
    assert client.post(f"/sessions/{session.id}/skills", data={}).status_code == 403


def _reached(person) -> set[tuple[int, int]]:
    db.session.expire_all()
    return set(
        db.session.execute(
            sa.select(SkillReached.skill_id, SkillReached.session_id).where(
                SkillReached.learner_id == person.id
            )
        ).all()
    )


def test_saving_the_grid_keeps_skills_another_session_recorded(make, door, client):
    skills = {s.key: s.id for s in door.session.course_version.skills}
    # Another session of the same course (another organization's): "power" was recorded there.
    earlier = open_session(
        make, started_minutes_ago=-60, course=door.session.course_version.course.slug
    )
    register(earlier, door.hanako, source="phone")
    db.session.add(
        SkillReached(learner_id=door.hanako.id, skill_id=skills["power"], session_id=earlier.id)
    )
    db.session.commit()

    login(client, door.teacher)
    url = f"/sessions/{door.session.id}/skills"
    page = client.get(url).get_data(as_text=True)
    # Reached elsewhere: shown as such, not a box this session could untick.
    assert f'id="skill-{door.hanako.id}-{skills["power"]}"' not in page
    assert "ほかの講座で記録済み" in page
    assert page.count('type="checkbox"') == 2 * 3 - 1

    client.post(
        url,
        data={
            "learner": [str(door.hanako.id), str(door.taro.id)],
            f"skills-{door.hanako.id}": [str(skills["tap"])],
        },
    )
    assert _reached(door.hanako) == {
        (skills["power"], earlier.id),
        (skills["tap"], door.session.id),
    }

    # Unticking everything here removes only what this session recorded.
    client.post(url, data={"learner": [str(door.hanako.id), str(door.taro.id)]})
    assert _reached(door.hanako) == {(skills["power"], earlier.id)}
    assert re.search("ほかの講座で記録済み", client.get(url).get_data(as_text=True))
