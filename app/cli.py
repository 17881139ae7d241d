"""`flask --app app ...` commands. Each is thin: it calls a service and reports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from app.errors import ServiceError


def _fail(message: str) -> NoReturn:
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
@click.option(
    "--scale",
    type=click.Choice(["demo", "city"]),
    default="demo",
    show_default=True,
    help="How much past activity comes with a new demo city. demo: this fiscal year so far "
    "(about 15 sessions a week, 800 learners; a second or two). city: a city of 700,000 over "
    "five fiscal years (12 districts, about 20,000 sessions, 60,000 learners, 500,000 "
    "attendance records; a few minutes) - for measuring the reports.",
)
def demo_data(if_empty: bool, scale: str) -> None:
    """Build the demo city (organizations, venues, staff, 8 weeks of sessions). Idempotent.

    The first build also makes its past: learners, past sessions, registrations, attendance
    and skills reached (see --scale); later runs add none. Needs the curricula loaded first.
    Prints the demo logins, whose random passwords are kept in instance/demo-logins.txt.
    """
    from demo import build_demo_city, build_demo_city_if_empty

    try:
        report = build_demo_city_if_empty(scale) if if_empty else build_demo_city(scale)
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
    from app.orgs.services import create_staff_user

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        user = create_staff_user(
            {"email": email, "role": role, "password": password, "name": name, "org": org_slug}
        )
    except ServiceError as exc:
        details = "; ".join(f"{field}: {why}" for field, why in exc.fields.items())
        _fail(f"{exc.message} {details}")
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@click.command("create-token")
@with_appcontext
@click.argument("email")
@click.option("--label", default="", help="What the token is for.")
@click.option(
    "--expires-days",
    type=int,
    default=None,
    help="Refuse the token after this many days (1-3650). Default: it never expires.",
)
def create_token(email: str, label: str, expires_days: int | None) -> None:
    """Create an API token for EMAIL and print it (shown only once)."""
    from app.auth.services import create_token as create
    from app.auth.services import find_user_by_email

    user = find_user_by_email(email)
    if user is None:
        _fail(f"No user with email {email}.")
    try:
        _token, plain = create(user, label, expires_days=expires_days)
    except ServiceError as exc:
        _fail(f"--expires-days: {exc.fields.get('expires_days', exc.message)}")
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


def _org_by_slug(slug: str):
    import sqlalchemy as sa

    from app.extensions import db
    from app.orgs.models import Organization

    org = db.session.scalar(sa.select(Organization).where(Organization.slug == slug))
    if org is None:
        _fail(f"No organization with slug {slug}.")
    return org


@click.command("link-sheet")
@with_appcontext
@click.argument("org_slug")
@click.argument("spreadsheet", metavar="SPREADSHEET_KEY_OR_URL")
def link_sheet(org_slug: str, spreadsheet: str) -> None:
    """Link the partner organization ORG_SLUG to a Google spreadsheet, given by URL or key.

    Share the spreadsheet with the service account's address (client_email in the
    SHEETS_CREDENTIALS file) as Editor first; then run sync-sheets.
    """
    from app.sheets.sync import link_sheet as link

    org = _org_by_slug(org_slug)
    if not org.is_partner:
        _fail(f"{org_slug} is the municipality, not a partner organization.")
    try:
        linked = link(org, spreadsheet)
    except ServiceError as exc:
        details = " ".join(exc.fields.values())
        _fail(f"{exc.message} {details}".strip())
    click.echo(f"Linked {org.slug} to spreadsheet {linked.spreadsheet_key}.")


def _report_line(report) -> str:
    seconds = report.duration_ms / 1000
    verb = "would push" if report.dry_run else "pushed"
    line = (
        f"{report.org_slug}: {report.outcome}{' (dry run)' if report.dry_run else ''}"
        f" — {verb} {report.rows_pushed}, imported {report.rows_imported},"
        f" refused {len(report.refusals)}, API calls {report.api_calls}, {seconds:.2f} s"
    )
    details = []
    if report.created_worksheets:
        created = ", ".join(report.created_worksheets)
        details.append(f"  {'would create' if report.dry_run else 'created'} worksheets: {created}")
    details += [f"  row {r['row']}: {r['reason']}" for r in report.refusals]
    if report.error:
        details.append(f"  error: {report.error}")
    return "\n".join([line, *details])


@click.command("sync-sheets")
@with_appcontext
@click.option("--org", "org_slug", help="Sync only this organization (its slug).")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing anywhere.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per organization per line.")
def sync_sheets(org_slug: str | None, dry_run: bool, as_json: bool) -> None:
    """Sync every organization with a linked spreadsheet (or only --org), for cron or a timer.

    Exits with status 1 when any sync failed, or when --org names no linked organization.
    A sync already running for an organization is skipped (outcome "skipped") and is not a
    failure: the next run catches up.
    """
    import json

    from app.errors import Conflict
    from app.sheets.sync import SyncReport, linked_orgs, sync_org

    orgs = linked_orgs(org_slug)
    if org_slug and not orgs:
        _org_by_slug(org_slug)
        _fail(
            f"{org_slug} has no linked spreadsheet; link one with "
            f"`flask --app app link-sheet {org_slug} SPREADSHEET_URL`."
        )
    if not orgs and not as_json:
        click.echo("No organization has a linked spreadsheet.")
    failed = False
    for org in orgs:
        try:
            report = sync_org(org, trigger="cli", dry=dry_run)
        except Conflict as exc:
            report = SyncReport(org.slug, dry_run=dry_run, outcome="skipped", error=exc.message)
        failed = failed or report.outcome == "failed"
        if as_json:
            click.echo(json.dumps(report.as_json(), ensure_ascii=False))
        else:
            click.echo(_report_line(report))
    if failed:
        sys.exit(1)


@click.command("import-closures")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--venue", "venue_slug", help="Slug of the venue closed; all venues when omitted.")
def import_closures(file: Path, venue_slug: str | None) -> None:
    """Import closed days (holidays, maintenance, 年末年始) from the iCalendar FILE.

    Recurring events are expanded from a year ago to three years ahead. Importing the same
    file again replaces its closures (by event UID) instead of adding them twice. Lists the
    planned sessions that now fall on a closed day.
    """
    from app.scheduling.closures import import_closures as run
    from app.scheduling.closures import venue_by_slug

    try:
        venue = venue_by_slug(venue_slug) if venue_slug else None
        report = run(file.read_bytes(), venue=venue, source=file.name)
    except ServiceError as exc:
        _fail(exc.message)
    click.echo("\n".join(report.summary()))


@click.command("audit-log")
@with_appcontext
@click.option("--action", help="Only this action, e.g. personal_data.downloaded or learner.merged.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this day (Japan time).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="To this day, included.")
def audit_log(action: str | None, since, until) -> None:
    """Print the audit log, oldest first, one JSON object per line: when (Japan time), who
    (their e-mail), the action, what it concerned and its details (for downloads of personal
    data: what, format, rows and filter)."""
    import json

    from app.core.audit import entries, entry_json

    found = entries(
        action=action,
        since=since.date() if since else None,
        until=until.date() if until else None,
    )
    for entry in found:
        click.echo(json.dumps(entry_json(entry), ensure_ascii=False))


@click.command("worker")
@with_appcontext
@click.option("--threads", default=2, show_default=True, help="Jobs run at the same time.")
def worker(threads: int) -> None:
    """Run background jobs (Sheets syncs, the schedule) until stopped.

    SIGINT finishes the jobs running and stops; SIGTERM stops at once, and the jobs cut
    short are run again by the next worker. Run one or more per installation.
    """
    from app.jobs.worker import run_worker

    run_worker(current_app._get_current_object(), threads)  # type: ignore[attr-defined]


@click.command("jobs")
@with_appcontext
@click.option("--json", "as_json", is_flag=True, help="One JSON object per job per line.")
def jobs(as_json: bool) -> None:
    """List queued, running, failed and recent jobs, and the workers last seen."""
    import json

    from app.jobs.queue import overview
    from app.timeutil import local

    listed = overview()
    groups = (
        ("queued", listed.queued),
        ("running", listed.running),
        ("failed", listed.failed),
        ("recent", listed.recent),
    )
    for name, found in groups:
        if not as_json:
            click.echo(f"{name}: {len(found)}")
        for job in found:
            fields = {
                "id": job.id,
                "kind": job.kind,
                "state": job.state,
                "org_id": job.org_id,
                "trigger": job.trigger,
                "attempts": job.attempts,
                "queued_at": job.queued_at.isoformat(),
                "run_after": job.run_after.isoformat(),
                "finished_at": job.finished_at.isoformat() if job.finished_at else None,
                "progress": job.progress,
                "error": job.error,
            }
            if as_json:
                click.echo(json.dumps(fields, ensure_ascii=False))
                continue
            when = local(job.finished_at or job.started_at or job.run_after).strftime("%m-%d %H:%M")
            line = (
                f"  #{job.id} {job.kind} org={job.org_id} {job.trigger} {when} tries={job.attempts}"
            )
            click.echo(line + (f"  {job.error}" if job.error else ""))
    if not as_json:
        click.echo(f"workers: {len(listed.workers)}")
        for seen in listed.workers:
            state = "stopped" if seen.stopped_at else "seen"
            click.echo(
                f"  {seen.id} {state} {local(seen.stopped_at or seen.seen_at):%m-%d %H:%M:%S}"
            )


@click.command("reports-rebuild")
@with_appcontext
def reports_rebuild() -> None:
    """Count the reports' stored per-session figures again from the raw rows (in one
    transaction). They are kept up to date with every change; this is for a database written
    around the app (a restored backup, rows loaded by hand)."""
    from app.extensions import db
    from app.reports.stored import rebuild

    written = rebuild()
    db.session.commit()
    click.echo(f"Counted the figures of {written} sessions again.")


COMMANDS = (
    init_db,
    load_curricula,
    demo_data,
    create_user,
    create_token,
    revoke_token,
    link_sheet,
    sync_sheets,
    import_closures,
    audit_log,
    worker,
    jobs,
    reports_rebuild,
)


def init_app(app: Flask) -> None:
    from app.maintenance.cli import init_app as maintenance_commands

    for command in COMMANDS:
        app.cli.add_command(command)
    maintenance_commands(app)  # backup, restore, retention
