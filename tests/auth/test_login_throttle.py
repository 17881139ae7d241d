"""Guessing passwords is slowed down: failures per account and per address are counted, and
past a handful the login answers 429 with a plain message and how long to wait."""

from __future__ import annotations

import socket
import uuid

import pytest

from app import create_app
from app.auth import models
from app.extensions import db
from tests.conftest import PASSWORD, make_app

ACCOUNT_FAILURES = 5  # LOGIN_LIMIT_PER_ACCOUNT: 5 per 15 minutes
ADDRESS_FAILURES = 20  # LOGIN_LIMIT_PER_ADDRESS: 20 per 15 minutes


def _try(client, email, password, address="192.0.2.10"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _fail(client, email, times, address="192.0.2.10"):
    for _n in range(times):
        response = _try(client, email, "not the password", address)
        assert response.status_code == 200, response.status_code


def test_after_five_failures_the_account_gets_429_with_a_plain_message_and_the_wait(make, client):
    user = make.user("coordinator")
    _fail(client, user.email, ACCOUNT_FAILURES)
    response = _try(client, user.email, "not the password")
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= 15 * 60
    page = response.get_data(as_text=True)
    assert "パスワードの誤りが続いたため" in page
    assert f"{-(-wait // 60)}分ほど待って" in page


def test_while_locked_the_right_password_is_refused_too(make, client):
    user = make.user("coordinator")
    _fail(client, user.email, ACCOUNT_FAILURES)
    assert _try(client, user.email, PASSWORD).status_code == 429
    assert client.get("/sessions").status_code == 302  # not logged in


def test_the_account_is_locked_whatever_the_address(make, client):
    user = make.user("coordinator")
    for n in range(ACCOUNT_FAILURES):
        _fail(client, user.email.upper(), 1, address=f"198.51.100.{n}")
    assert _try(client, user.email, PASSWORD, address="203.0.113.9").status_code == 429


def test_successful_logins_are_not_counted(make, client):
    user = make.user("coordinator")
    for _n in range(ACCOUNT_FAILURES * 3):
        assert _try(client, user.email, PASSWORD).status_code == 302
    _fail(client, user.email, ACCOUNT_FAILURES - 1)
    assert _try(client, user.email, PASSWORD).status_code == 302


def test_one_locked_account_leaves_the_others_alone(make, client):
    locked, other = make.user("coordinator"), make.user("instructor")
    _fail(client, locked.email, ACCOUNT_FAILURES)
    assert _try(client, other.email, PASSWORD).status_code == 302


def test_failures_from_one_address_across_many_accounts_are_limited(make, client):
    user = make.user("coordinator")
    for n in range(ADDRESS_FAILURES):
        _fail(client, f"nobody{n}@example.jp", 1, address="192.0.2.66")
    assert _try(client, user.email, PASSWORD, address="192.0.2.66").status_code == 429
    assert _try(client, user.email, PASSWORD, address="192.0.2.67").status_code == 302


def test_behind_a_trusted_proxy_the_clients_address_is_counted(database, tmp_path, make):
    """Not the proxy's, which every client shares: one client would lock out everyone."""
    user = make.user("coordinator")
    proxy = make_app(database, tmp_path, TRUSTED_PROXIES=1).test_client()

    def attempt(client_address, email, password="wrong"):
        return proxy.post(
            "/login",
            data={"email": email, "password": password},
            headers={"X-Forwarded-For": client_address},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )

    for n in range(ADDRESS_FAILURES):
        assert attempt("203.0.113.5", f"nobody{n}@example.jp").status_code == 200
    assert attempt("203.0.113.5", user.email, PASSWORD).status_code == 429
    assert attempt("203.0.113.6", user.email, PASSWORD).status_code == 302


def test_the_wait_is_said_in_english_too(make, client):
    user = make.user("coordinator")
    client.post("/language", data={"lang": "en", "next": "/login"})
    _fail(client, user.email, ACCOUNT_FAILURES)
    page = _try(client, user.email, PASSWORD).get_data(as_text=True)
    assert "Too many wrong passwords" in page


def test_an_unknown_or_inactive_email_checks_a_password_hash_as_a_wrong_password_does(
    make, client, monkeypatch
):
    """The same work for every refusal, so that the time taken does not tell whether an
    address has an account. Counted through werkzeug's own check, which we only watch."""
    user = make.user("coordinator")
    retired = make.user("instructor")
    retired.active = False
    db.session.commit()
    checked: list[str] = []
    real_check = models.check_password_hash

    def watched(pwhash, password):
        checked.append(pwhash.split("$", 1)[0])  # the method and its cost, e.g. scrypt:32768:8:1
        return real_check(pwhash, password)

    monkeypatch.setattr(models, "check_password_hash", watched)
    for email in (user.email, "nobody@example.jp", retired.email):
        checked.clear()
        assert _try(client, email, "not the password").status_code == 200
        assert checked == [user.password_hash.split("$", 1)[0]], email


def test_each_app_counts_its_own_failures(database, tmp_path, make):
    user = make.user("coordinator")
    first = make_app(database, tmp_path).test_client()
    _fail(first, user.email, ACCOUNT_FAILURES)
    assert _try(first, user.email, PASSWORD).status_code == 429
    second = make_app(database, tmp_path).test_client()
    assert _try(second, user.email, PASSWORD).status_code == 302


def _redis_reachable(host="127.0.0.1", port=6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def test_the_counts_are_kept_in_redis_when_redis_url_is_set(monkeypatch, tmp_path):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    app = create_app({"SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    monkeypatch.delenv("REDIS_URL")
    app = create_app({"SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis at 127.0.0.1:6379")
def test_with_redis_two_servers_share_the_count(database, tmp_path, make, monkeypatch):
    """Two processes behind one address (here two apps) see the same failures."""
    user = make.user("coordinator", email=f"redis-{uuid.uuid4().hex[:8]}@example.jp")
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"  # fresh keys each run
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    first = make_app(database, tmp_path).test_client()
    _fail(first, user.email, ACCOUNT_FAILURES, address=address)
    second = make_app(database, tmp_path).test_client()
    assert _try(second, user.email, PASSWORD, address=address).status_code == 429
