"""Fixtures for backups and retention: a database stamped with its schema version, and empty
databases to restore into."""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.maintenance.backup import MANIFEST, scripts


@pytest.fixture
def stamped(make):
    """The test database as `init-db` leaves one: with alembic_version at the newest
    revision (the suite's databases are made by create_all, which writes none). Dropped
    afterwards: the PostgreSQL test database is shared by the whole run."""
    head = scripts().get_current_head()
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        )
        conn.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    yield head
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def empty_database(database, tmp_path):
    """Makes empty databases to restore into: a new SQLite file, or a new PostgreSQL
    database (test_restore_<uuid>), dropped at the end."""
    made: list[str] = []
    admin = (
        None if database == "sqlite" else sa.create_engine(database, isolation_level="AUTOCOMMIT")
    )

    def new() -> str:
        if admin is None:
            return f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:8]}.sqlite3'}"
        name = f"test_restore_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return database.rsplit("/", 1)[0] + f"/{name}"

    yield new
    if admin is not None:
        with admin.connect() as conn:
            for name in made:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def rewrite_manifest(source: Path, into: Path, **changes) -> Path:
    """A copy of the backup `source` whose manifest says something else."""
    with tarfile.open(source) as tar:
        manifest = json.loads(tar.extractfile(MANIFEST).read())
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    manifest.update(changes)
    with tarfile.open(into, "w:gz") as out:
        for member, data in members:
            if member.name == MANIFEST:
                data = json.dumps(manifest).encode()
                member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return into


def table_rows(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Every row of every table of the models, in primary-key order."""
    rows = {}
    with engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            statement = sa.select(table).order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(r) for r in conn.execute(statement)]
    return rows
