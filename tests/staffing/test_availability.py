"""Instructors' availability: the rule others ask (who is unavailable for a class, and why),
the page where it is kept, and its API.

Classes are written in Japan time (tests.conftest.at) on fixed days whose weekdays are known:
2026-12-07 is a Monday, 2026-12-08 a Tuesday.
"""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from app.auth.services import create_token
from app.extensions import db
from app.staffing.availability import (
    WeeklySlot,
    add_unavailable_date,
    availability_summary,
    set_weekly_times,
    unavailable_reasons,
)
from app.staffing.models import UnavailableDate, WeeklyAvailability
from app.timeutil import japan_today
from tests.conftest import at, login
from tests.querycount import count_queries

MONDAY = date(2026, 12, 7)
TUESDAY = date(2026, 12, 8)


def _slot(weekday: int, starts: str, ends: str) -> WeeklySlot:
    return WeeklySlot(weekday, time.fromisoformat(starts), time.fromisoformat(ends))


def _weekly(person, *slots: tuple[int, str, str]) -> None:
    set_weekly_times(person, [_slot(*s) for s in slots])


def _off(person, day: date, note: str = "") -> None:
    # Straight into the table: a test of the rule may mark a day already past.
    db.session.add(UnavailableDate(user_id=person.id, day=day, note=note))
    db.session.commit()


def _reasons(people, day: date, starts: str, ends: str, end_day: date | None = None):
    return unavailable_reasons([p.id for p in people], at(day, starts), at(end_day or day, ends))


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


class Api:
    """/api/v1 with one user's bearer token."""

    def __init__(self, client, user):
        self.client = client
        self.headers = {"Authorization": f"Bearer {create_token(user)[1]}"}

    def get(self, path):
        return self.client.get(f"/api/v1{path}", headers=self.headers)

    def put(self, path, body):
        return self.client.put(f"/api/v1{path}", json=body, headers=self.headers)


@pytest.fixture
def api_as(client):
    return lambda user: Api(client, user)


@pytest.fixture
def teacher(make):
    return make.user("instructor", org=make.org(slug="npo-ours"), name="山田先生")


# ---------------------------------------------------------------- the rule


def test_an_unavailable_date_is_the_reason_with_its_note(make, teacher):
    _weekly(teacher, (0, "09:00", "17:00"))  # free that Monday by the week, but not that day
    _off(teacher, MONDAY, "通院")
    other = make.user("instructor")
    _off(other, MONDAY)

    reasons = _reasons([teacher, other], MONDAY, "10:00", "11:00")

    assert reasons == {
        teacher.id: "2026年12月7日(月) は都合が悪い日として登録されています(通院)",
        other.id: "2026年12月7日(月) は都合が悪い日として登録されています",
    }


def test_a_class_outside_the_weekly_times_says_what_they_are(make, teacher):
    _weekly(teacher, (0, "10:00", "16:00"), (2, "10:00", "16:00"))

    reasons = _reasons([teacher], TUESDAY, "10:00", "11:00")

    assert reasons == {teacher.id: "いつも教えられる時間(月・水 10:00–16:00)の外です"}


def test_inside_the_weekly_times_and_on_their_boundary_minutes_is_free(make, teacher):
    _weekly(teacher, (0, "10:00", "16:00"))

    assert _reasons([teacher], MONDAY, "10:00", "11:00") == {}
    assert _reasons([teacher], MONDAY, "15:00", "16:00") == {}
    assert teacher.id in _reasons([teacher], MONDAY, "09:59", "11:00")
    assert teacher.id in _reasons([teacher], MONDAY, "15:00", "16:01")
    assert teacher.id in _reasons([teacher], MONDAY, "16:00", "17:00")


def test_someone_who_keeps_no_weekly_times_is_not_unavailable(make, teacher):
    assert _reasons([teacher], MONDAY, "03:00", "04:00") == {}
    _off(teacher, TUESDAY)  # a date of another day says nothing of this one
    assert _reasons([teacher], MONDAY, "03:00", "04:00") == {}


