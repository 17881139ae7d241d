"""API tokens may expire, and the tokens page says when each was last used."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from app.auth.models import ApiToken
from app.auth.services import create_token
from app.extensions import db
from app.timeutil import utcnow
from tests.conftest import login

PAGE = "/account/tokens"


def _api(client, plain):
    return client.get("/api/v1/venues", headers={"Authorization": f"Bearer {plain}"})


def _token(prefix_or_id) -> ApiToken:
    db.session.expire_all()
    return db.session.scalar(sa.select(ApiToken).where(ApiToken.id == prefix_or_id))


def test_a_token_made_on_the_page_with_an_expiry_is_refused_after_it(make, client):
    user = make.user("instructor")
    login(client, user)
    page = client.post(PAGE, data={"label": "受付", "expires_days": "30"}).get_data(as_text=True)
    plain = re.search(r'<code class="token">([^<]+)</code>', page).group(1)
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    assert abs(token.expires_at - (utcnow() + timedelta(days=30))) < timedelta(minutes=1)
    assert _api(client, plain).status_code == 200
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = _api(client, plain)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    listing = client.get(PAGE).get_data(as_text=True)
    assert "期限切れ" in listing


def test_a_token_without_an_expiry_keeps_working(make, client):
    token, plain = create_token(make.user("instructor"))
    assert token.expires_at is None
    assert _api(client, plain).status_code == 200


def test_the_expiry_is_a_number_of_days_from_1_to_3650(make, client):
    login(client, make.user("instructor"))
    for wrong in ("0", "3651", "-1", "abc"):
        response = client.post(PAGE, data={"label": "x", "expires_days": wrong})
        assert response.status_code == 422, wrong
        assert "1から3650までの日数" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_the_tokens_page_shows_when_each_token_was_last_used(make, client):
    user = make.user("instructor")
    token, plain = create_token(user, "受付タブレット")
    login(client, user)
    assert "まだ使われていません" in client.get(PAGE).get_data(as_text=True)
    assert _api(client, plain).status_code == 200
    used = _token(token.id).last_used_at
    assert used is not None
    assert utcnow() - used < timedelta(minutes=1)
    assert "まだ使われていません" not in client.get(PAGE).get_data(as_text=True)


def test_last_use_is_written_at_most_once_a_minute(make, client):
    token, plain = create_token(make.user("instructor"))
    recent = utcnow().replace(microsecond=0) - timedelta(seconds=30)
    _token(token.id).last_used_at = recent
    db.session.commit()
    _api(client, plain)
    assert _token(token.id).last_used_at == recent
    _token(token.id).last_used_at = recent - timedelta(minutes=1)
    db.session.commit()
    _api(client, plain)
    assert _token(token.id).last_used_at > recent


def test_create_token_takes_an_expiry_in_days(make, runner):
    user = make.user("coordinator")
    result = runner.invoke(args=["create-token", user.email, "--expires-days", "7"])
    assert result.exit_code == 0, result.output
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    assert abs(token.expires_at - (utcnow() + timedelta(days=7))) < timedelta(minutes=1)
    refused = runner.invoke(args=["create-token", user.email, "--expires-days", "0"])
    assert refused.exit_code != 0
    assert "expires" in refused.output.lower() or "3650" in refused.output
