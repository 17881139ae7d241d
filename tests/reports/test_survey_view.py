"""The dashboard's アンケート view: the survey figures by course, partner, district and 年度 equal
a count by hand of a made set of answers; a partner sees its own only; few answers show no
mean; the CSV and XLSX hold the same lines; the queries do not grow with the answers."""

from __future__ import annotations

import csv
import html as markup
import io
import re

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.surveys.models import SurveyAnswer
from tests.conftest import login
from tests.querycount import count_queries
from tests.reports import dataset

# (satisfaction, someone to ask) per returned sheet; None: left blank. The sessions are
# dataset's (course, venue's district, partner, 年度):
ANSWERS = {
    "s1": [(5, True), (4, False)],  # A, 中央, p1, 2024
    "s2": [(5, True), (4, True), (3, False), (5, True), (4, None), (None, True)],  # A 中央 p1 2025
    "s3": [(2, False), (3, True), (1, False)],  # B, 北部, p2, 2025
    "s5": [(5, True), (5, True), (4, False), (3, True), (5, None)],  # A, 北部, p1, 2025
    "s6": [(4, True), (5, True)],  # B, 中央, p2, 2026
}
# By hand, 年度 2025 (s2, s3, s5):
#   s2: satisfaction 5+4+3+5+4 = 21 of 5; someone yes 4 of 5
#   s3: satisfaction 2+3+1 = 6 of 3; yes 1 of 3
#   s5: satisfaction 5+5+4+3+5 = 22 of 5; yes 3 of 4
# course A (s2, s5) = partner p1: 11 answers, 43 / 10 = 4.30, 7 of 9 = 77.8%
# course B (s3) = partner p2: 3 answers — too few for a mean or a share
# 中央 (s2): 6 answers, 21 / 5 = 4.20, 4 of 5 = 80.0%
# 北部 (s3, s5): 8 answers, 28 / 8 = 3.50, 4 of 7 = 57.1%
# all: 14 answers, 49 / 13 = 3.77, 8 of 12 = 66.7%


def save_answers(program, answers=ANSWERS):
    for key, sheets in answers.items():
        for satisfaction, someone in sheets:
            given = {"satisfaction": satisfaction, "someone-to-ask": someone}
            db.session.add(
                SurveyAnswer(
                    session_id=program.sessions[key].id,
                    source="paper",
                    answers={k: v for k, v in given.items() if v is not None},
                )
            )
    db.session.commit()


@pytest.fixture
def program(make):
    built = dataset.build()
    built.users["coordinator"] = make.user("coordinator")
    save_answers(built)
    return built


def _page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", fragment)).strip()


def _line(html: str, table: str, key: str) -> dict[str, str]:
    """The figures of one line of one of the view's tables, as read on the page."""
    body = re.search(rf'<table class="report-table" id="{table}">(.*?)</table>', html, re.S)
    assert body, table
    row = re.search(rf'<tr data-key="{re.escape(key)}">(.*?)</tr>', body.group(1), re.S)
    assert row, (table, key)
    cells = dict(re.findall(r'data-figure="(\w+)">(.*?)</td>', row.group(1), re.S))
    label = re.search(r"<th[^>]*>(.*?)</th>", row.group(1), re.S).group(1)
    link = re.search(r'href="([^"]+)"', label)
    return {
        "label": _text(label),
        "link": markup.unescape(link.group(1)) if link else "",
        **{name: _text(value) for name, value in cells.items()},
    }


def _keys(html: str, table: str) -> list[str]:
    body = re.search(rf'<table class="report-table" id="{table}">(.*?)</table>', html, re.S)
    return re.findall(r'<tr data-key="([^"]*)">', body.group(1)) if body else []


