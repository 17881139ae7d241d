"""Backups that carry their schema version, and their restore into an empty database.

A backup is one gzip-compressed tar file (format `dekiru-backup`, version 1) holding two
members:

- `manifest.json`: {"format": "dekiru-backup", "format_version": 1, "database": "sqlite" |
  "postgresql", "alembic_revision": "<revision in the database>", "taken_at": "<ISO 8601,
  UTC>", "app_version": "<dekiru's version>", "dump": "<member name>", "dump_bytes": N,
  "dump_sha256": "<hex>"}
- the dump: `database.sqlite3` (SQLite: a copy made with SQLite's online backup API, one
  step, so one read transaction: one moment's state while the app goes on writing) or
  `database.pgdump` (PostgreSQL: `pg_dump --format=custom`, which reads everything in one
  snapshot).

The file is created owner-only (0600) from the start, written beside its final name and put
there only once complete: a failed backup never leaves a half-written file under the name,
and an existing file is replaced only when asked (`force`).

The password of DATABASE_URL goes to pg_dump and pg_restore in their environment
(PGPASSWORD), never in their arguments, which every user of the machine can read.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from flask_babel import gettext as _
from flask_migrate import upgrade
from sqlalchemy.engine import URL

from app.extensions import db
from app.timeutil import utcnow

FORMAT = "dekiru-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
KIND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
OWNER_ONLY = 0o600
CHUNK = 1024 * 1024
# A manifest is a few hundred bytes; anything much larger is not one of ours.
MANIFEST_MAX_BYTES = 64 * 1024
# What a DATABASE_URL's query may say, as the libpq environment variable that says it.
LIBPQ_QUERY_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "gssencmode": "PGGSSENCMODE",
}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Manifest:
    database: str
    alembic_revision: str
    taken_at: str
    app_version: str
    dump: str
    dump_bytes: int
    dump_sha256: str
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Manifest:
        not_ours = BackupError(_("バックアップの中身の説明(manifest.json)が読めません。"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise not_ours
        version = data.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise BackupError(
                _(
                    "このバックアップは新しい形式(%(version)s)で、このDekiruでは戻せません。"
                    "新しい版のDekiruで戻してください。",
                    version=version,
                )
            )
        text_fields = ("database", "alembic_revision", "taken_at", "app_version", "dump")
        text = {name: data.get(name) for name in text_fields}
        size, digest = data.get("dump_bytes"), data.get("dump_sha256")
        if (
            not all(isinstance(value, str) and value for value in text.values())
            or not isinstance(size, int)
            or not isinstance(digest, str)
            or data.get("database") not in DUMPS
            or data.get("dump") != DUMPS[str(data.get("database"))]
        ):
            raise not_ours
        try:
            datetime.fromisoformat(str(text["taken_at"]))
        except ValueError:
            raise not_ours from None
        return cls(
            database=str(text["database"]),
            alembic_revision=str(text["alembic_revision"]),
            taken_at=str(text["taken_at"]),
            app_version=str(text["app_version"]),
            dump=str(text["dump"]),
            dump_bytes=size,
            dump_sha256=digest,
        )


@dataclass(frozen=True)
class RestorePlan:
    """What a restore will do, checked before anything is written."""

    path: Path
    manifest: Manifest
    head: str  # the newest revision migrations/versions knows

    @property
    def upgrade_needed(self) -> bool:
        return self.manifest.alembic_revision != self.head


# ---------------------------------------------------------------- where the database is


def database_kind(url: URL | None = None) -> str:
    url = url or db.engine.url
    kind = url.get_backend_name()
    if kind not in DUMPS:
        raise BackupError(
            _("%(kind)s のデータベースはバックアップできません。", kind=url.get_backend_name())
        )
    return kind


def sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError(_("メモリー上のSQLiteデータベースはバックアップも復元もできません。"))
    return Path(url.database)


def libpq_environment(url: URL) -> tuple[dict[str, str], str]:
    """The environment that tells pg_dump / pg_restore where to connect (password
    included), and the database name: nothing secret is left for the arguments."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    named = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }
    env.update({k: v for k, v in named.items() if v})
    for key, value in url.query.items():
        if key not in LIBPQ_QUERY_ENV:
            raise BackupError(_("DATABASE_URL の %(key)s は pg_dump に渡せません。", key=key))
        env[LIBPQ_QUERY_ENV[key]] = value if isinstance(value, str) else value[-1]
    if not url.database:
        raise BackupError(_("DATABASE_URL にデータベース名がありません。"))
    return env, url.database


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            _(
                "%(program)s が見つかりません。PostgreSQL のクライアント"
                "(Debian: postgresql-client)を入れてください。",
                program=name,
            )
        )
    return found


def pg_dump_command(url: URL, into: Path) -> tuple[list[str], dict[str, str]]:
    env, _name = libpq_environment(url)
    args = [_program("pg_dump"), "--format=custom", "--no-password", f"--file={into}"]
    return args, env


