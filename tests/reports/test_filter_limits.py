"""A report's filter costs little whatever it is given: the period is capped at ten years and
kept inside 2000–2100, and a partner cannot tell which organization slugs exist."""

from __future__ import annotations

import pytest

from app.auth.services import create_token
from tests.conftest import login

CENTURIES = "from=1000-01-01&to=9000-12-31"


@pytest.fixture
def orgs(make):
    return {"mine": make.org(slug="npo-mine"), "theirs": make.org(slug="npo-theirs")}


def _api(client, user, path):
    token = create_token(user)[1]
    return client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (CENTURIES, "from"),
        ("from=2000-01-01&to=2010-01-01", "to"),  # one day past ten years
        ("from=2000-01-01", "from"),  # to: the end of this 年度, more than ten years on
        ("to=2100-12-31", "to"),  # from: the start of this 年度
        ("from=0001-01-01&to=0001-12-31", "from"),
        ("from=9999-01-01&to=9999-12-31", "to"),
    ],
)
def test_a_period_past_ten_years_or_outside_2000_to_2100_is_422_naming_the_field(
    client, make, query, field
):
    coordinator = make.user("coordinator")
    for path in ("/reports/summary", "/reports/sessions.csv", "/reports/sessions.xlsx"):
        response = _api(client, coordinator, f"{path}?{query}")
        assert response.status_code == 422, (path, response.get_data(as_text=True)[:300])
        assert field in response.get_json()["error"]["fields"]


def test_ten_whole_years_are_fine(client, make):
    coordinator = make.user("coordinator")
    response = _api(client, coordinator, "/reports/summary?from=2016-04-01&to=2026-03-31")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["from"] == "2016-04-01"


@pytest.mark.parametrize(
    ("path", "beside"),
    [
        ("/reports/", 'id="filter-from-error"'),
        ("/reports/follow-up", 'id="filter-from-error"'),
        # The lists behind a figure have no filter form: they name the field in their message.
        ("/reports/sessions", "<li>from: "),
        ("/reports/learners", "<li>from: "),
    ],
)
def test_the_pages_show_the_range_with_the_field(client, make, path, beside):
    login(client, make.user("coordinator"))
    response = client.get(f"{path}?view=sessions&{CENTURIES}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert beside in html
    assert "2000-01-01から2100-12-31まで" in html


def test_the_page_names_the_ten_year_cap(client, make):
    login(client, make.user("coordinator"))
    response = client.get("/reports/?view=sessions&from=2001-01-01&to=2020-12-31")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="filter-to-error"' in html
    assert "10年以内" in html


@pytest.mark.parametrize("path", ["/reports/sessions.csv", "/reports/sessions.xlsx"])
def test_the_page_downloads_refuse_the_cap_with_the_field(client, make, path):
    login(client, make.user("coordinator"))
    response = client.get(f"{path}?{CENTURIES}")
    assert response.status_code == 422
    assert "(from)" in response.get_data(as_text=True)


def test_the_figures_workbook_refuses_centuries(client, make):
    login(client, make.user("coordinator"))
    assert client.get(f"/reports/figures.xlsx?{CENTURIES}").status_code == 422


def test_a_partner_gets_the_same_answer_for_an_unknown_slug_as_for_another_organizations(
    client, make, orgs
):
    partner = make.user("partner", org=orgs["mine"])
    theirs = _api(client, partner, "/reports/summary?partner=npo-theirs")
    unknown = _api(client, partner, "/reports/summary?partner=npo-nobody")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.get_json()["error"]["code"] == unknown.get_json()["error"]["code"]
    assert set(theirs.get_json()["error"]) == set(unknown.get_json()["error"])
    assert theirs.get_json()["error"]["message"].replace("npo-theirs", "X") == unknown.get_json()[
        "error"
    ]["message"].replace("npo-nobody", "X")
    # The page answers both alike too.
    login(client, partner)
    assert client.get("/reports/?partner=npo-theirs").status_code == 404
    assert client.get("/reports/?partner=npo-nobody").status_code == 404
    # Their own slug is their own report.
    assert _api(client, partner, "/reports/summary?partner=npo-mine").status_code == 200


def test_a_coordinator_is_told_which_field_names_an_unknown_organization(client, make, orgs):
    response = _api(client, make.user("coordinator"), "/reports/summary?partner=npo-nobody")
    assert response.status_code == 422
    assert "partner" in response.get_json()["error"]["fields"]
    other = _api(client, make.user("coordinator"), "/reports/summary?partner=npo-theirs")
    assert other.status_code == 200
