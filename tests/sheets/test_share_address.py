"""The partner page tells whom to share the spreadsheet with: the address of the service
account whose key the installation is configured with. Without one, a partner is told that
the city must set it up, and an admin what to configure; never the key itself."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import login

EMAIL = "dekiru-sheets@wakaba-city.iam.gserviceaccount.com"
PRIVATE = (
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
)
ENV_NAMES = ("SHEETS_CREDENTIALS", "SHEETS_ACCESS_TOKEN")


def _key_file(folder, email=EMAIL):
    path = folder / "sheets-key.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "wakaba-city",
                "private_key_id": "abc123",
                "private_key": PRIVATE,
                "client_email": email,
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def people(make):
    org = make.org(slug="npo-ours", name="NPOつなぐ")
    return {
        "org": org,
        "partner": make.user("partner", org=org),
        "coordinator": make.user("coordinator"),
        "admin": make.user("admin"),
    }


def _sheet_section(app, user, org) -> str:
    client = app.test_client()  # a browser of its own for each person
    login(client, user)
    response = client.get(f"/orgs/{org.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return page[page.index('id="sheet"') : page.index("</section>", page.index('id="sheet"'))]


@pytest.mark.parametrize("role", ["partner", "coordinator", "admin"])
def test_the_page_shows_the_service_accounts_address_from_the_key(app, people, tmp_path, role):
    app.config.update(SHEETS_CREDENTIALS=str(_key_file(tmp_path)), SHEETS_ACCESS_TOKEN=None)
    section = _sheet_section(app, people[role], people["org"])
    assert "次のメールアドレスに「編集者」として共有してください" in section
    assert EMAIL in section
    assert "PRIVATE KEY" not in section
    assert "abc123" not in section
    assert "設定されていません" not in section


def test_a_replaced_key_shows_its_new_address(app, people, tmp_path):
    key = _key_file(tmp_path)
    app.config.update(SHEETS_CREDENTIALS=str(key), SHEETS_ACCESS_TOKEN=None)
    assert EMAIL in _sheet_section(app, people["partner"], people["org"])
    _key_file(tmp_path, email="dekiru-new@wakaba-city.iam.gserviceaccount.com")
    stat = key.stat()
    os.utime(key, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    section = _sheet_section(app, people["partner"], people["org"])
    assert "dekiru-new@wakaba-city.iam.gserviceaccount.com" in section
    assert EMAIL not in section


def test_without_credentials_a_partner_is_told_the_city_sets_it_up(app, people):
    app.config.update(SHEETS_CREDENTIALS=None, SHEETS_ACCESS_TOKEN=None)
    for role in ("partner", "coordinator"):
        section = _sheet_section(app, people[role], people["org"])
        assert "Googleスプレッドシートとの連携がまだ設定されていません" in section
        assert "設定は市(Dekiruの管理者)が行います" in section
        assert not any(name in section for name in ENV_NAMES)


def test_without_credentials_an_admin_is_told_what_to_configure(app, people):
    app.config.update(SHEETS_CREDENTIALS=None, SHEETS_ACCESS_TOKEN=None)
    section = _sheet_section(app, people["admin"], people["org"])
    assert "Googleスプレッドシートとの連携がまだ設定されていません" in section
    assert "SHEETS_CREDENTIALS に、Google Cloud で作ったサービスアカウントの JSON キー" in section


def test_a_file_that_is_not_a_key_is_named_to_the_admin_only(app, people, tmp_path):
    broken = tmp_path / "not-a-key.json"
    broken.write_text("{", encoding="utf-8")
    app.config.update(SHEETS_CREDENTIALS=str(broken), SHEETS_ACCESS_TOKEN=None)
    section = _sheet_section(app, people["partner"], people["org"])
    assert "連携の設定に問題があります" in section
    assert str(broken) not in section
    assert "SHEETS_CREDENTIALS" not in section
    section = _sheet_section(app, people["admin"], people["org"])
    assert str(broken) in section


def test_with_only_a_token_the_partner_asks_the_city_for_the_address(app, people):
    app.config.update(SHEETS_CREDENTIALS=None, SHEETS_ACCESS_TOKEN="a-token")
    section = _sheet_section(app, people["partner"], people["org"])
    assert "共有先のメールアドレスは市の担当者にお問い合わせください" in section
    assert not any(name in section for name in ENV_NAMES)