def test_the_weekday_and_the_time_are_japans(make, teacher):
    """Tuesday 08:00 in Tokyo is Monday 23:00 in UTC: the Tuesday time is the one that counts."""
    _weekly(teacher, (1, "08:00", "12:00"))
    starts = at(TUESDAY, "08:00")
    assert starts.weekday() == 0  # still Monday in UTC
    assert unavailable_reasons([teacher.id], starts, at(TUESDAY, "09:30")) == {}
    _off(teacher, TUESDAY, "法事")
    assert "法事" in unavailable_reasons([teacher.id], starts, at(TUESDAY, "09:30"))[teacher.id]


def test_a_class_crossing_midnight_in_japan(make, teacher):
    _weekly(teacher, (0, "18:00", "23:59"), (1, "00:00", "06:00"))
    # 23:30 Monday to 00:30 Tuesday: in no single weekly time.
    assert teacher.id in _reasons([teacher], MONDAY, "23:30", "00:30", end_day=TUESDAY)
    # A class ending at midnight sharp touches only its own day.
    _off(teacher, TUESDAY, "旅行")
    assert "旅行" not in _reasons([teacher], MONDAY, "22:00", "00:00", end_day=TUESDAY).get(
        teacher.id, ""
    )
    # One crossing into the unavailable day is told of that day.
    reason = _reasons([teacher], MONDAY, "23:30", "00:30", end_day=TUESDAY)[teacher.id]
    assert reason == "2026年12月8日(火) は都合が悪い日として登録されています(旅行)"


def test_times_that_touch_are_one_span(make, teacher):
    _weekly(teacher, (0, "10:00", "12:00"), (0, "12:00", "16:00"))
    assert _reasons([teacher], MONDAY, "11:00", "13:00") == {}
    assert availability_summary([teacher.id]) == {teacher.id: "月 10:00–16:00"}


def test_the_summary_groups_the_weekdays_of_one_time(make, teacher):
    _weekly(teacher, (4, "13:00", "17:00"), (0, "10:00", "16:00"), (2, "10:00", "16:00"))
    nobody = make.user("instructor")
    assert availability_summary([teacher.id, nobody.id]) == {
        teacher.id: "月・水 10:00–16:00、金 13:00–17:00"
    }


def test_any_number_of_people_costs_two_queries(make, teacher):
    people = [make.user("instructor") for _ in range(5)]
    for i, person in enumerate(people):
        _weekly(person, (0, "10:00", "12:00"), (i % 7, "13:00", "15:00"))
        _off(person, TUESDAY)
    ids = [p.id for p in people]
    found: dict = {}
    assert count_queries(lambda: found.update(_reasons(people, MONDAY, "16:00", "17:00"))) <= 2
    assert set(found) == set(ids)
    assert count_queries(lambda: availability_summary(ids)) == 1


# ---------------------------------------------------------------- the page


def _rows(*rows: tuple[str, str, str], remove: tuple[int, ...] = ()) -> dict[str, str]:
    data = {}
    for i, (weekday, starts, ends) in enumerate(rows):
        data |= {
            f"weekly-{i}-weekday": weekday,
            f"weekly-{i}-starts": starts,
            f"weekly-{i}-ends": ends,
        }
        if i in remove:
            data[f"weekly-{i}-remove"] = "y"
    return data


def _page(client, person) -> str:
    response = client.get(f"/instructors/{person.id}/availability")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_instructor_keeps_their_own_times_typed_in_full_width(make, client, teacher):
    login(client, teacher)
    assert "/my/availability" in client.get("/my/sessions").get_data(as_text=True)
    response = client.get("/my/availability")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/instructors/{teacher.id}/availability")

    response = client.post(
        f"/instructors/{teacher.id}/availability/weekly",
        data=_rows(("0", "１０：００", "16時"), ("2", "10:00", "1600"), ("", "", "")),
    )
    assert response.status_code == 302
    assert "月・水 10:00–16:00" in _page(client, teacher)

    # A row ticked to remove goes; the others stay.
    client.post(
        f"/instructors/{teacher.id}/availability/weekly",
        data=_rows(("0", "10:00", "16:00"), ("2", "10:00", "16:00"), remove=(0,)),
    )
    assert availability_summary([teacher.id]) == {teacher.id: "水 10:00–16:00"}


