"""`flask --app app ...` commands. Each is thin: it calls a service and reports."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from app.errors import ServiceError


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or migrate the database to the latest schema (keeps existing data)."""
    upgrade()
    click.echo("Database is at the latest schema.")


@click.command("load-curricula")
@with_appcontext
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Validate every file and load nothing.")
def load_curricula(directory: Path | None, check: bool) -> None:
    """Validate and load course files (one per course) from DIRECTORY (default CURRICULA_DIR)."""
    from app.curricula.loader import CurriculumError, load_directory

    directory = directory or Path(current_app.config["CURRICULA_DIR"])
    try:
        report = load_directory(directory, check_only=check)
    except CurriculumError as exc:
        _fail(str(exc))
    click.echo(report.summary())


@click.command("demo-data")
@with_appcontext
@click.option(
    "--if-empty",
    is_flag=True,
    help="Build only when the database has no organizations yet (what `make run` uses).",
)
def demo_data(if_empty: bool) -> None:
    """Build the demo city (organizations, venues, staff, 8 weeks of sessions). Idempotent.

    Needs the curricula loaded first. Prints the demo logins, whose random passwords are
    kept in instance/demo-logins.txt.
    """
    from app.demo import build_demo_city, build_demo_city_if_empty

    try:
        report = build_demo_city_if_empty() if if_empty else build_demo_city()
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(report)


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "coordinator", "instructor", "partner"])
)
@click.option("--org", "org_slug", help="Slug of the user's organization (required for partner).")
@click.option("--name", default="", help="Display name.")
def create_user(email: str, role: str, org_slug: str | None, name: str) -> None:
    """Create a staff user. The password is read from standard input."""
    from app.auth.services import create_user as create

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        user = create(email, role, password, name=name, org_slug=org_slug)
    except ServiceError as exc:
        details = "; ".join(f"{field}: {why}" for field, why in exc.fields.items())
        _fail(f"{exc.message} {details}")
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@click.command("create-token")
@with_appcontext
@click.argument("email")
@click.option("--label", default="", help="What the token is for.")
def create_token(email: str, label: str) -> None:
    """Create an API token for EMAIL and print it (shown only once)."""
    from app.auth.services import create_token as create
    from app.auth.services import find_user_by_email

    user = find_user_by_email(email)
    if user is None:
        _fail(f"No user with email {email}.")
    _token, plain = create(user, label)
    click.echo(plain)


@click.command("revoke-token")
@with_appcontext
@click.argument("prefix")
def revoke_token(prefix: str) -> None:
    """Revoke the API token whose first characters (as shown on the tokens page) are PREFIX."""
    from app.auth.services import revoke_tokens_by_prefix

    count = revoke_tokens_by_prefix(prefix)
    if count == 0:
        _fail(f"No active token starts with {prefix}.")
    click.echo(f"Revoked {count} token(s).")


COMMANDS = (init_db, load_curricula, demo_data, create_user, create_token, revoke_token)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