def test_the_view_counts_the_year_by_course_partner_and_district_as_by_hand(client, program):
    login(client, program.users["coordinator"])
    html = _page(client, "/reports/?year=2025&view=surveys")
    assert 'aria-current="page" data-view="surveys"' in html
    assert _text(re.search(r'data-figure="survey_answers">(.*?)</dd>', html).group(1)) == "14"
    assert "3.77" in re.search(r'data-figure="survey_satisfaction">(.*?)</dd>', html).group(1)
    assert "66.7%" in re.search(r'data-figure="survey_someone_to_ask">(.*?)</dd>', html).group(1)

    a = _line(html, "survey-by-course", "course-a")
    assert (a["label"], a["sessions"], a["answers"]) == ("スマホ入門", "2", "11")
    assert a["satisfaction"].startswith("4.30")
    assert "(10人が回答)" in a["satisfaction"]
    assert a["someone_to_ask"].startswith("77.8%")
    assert "(9人が回答)" in a["someone_to_ask"]
    # The period is one 年度: the course leads to its page of that 年度, question by question.
    assert a["link"] == "/surveys/courses/course-a?year=2025"
    course_page = _page(client, a["link"])
    assert "回答 11件" in course_page

    assert _keys(html, "survey-by-partner") == ["npo-one", "shop-two"]  # by name
    p1 = _line(html, "survey-by-partner", "npo-one")
    assert (p1["label"], p1["answers"]) == ("NPO一番", "11")
    assert p1["satisfaction"].startswith("4.30")
    chuo, hoku = (_line(html, "survey-by-district", d) for d in ("中央", "北部"))
    assert (chuo["answers"], hoku["answers"]) == ("6", "8")
    assert chuo["satisfaction"].startswith("4.20")
    assert chuo["someone_to_ask"].startswith("80.0%")
    assert hoku["satisfaction"].startswith("3.50")
    assert hoku["someone_to_ask"].startswith("57.1%")
    # A district leads to the view narrowed to it.
    narrowed = _page(client, hoku["link"])
    assert _keys(narrowed, "survey-by-course") == ["course-a", "course-b"]
    assert _line(narrowed, "survey-by-course", "course-a")["answers"] == "5"

    assert _keys(html, "survey-by-year") == ["2025"]
    # Each session, newest first, leads to its answers one by one.
    sessions = [program.sessions[k].id for k in ("s5", "s3", "s2")]
    assert _keys(html, "survey-by-session") == [str(i) for i in sessions]
    s2 = _line(html, "survey-by-session", str(program.sessions["s2"].id))
    assert s2["link"] == f"/sessions/{program.sessions['s2'].id}/survey"
    assert "中央公民館" in s2["label"]


def test_few_answers_show_their_count_and_no_mean(client, program):
    login(client, program.users["coordinator"])
    html = _page(client, "/reports/?year=2025&view=surveys")
    b = _line(html, "survey-by-course", "course-b")
    assert b["answers"] == "3"
    assert b["satisfaction"] == "回答が少ないため出していません (3人が回答)"
    assert b["someone_to_ask"] == "回答が少ないため出していません (3人が回答)"
    # s5: five gave a satisfaction, four said whether someone is there to ask.
    s5 = _line(html, "survey-by-session", str(program.sessions["s5"].id))
    assert s5["satisfaction"].startswith("4.40")
    assert s5["someone_to_ask"] == "回答が少ないため出していません (4人が回答)"


def test_a_period_over_three_years_has_a_line_per_year(client, program):
    login(client, program.users["coordinator"])
    html = _page(client, "/reports/?from=2025-03-01&to=2026-04-30&view=surveys")
    assert _keys(html, "survey-by-year") == ["2024", "2025", "2026"]
    years = {y: _line(html, "survey-by-year", y) for y in ("2024", "2025", "2026")}
    assert [years[y]["answers"] for y in years] == ["2", "14", "2"]
    assert years["2025"]["satisfaction"].startswith("3.77")
    # A 年度 wholly in the period leads to that 年度; one cut by it, to the part in it.
    assert "year=2025" in years["2025"]["link"]
    assert "from=" not in years["2025"]["link"]
    assert "from=2025-03-01&to=2025-03-31" in years["2024"]["link"]
    assert _page(client, years["2024"]["link"]).count('<tr data-key="') >= 1
    # Over several 年度, a course leads to the view narrowed to it (there, by 年度).
    a = _line(html, "survey-by-course", "course-a")
    assert a["answers"] == "13"
    assert "course=course-a" in a["link"]
    assert "view=surveys" in a["link"]


