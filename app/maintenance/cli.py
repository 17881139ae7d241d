"""`flask --app app backup | restore | retention`: thin commands over backup.py and
retention.py. Messages go through Flask-Babel (Japanese first, as the CLI runs without a
request); failures go to standard error with exit status 1."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import gettext as _

from app.errors import ServiceError
from app.maintenance.backup import (
    BackupError,
    describe,
    plan_restore,
    restore_backup,
    take_backup,
)
from app.maintenance.retention import run_retention


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


@click.command("backup")
@with_appcontext
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The backup file to write (owner-only, 0600), e.g. /var/backups/dekiru/2026-12-10.tar.gz.",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
def backup(target: Path, force: bool) -> None:
    """Write a consistent backup of the database while the app runs.

    SQLite through its online backup API, PostgreSQL with pg_dump (custom format). The file
    (a tar.gz) holds manifest.json (database kind, schema revision, when, Dekiru's version)
    and the dump. An existing file is refused unless --force.
    """
    try:
        manifest = take_backup(target, force=force)
    except BackupError as exc:
        _fail(_("バックアップできませんでした: %(why)s", why=exc.message))
    click.echo(_("バックアップを書きました: %(path)s", path=target))
    click.echo(describe(manifest))


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Really restore (without it: check and say what).")
def restore(path: Path, yes: bool) -> None:
    """Restore the backup PATH into the app's database, which must be empty.

    Refused: a file that is not a whole Dekiru backup, a backup of the other kind of
    database, a schema newer than this code knows. A backup of an older schema is restored
    and then migrated to the newest. Without --yes, only checks and says what it would do.
    """
    try:
        plan = plan_restore(path)
    except BackupError as exc:
        _fail(_("復元できません: %(why)s", why=exc.message))
    click.echo(describe(plan.manifest))
    if plan.upgrade_needed:
        then = _("戻したあと、スキーマを %(head)s に更新します。", head=plan.head)
    else:
        then = _("スキーマは最新です。")
    click.echo(_("このバックアップを空のデータベースに戻します。") + then)
    if not yes:
        _fail(_("まだ何もしていません。戻すには --yes を付けてもう一度実行してください。"))
    try:
        revision = restore_backup(plan)
    except BackupError as exc:
        _fail(_("復元できませんでした: %(why)s", why=exc.message))
    click.echo(_("復元しました。スキーマは %(revision)s です。", revision=revision))


@click.command("retention")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="Count what would be done; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as one JSON object.")
def retention(dry_run: bool, as_json: bool) -> None:
    """Apply the retention rules in one transaction: anonymize learners with no
    registration, attendance or sign-up for RETENTION_YEARS, delete audit entries older than
    AUDIT_RETENTION_YEARS and sync logs older than SYNC_LOG_RETENTION_DAYS. Each run is
    written to the audit log (maintenance.retention) with its counts."""
    try:
        report = run_retention(dry=dry_run)
    except ServiceError as exc:
        _fail(exc.message)
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        click.echo("\n".join(report.summary()))


COMMANDS = (backup, restore, retention)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
