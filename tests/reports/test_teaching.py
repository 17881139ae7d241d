"""The record of who taught (活動記録): figures by 年度, who may see whose, the files and the
printed record.

The clock stands at 2026-06-15 12:00 in Japan (年度 2026). A made-up set of classes:

- june    2025-06-10 10:00-11:30  A instructor, B assistant; L1 present, L2 late, L5 excused,
          L6 absent                               -> 2 learners
- august  2025-08-05 10:00-11:00  B instructor; L4 present
- march   2026-03-31 14:00-15:00  A assistant; L1 present, L3 present (still 年度 2025)
- april   2026-04-01 08:30-09:30  A instructor; L1 present (31 March in UTC: 年度 2026 in Japan)
- a cancelled class (A, 2025-09-01), a class not over yet (A, in a week), a class of C only:
  never counted for A.

A and B belong to NPO ours, C to the carrier shop theirs.

A, 年度 2025: instructor 1 class 1.5 h, assistant 1 class 1 h; 3 learners (L1 L2 L3), 4
attendances. 年度 2026: instructor 1 class 1 h; 1 learner.
B, 年度 2025: instructor 1 class 1 h, assistant 1 class 1.5 h; 3 learners (L1 L2 L4).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from openpyxl import load_workbook

from app.auth.services import create_token
from app.checkin.services import set_status
from app.extensions import db
from app.fiscal import FiscalYear, era_date
from app.people.learners import create_learner
from app.people.registration import register
from app.reports import teaching
from app.scheduling.models import Session
from app.scheduling.sessions import cancel_session
from app.timeutil import TOKYO, japan_today
from tests.conftest import at, login
from tests.querycount import count_queries

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=TOKYO)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


class Data:
    def __init__(self, make):
        self.make = make
        self.ours = make.org(slug="npo-ours", name="NPOつなぐ")
        self.theirs = make.org(slug="shop-theirs", name="駅前ショップ", kind="carrier")
        self.coordinator = make.user("coordinator")
        self.a = make.user("instructor", org=self.ours, name="A講師")
        self.b = make.user("instructor", org=self.ours, name="B講師")
        self.c = make.user("instructor", org=self.theirs, name="C講師")
        self.partner = make.user("partner", org=self.ours)
        self.other_partner = make.user("partner", org=self.theirs)
        self.course = make.course(slug="smartphone-basics", title="スマートフォンの基本操作")
        self.hall = make.venue(name="中央公民館")
        self.learners = {
            n: create_learner(
                {"name": f"受講者{n}", "furigana": f"じゅこうしゃ{'あいうえおかき'[n]}"}
            )
            for n in range(1, 7)
        }
        self.ahead = japan_today() + timedelta(days=30)
        self.sessions: dict[str, Session] = {}

    def held(self, name, day, start, end, learners=None, **extra) -> Session:
        """Planned ahead with its learners registered, moved into the past, then the
        attendance recorded afterwards (as a coordinator does)."""
        self.ahead += timedelta(days=1)
        session = self.make.session(
            course=self.course, venue=self.hall, day=self.ahead, start=start, end=end, **extra
        )
        registered = [
            (register(session, self.learners[n], source="phone"), status)
            for n, status in (learners or {}).items()
        ]
        db.session.execute(
            sa.update(Session)
            .where(Session.id == session.id)
            .values(starts_at=at(day, start), ends_at=at(day, end))
        )
        db.session.commit()
        db.session.refresh(session)
        for registration, status in registered:
            set_status(session, registration, status, self.coordinator)
        self.sessions[name] = session
        return session


@pytest.fixture
def data(clock, make) -> Data:
    d = Data(make)
    d.held(
        "june",
        date(2025, 6, 10),
        "10:00",
        "11:30",
        {1: "present", 2: "late", 5: "excused", 6: "absent"},
        partner_org="npo-ours",
        capacity=8,
        instructor_ids=[d.a.id],
        assistant_ids=[d.b.id],
    )
    d.held("august", date(2025, 8, 5), "10:00", "11:00", {4: "present"}, instructor_ids=[d.b.id])
    d.held(
        "march",
        date(2026, 3, 31),
        "14:00",
        "15:00",
        {1: "present", 3: "present"},
        partner_org="shop-theirs",
        instructor_ids=[d.c.id],
        assistant_ids=[d.a.id],
    )
    d.held("april", date(2026, 4, 1), "08:30", "09:30", {1: "present"}, instructor_ids=[d.a.id])
    cancelled = d.held("cancelled", date(2025, 9, 1), "10:00", "11:00", instructor_ids=[d.a.id])
    cancel_session(cancelled, "台風のため")
    d.sessions["future"] = make.session(
        course=d.course,
        venue=d.hall,
        day=japan_today() + timedelta(days=7),
        instructor_ids=[d.a.id],
    )
    d.held("theirs", date(2025, 7, 1), "10:00", "11:00", {3: "present"}, instructor_ids=[d.c.id])
    return d


def _figures(activity: teaching.Activity) -> dict:
    return {
        "instructor": (activity.classes["instructor"], activity.hours("instructor")),
        "assistant": (activity.classes["assistant"], activity.hours("assistant")),
        "total": (activity.total_classes, activity.hours()),
        "learners": (activity.learners, activity.attendances),
    }


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def _as(client, user):
    login(client, user)
    return client


# ---------------------------------------------------------------- the figures


def test_a_person_s_years_count_held_classes_by_japan_s_fiscal_year(data):
    years = teaching.person_years(data.a)
    assert [line.year.year for line in years] == [2026, 2025]  # the current 年度 first
    assert _figures(years[0].activity) == {
        "instructor": (1, 1.0),
        "assistant": (0, 0.0),
        "total": (1, 1.0),
        "learners": (1, 1),
    }
    assert _figures(years[1].activity) == {
        "instructor": (1, 1.5),
        "assistant": (1, 1.0),
        "total": (2, 2.5),
        "learners": (3, 4),
    }


def test_the_current_year_is_listed_even_before_a_first_class(data, make):
    newcomer = make.user("instructor", org=data.ours)
    years = teaching.person_years(newcomer)
    assert [(line.year.year, line.activity.total_classes) for line in years] == [(2026, 0)]


def test_a_person_s_classes_are_the_held_ones_with_their_learners(data):
    classes = teaching.person_classes(data.a)
    assert [c.session_id for c in classes] == [
        data.sessions[n].id for n in ("june", "march", "april")
    ]
    june, march, april = classes
    assert (june.role, june.hours, june.learners, june.partner) == (
        "instructor",
        1.5,
        2,
        "NPOつなぐ",
    )
    assert (march.role, march.year.year, march.learners) == ("assistant", 2025, 2)
    assert (april.year.year, april.day, april.era_day) == (2026, date(2026, 4, 1), "令和8年4月1日")


def test_a_range_of_years_counts_each_learner_once(data):
    total = teaching.person_total(
        data.a, *teaching.year_range(None, FiscalYear(2025), FiscalYear(2026))
    )
    assert _figures(total)["total"] == (3, 3.5)
    assert _figures(total)["learners"] == (3, 5)  # L1 came three times


def test_an_organization_s_people_for_a_year(data):
    lines = teaching.org_activity(data.ours, FiscalYear(2025))
    assert [line.person.name for line in lines] == ["A講師", "B講師"]
    assert _figures(lines[1].activity) == {
        "instructor": (1, 1.0),
        "assistant": (1, 1.5),
        "total": (2, 2.5),
        "learners": (3, 3),
    }
    assert [y.year for y in teaching.org_years(data.ours)] == [2026, 2025]


def test_an_organization_s_figures_take_the_same_queries_however_many_people(data, make):
    few = count_queries(lambda: teaching.org_activity(data.ours, FiscalYear(2025)))
    for n in range(3):
        person = make.user("instructor", org=data.ours)
        data.held(f"more{n}", date(2025, 10, 1 + n), "10:00", "11:00", instructor_ids=[person.id])
    db.session.expire_all()
    assert count_queries(lambda: teaching.org_activity(data.ours, FiscalYear(2025))) == few


def test_era_dates():
    assert era_date(date(2019, 4, 30)) == "平成31年4月30日"
    assert era_date(date(2019, 5, 1)) == "令和元年5月1日"
    assert era_date(date(2026, 6, 15)) == "令和8年6月15日"


# ---------------------------------------------------------------- the pages


def test_an_instructor_reaches_their_record_from_their_sessions(data, client):
    page = _as(client, data.a).get("/my/sessions").get_data(as_text=True)
    assert f"/reports/instructors/{data.a.id}/activity" in page
    page = client.get(f"/reports/instructors/{data.a.id}/activity?year=2025").get_data(as_text=True)
    assert "A講師" in page
    assert "NPOつなぐ" in page
    assert 'data-year="2026"' in page
    assert 'data-year="2025"' in page
    assert "令和7年6月10日" in page
    assert "令和8年3月31日" in page
    assert "令和8年4月1日" not in page  # 年度 2026's class is not in 2025's list
    assert "合計 2コマ(講師 1コマ・アシスタント 1コマ)" in page


def test_a_bad_year_is_named(data, client):
    response = _as(client, data.a).get(f"/reports/instructors/{data.a.id}/activity?year=abc")
    assert response.status_code == 422
    assert "年度は 2026 か 令和8年度 のように入力してください。" in response.get_data(as_text=True)


def test_the_printed_record_has_the_classes_and_totals(data, client):
    response = _as(client, data.partner).get(
        f"/reports/instructors/{data.a.id}/activity/print?from=2025&to=令和8年度"
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "若葉市" in page
    assert "A講師" in page
    assert "NPOつなぐ" in page
    assert "2025年度〜2026年度(令和7年度〜令和8年度)" in page
    assert 'data-total="classes">3<' in page
    assert 'data-total="hours">3.5<' in page
    assert 'data-total="instructor_classes">2<' in page
    assert 'data-total="assistant_hours">1.0<' in page
    assert "受講者 実人数 3人(延べ 5人)" in page
    assert "証明者(署名・印)" in page
    assert "令和8年4月1日" in page


def test_a_backwards_range_is_refused(data, client):
    response = _as(client, data.a).get(
        f"/reports/instructors/{data.a.id}/activity/print?from=2026&to=2025"
    )
    assert response.status_code == 422
    assert "終わりの年度は始まりの年度と同じか" in response.get_data(as_text=True)


def test_the_organization_page_lists_its_people_with_their_figures(data, client):
    page = _as(client, data.partner).get(f"/orgs/{data.ours.id}?year=2025").get_data(as_text=True)
    section = page.split('id="activity"')[1].split("</section>")[0]
    assert f'data-user="{data.a.id}"' in section
    assert f'data-user="{data.b.id}"' in section
    assert "C講師" not in section
    assert f"/reports/instructors/{data.b.id}/activity?year=2025" in section
    b_row = section.split(f'data-user="{data.b.id}"')[1].split("</tr>")[0]
    assert 'data-figure="assistant_hours">1.5<' in b_row
    assert 'data-figure="learners">3<' in b_row


# ---------------------------------------------------------------- who sees whose


def test_nobody_sees_a_record_they_may_not_know_of(data, client):
    cases = [
        (data.a, data.b.id),  # another instructor
        (data.partner, data.c.id),  # another organization's person
        (data.other_partner, data.a.id),
        (data.coordinator, data.coordinator.id),  # not an instructor at all
        (data.coordinator, 999999),
    ]
    for viewer, user_id in cases:
        login(client, viewer)
        for suffix in ("", "/print", ".csv", ".xlsx"):
            response = client.get(f"/reports/instructors/{user_id}/activity{suffix}")
            assert response.status_code == 404, (viewer.name, user_id, suffix)
    assert (
        _as(client, data.other_partner)
        .get(f"/reports/orgs/{data.ours.id}/activity.csv")
        .status_code
        == 404
    )
    assert _as(client, data.a).get(f"/reports/orgs/{data.ours.id}/activity.csv").status_code == 403


def test_planners_and_partners_see_their_people(data, client):
    assert (
        _as(client, data.coordinator).get(f"/reports/instructors/{data.c.id}/activity").status_code
        == 200
    )
    assert (
        _as(client, data.partner).get(f"/reports/instructors/{data.b.id}/activity").status_code
        == 200
    )


# ---------------------------------------------------------------- files and the API


def test_a_person_s_file_has_every_class_of_every_year(data, client):
    rows = _csv(_as(client, data.a).get(f"/reports/instructors/{data.a.id}/activity.csv"))
    assert rows[0] == teaching_header()
    june_id, march_id, april_id = (data.sessions[n].id for n in ("june", "march", "april"))
    assert rows[1:] == [
        ["2025", "2025-06-10", "令和7年6月10日", "10:00", "11:30", "スマートフォンの基本操作",
         "中央公民館", "NPOつなぐ", "講師", "1.5", "2", str(june_id)],
        ["2025", "2026-03-31", "令和8年3月31日", "14:00", "15:00", "スマートフォンの基本操作",
         "中央公民館", "駅前ショップ", "アシスタント", "1.0", "2", str(march_id)],
        ["2026", "2026-04-01", "令和8年4月1日", "08:30", "09:30", "スマートフォンの基本操作",
         "中央公民館", "", "講師", "1.0", "1", str(april_id)],
    ]  # fmt: skip
    book = load_workbook(
        io.BytesIO(client.get(f"/reports/instructors/{data.a.id}/activity.xlsx").data)
    )
    sheet = book.worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == teaching_header()
    # A date cell reads back as a naive datetime (openpyxl): the day as written.
    assert values[1][:3] == [2025, datetime(2025, 6, 10), "令和7年6月10日"]  # noqa: DTZ001
    assert values[1][9:11] == [1.5, 2]


def teaching_header():
    return [
        "年度", "実施日", "実施日(和暦)", "開始", "終了", "コース", "会場", "協力団体", "役割",
        "時間", "受講者数", "セッションID",
    ]  # fmt: skip


def test_an_organization_s_file_for_a_year(data, client):
    login(client, data.partner)
    book = load_workbook(
        io.BytesIO(client.get(f"/reports/orgs/{data.ours.id}/activity.xlsx?year=2025").data)
    )
    values = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert values == [
        ["年度", "氏名", "講師 コマ数", "講師 時間", "アシスタント コマ数", "アシスタント 時間",
         "合計コマ数", "合計時間", "受講者(実人数)", "受講者(延べ)", "利用者ID"],
        [2025, "A講師", 1, 1.5, 1, 1, 2, 2.5, 3, 4, data.a.id],
        [2025, "B講師", 1, 1, 1, 1.5, 2, 2.5, 3, 3, data.b.id],
    ]  # fmt: skip
    rows = _csv(client.get(f"/reports/orgs/{data.ours.id}/activity.csv?year=令和8年度"))
    assert rows[1] == [
        "2026",
        "A講師",
        "1",
        "1.0",
        "0",
        "0.0",
        "1",
        "1.0",
        "1",
        "1",
        str(data.a.id),
    ]
    assert rows[2][1:8] == ["B講師", "0", "0.0", "0", "0.0", "0", "0.0"]
    refused = client.get(f"/reports/orgs/{data.ours.id}/activity.csv?year=1999")
    assert refused.status_code == 422
    assert "年度 (year)" in refused.get_data(as_text=True)


def test_the_api_gives_a_person_s_record(data, client):
    token = create_token(data.partner)[1]
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get(f"/api/v1/instructors/{data.a.id}/activity?year=2025", headers=headers)
    assert body.status_code == 200, body.get_data(as_text=True)
    record = body.get_json()
    assert (record["name"], record["organization"], record["fiscal_year"]) == (
        "A講師",
        "NPOつなぐ",
        2025,
    )
    assert [y["fiscal_year"] for y in record["years"]] == [2026, 2025]
    assert record["years"][1] == {
        "fiscal_year": 2025,
        "instructor_classes": 1,
        "instructor_hours": 1.5,
        "assistant_classes": 1,
        "assistant_hours": 1.0,
        "classes": 2,
        "hours": 2.5,
        "learners": 3,
        "attendances": 4,
    }
    assert [(c["date"], c["role"], c["learners"]) for c in record["classes"]] == [
        ("2025-06-10", "instructor", 2),
        ("2026-03-31", "assistant", 2),
    ]
    assert record["classes"][0]["starts_at"] == "2025-06-10T10:00:00+09:00"
    other = {"Authorization": f"Bearer {create_token(data.other_partner)[1]}"}
    missing = client.get(f"/api/v1/instructors/{data.a.id}/activity", headers=other)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    bad = client.get(f"/api/v1/instructors/{data.a.id}/activity?year=x", headers=headers)
    assert bad.status_code == 422
    assert "year" in bad.get_json()["error"]["fields"]
