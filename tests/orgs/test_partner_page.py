"""The partner space: the organization page per role, its figures for the 年度, the courses each
instructor can teach, and the planners' list of partners."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.checkin.models import Attendance
from app.extensions import db
from app.orgs.models import InstructorCourse
from app.partners import services as partner_services
from app.people.learners import create_learner
from app.people.registration import cancel, register
from app.scheduling.sessions import cancel_session
from app.sheets.models import SyncRun
from app.timeutil import from_local, japan_today, local, utcnow
from tests.conftest import at, login
from tests.querycount import counting_queries as _counting

TODAY = japan_today()
SERIAL = itertools.count(100)


def _page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def _figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', page)
    return found.group(1) if found else ""


def _learner(n: int):
    kana = "".join("あいうえおかきくけこ"[int(d)] for d in str(n))
    return create_learner({"name": f"受講者{n}", "furigana": f"じゅこうしゃ{kana}"})


def _attend(registration, status="present") -> None:
    db.session.add(
        Attendance(
            registration_id=registration.id,
            session_id=registration.session_id,
            learner_id=registration.learner_id,
            status=status,
            checked_in_at=None if status == "absent" else registration.session.starts_at,
            method="search",
        )
    )
    db.session.commit()


@pytest.fixture
def space(make):
    ours = make.org(slug="npo-ours", name="NPOつなぐ")
    theirs = make.org(slug="shop-theirs", name="駅前ショップ", kind="carrier")
    course = make.course(slug="smartphone-basics", title="スマートフォンの基本操作")
    venue = make.venue(capacity=30)
    return {
        "ours": ours,
        "theirs": theirs,
        "city": make.org(slug="city", name="市役所", kind="municipality"),
        "course": course,
        "venue": venue,
        "partner": make.user("partner", org=ours),
        "other_partner": make.user("partner", org=theirs),
        "coordinator": make.user("coordinator"),
        "admin": make.user("admin"),
        "instructor": make.user("instructor", org=ours, name="鈴木講師"),
    }


# ---------------------------------------------------------------- who sees which page


def test_a_partner_sees_their_own_organization_with_its_figures(space, make, client):
    upcoming = make.session(
        course=space["course"], venue=space["venue"], day=TODAY + timedelta(days=3),
        partner_org="npo-ours",
    )  # fmt: skip
    make.session(
        course=space["course"], venue=space["venue"], day=TODAY + timedelta(days=3),
        start="14:00", end="15:00", partner_org="shop-theirs",
    )  # fmt: skip
    register(upcoming, _learner(1), source="phone")
    login(client, space["partner"])

    page = _page(client, f"/orgs/{space['ours'].id}")

    assert "NPOつなぐ" in page
    assert "駅前ショップ" not in page
    assert "鈴木講師" in page
    assert f"/sessions/{upcoming.id}" in page
    # Planned and learners belong to the 年度 the session starts in.
    same_year = partner_services.FiscalYear.of(
        upcoming.starts_at
    ) == partner_services.FiscalYear.of(utcnow())
    assert _figure(page, "planned") == ("1件" if same_year else "0件")
    assert _figure(page, "learners") == ("1人" if same_year else "0人")
    assert "団体のページ" in page  # their menu leads here


def test_a_partner_gets_404_for_any_other_organization(space, client):
    login(client, space["partner"])
    assert client.get(f"/orgs/{space['theirs'].id}").status_code == 404
    assert client.get(f"/orgs/{space['city'].id}").status_code == 404
    assert client.get("/orgs/999999").status_code == 404
    assert client.get("/orgs").status_code == 403


def test_instructors_may_not_open_organization_pages(space, client):
    login(client, space["instructor"])
    assert client.get(f"/orgs/{space['ours'].id}").status_code == 403
    assert client.get("/orgs").status_code == 403


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_planners_see_every_partner_and_the_list(role, space, client):
    login(client, space[role])
    assert "駅前ショップ" in _page(client, f"/orgs/{space['theirs'].id}")
    assert "NPOつなぐ" in _page(client, f"/orgs/{space['ours'].id}")
    listing = _page(client, "/orgs")
    assert f"/orgs/{space['ours'].id}" in listing
    assert f"/orgs/{space['theirs'].id}" in listing
    # The city itself is not a partner: not listed, and no partner page.
    assert f'/orgs/{space["city"].id}"' not in listing
    assert client.get(f"/orgs/{space['city'].id}").status_code == 404


def test_the_page_lists_upcoming_and_recent_sessions_but_not_older_ones(space, make, client):
    def session(days, **extra):
        return make.session(
            course=space["course"], venue=space["venue"], day=TODAY + timedelta(days=days),
            partner_org="npo-ours", **extra,
        )  # fmt: skip

    soon, recent, old = session(5), session(-12), session(-45)
    login(client, space["coordinator"])
    page = _page(client, f"/orgs/{space['ours'].id}")
    assert f'/sessions/{soon.id}"' in page
    assert f'/sessions/{recent.id}"' in page
    assert f'/sessions/{old.id}"' not in page


# ---------------------------------------------------------------- figures across the 年度 boundary


@pytest.fixture
def boundary(space, make):
    """Sessions around 1 April 2031 (Japan time), with registrations and attendance.

    2031-04-01 05:00 JST is still 31 March in UTC: only a Japan-time 年度 counts it in 2031.
    """
    ours, course = space["ours"], space["course"]
    hall, annex = space["venue"], make.venue(capacity=30)

    def session(day, start, end, venue=hall, partner="npo-ours"):
        return make.session(
            course=course, venue=venue, day=day, start=start, end=end, capacity=10,
            partner_org=partner,
        )  # fmt: skip

    march_31 = session(date(2031, 3, 31), "10:00", "11:00")
    early_april = session(date(2031, 4, 1), "05:00", "06:00")
    at_midnight = session(date(2031, 4, 1), "00:00", "01:00", venue=annex)
    april_afternoon = session(date(2031, 4, 1), "15:00", "16:00")
    cancelled = session(date(2031, 4, 5), "10:00", "11:00")
    last_day = session(date(2032, 3, 31), "23:00", "23:50")
    next_year = session(date(2032, 4, 1), "00:00", "01:00", venue=annex)
    theirs = session(date(2031, 4, 1), "10:00", "11:00", venue=annex, partner="shop-theirs")

    people = [_learner(n) for n in range(8)]
    _attend(register(march_31, people[0], source="phone"))
    _attend(register(early_april, people[1], source="phone"))
    register(april_afternoon, people[1], source="phone")  # the same person twice: one learner
    _attend(register(at_midnight, people[2], source="phone"), status="late")
    _attend(register(early_april, people[3], source="phone"), status="absent")
    cancel(register(early_april, people[4], source="phone"))
    register(cancelled, people[5], source="phone")
    register(next_year, people[6], source="phone")
    _attend(register(theirs, people[7], source="phone"))
    cancel_session(cancelled, "会場の都合")
    # A session marked completed counts as held like one whose end has passed.
    at_midnight.status = "completed"
    db.session.commit()
    return ours, last_day


def _jst(day: date, clock: str) -> datetime:
    return at(day, clock)


def test_figures_count_the_japanese_fiscal_year_from_1_april(boundary):
    ours, _last_day = boundary
    year, figures = partner_services.figures_for([ours.id], now=_jst(date(2031, 4, 1), "12:00"))

    assert year.year == 2031
    assert (year.first_day, year.last_day) == (date(2031, 4, 1), date(2032, 3, 31))
    f = figures[ours.id]
    # Held: 05:00 (over) and 00:00 (completed); planned: 15:00 today and 23:00 on 31 March 2032.
    assert (f.held, f.planned) == (2, 2)
    # Learners 1 (twice), 2 and 3 (absent, still registered); not the cancelled registration,
    # the cancelled session, next year's or the other organization's.
    assert f.learners == 3
    # Present at 05:00 and late at 00:00; absent does not count.
    assert f.attendances == 2


def test_on_31_march_the_figures_are_the_year_that_ends(boundary):
    ours, _last_day = boundary
    year, figures = partner_services.figures_for([ours.id], now=_jst(date(2031, 3, 31), "23:59"))

    assert year.year == 2030
    f = figures[ours.id]
    assert (f.held, f.planned, f.learners, f.attendances) == (1, 0, 1, 1)


def test_the_last_evening_of_the_year_still_counts_in_it(boundary):
    ours, last_day = boundary
    _year, before = partner_services.figures_for([ours.id], now=_jst(date(2032, 3, 31), "23:55"))
    year, after = partner_services.figures_for([ours.id], now=_jst(date(2032, 4, 1), "00:30"))

    assert before[ours.id].held == 4  # 05:00, 00:00, 15:00 in April 2031, and 23:00 on 31 March
    assert year.year == 2032
    assert after[ours.id].held == 0
    assert after[ours.id].planned == 1


def test_fiscal_year_of_a_moment_is_taken_in_japan_time():
    just_after = from_local(date(2031, 4, 1), datetime.min.time())
    assert partner_services.FiscalYear.of(just_after).year == 2031
    assert partner_services.FiscalYear.of(just_after - timedelta(seconds=1)).year == 2030
    assert just_after.astimezone(UTC).month == 3  # in UTC it is still March
    assert local(just_after).month == 4


# ---------------------------------------------------------------- a page's queries do not grow


def _fill(make, space, n: int, tag: str):
    org = make.org(slug=f"npo-{tag}")
    venue = make.venue(capacity=30)
    people = [make.user("instructor", org=org) for _ in range(min(n, 10))]
    for i in range(n):
        days = -(i % 25) - 1 if i % 2 else i + 1
        s = make.session(
            course=space["course"], venue=venue, day=TODAY + timedelta(days=days),
            partner_org=org.slug, capacity=10, instructor_ids=[people[i % len(people)].id],
        )  # fmt: skip
        if days > 0:
            _attend(register(s, _learner(next(SERIAL)), source="phone"))
    for person in people:
        db.session.add(InstructorCourse(user_id=person.id, course_id=space["course"].id))
        # Started by people the page shows nowhere else, so each would cost a query if lazy.
        starter = make.user("partner", org=org)
        db.session.add(
            SyncRun(org_id=org.id, trigger="button", started_by_id=starter.id, outcome="ok")
        )
    db.session.commit()
    return org


def test_the_organization_page_makes_as_many_queries_for_30_sessions_as_for_3(space, make, client):
    small, large = _fill(make, space, 3, "small"), _fill(make, space, 30, "large")
    login(client, space["coordinator"])
    counts = []
    for org in (small, large):
        with _counting() as statements:
            _page(client, f"/orgs/{org.id}")
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_the_partner_list_makes_as_many_queries_for_many_partners_as_for_few(space, make, client):
    login(client, space["coordinator"])
    with _counting() as few:
        _page(client, "/orgs")
    for n in range(3):
        _fill(make, space, 4, f"more{n}")
    with _counting() as many:
        page = _page(client, "/orgs")
    assert page.count('data-figure="held"') == 5
    assert len(few) == len(many)


# ---------------------------------------------------------------- courses an instructor can teach


def _courses_of(user) -> set[int]:
    db.session.expire_all()
    return set(
        db.session.scalars(
            sa.select(InstructorCourse.course_id).where(InstructorCourse.user_id == user.id)
        )
    )


def test_a_coordinator_sets_the_courses_an_instructor_can_teach(space, make, client):
    line = make.course(slug="line-basics", title="LINEのはじめ方")
    camera = make.course(slug="camera", title="カメラの使い方")
    teacher = space["instructor"]
    url = f"/orgs/{space['ours'].id}/instructors/{teacher.id}/courses"
    field = f"user-{teacher.id}-course_ids"
    login(client, space["coordinator"])

    response = client.post(url, data={field: [str(line.id), str(camera.id)]})
    assert response.status_code == 302
    assert _courses_of(teacher) == {line.id, camera.id}
    page = _page(client, f"/orgs/{space['ours'].id}")
    assert "LINEのはじめ方、カメラの使い方" in page or "カメラの使い方、LINEのはじめ方" in page

    client.post(url, data={field: [str(space["course"].id)]})  # unticking removes
    assert _courses_of(teacher) == {space["course"].id}
    client.post(url, data={})
    assert _courses_of(teacher) == set()


def test_an_unknown_course_is_refused_beside_the_checkboxes_and_nothing_changes(
    space, make, client
):
    teacher = space["instructor"]
    db.session.add(InstructorCourse(user_id=teacher.id, course_id=space["course"].id))
    db.session.commit()
    line = make.course(slug="line-basics", title="LINEのはじめ方")
    login(client, space["coordinator"])

    response = client.post(
        f"/orgs/{space['ours'].id}/instructors/{teacher.id}/courses",
        data={f"user-{teacher.id}-course_ids": [str(line.id), "999999"]},
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'id="user-{teacher.id}-course_ids-error">([^<]*)<', page)
    assert error
    assert "現在のコース" in error.group(1)
    assert _courses_of(teacher) == {space["course"].id}


def test_courses_of_someone_outside_the_organization_cannot_be_set(space, make, client):
    outsider = make.user("instructor", org=space["theirs"])
    login(client, space["coordinator"])
    response = client.post(
        f"/orgs/{space['ours'].id}/instructors/{outsider.id}/courses",
        data={f"user-{outsider.id}-course_ids": [str(space["course"].id)]},
    )
    assert response.status_code == 404
    assert _courses_of(outsider) == set()


def test_partners_see_the_courses_but_cannot_change_them(space, client):
    teacher = space["instructor"]
    db.session.add(InstructorCourse(user_id=teacher.id, course_id=space["course"].id))
    db.session.commit()
    login(client, space["partner"])
    page = _page(client, f"/orgs/{space['ours'].id}")
    assert "スマートフォンの基本操作" in page
    assert f"/instructors/{teacher.id}/courses" not in page
    response = client.post(
        f"/orgs/{space['ours'].id}/instructors/{teacher.id}/courses",
        data={f"user-{teacher.id}-course_ids": []},
    )
    assert response.status_code == 403
    assert _courses_of(teacher) == {space["course"].id}
