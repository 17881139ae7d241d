"""A spreadsheet belongs to one organization: linking one that another organization already
linked is refused, by the page and by `flask link-sheet`, without naming the other."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.errors import ValidationError
from app.extensions import db
from app.sheets.models import SheetLink
from app.sheets.sync import link_sheet
from tests.conftest import login

KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
URL = f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0"


@pytest.fixture
def orgs(make):
    first = make.org(slug="npo-first", name="NPO先に登録")
    second = make.org(slug="npo-second", name="NPOあとから")
    link_sheet(first, KEY)
    return first, second


def _links() -> dict[int, str]:
    db.session.expire_all()
    return {link.org_id: link.spreadsheet_key for link in db.session.scalars(sa.select(SheetLink))}


def test_the_service_refuses_a_key_another_organization_linked(orgs):
    first, second = orgs
    with pytest.raises(ValidationError) as refused:
        link_sheet(second, URL)
    assert "spreadsheet" in refused.value.fields
    assert "別の団体" in refused.value.fields["spreadsheet"]
    assert _links() == {first.id: KEY}


def test_an_organization_may_link_its_own_key_again(orgs):
    first, _second = orgs
    link_sheet(first, URL)
    assert _links() == {first.id: KEY}


def test_the_page_refuses_it_beside_the_field_without_naming_the_other(orgs, make, client):
    first, second = orgs
    login(client, make.user("partner", org=second))
    response = client.post(f"/orgs/{second.id}/sheet", data={"spreadsheet": URL})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "別の団体につながっています" in html
    assert first.name not in html
    assert first.slug not in html
    assert _links() == {first.id: KEY}


def test_the_cli_refuses_it_without_naming_the_other(orgs, runner):
    first, second = orgs
    result = runner.invoke(args=["link-sheet", second.slug, KEY])
    assert result.exit_code != 0
    assert "別の団体につながっています" in result.output
    assert first.slug not in result.output
    assert first.name not in result.output
    assert _links() == {first.id: KEY}
