"""Security headers on every answer: a script policy with a nonce per answer and no other
origin, no framing, no referrer across sites, no sniffing, HSTS over HTTPS."""

from __future__ import annotations

import re

import pytest

from app.config import REPO_ROOT
from tests.conftest import login, make_app

TEMPLATES = REPO_ROOT / "templates"


def _policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _nonce(response) -> str:
    (nonce,) = [
        v[len("'nonce-") : -1] for v in _policy(response)["script-src"] if v.startswith("'nonce-")
    ]
    return nonce


@pytest.mark.parametrize(
    "path",
    ["/login", "/public/sessions", "/api/v1/openapi.json", "/static/css/app.css", "/no-such-page"],
)
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    assert "'wasm-unsafe-eval'" in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_other_origin_may_give_scripts_styles_or_anything(client):
    header = client.get("/login").headers["Content-Security-Policy"]
    assert not re.search(r"https?:|\*|'unsafe-eval'|data:", header), header
    assert "'unsafe-inline'" not in " ".join(_policy(client.get("/login"))["script-src"])


def test_each_answer_has_its_own_nonce_and_the_inline_scripts_carry_it(make, client):
    login(client, make.user("coordinator"))
    session = make.session()
    first = client.get(f"/sessions/{session.id}/registrations")
    second = client.get(f"/sessions/{session.id}/registrations")
    assert _nonce(first) != _nonce(second)
    page = first.get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts, "the registrations page has its search script"
    assert all(f'nonce="{_nonce(first)}"' in tag for tag in scripts if "src=" not in tag)


def _inline_scripts_and_handlers():
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            executable = "application/json" not in tag and "src=" not in tag
            if executable and 'nonce="{{ csp_nonce() }}"' not in tag:
                yield f"{path.relative_to(TEMPLATES)}: {tag}"
        for handler in re.findall(r"<[^>]*\son[a-z]+=\"[^>]*>", text):
            yield f"{path.relative_to(TEMPLATES)}: {handler}"


def test_every_inline_script_in_the_templates_has_the_nonce_and_none_is_an_attribute():
    """The policy refuses the rest: a script without the nonce, an onclick=, would not run."""
    assert list(_inline_scripts_and_handlers()) == []


def test_the_achievements_page_stays_cacheable_with_a_policy_per_answer(client):
    """A cached page cannot hold a nonce (the next answer's policy would refuse it), so the
    public pages' own scripts are files."""
    first = client.get("/public/achievements?lang=ja")
    again = client.get(
        "/public/achievements?lang=ja", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert "<script>" not in first.get_data(as_text=True)


def test_hsts_is_sent_over_https_only(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://dekiru.test")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_behind_a_trusted_proxy_its_https_is_believed(database, tmp_path):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    direct = make_app(database, tmp_path).test_client()
    assert "Strict-Transport-Security" not in direct.get("/login", headers=forwarded).headers
    proxied = make_app(database, tmp_path, TRUSTED_PROXIES=1).test_client()
    assert "Strict-Transport-Security" in proxied.get("/login", headers=forwarded).headers


def test_production_sends_hsts_even_when_the_proxy_is_not_configured(database, tmp_path):
    """Production's cookies need HTTPS, so it is always served over HTTPS; browsers ignore
    the header on plain HTTP anyway."""
    app = make_app(database, tmp_path, SESSION_COOKIE_SECURE=True)
    assert "Strict-Transport-Security" in app.test_client().get("/login").headers
