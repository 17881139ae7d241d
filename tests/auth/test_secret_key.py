"""The development secret key signs sessions only in development, which must be said."""

from __future__ import annotations

import os
import subprocess

import pytest

from app import create_app
from app.config import REPO_ROOT, DevelopmentConfig

DEV_KEY = DevelopmentConfig.SECRET_KEY


@pytest.fixture
def bare_environment(monkeypatch, tmp_path):
    """No DEKIRU_ENV and no SECRET_KEY, as on a server where nobody set them."""
    monkeypatch.delenv("DEKIRU_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'unused.sqlite3'}")


def test_without_dekiru_env_the_app_refuses_to_start_and_says_what_to_set(bare_environment):
    with pytest.raises(RuntimeError) as refused:
        create_app()
    message = str(refused.value)
    assert "DEKIRU_ENV=development" in message
    assert "SECRET_KEY" in message


def test_an_unknown_dekiru_env_is_refused_with_the_known_names(bare_environment, monkeypatch):
    monkeypatch.setenv("DEKIRU_ENV", "prodution")
    with pytest.raises(RuntimeError, match="prodution") as refused:
        create_app()
    assert "production" in str(refused.value)
    assert "development" in str(refused.value)


@pytest.mark.parametrize("environment", [None, "production"])
def test_the_development_key_is_refused_outside_development(
    bare_environment, monkeypatch, environment
):
    if environment:
        monkeypatch.setenv("DEKIRU_ENV", environment)
    monkeypatch.setenv("SECRET_KEY", DEV_KEY)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_development_says_so_and_gets_the_development_key(bare_environment, monkeypatch):
    monkeypatch.setenv("DEKIRU_ENV", "development")
    assert create_app().config["SECRET_KEY"] == DEV_KEY


def test_a_real_key_without_dekiru_env_starts(bare_environment, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-key-from-the-environment")
    assert create_app().config["SECRET_KEY"] == "a-long-random-key-from-the-environment"


def test_make_run_runs_its_flask_commands_in_development():
    """`make run` from a fresh clone, with nothing set, must still start (see the Makefile)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("DEKIRU_ENV", "SECRET_KEY")}
    planned = subprocess.run(
        ["make", "--dry-run", "--always-make", "run"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    flask_lines = [line for line in planned if "/flask --app app" in line]
    # init-db, load-curricula, demo-data, then the worker beside the server.
    commands = [line.strip().split(" --app app ")[1].split()[0] for line in flask_lines]
    assert commands == ["init-db", "load-curricula", "demo-data", "worker", "run"], planned
    assert all(line.strip().startswith("DEKIRU_ENV=development ") for line in flask_lines)
