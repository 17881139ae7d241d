"""「通知の設定」: by the signed link in each mail with no login, and for staff at a plain URL."""

from __future__ import annotations

import re

from app.mail.outbox import locale_for, wants
from tests.conftest import login, make_app, run_jobs
from tests.mail.conftest import CANCEL, CHANGE, OTHER, parts, tell


def _link_in_mail(app, smtp) -> str:
    tell(to="contact@npo.example.jp", batch=False)
    run_jobs(app)
    text = parts(smtp.received[-1].mail)["text/plain"][0].get_content()
    return re.search(r"http://dekiru\.test(/mail/settings/\S+)", text).group(1)


def test_the_link_in_a_mail_opens_the_settings_without_login(app, make, smtp, client):
    path = _link_in_mail(app, smtp)
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "contact@npo.example.jp" in html
    assert f'value="{CHANGE}"' in html
    assert f'value="{OTHER}"' in html
    # The cancellation notices are listed as always sent, with no box to untick.
    assert f'value="{CANCEL}"' not in html
    assert "講座の中止(テスト)" in html

    saved = client.post(path, data={"locale": "en", "receive": [OTHER]})
    assert saved.status_code == 302
    assert locale_for("contact@npo.example.jp") == "en"
    assert not wants("contact@npo.example.jp", CHANGE)
    assert wants("contact@npo.example.jp", OTHER)
    again = client.get(path).get_data(as_text=True)
    assert '<html lang="en">' in again  # the page now speaks the language chosen
    assert re.search(rf'checked[^>]*value="{OTHER}"|value="{OTHER}"[^>]*checked', again)
    assert not re.search(rf'checked[^>]*value="{CHANGE}"|value="{CHANGE}"[^>]*checked', again)


def test_a_tampered_link_is_404(app, make, smtp, client):
    path = _link_in_mail(app, smtp)
    assert client.get(path[:-2] + ("xy" if not path.endswith("xy") else "zz")).status_code == 404
    assert client.get("/mail/settings/not-a-token").status_code == 404


def test_bad_input_is_refused_naming_the_field(app, make, smtp, client):
    path = _link_in_mail(app, smtp)
    response = client.post(path, data={"locale": "fr", "receive": [CHANGE]})
    assert response.status_code == 422
    assert "ja か en" in response.get_data(as_text=True)
    assert locale_for("contact@npo.example.jp") == "ja"


def test_staff_choose_for_their_own_address(app, make, client):
    user = make.user("instructor", email="teacher@example.jp")
    assert client.get("/account/notifications").status_code == 302
    login(client, user)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "teacher@example.jp" in page
    client.post("/account/notifications", data={"locale": "en", "receive": []})
    assert locale_for("Teacher@Example.jp") == "en"
    assert not wants("teacher@example.jp", CHANGE)
    assert tell(to="teacher@example.jp") is None


def test_the_settings_form_needs_its_csrf_token(database, tmp_path, make):
    app = make_app(database, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    user = make.user("coordinator")
    client.post(
        "/login",
        data={"email": user.email, "password": "correct horse battery", "csrf_token": token},
    )
    assert client.post("/account/notifications", data={"locale": "en"}).status_code == 400
