"""The survey's figures equal a count by hand of a made set of answers."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl

from app.auth.services import create_token
from app.extensions import db
from app.fiscal import FiscalYear
from app.surveys import results
from app.surveys.models import SurveyAnswer
from app.timeutil import utcnow
from tests.checkin.support import move
from tests.conftest import login

# Ten sheets of one class, as typed in: (satisfaction, someone to ask, learn next).
PAPERS = [
    (5, True, 1), (5, True, 2), (4, False, 1), (4, True, None), (3, None, 3),
    (5, False, 1), (2, True, None), (None, True, 2), (4, False, 1), (5, True, 6),
]  # fmt: skip
# By hand: satisfaction 5,5,4,4,3,5,2,4,5 → 37 / 9; yes 6 of 9; LINE (1) chosen 4 times.
SATISFACTION_MEAN = 37 / 9
SOMEONE_SHARE = 6 / 9


def _save(session, rows):
    for sat, ask, nxt in rows:
        answers = {
            k: v
            for k, v in {"satisfaction": sat, "someone-to-ask": ask, "learn-next": nxt}.items()
            if v is not None
        }
        db.session.add(SurveyAnswer(session_id=session.id, source="paper", answers=answers))
    db.session.commit()


def test_session_figures_equal_the_hand_count(client, held):
    _save(held.session, PAPERS)
    _questions, _rows, found = results.session_figures(held.session)
    assert found.answers == 10
    assert abs(found.satisfaction_mean - SATISFACTION_MEAN) < 1e-9
    assert abs(found.someone_to_ask_share - SOMEONE_SHARE) < 1e-9
    by_id = {f.question.id: f for f in found.questions}
    assert by_id["satisfaction"].counts == [("1", 0), ("2", 1), ("3", 1), ("4", 3), ("5", 4)]
    assert [n for _label, n in by_id["learn-next"].counts] == [4, 2, 1, 0, 0, 1]

    login(client, held.teacher)
    page = client.get(f"/sessions/{held.session.id}/survey").get_data(as_text=True)
    assert "回答 10件" in page
    assert "平均 4.11(9人が回答)" in page
    assert "「はい」67%(9人が回答)" in page

    download = client.get(f"/sessions/{held.session.id}/survey?format=csv")
    lines = list(csv.reader(io.StringIO(download.get_data().decode("utf-8-sig"))))
    assert len(lines) == 11
    assert lines[1][-4:] == ["5", "はい", "LINE(ライン)", ""]


def test_course_figures_by_fiscal_year_and_the_overview(client, held, make):
    _save(held.session, PAPERS[:6])  # by hand: 26 / 6; yes 3 of 5
    # The same course a year earlier: another 年度, not counted in this one.
    earlier = make.session(course=held.session.course_version.course)
    move(
        earlier,
        starts=utcnow() - timedelta(days=400),
        ends=utcnow() - timedelta(days=400) + timedelta(hours=1),
    )
    _save(earlier, [(1, False, None)] * 3)
    this_year = FiscalYear.of(held.session.starts_at)

    _q, _r, found = results.course_figures(held.session.course_version.course, this_year)
    assert found.answers == 6
    assert abs(found.satisfaction_mean - 26 / 6) < 1e-9
    _q, _r, all_years = results.course_figures(held.session.course_version.course, None)
    assert all_years.answers == 9

    login(client, held.coordinator)
    # /surveys is the reports dashboard's アンケート view now.
    overview = client.get(f"/surveys?year={this_year.year}", follow_redirects=True)
    assert overview.request.path == "/reports/"
    text = overview.get_data(as_text=True)
    assert held.session.course_version.title in text
    assert "4.33" in text
    assert "60.0%" in text

    slug = held.session.course_version.course.slug
    book = client.get(f"/surveys/courses/{slug}?year={this_year.year}&format=xlsx")
    sheets = openpyxl.load_workbook(io.BytesIO(book.get_data()))
    assert sheets.sheetnames == ["集計", "回答"]
    assert sheets["回答"].max_row == 7


def test_the_reports_summary_has_the_survey(client, held, make):
    _save(held.session, PAPERS)
    year = FiscalYear.of(held.session.starts_at).year
    token = create_token(held.coordinator)[1]
    body = client.get(
        f"/api/v1/reports/summary?year={year}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    slug = held.session.course_version.course.slug
    assert body["survey"] == {
        "answers": 10,
        "satisfaction_mean": round(SATISFACTION_MEAN, 2),
        "someone_to_ask_share": round(SOMEONE_SHARE, 4),
        "by_course": [
            {
                "course": slug,
                "label": held.session.course_version.title,
                "answers": 10,
                "satisfaction_mean": round(SATISFACTION_MEAN, 2),
                "someone_to_ask_share": round(SOMEONE_SHARE, 4),
            }
        ],
    }
    # A partner's summary counts its own classes only: this one is not theirs.
    partner = make.user("partner", org=make.org())
    theirs = client.get(
        f"/api/v1/reports/summary?year={year}",
        headers={"Authorization": f"Bearer {create_token(partner)[1]}"},
    ).get_json()
    assert theirs["survey"]["answers"] == 0
