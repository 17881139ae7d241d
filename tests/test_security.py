"""Who may reach what: declared roles on every route, CSRF on every form, safe redirects."""

from __future__ import annotations

import re

from app.auth.access import PUBLIC
from app.auth.services import create_token
from tests.conftest import PASSWORD, login, make_app


def test_every_route_declares_who_may_use_it(app):
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not getattr(view, "allowed_roles", None)
    ]
    assert undeclared == []


def test_only_login_language_health_and_openapi_are_public(app):
    public = sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if PUBLIC in getattr(view, "allowed_roles", ())
    )
    assert public == [
        "api.openapi_json",
        "auth.login",
        "calendars.instructor_feed",
        "calendars.learner_feed",
        "calendars.org_feed",
        "calendars.public_feed",
        "calendars.session_ics",
        "calendars.venue_feed",
        "checkin.door_worker",  # the service worker's code and file list: no one's data
        "core.index",
        "core.set_language",
        "jobs.healthz",
        "mail.settings_signed",  # the signed link in each mail: one address's choices only
        "public.achievements",
        "public.confirmation",
        "public.session_list",
        "public.signup_form",
        "public.survey_answer",  # the survey by a printed sheet's QR: that sheet's answer only
    ]


def _csrf_app(database, tmp_path):
    return make_app(database, tmp_path, WTF_CSRF_ENABLED=True)


def test_a_form_post_without_csrf_token_is_refused(database, tmp_path, make):
    user = make.user("coordinator")
    app = _csrf_app(database, tmp_path)
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "送信できませんでした" in response.get_data(as_text=True)


def test_a_form_post_with_the_pages_csrf_token_works(database, tmp_path, make):
    user = make.user("coordinator")
    app = _csrf_app(database, tmp_path)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_logout_is_a_post_with_csrf(database, tmp_path, make):
    app = _csrf_app(database, tmp_path)
    client = app.test_client()
    assert client.get("/logout").status_code == 405


def test_wrong_password_is_refused_without_saying_which_part(make, client):
    user = make.user("coordinator")
    response = client.post("/login", data={"email": user.email, "password": "wrong password"})
    assert response.status_code == 200
    assert "メールアドレスかパスワードが違います" in response.get_data(as_text=True)
    assert client.get("/sessions").status_code == 302


def test_login_never_redirects_off_site(make, client):
    user = make.user("coordinator")
    response = client.post(
        "/login?next=https://evil.example/", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_pages_ask_for_login(client):
    response = client.get("/sessions")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_language_switch_to_english_and_back(make, client):
    login(client, make.user("coordinator"))
    client.post("/language", data={"lang": "en", "next": "/account/tokens"})
    page = client.get("/account/tokens").get_data(as_text=True)
    assert '<html lang="en">' in page
    client.post("/language", data={"lang": "ja", "next": "/account/tokens"})
    assert '<html lang="ja">' in client.get("/account/tokens").get_data(as_text=True)


def test_personal_api_tokens_are_shown_once_and_revocable(make, client):
    user = make.user("instructor")
    login(client, user)
    page = client.post("/account/tokens", data={"label": "受付タブレット"}).get_data(as_text=True)
    token = re.search(r'<code class="token">([^<]+)</code>', page).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/venues", headers=headers).status_code == 200
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert token not in listing
    assert "受付タブレット" in listing
    token_id = re.search(r"/account/tokens/(\d+)/revoke", listing).group(1)
    client.post(f"/account/tokens/{token_id}/revoke")
    assert client.get("/api/v1/venues", headers=headers).status_code == 401


def test_nobody_revokes_someone_elses_token(make, client):

    owner = make.user("instructor")
    token, plain = create_token(owner)
    login(client, make.user("instructor"))
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert (
        client.get("/api/v1/venues", headers={"Authorization": f"Bearer {plain}"}).status_code
        == 200
    )
