"""The `make run` path: the CLI commands in order on an empty database."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.auth.models import ApiToken, User
from app.config import REPO_ROOT
from app.extensions import db
from app.scheduling.models import Session
from tests.conftest import make_app


def test_commands_in_order_on_an_empty_database(database, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}" if database == "sqlite" else database
    app = make_app(database, tmp_path, SQLALCHEMY_DATABASE_URI=url)
    if database != "sqlite":
        # The shared PostgreSQL schema was built by create_all; start this run from nothing.
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    runner = app.test_cli_runner()
    try:
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        result = runner.invoke(args=["load-curricula", str(REPO_ROOT / "curricula")])
        assert result.exit_code == 0, result.output
        result = runner.invoke(args=["demo-data", "--if-empty"])
        assert result.exit_code == 0, result.output
        assert "@" in result.output  # the demo logins are printed
        result = runner.invoke(
            args=["create-user", "sato@example.jp", "--role", "coordinator", "--name", "佐藤"],
            input="a long enough password\n",
        )
        assert result.exit_code == 0, result.output
        result = runner.invoke(args=["create-token", "sato@example.jp"])
        assert result.exit_code == 0, result.output
        token = result.output.strip().splitlines()[-1]
        # Running the setup again keeps the data.
        assert runner.invoke(args=["init-db"]).exit_code == 0
        assert runner.invoke(args=["demo-data", "--if-empty"]).exit_code == 0
        with app.app_context():
            assert db.session.scalar(sa.select(User).where(User.email == "sato@example.jp"))
            assert db.session.scalar(sa.select(sa.func.count(Session.id))) > 0
            assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1
        response = app.test_client().get(
            "/api/v1/sessions", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        assert response.get_json()["total"] > 0
    finally:
        with app.app_context():
            db.session.remove()
            if database != "sqlite":
                with db.engine.begin() as conn:
                    conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
                db.create_all()
            db.engine.dispose()


def test_create_user_refuses_a_short_password_and_names_the_field(runner):
    result = runner.invoke(
        args=["create-user", "kato@example.jp", "--role", "coordinator"], input="short\n"
    )
    assert result.exit_code != 0
    assert "password" in result.output


def test_create_user_for_a_partner_needs_an_existing_org(runner):
    result = runner.invoke(
        args=["create-user", "npo@example.jp", "--role", "partner", "--org", "nowhere"],
        input="a long enough password\n",
    )
    assert result.exit_code != 0
    assert "nowhere" in result.output


def test_create_user_refuses_a_partner_of_the_municipality(make, runner):
    make.org(slug="city-hall", kind="municipality")
    result = runner.invoke(
        args=["create-user", "p@example.jp", "--role", "partner", "--org", "city-hall"],
        input="a long enough password\n",
    )
    assert result.exit_code != 0
    assert "自治体以外" in result.output


def test_create_token_for_an_unknown_user_fails(runner):
    result = runner.invoke(args=["create-token", "nobody@example.jp"])
    assert result.exit_code != 0
    assert "nobody@example.jp" in result.output


def test_revoked_token_stops_working_at_once(make, client, runner):
    user = make.user("coordinator")
    token = runner.invoke(args=["create-token", user.email]).output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/venues", headers=headers).status_code == 200
    result = runner.invoke(args=["revoke-token", token[:10]])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/venues", headers=headers).status_code == 401


def test_every_command_has_help(runner):
    for command in ("init-db", "load-curricula", "demo-data", "create-user", "create-token"):
        result = runner.invoke(args=[command, "--help"])
        assert result.exit_code == 0, command
        assert "Usage" in result.output, command


def test_locations_and_secrets_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CURRICULA_DIR", str(tmp_path / "courses"))
    monkeypatch.setenv("DATABASE_URL", "postgresql://dekiru@db.internal/dekiru")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")

    app = create_app()
    assert Path(app.config["CURRICULA_DIR"]) == tmp_path / "courses"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://dekiru@db.internal/dekiru"
    assert app.config["SECRET_KEY"] == "from-the-environment"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setenv("DEKIRU_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
