"""The per-session records (講座実施実績) as CSV and XLSX, from the report pages and the API.

A small hand-made 年度 2025 (April 2025 to March 2026), all in the past:

- hall   2025-06-10 10:00-11:30  basics, 地域連携型, NPOつなぐ, 2 instructors + 1 assistant,
         learners: 2 present, 1 late, 1 excused, 1 absent, 1 never checked in -> 3 present, ○
- early  2025-07-01 08:30-09:30  (30 June in UTC) My Number, 全国展開型, 駅前ショップ, district 北,
         1 assistant and no instructor, 1 present -> ×
- crowd  2025-08-05 10:00-11:00  basics, no partner, marked completed, 1 instructor, 5 present -> ×
- march  2026-03-31 14:00-15:00  basics, NPOつなぐ, 1 instructor, 4 present -> ○ (exactly 1:4)
- april  2026-04-01 10:00-11:00  basics, NPOつなぐ: the next 年度
- a cancelled session in 2025 and a future one: never rows.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.auth.services import create_token
from app.checkin.services import set_status
from app.extensions import db
from app.people.learners import create_learner
from app.people.registration import register
from app.reports.filters import parse_filter
from app.scheduling.models import Session, held_clause
from app.scheduling.sessions import cancel_session
from app.timeutil import japan_today, utcnow
from tests.conftest import at, login
from tests.querycount import counting_queries as _counting

HEADER = [
    "実施日",
    "開始",
    "終了",
    "コース",
    "講座の種類",
    "実施形態",
    "会場",
    "市区町村",
    "地区",
    "協力団体",
    "受講者数",
    "講師数",
    "アシスタント数",
    "講師",
    "アシスタント",
    "1:4基準",
    "セッションID",
]
COLUMN = {name: i for i, name in enumerate(HEADER)}
_learners = iter(range(1000))


def _learner():
    n = next(_learners)
    kana = "".join("あいうえおかきくけこ"[int(d)] for d in str(n))
    return create_learner({"name": f"受講者{n}", "furigana": f"じゅこうしゃ{kana}"})


class Data:
    """The hand-made data set; `sessions` by name."""

    def __init__(self, make):
        self.make = make
        self.future_day = japan_today() + timedelta(days=200)
        self.ours = make.org(slug="npo-ours", name="NPOつなぐ")
        self.theirs = make.org(slug="shop-theirs", name="駅前ショップ", kind="carrier")
        self.coordinator = make.user("coordinator")
        self.basics = make.course(slug="smartphone-basics", title="スマートフォンの基本操作")
        self.mynumber = make.course(slug="mynumber", title="マイナンバーカードの使い方")
        self.mynumber.current_version.track = "applied"
        db.session.commit()
        self.hall = make.venue(name="中央公民館", district="中央")
        self.station = make.venue(name="駅前ショップ店内", district="北")
        self.ichiro = make.user("instructor", name="講師 一郎")
        self.jiro = make.user("instructor", name="講師 二郎")
        self.sly = make.user("instructor", name="=HYPERLINK(1)")
        self.sessions: dict[str, Session] = {}

    def held(self, name, day, start, end, learners=(), **extra) -> Session:
        """A session planned ahead, its people registered, then put in the past, where
        the attendance is recorded afterwards (as a coordinator does)."""
        self.future_day += timedelta(days=1)
        session = self.make.session(day=self.future_day, start=start, end=end, **extra)
        registrations = [register(session, _learner(), source="phone") for _ in learners]
        db.session.execute(
            sa.update(Session)
            .where(Session.id == session.id)
            .values(starts_at=at(day, start), ends_at=at(day, end))
        )
        db.session.commit()
        db.session.refresh(session)
        for registration, status in zip(registrations, learners, strict=True):
            if status is not None:
                set_status(session, registration, status, self.coordinator)
        self.sessions[name] = session
        return session


@pytest.fixture
def data(make) -> Data:
    d = Data(make)
    d.held(
        "hall",
        date(2025, 6, 10),
        "10:00",
        "11:30",
        learners=["present", "present", "late", "excused", "absent", None],
        course=d.basics,
        venue=d.hall,
        capacity=10,
        partner_org="npo-ours",
        instructor_ids=[d.ichiro.id, d.jiro.id],
        assistant_ids=[d.sly.id],
    )
    d.held(
        "early",
        date(2025, 7, 1),
        "08:30",
        "09:30",
        learners=["present"],
        course=d.mynumber,
        venue=d.station,
        delivery_type="nationwide",
        partner_org="shop-theirs",
        assistant_ids=[d.jiro.id],
    )
    crowd = d.held(
        "crowd",
        date(2025, 8, 5),
        "10:00",
        "11:00",
        learners=["present"] * 4 + ["late"],
        course=d.basics,
        venue=d.hall,
        capacity=10,
        instructor_ids=[d.ichiro.id],
    )
    crowd.status = "completed"
    db.session.commit()
    d.held(
        "march",
        date(2026, 3, 31),
        "14:00",
        "15:00",
        learners=["present"] * 4,
        course=d.basics,
        venue=d.hall,
        partner_org="npo-ours",
        instructor_ids=[d.jiro.id],
    )
    d.held(
        "april",
        date(2026, 4, 1),
        "10:00",
        "11:00",
        course=d.basics,
        venue=d.hall,
        partner_org="npo-ours",
        instructor_ids=[d.ichiro.id],
    )
    cancelled = d.held("cancelled", date(2025, 9, 1), "10:00", "11:00", course=d.basics)
    cancel_session(cancelled, "台風のため")
    d.sessions["future"] = d.make.session(
        course=d.basics, venue=d.hall, day=japan_today() + timedelta(days=3), partner_org="npo-ours"
    )
    return d


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = response.data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def _ids(rows) -> list[int]:
    return [int(row[COLUMN["セッションID"]]) for row in rows[1:]]


def _as(client, user):
    login(client, user)
    return client


# ---------------------------------------------------------------- what a row says


def test_a_row_says_what_the_funder_asks_in_japan_time(data, client):
    rows = _csv_rows(_as(client, data.coordinator).get("/reports/sessions.csv?year=2025"))
    assert rows[0] == HEADER
    s = data.sessions
    assert _ids(rows) == [s["hall"].id, s["early"].id, s["crowd"].id, s["march"].id]
    hall, early, crowd, march = rows[1:]
    assert hall == [
        "2025-06-10",
        "10:00",
        "11:30",
        "スマートフォンの基本操作",
        "基本講座",
        "地域連携型",
        "中央公民館",
        "若葉市",
        "中央",
        "NPOつなぐ",
        "3",  # 2 present + 1 late; excused, absent and never checked in are not present
        "2",
        "1",
        "講師 一郎、講師 二郎",
        "'=HYPERLINK(1)",  # never run as a formula by Excel
        "○",
        str(s["hall"].id),
    ]
    # 08:30 in Japan is 23:30 the day before in UTC: the Japanese date and time.
    assert early[:10] == [
        "2025-07-01",
        "08:30",
        "09:30",
        "マイナンバーカードの使い方",
        "応用講座",
        "全国展開型",
        "駅前ショップ店内",
        "若葉市",
        "北",
        "駅前ショップ",
    ]
    assert early[10:16] == ["1", "0", "1", "", "講師 二郎", "×"]  # no instructor
    assert crowd[9:16] == ["", "5", "1", "0", "講師 一郎", "", "×"]  # 5 learners for 1
    assert march[10:16] == ["4", "1", "0", "講師 二郎", "", "○"]  # exactly 1 for 4


def test_the_rows_are_the_sessions_the_dashboard_counts_as_held(data, client, make):
    rows = _csv_rows(_as(client, data.coordinator).get("/reports/sessions.csv?year=2025"))
    report = parse_filter({"year": "2025"}, data.coordinator)
    held = db.session.scalar(report.sessions(sa.func.count()).where(held_clause(utcnow())))
    assert len(rows) - 1 == held == 4
    assert data.sessions["cancelled"].id not in _ids(rows)


def test_the_municipality_is_the_configured_city(data, client, app):
    app.config["CITY_NAME"] = "さくら市"
    rows = _csv_rows(_as(client, data.coordinator).get("/reports/sessions.csv?year=2025"))
    assert {row[COLUMN["市区町村"]] for row in rows[1:]} == {"さくら市"}


# ---------------------------------------------------------------- the period and the filters


def test_31_march_is_in_the_earlier_year_and_1_april_in_the_next(data, client):
    client = _as(client, data.coordinator)
    s = data.sessions
    earlier = _ids(_csv_rows(client.get("/reports/sessions.csv?year=2025")))
    later = _ids(_csv_rows(client.get("/reports/sessions.csv?year=2026")))
    assert s["march"].id in earlier
    assert s["april"].id not in earlier
    assert later == [s["april"].id]  # the future session of 2026 is not held yet


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("year=2025&course=mynumber", ["early"]),
        ("year=2025&partner=npo-ours", ["hall", "march"]),
        ("year=2025&district=北", ["early"]),
        ("year=2025&track=basic&delivery=regional", ["hall", "crowd", "march"]),
        ("from=2025-07-01&to=2025-08-05", ["early", "crowd"]),
        ("from=２０２６-０３-３１&to=２０２６-０４-０１", ["march", "april"]),
        ("from=2026-03-31", ["march", "april"]),  # to: the end of that 年度
    ],
)
def test_the_filters_choose_the_rows(data, client, query, expected):
    rows = _csv_rows(_as(client, data.coordinator).get(f"/reports/sessions.csv?{query}"))
    assert _ids(rows) == [data.sessions[name].id for name in expected]


def test_the_file_is_named_after_its_period(data, client):
    client = _as(client, data.coordinator)
    response = client.get("/reports/sessions.csv?year=2025")
    disposition = response.headers["Content-Disposition"]
    assert 'filename="dekiru-sessions-2025-04-01_2026-03-31.csv"' in disposition
    assert response.headers["Cache-Control"] == "no-store"
    response = client.get("/reports/sessions.xlsx?from=2025-07-01&to=2025-07-31")
    assert "dekiru-sessions-2025-07-01_2025-07-31.xlsx" in response.headers["Content-Disposition"]


def test_a_bad_filter_on_the_page_names_the_field(data, client):
    response = _as(client, data.coordinator).get("/reports/sessions.csv?from=2026-13-01")
    assert response.status_code == 422
    assert "(from)" in response.get_data(as_text=True)
    assert "2026-04-01" in response.get_data(as_text=True)  # what is expected
    response = client.get("/reports/sessions.xlsx?course=nothing-like-this")
    assert response.status_code == 422
    assert "(course)" in response.get_data(as_text=True)


# ---------------------------------------------------------------- the files themselves


def test_the_csv_opens_right_in_excel_in_japan(data, client):
    response = _as(client, data.coordinator).get("/reports/sessions.csv?year=2025")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")  # the UTF-8 BOM
    lines = response.data.split(b"\r\n")
    assert len(lines) == 4 + 2  # header, 4 rows, and the empty end after the last CRLF
    assert all(b"\n" not in line for line in lines)


def test_the_xlsx_has_a_bold_frozen_header_widths_and_typed_cells(data, client):
    client = _as(client, data.coordinator)
    response = client.get("/reports/sessions.xlsx?year=2025")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.active
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == HEADER
    assert all(c.font.b for c in sheet[1])
    widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
    assert all(w and w >= 8 for w in widths)
    assert widths[COLUMN["コース"]] > widths[COLUMN["開始"]]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(values) == 4
    hall = values[0]
    assert hall[COLUMN["受講者数"]] == 3
    assert isinstance(hall[COLUMN["受講者数"]], int)
    assert hall[COLUMN["セッションID"]] == data.sessions["hall"].id
    assert hall[COLUMN["開始"]] == "10:00"
    assert hall[COLUMN["実施日"]] == "2025-06-10"
    # The "=" name stays text in the workbook: stored as a string, not as a formula.
    assert hall[COLUMN["アシスタント"]] == "=HYPERLINK(1)"
    assert sheet.cell(row=2, column=COLUMN["アシスタント"] + 1).data_type == "s"
    # The same rows as the CSV.
    csv_rows = _csv_rows(client.get("/reports/sessions.csv?year=2025"))[1:]
    assert [[("" if v is None else str(v)) for v in row] for row in values] == [
        [v.removeprefix("'") for v in row] for row in csv_rows
    ]


# ---------------------------------------------------------------- who gets what


def test_a_partner_gets_only_their_own_rows(data, client, make):
    partner = make.user("partner", org=data.ours)
    client = _as(client, partner)
    s = data.sessions
    rows = _csv_rows(client.get("/reports/sessions.csv?year=2025"))
    assert _ids(rows) == [s["hall"].id, s["march"].id]
    assert client.get("/reports/sessions.csv?year=2025&partner=npo-ours").status_code == 200
    assert client.get("/reports/sessions.csv?partner=shop-theirs").status_code == 404
    assert client.get("/reports/sessions.xlsx?partner=shop-theirs").status_code == 404


def test_instructors_may_not_export(data, client):
    client = _as(client, data.ichiro)
    assert client.get("/reports/sessions.csv").status_code == 403
    assert client.get("/reports/sessions.xlsx").status_code == 403


# ---------------------------------------------------------------- the API


def _bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(user)[1]}"}


def test_the_api_gives_the_same_rows(data, client):
    headers = _bearer(data.coordinator)
    api = client.get("/api/v1/reports/sessions.csv?year=2025", headers=headers)
    page = _as(client, data.coordinator).get("/reports/sessions.csv?year=2025")
    assert _csv_rows(api) == _csv_rows(page)
    xlsx = client.get("/api/v1/reports/sessions.xlsx?year=2025&course=mynumber", headers=headers)
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [row[COLUMN["セッションID"]].value for row in sheet.iter_rows(min_row=2)] == [
        data.sessions["early"].id
    ]


def test_the_api_answers_a_bad_filter_with_422_naming_the_field(data, client):
    response = client.get(
        "/api/v1/reports/sessions.csv?from=2026-13-01", headers=_bearer(data.coordinator)
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert list(error["fields"]) == ["from"]


def test_the_api_keeps_partners_to_their_own_and_refuses_instructors(data, client, make):
    partner = _bearer(make.user("partner", org=data.ours))
    rows = _csv_rows(client.get("/api/v1/reports/sessions.csv?year=2025", headers=partner))
    assert _ids(rows) == [data.sessions["hall"].id, data.sessions["march"].id]
    other = client.get("/api/v1/reports/sessions.xlsx?partner=shop-theirs", headers=partner)
    assert other.status_code == 404
    assert other.get_json()["error"]["code"] == "not_found"
    refused = client.get("/api/v1/reports/sessions.csv", headers=_bearer(data.ichiro))
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"
    assert client.get("/api/v1/reports/sessions.csv").status_code == 401


# ---------------------------------------------------------------- queries do not grow with rows


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_the_number_of_queries_does_not_grow_with_the_rows(data, client, extension):
    client = _as(client, data.coordinator)
    with _counting() as one_row:
        assert client.get(f"/reports/sessions.{extension}?year=2026").status_code == 200
    with _counting() as four_rows:
        assert client.get(f"/reports/sessions.{extension}?year=2025").status_code == 200
    assert len(one_row) == len(four_rows)