def pg_restore_command(url: URL, dump: Path) -> tuple[list[str], dict[str, str]]:
    env, name = libpq_environment(url)
    args = [
        _program("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        "--no-password",
        f"--dbname={name}",
        str(dump),
    ]
    return args, env


def _run(args: list[str], env: dict[str, str], failed: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{failed}\n{done.stderr.strip()}")


# ---------------------------------------------------------------- schema versions


def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def sqlite_revision(path: Path) -> str | None:
    conn = sqlite3.connect(path)
    try:
        if not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone():
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(row[0]) if row else None
    finally:
        conn.close()


def database_revision() -> str | None:
    if "alembic_version" not in sa.inspect(db.engine).get_table_names():
        return None
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _require_revision(revision: str | None) -> str:
    if revision is None:
        raise BackupError(
            _(
                "データベースにスキーマの版(alembic_version)がありません。"
                "`flask --app app init-db` で作ったデータベースをバックアップしてください。"
            )
        )
    return revision


# ---------------------------------------------------------------- taking a backup


def app_version() -> str:
    try:
        return metadata.version("dekiru")
    except metadata.PackageNotFoundError:
        return "unknown"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_sqlite(source: Path, into: Path) -> None:
    """A copy of the live database through SQLite's online backup API, in one step (one
    read transaction: writers go on, the copy is of one moment), as a file that stands
    alone (rollback journal, not WAL)."""
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(into)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")
    finally:
        dst.close()
        src.close()


@contextlib.contextmanager
def _work_folder(beside: Path) -> Iterator[Path]:
    """A private (0700) folder beside `beside`, gone afterwards whatever happens."""
    with tempfile.TemporaryDirectory(prefix=".dekiru-backup-", dir=beside.parent) as work:
        yield Path(work)


def _owner_only(path: Path) -> IO[bytes]:
    """A new file that only its owner can read, created so (never chmod-ed afterwards)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    return os.fdopen(fd, "wb")


def _add(tar: tarfile.TarFile, name: str, file: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = OWNER_ONLY
    info.mtime = int(utcnow().timestamp())
    tar.addfile(info, file)


def take_backup(target: Path, *, force: bool = False) -> Manifest:
    """Write a backup of the app's database to `target`; BackupError says why not."""
    url = db.engine.url
    kind = database_kind(url)
    if target.is_dir():
        raise BackupError(
            _("%(path)s はフォルダーです。ファイル名を指定してください。", path=target)
        )
    if target.exists() and not force:
        raise BackupError(
            _("%(path)s は既にあります。上書きするなら --force を付けてください。", path=target)
        )
    if not target.parent.is_dir():
        raise BackupError(_("フォルダー %(path)s がありません。", path=target.parent))
    with _work_folder(target) as work:
        dump = work / DUMPS[kind]
        if kind == "sqlite":
            source = sqlite_path(url)
            if not source.is_file():
                raise BackupError(_("データベースのファイル %(path)s がありません。", path=source))
            try:
                copy_sqlite(source, dump)
            except sqlite3.Error as exc:
                raise BackupError(
                    _("SQLiteのバックアップが失敗しました: %(why)s", why=exc)
                ) from None
            revision = _require_revision(sqlite_revision(dump))
        else:
            revision = _require_revision(database_revision())
            args, env = pg_dump_command(url, dump)
            _run(args, env, _("pg_dump が失敗しました。"))
            if database_revision() != revision:
                raise BackupError(
                    _("バックアップ中にスキーマが変わりました(移行中?)。もう一度取ってください。")
                )
        manifest = Manifest(
            database=kind,
            alembic_revision=revision,
            taken_at=utcnow().isoformat(),
            app_version=app_version(),
            dump=dump.name,
            dump_bytes=dump.stat().st_size,
            dump_sha256=_sha256(dump),
        )
        written = work / "backup.tar.gz"
        manifest_bytes = json.dumps(manifest.as_json(), indent=2).encode()
        with _owner_only(written) as out:
            with tarfile.open(fileobj=out, mode="w:gz") as tar:
                _add(tar, MANIFEST, io.BytesIO(manifest_bytes), len(manifest_bytes))
                with dump.open("rb") as dumped:
                    _add(tar, dump.name, dumped, manifest.dump_bytes)
            out.flush()
            os.fsync(out.fileno())
        _publish(written, target, force=force)
    return manifest


def _publish(written: Path, target: Path, *, force: bool) -> None:
    """Give the finished file its name: replacing what is there only with `force`, and
    never overwriting a file that appeared meanwhile without it."""
    if force:
        os.replace(written, target)
        return
    try:
        os.link(written, target)
    except FileExistsError:
        raise BackupError(
            _("%(path)s は既にあります。上書きするなら --force を付けてください。", path=target)
        ) from None


# ---------------------------------------------------------------- reading a backup


def _not_a_backup(path: Path) -> BackupError:
    return BackupError(_("%(path)s はDekiruのバックアップではないか、壊れています。", path=path))


READ_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error, ValueError, UnicodeDecodeError)


def read_manifest(path: Path) -> Manifest:
    if not path.is_file():
        raise BackupError(_("%(path)s というファイルはありません。", path=path))
    try:
        with tarfile.open(path, mode="r:*") as tar:
            member = tar.getmember(MANIFEST)
            if not member.isfile() or member.size > MANIFEST_MAX_BYTES:
                raise _not_a_backup(path)
            file = tar.extractfile(member)
            if file is None:
                raise _not_a_backup(path)
            data = json.loads(file.read().decode())
    except KeyError:
        raise _not_a_backup(path) from None
    except READ_ERRORS:
        raise _not_a_backup(path) from None
    return Manifest.from_json(data)


def extract_dump(path: Path, manifest: Manifest, into: Path) -> Path:
    """The dump, written owner-only into `into`, checked against the manifest's digest."""
    out_path = into / manifest.dump
    digest = hashlib.sha256()
    try:
        with tarfile.open(path, mode="r:*") as tar:
            member = tar.getmember(manifest.dump)
            file = tar.extractfile(member) if member.isfile() else None
            if file is None:
                raise _not_a_backup(path)
            with _owner_only(out_path) as out:
                while chunk := file.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
    except KeyError:
        raise _not_a_backup(path) from None
    except READ_ERRORS:
        raise _not_a_backup(path) from None
    if digest.hexdigest() != manifest.dump_sha256:
        raise BackupError(_("%(path)s は壊れています(中身が書かれたときと違います)。", path=path))
    return out_path


# ---------------------------------------------------------------- restoring


def _user_tables() -> list[str]:
    inspector = sa.inspect(db.engine)
    if db.engine.url.get_backend_name() == "sqlite":
        return inspector.get_table_names()
    ignored = {"information_schema"}
    return [
        f"{schema}.{table}"
        for schema in inspector.get_schema_names()
        if schema not in ignored and not schema.startswith("pg_")
        for table in inspector.get_table_names(schema=schema)
    ]


def plan_restore(path: Path) -> RestorePlan:
    """Check that the backup at `path` can be restored into the app's database: ours and
    whole, of this kind of database, of a schema this code knows, into an empty database."""
    manifest = read_manifest(path)
    kind = database_kind()
    if manifest.database != kind:
        raise BackupError(
            _(
                "このバックアップは %(theirs)s のもので、%(ours)s のデータベースには戻せません。",
                theirs=KIND_NAMES[manifest.database],
                ours=KIND_NAMES[kind],
            )
        )
    script = scripts()
    try:
        known = script.get_revision(manifest.alembic_revision) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(
            _(
                "このバックアップのスキーマ(%(revision)s)はこの版のDekiruより新しいか、"
                "知らないものです。バックアップを取った版以降のDekiruで戻してください。",
                revision=manifest.alembic_revision,
            )
        )
    if kind == "sqlite":
        sqlite_path(db.engine.url)
    tables = _user_tables()
    if tables:
        raise BackupError(
            _(
                "戻し先のデータベースは空ではありません(テーブル %(n)d 個、例: %(first)s)。"
                "空のデータベースにだけ戻せます。",
                n=len(tables),
                first=", ".join(sorted(tables)[:3]),
            )
        )
    head = script.get_current_head()
    return RestorePlan(path=path, manifest=manifest, head=str(head))


def restore_backup(plan: RestorePlan) -> str:
    """Restore the planned backup, then migrate it to the newest schema when older; the
    revision the database is at afterwards."""
    url = db.engine.url
    with tempfile.TemporaryDirectory(prefix="dekiru-restore-") as folder:
        work = Path(folder)
        dump = extract_dump(plan.path, plan.manifest, work)
        db.session.remove()
        db.engine.dispose()
        if plan.manifest.database == "sqlite":
            try:
                _restore_sqlite(dump, sqlite_path(url))
            except sqlite3.Error as exc:
                raise BackupError(_("SQLiteへの復元が失敗しました: %(why)s", why=exc)) from None
        else:
            args, env = pg_restore_command(url, dump)
            _run(args, env, _("pg_restore が失敗しました。何も書かれていません。"))
    db.engine.dispose()
    if database_revision() != plan.manifest.alembic_revision:
        raise BackupError(_("戻したデータベースのスキーマの版がバックアップの説明と違います。"))
    if plan.upgrade_needed:
        upgrade()
    return str(database_revision())


def _restore_sqlite(dump: Path, target: Path) -> None:
    src = sqlite3.connect(dump)
    dst = sqlite3.connect(target, timeout=60)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def describe(manifest: Manifest) -> str:
    taken = datetime.fromisoformat(manifest.taken_at)
    return _(
        "%(kind)s、スキーマ %(revision)s、%(taken)s(UTC)に取得、Dekiru %(version)s",
        kind=KIND_NAMES[manifest.database],
        revision=manifest.alembic_revision,
        taken=taken.strftime("%Y-%m-%d %H:%M:%S"),
        version=manifest.app_version,
    )
