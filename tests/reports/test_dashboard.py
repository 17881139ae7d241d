"""The dashboard, the lists behind its figures, the figures workbook and the API summary."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from app.auth import services as accounts
from app.extensions import db
from app.reports.drilldown import PER_PAGE
from tests.conftest import login
from tests.querycount import count_queries
from tests.reports import dataset


@pytest.fixture
def program(make):
    built = dataset.build()
    built.users["coordinator"] = make.user("coordinator")
    return built


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}"[^>]*>(.*?)</dd>', html, re.S)
    assert match, name
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_the_dashboard_shows_the_year_and_links_each_figure(client, program):
    login(client, program.users["coordinator"])
    html = page(client, "/reports/?year=2025")
    assert figure(html, "sessions_held") == "3"
    assert figure(html, "distinct_learners") == "5"
    assert figure(html, "attendances") == "6"
    assert figure(html, "new_learners") == "4"
    assert figure(html, "longest_waitlist").startswith("LINE応用")
    assert "<svg" in html
    assert 'class="bar-chart"' in html
    # The held figure leads to the three sessions behind it.
    link = re.search(r'data-figure="sessions_held"><a href="([^"]+)"', html).group(1)
    listed = page(client, link.replace("&amp;", "&"))
    assert 'data-total="3"' in listed
    # Distinct learners lead to five people.
    link = re.search(r'data-figure="distinct_learners"><a href="([^"]+)"', html).group(1)
    people = page(client, link.replace("&amp;", "&"))
    assert 'data-total="5"' in people
    assert "受講者L1" in people


def test_reach_by_district_table_counts_seniors(client, program):
    login(client, program.users["coordinator"])
    html = page(client, "/reports/?year=2025&view=reach")
    table = html[html.index('id="by-district"') :]
    row = table[table.index("中央") :]
    assert re.search(r'data-kind="senior">2<', row)


@pytest.mark.parametrize(
    ("facet", "total"),
    [
        ("new", 4),
        ("returning", 1),
        ("district:北部", 2),
        ("district:", 1),
        ("age:80_plus", 1),
        ("age:unknown", 1),
        ("kind:senior", 3),
        ("device:iphone", 2),
        ("skill:course-a/a1", 3),
        ("completed:course-a", 1),
        ("further", 1),
    ],
)
def test_each_learner_figure_leads_to_as_many_people(client, program, facet, total):
    login(client, program.users["coordinator"])
    html = page(client, f"/reports/learners?year=2025&facet={facet}")
    assert f'data-total="{total}"' in html


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ("state=held", 3),
        ("state=cancelled", 1),
        ("only=single", 1),
        ("only=rule_met", 2),
        ("only=rule_unmet", 1),
        ("only=no_show", 2),
        ("only=waitlisted", 2),
        ("state=held&district=北部", 2),
    ],
)
def test_each_session_figure_leads_to_as_many_sessions(client, program, query, total):
    login(client, program.users["coordinator"])
    html = page(client, f"/reports/sessions?year=2025&{query}")
    assert f'data-total="{total}"' in html


def test_a_bad_filter_is_named_on_the_page(client, program):
    login(client, program.users["coordinator"])
    html = page(client, "/reports/?from=2025-02-30", status=422)
    assert 'id="filter-from-error"' in html
    assert page(client, "/reports/?view=everything", status=422)
    assert page(client, "/reports/sessions?only=everything", status=422)


def test_a_partner_sees_their_organization_only_and_no_people(client, program, make):
    partner = make.user("partner", org=program.orgs["p2"])
    login(client, partner)
    html = page(client, "/reports/?year=2025")
    assert figure(html, "sessions_held") == "1"
    assert "NPO一番" not in html
    assert 'name="partner"' not in html  # pinned, no choice to make
    assert "/reports/learners" not in html  # people are not theirs to list
    assert 'id="follow-up"' not in html
    assert "/reports/learners" not in page(client, "/reports/?year=2025&view=reach")
    assert client.get("/reports/?year=2025&partner=npo-one").status_code == 404
    assert client.get("/reports/learners?year=2025").status_code == 403
    listed = page(client, "/reports/sessions?year=2025&state=held")
    assert 'data-total="1"' in listed


def test_an_instructor_has_no_reports(client, program, make):
    login(client, make.user("instructor", org=program.orgs["p1"]))
    assert client.get("/reports/").status_code == 403


def test_the_figures_workbook_has_a_sheet_per_table_matching_the_page(client, program):
    login(client, program.users["coordinator"])
    response = client.get("/reports/figures.xlsx?year=2025")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    book = load_workbook(io.BytesIO(response.data))
    assert len(book.sheetnames) >= 10
    overview = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True)}
    assert overview["実施した講座(コマ)"] == 3
    assert overview["出席 実人数"] == 5
    assert book.worksheets[0].freeze_panes == "A2"


def test_the_records_export_has_as_many_rows_as_sessions_held(client, program):
    login(client, program.users["coordinator"])
    for query in ("year=2025", "year=2025&district=北部", "year=2026"):
        held = figure(page(client, f"/reports/?{query}"), "sessions_held")
        csv_text = client.get(f"/reports/sessions.csv?{query}").data.decode("utf-8-sig")
        assert len(csv_text.strip().splitlines()) - 1 == int(held)


def test_the_api_summary(client, program):
    token = accounts.create_token(program.users["coordinator"], "reports")[1]
    response = client.get(
        "/api/v1/reports/summary?from=2025-04-01&to=2026-03-31",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["sessions_held"] == 3
    assert body["sessions_cancelled"] == 1
    assert body["attendances"] == 6
    assert body["distinct_learners"] == 5
    assert body["new_learners"] == 4
    assert body["avg_learners_per_session"] == 2.0
    assert body["no_show_rate"] == 0.3
    assert {d["district"]: d["learners"] for d in body["by_district"]} == {
        "中央": 2,
        "北部": 2,
        None: 1,
    }
    assert body["by_age_band"]["80_plus"] == 1
    assert [c["key"] for c in body["by_course"]] == ["course-a", "course-b"]
    bad = client.get(
        "/api/v1/reports/summary?from=2025-13-01", headers={"Authorization": f"Bearer {token}"}
    )
    assert bad.status_code == 422
    assert "from" in bad.get_json()["error"]["fields"]


def test_a_long_list_is_paged(client, program):
    dataset.add_attendees(program, "s5", PER_PAGE + 5)
    login(client, program.users["coordinator"])
    first = page(client, "/reports/learners?year=2025&facet=all")
    assert first.count("data-learner=") == PER_PAGE
    second = page(client, "/reports/learners?year=2025&facet=all&page=2")
    assert second.count("data-learner=") == 5 + 5


@pytest.mark.parametrize(
    "url",
    [
        "/reports/?year=2025",
        "/reports/?year=2025&view=reach",
        "/reports/?year=2025&view=outcomes",
        "/reports/learners?year=2025&facet=all",
    ],
)
def test_a_page_costs_the_same_queries_whatever_its_rows(client, program, url):
    login(client, program.users["coordinator"])
    small = count_queries(lambda: page(client, url))
    dataset.add_attendees(program, "s5", 25)
    assert count_queries(lambda: page(client, url)) == small


@pytest.mark.parametrize(
    ("view", "shows", "not_shown"),
    [
        ("overview", 'data-figure="longest_waitlist"', 'id="by-district"'),
        ("sessions", 'id="month-title"', 'data-figure="longest_waitlist"'),
        ("reach", 'id="by-district"', 'id="month-title"'),
        ("outcomes", 'data-figure="further_course"', 'id="by-district"'),
    ],
)
def test_each_view_shows_its_own_figures_and_keeps_the_filter(
    client, program, view, shows, not_shown
):
    login(client, program.users["coordinator"])
    html = page(client, f"/reports/?year=2025&district=北部&view={view}")
    assert shows in html
    assert not_shown not in html
    assert f'aria-current="page" data-view="{view}"' in html
    # Every tab carries the filter.
    assert html.count("district=%E5%8C%97%E9%83%A8&amp;view=") >= 4


def test_new_and_returning_say_what_they_count_and_numbers_have_separators(client, program):
    for s in program.sessions.values():
        s.capacity = 1200  # 1,200 seats a session: the seats figure runs into thousands
    db.session.commit()
    login(client, program.users["coordinator"])
    html = page(client, "/reports/?year=2025")
    # "以前から来ている 0" read as "nobody came back": the label says before what.
    assert "以前から来ている受講者" not in html
    assert "この期間より前にも来ていた受講者" in html
    assert "2025年4月1日(火)より前にも出席" in html
    assert "この期間に初めて来た受講者" in html
    seats = re.search(r"/ ([\d,]+)席", figure(html, "capacity_filled")).group(1)
    assert re.fullmatch(r"\d{1,3}(,\d{3})+", seats), seats
    people = page(client, "/reports/learners?year=2025&facet=returning")
    assert "この期間より前にも来ていた受講者" in people