def test_more_rows_are_added_without_saving(make, client, teacher):
    login(client, teacher)
    data = _rows(("0", "10:00", "16:00"), ("", "", ""), ("", "", "")) | {"more": "1"}
    response = client.post(f"/instructors/{teacher.id}/availability/weekly", data=data)
    assert response.status_code == 200
    assert 'name="weekly-4-starts"' in response.get_data(as_text=True)
    assert availability_summary([teacher.id]) == {}


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (
            ("0", "16:00", "10:00"),
            "weekly-0-ends",
            "終わりの時刻は始まりの時刻より後にしてください。",
        ),
        (
            ("0", "10:00", "10:00"),
            "weekly-0-ends",
            "終わりの時刻は始まりの時刻より後にしてください。",
        ),
        (
            ("9", "10:00", "16:00"),
            "weekly-0-weekday",
            "曜日は月曜日から日曜日の中から選んでください。",
        ),
        (
            ("月", "10:00", "16:00"),
            "weekly-0-weekday",
            "曜日は月曜日から日曜日の中から選んでください。",
        ),
        (("0", "25:00", "26:00"), "weekly-0-starts", "時刻は 10:00 の形式で入力してください。"),
        (("0", "10:00", ""), "weekly-0-ends", "終わりの時刻を入力してください。"),
        (("", "10:00", "16:00"), "weekly-0-weekday", "曜日を選んでください。"),
    ],
)
def test_a_wrong_row_is_refused_naming_it_and_nothing_is_saved(
    make, client, teacher, row, field, message
):
    _weekly(teacher, (4, "13:00", "17:00"))
    login(client, teacher)
    response = client.post(f"/instructors/{teacher.id}/availability/weekly", data=_rows(row))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'<a href="#{field}">1行目の' in page
    assert f'id="{field}-error">{message}' in page
    assert availability_summary([teacher.id]) == {teacher.id: "金 13:00–17:00"}


def test_overlapping_rows_name_the_row_they_overlap(make, client, teacher):
    login(client, teacher)
    response = client.post(
        f"/instructors/{teacher.id}/availability/weekly",
        data=_rows(("0", "10:00", "12:00"), ("1", "10:00", "12:00"), ("0", "11:00", "13:00")),
    )
    assert response.status_code == 422
    assert 'id="weekly-2-starts-error">1行目と時間が重なっています。' in response.get_data(
        as_text=True
    )
    assert _count(WeeklyAvailability) == 0