def test_a_partner_sees_its_own_classes_only(client, program, make):
    login(client, make.user("partner", org=program.orgs["p2"]))
    html = _page(client, "/reports/?year=2025&view=surveys")
    assert _keys(html, "survey-by-course") == ["course-b"]
    assert _text(re.search(r'data-figure="survey_answers">(.*?)</dd>', html).group(1)) == "3"
    assert 'id="survey-by-partner"' not in html
    assert "NPO一番" not in html
    assert _keys(html, "survey-by-district") == ["北部"]
    assert _keys(html, "survey-by-session") == [str(program.sessions["s3"].id)]
    # Figures, never the answers one by one: no link to a session's answers or a course's page.
    assert '/survey"' not in html
    assert "/surveys/courses/" not in html
    assert client.get("/reports/?year=2025&view=surveys&partner=npo-one").status_code == 404
    assert client.get("/reports/surveys.csv?year=2025&partner=npo-one").status_code == 404
    rows = list(csv.reader(io.StringIO(client.get("/reports/surveys.csv?year=2025").text)))
    assert {row[1] for row in rows[1:]} == {
        "",
        "course-b",
        "北部",
        "2025",
        str(program.sessions["s3"].id),
    }
    assert all("NPO一番" not in cell for row in rows for cell in row)


def test_the_csv_and_the_workbook_hold_the_view(client, program):
    login(client, program.users["coordinator"])
    response = client.get("/reports/surveys.csv?year=2025")
    assert response.status_code == 200
    assert "dekiru-surveys-2025-04-01_2026-03-31.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    header, lines = rows[0], {(row[0], row[1]): row for row in rows[1:]}
    assert header[:4] == ["区分", "ID", "名前", "講座数"]
    assert lines[("全体", "")][4:9] == ["14", "13", "3.77", "12", "0.6667"]
    assert lines[("コース別", "course-a")][2:9] == [
        "スマホ入門",
        "2",
        "11",
        "10",
        "4.3",
        "9",
        "0.7778",
    ]
    b = lines[("コース別", "course-b")]
    assert b[4:9] == ["3", "3", "", "3", ""]
    assert "5件より少ない" in b[9]
    assert lines[("協力団体別", "shop-two")][4] == "3"
    assert lines[("地区別(会場の地区)", "北部")][4:9] == ["8", "8", "3.5", "7", "0.5714"]
    assert lines[("年度別", "2025")][4] == "14"
    s2 = lines[("講座別", str(program.sessions["s2"].id))]
    assert s2[2].startswith("2025-04-01 08:30 スマホ入門")
    assert s2[4] == "6"

    book = load_workbook(io.BytesIO(client.get("/reports/surveys.xlsx?year=2025").get_data()))
    assert book.sheetnames == [
        "全体",
        "コース別",
        "協力団体別",
        "地区別(会場の地区)",
        "年度別",
        "講座別",
    ]
    courses = list(book["コース別"].iter_rows(values_only=True))
    assert courses[0][0] == "ID"
    assert courses[1][:8] == ("course-a", "スマホ入門", 2, 11, 10, 4.3, 9, 0.7778)
    assert courses[2][5] is None
    assert courses[2][3] == 3
    assert [row[0] for row in book["講座別"].iter_rows(min_row=2, values_only=True)] == [
        str(program.sessions[k].id) for k in ("s2", "s3", "s5")
    ]
    assert client.get("/reports/surveys.csv?year=20xx").status_code == 422


def test_the_view_reads_as_many_queries_for_many_answers_as_for_few(client, program, make):
    login(client, program.users["coordinator"])
    url = "/reports/?from=2025-03-01&to=2026-04-30&view=surveys"
    few = count_queries(lambda: client.get(url))
    # Many more answers, in new courses, districts, partners and sessions.
    for n in range(6):
        session = make.session(
            course=make.course(), venue=make.venue(district=f"地区{n}"), partner_org=make.org().slug
        )
        session.starts_at, session.ends_at = (
            program.sessions["s3"].starts_at,
            program.sessions["s3"].ends_at,
        )
        db.session.add_all(
            SurveyAnswer(session_id=session.id, source="phone", answers={"satisfaction": 4})
            for _ in range(5)
        )
    db.session.commit()
    assert _keys(_page(client, url), "survey-by-district").__len__() == 8
    assert count_queries(lambda: client.get(url)) == few
    assert count_queries(lambda: client.get(url.replace("/?", "/surveys.xlsx?"))) <= few


def test_the_old_surveys_page_leads_to_the_view(client, program, make):
    login(client, program.users["coordinator"])
    response = client.get("/surveys?year=2025")
    assert response.status_code == 302
    assert response.headers["Location"] == "/reports/?view=surveys&year=2025"
    login(client, make.user("instructor"))
    assert client.get("/surveys").status_code == 403