def test_unavailable_dates_are_added_shown_and_removed(make, client, teacher):
    login(client, teacher)
    day = japan_today() + timedelta(days=3)
    response = client.post(
        f"/instructors/{teacher.id}/availability/dates",
        data={"day": f"{day.year}年{day.month}月{day.day}日", "note": "通院"},
    )
    assert response.status_code == 302
    _off(teacher, japan_today() - timedelta(days=1), "昔の用事")  # past: not shown
    page = _page(client, teacher)
    assert "通院" in page
    assert "昔の用事" not in page

    row = db.session.scalar(sa.select(UnavailableDate).filter_by(day=day))
    response = client.post(f"/instructors/{teacher.id}/availability/dates/{row.id}/remove")
    assert response.status_code == 302
    assert "通院" not in _page(client, teacher)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"day": ""}, "day", "日付を入力してください。"),
        ({"day": "12/24"}, "day", "日付は 2026-04-01 の形式で入力してください。"),
        ({"day": "2001-01-01"}, "day", "より前の日は登録できません。"),
        (
            {"day": "2099-01-01", "note": "あ" * 201},
            "note",
            "メモは200文字以内で入力してください。",
        ),
    ],
)
def test_a_wrong_date_is_refused_naming_the_field(make, client, teacher, data, field, message):
    login(client, teacher)
    response = client.post(f"/instructors/{teacher.id}/availability/dates", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error">' in page
    assert message in page.split(f'id="{field}-error">')[1].split("</p>")[0]
    assert _count(UnavailableDate) == 0


def test_marking_a_day_again_changes_its_note(make, teacher):
    day = japan_today() + timedelta(days=1)
    add_unavailable_date(teacher, day, "午前")
    add_unavailable_date(teacher, day, "終日")
    assert [(d.day, d.note) for d in db.session.scalars(sa.select(UnavailableDate))] == [
        (day, "終日")
    ]


def test_a_partner_keeps_its_own_instructors_only(make, client, teacher):
    office = make.user("partner", org=teacher.org)
    outsider = make.user("instructor", org=make.org(slug="npo-theirs"), name="他団体の先生")
    login(client, office)
    partner_page = client.get(f"/orgs/{teacher.org_id}").get_data(as_text=True)
    assert f"/instructors/{teacher.id}/availability" in partner_page

    response = client.post(
        f"/instructors/{teacher.id}/availability/weekly", data=_rows(("5", "09:00", "12:00"))
    )
    assert response.status_code == 302
    assert availability_summary([teacher.id]) == {teacher.id: "土 09:00–12:00"}

    assert client.get(f"/instructors/{outsider.id}/availability").status_code == 404
    response = client.post(
        f"/instructors/{outsider.id}/availability/weekly", data=_rows(("5", "09:00", "12:00"))
    )
    assert response.status_code == 404
    assert availability_summary([outsider.id]) == {}


def test_an_instructor_cannot_keep_anothers(make, client, teacher):
    colleague = make.user("instructor", org=teacher.org)
    _off(colleague, japan_today() + timedelta(days=2))
    date_id = db.session.scalar(sa.select(UnavailableDate.id))
    login(client, teacher)
    assert client.get(f"/instructors/{colleague.id}/availability").status_code == 404
    response = client.post(
        f"/instructors/{colleague.id}/availability/weekly", data=_rows(("0", "10:00", "12:00"))
    )
    assert response.status_code == 404
    # Nor remove another's date through their own address.
    response = client.post(f"/instructors/{teacher.id}/availability/dates/{date_id}/remove")
    assert response.status_code == 404
    assert _count(UnavailableDate) == 1
    assert availability_summary([colleague.id]) == {}


def test_planners_keep_anyones_and_only_instructors_have_one(make, client, teacher):
    coordinator = make.user("coordinator")
    login(client, coordinator)
    assert "山田先生" in _page(client, teacher)
    assert client.get(f"/instructors/{coordinator.id}/availability").status_code == 404


# ---------------------------------------------------------------- the API


def test_the_api_reads_and_replaces_availability(make, api_as, teacher):
    api = api_as(teacher)
    day = japan_today() + timedelta(days=5)
    body = {
        "weekly": [{"weekday": 0, "starts": "10:00", "ends": "16:00"}],
        "unavailable_dates": [{"day": day.isoformat(), "note": "研修"}],
    }
    response = api.put(f"/instructors/{teacher.id}/availability", body)
    assert response.status_code == 200, response.get_json()
    got = api.get(f"/instructors/{teacher.id}/availability").get_json()
    assert got["summary"] == "月 10:00–16:00"
    assert got["weekly"] == [{"weekday": 0, "starts": "10:00", "ends": "16:00"}]
    assert [(d["day"], d["note"]) for d in got["unavailable_dates"]] == [(day.isoformat(), "研修")]


def test_the_api_names_the_wrong_row_and_saves_nothing(make, api_as, teacher):
    api = api_as(teacher)
    body = {
        "weekly": [
            {"weekday": 0, "starts": "10:00", "ends": "16:00"},
            {"weekday": 7, "starts": "10:00", "ends": "16:00"},
            {"weekday": 1, "starts": "10:00", "ends": "9時"},
        ],
        "unavailable_dates": [{"day": "2026-02-30"}],
    }
    response = api.put(f"/instructors/{teacher.id}/availability", body)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert fields == {"unavailable_dates-0-day": "日付は 2026-04-01 の形式で入力してください。"}

    body["unavailable_dates"] = []
    response = api.put(f"/instructors/{teacher.id}/availability", body)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "weekly-1-weekday": "曜日は月曜日から日曜日の中から選んでください。",
        "weekly-2-ends": "終わりの時刻は始まりの時刻より後にしてください。",
    }
    assert _count(WeeklyAvailability) == 0


def test_the_api_hides_another_organizations_instructor(make, api_as, teacher):
    outsider = make.user("instructor", org=make.org(slug="npo-theirs"))
    api = api_as(make.user("partner", org=teacher.org))
    assert api.get(f"/instructors/{teacher.id}/availability").status_code == 200
    assert api.get(f"/instructors/{outsider.id}/availability").status_code == 404
