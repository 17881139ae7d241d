"""Backups and their restore, on SQLite and PostgreSQL: what comes back is what was there,
the file is the owner's alone, and every restore that cannot be right is refused with a
message (never a traceback)."""

from __future__ import annotations

import os
import stat
import tarfile
import threading

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from app.core.models import AuditEntry
from app.extensions import db
from app.maintenance.backup import pg_dump_command, pg_restore_command, read_manifest
from app.people.models import Card, Learner, Registration
from app.public.signup import SIGNED_UP, sign_up
from app.scheduling.models import Session
from tests.conftest import make_app
from tests.maintenance.conftest import rewrite_manifest, table_rows

PREVIOUS_REVISION = "d5f2b8c1e9a4"  # the schema before learners.anonymized_at


def _sign_up(session: Session, n: int):
    return sign_up(
        session,
        {
            "name": f"受講者{n}",
            "furigana": "じゅこうしゃ" + "".join("あいうえおかきくけこ"[int(d)] for d in str(n)),
            "phone": f"090-{1000 + n % 9000:04d}-{n % 10000:04d}",
            "birth_year": "1948",
            "consent": True,
        },
        form_key=f"form-key-of-person-{n:08d}",
    )


@pytest.fixture
def city(make, stamped):
    """A little city: staff, a session, people signed up (learner, card, audit, registration)."""
    make.user("coordinator")
    session = make.session(capacity=3)
    for n in range(5):
        _sign_up(session, n)
    return session


def _restore(database_url, tmp_path, *args):
    restored = make_app(database_url, tmp_path, SQLALCHEMY_DATABASE_URI=database_url)
    return restored, restored.test_cli_runner().invoke(args=["restore", *map(str, args)])


def test_backup_and_restore_give_back_every_row(app, city, runner, tmp_path, empty_database):
    target = tmp_path / "nightly.tar.gz"
    old_umask = os.umask(0)  # owner-only whatever the umask: the file is created so
    try:
        result = runner.invoke(args=["backup", "--to", str(target)])
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    assert "バックアップを書きました" in result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

    manifest = read_manifest(target)
    kind = db.engine.url.get_backend_name()
    assert (manifest.database, manifest.alembic_revision) == (
        kind,
        city and manifest.alembic_revision,
    )
    with tarfile.open(target) as tar:
        assert sorted(tar.getnames()) == sorted(["manifest.json", manifest.dump])

    url = empty_database()
    restored, result = _restore(url, tmp_path, target, "--yes")
    assert result.exit_code == 0, result.output
    assert "復元しました" in result.output
    engine = sa.create_engine(url)
    try:
        assert table_rows(engine) == table_rows(db.engine)
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == (
                manifest.alembic_revision
            )
    finally:
        engine.dispose()
    with restored.app_context():
        db.engine.dispose()


def test_an_existing_file_is_kept_unless_forced(app, city, runner, tmp_path):
    target = tmp_path / "kept.tar.gz"
    target.write_bytes(b"last night's backup")
    result = runner.invoke(args=["backup", "--to", str(target)])
    assert result.exit_code == 1
    assert "既にあります" in result.output
    assert "--force" in result.output
    assert target.read_bytes() == b"last night's backup"

    result = runner.invoke(args=["backup", "--to", str(target), "--force"])
    assert result.exit_code == 0, result.output
    assert read_manifest(target).dump_bytes > 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dekiru")] == []


def test_a_database_without_a_schema_version_is_not_backed_up(app, make, runner, tmp_path):
    result = runner.invoke(args=["backup", "--to", str(tmp_path / "b.tar.gz")])
    assert result.exit_code == 1
    assert "alembic_version" in result.output
    assert not (tmp_path / "b.tar.gz").exists()


def test_restore_refuses_what_cannot_be_right(app, city, runner, tmp_path, empty_database):
    good = tmp_path / "good.tar.gz"
    assert runner.invoke(args=["backup", "--to", str(good)]).exit_code == 0
    url = empty_database()
    other_kind = "postgresql" if db.engine.url.get_backend_name() == "sqlite" else "sqlite"
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    garbage = tmp_path / "notes.txt"
    garbage.write_text("not a backup\n")
    cases = {
        "他の種類": (
            rewrite_manifest(
                good,
                tmp_path / "kind.tar.gz",
                database=other_kind,
                dump={"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[other_kind],
            ),
            "のもので",
        ),
        "newer": (
            rewrite_manifest(good, tmp_path / "newer.tar.gz", alembic_revision="ffffffffffff"),
            "より新しいか",
        ),
        "format": (
            rewrite_manifest(good, tmp_path / "format.tar.gz", format_version=99),
            "新しい形式",
        ),
        "digest": (
            rewrite_manifest(good, tmp_path / "digest.tar.gz", dump_sha256="0" * 64),
            "壊れています",
        ),
        "truncated": (truncated, "壊れています"),
        "garbage": (garbage, "バックアップではないか"),
        "missing": (tmp_path / "nowhere.tar.gz", "ファイルはありません"),
    }
    restored = None
    for name, (path, says) in cases.items():
        restored, result = _restore(url, tmp_path, path, "--yes")
        assert result.exit_code == 1, (name, result.output)
        assert says in result.output, (name, result.output)
        assert (
            "Traceback" not in result.output
            and result.exception is None
            or isinstance(result.exception, SystemExit)
        ), name
    # Nothing was written into the empty database by any of them.
    engine = sa.create_engine(url)
    assert sa.inspect(engine).get_table_names() == []
    engine.dispose()

    # A database that is not empty (the live one) is refused, naming why.
    result = runner.invoke(args=["restore", str(good), "--yes"])
    assert result.exit_code == 1
    assert "空ではありません" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Learner.id))) == 5


def test_restore_without_yes_says_what_it_would_do_and_does_nothing(
    app, city, runner, tmp_path, empty_database
):
    good = tmp_path / "good.tar.gz"
    assert runner.invoke(args=["backup", "--to", str(good)]).exit_code == 0
    url = empty_database()
    _restored, result = _restore(url, tmp_path, good)
    assert result.exit_code == 1
    assert "空のデータベースに戻します" in result.output
    assert "--yes" in result.output
    engine = sa.create_engine(url)
    assert sa.inspect(engine).get_table_names() == []
    engine.dispose()


def test_a_backup_of_an_older_schema_is_restored_and_migrated(tmp_path, empty_database):
    source_url = empty_database()
    source = make_app(source_url, tmp_path, SQLALCHEMY_DATABASE_URI=source_url)
    with source.app_context():
        upgrade(revision=PREVIOUS_REVISION)
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO learners (name, furigana, furigana_key, kind, language,"
                    " needs_vision, needs_hearing, needs_mobility, share_with_partner, notes,"
                    " created_at, updated_at) VALUES ('山田花子', 'やまだはなこ', 'やまだはなこ',"
                    " 'senior', 'ja', false, false, false, false, '', :t, :t)"
                ),
                {"t": "2026-01-05 01:00:00"},
            )
        db.engine.dispose()
    backup = tmp_path / "old.tar.gz"
    result = source.test_cli_runner().invoke(args=["backup", "--to", str(backup)])
    assert result.exit_code == 0, result.output
    assert read_manifest(backup).alembic_revision == PREVIOUS_REVISION

    url = empty_database()
    restored, result = _restore(url, tmp_path, backup, "--yes")
    assert result.exit_code == 0, result.output
    assert "スキーマを" in result.output  # says it will migrate
    with restored.app_context():
        learner = db.session.scalar(sa.select(Learner))
        assert (learner.name, learner.anonymized_at) == ("山田花子", None)
        head = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        assert head != PREVIOUS_REVISION
        assert head in result.output
        db.session.remove()
        db.engine.dispose()
    with source.app_context():
        db.engine.dispose()


def test_the_password_goes_to_pg_dump_in_its_environment_never_its_arguments(tmp_path):
    url = make_url("postgresql+psycopg://dekiru:s3cret-pw@db.example:6432/city?sslmode=require")
    for args, env in (
        pg_dump_command(url, tmp_path / "d.pgdump"),
        pg_restore_command(url, tmp_path / "d.pgdump"),
    ):
        assert not any("s3cret" in arg for arg in args)
        assert env["PGPASSWORD"] == "s3cret-pw"
        assert (env["PGHOST"], env["PGPORT"], env["PGUSER"]) == ("db.example", "6432", "dekiru")
        assert env["PGSSLMODE"] == "require"


def _invariant_holds(engine: sa.Engine) -> tuple[int, list[str]]:
    """(learners, what is wrong): every learner signed up has, written with it in one
    transaction, exactly one card, one sign-up audit entry naming that card, and one
    registration."""
    broken = []
    with engine.connect() as conn:
        learners = list(conn.scalars(sa.select(Learner.id)))
        cards = dict(
            conn.execute(
                sa.select(Card.learner_id, sa.func.count()).group_by(Card.learner_id)
            ).all()
        )
        registrations = dict(
            conn.execute(
                sa.select(Registration.learner_id, sa.func.count()).group_by(
                    Registration.learner_id
                )
            ).all()
        )
        card_of = dict(conn.execute(sa.select(Card.learner_id, Card.id)).all())
        entries = conn.execute(
            sa.select(AuditEntry.subject_id, AuditEntry.details).where(
                AuditEntry.action == SIGNED_UP
            )
        ).all()
    signed = {}
    for subject_id, details in entries:
        signed.setdefault(subject_id, []).append(details["card_id"])
    for learner_id in learners:
        if cards.get(learner_id) != 1 or registrations.get(learner_id) != 1:
            broken.append(f"learner {learner_id}: cards {cards.get(learner_id)}")
        elif signed.get(learner_id) != [card_of[learner_id]]:
            broken.append(f"learner {learner_id}: audit {signed.get(learner_id)}")
    orphans = set(cards) - set(learners)
    broken += [f"card of missing learner {i}" for i in orphans]
    return len(learners), broken


def test_a_backup_taken_while_people_sign_up_is_one_moment(
    app, city, make, runner, tmp_path, empty_database
):
    # Ballast, so that copying the database takes long enough for sign-ups to land meanwhile.
    db.session.execute(
        sa.insert(AuditEntry),
        [
            {
                "action": "ballast",
                "subject_type": "x",
                "subject_id": i,
                "details": {"pad": "x" * 400},
            }
            for i in range(20000)
        ],
    )
    db.session.commit()
    session_id = city.id  # full: the rest are waitlisted, still one registration each
    stop = threading.Event()
    errors: list[BaseException] = []
    done = {"n": 0}

    def keep_signing_up() -> None:
        with app.app_context():
            try:
                live = db.session.get(Session, session_id)
                n = 1000
                while not stop.is_set():
                    _sign_up(live, n)
                    done["n"] += 1
                    n += 1
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    def count() -> int:
        with db.engine.connect() as conn:
            return conn.scalar(sa.select(sa.func.count(Learner.id)))

    writer = threading.Thread(target=keep_signing_up, daemon=True)
    writer.start()
    windows = []
    try:
        while done["n"] < 3 and writer.is_alive():
            stop.wait(0.01)
        for i in range(3):
            target = tmp_path / f"during-{i}.tar.gz"
            before = count()
            result = runner.invoke(args=["backup", "--to", str(target)])
            after = count()
            assert result.exit_code == 0, result.output
            windows.append((target, before, after))
    finally:
        stop.set()
        writer.join(60)
    assert errors == []
    assert any(after > before for _t, before, after in windows), "no sign-up during a backup"

    for target, before, after in windows:
        url = empty_database()
        restored, result = _restore(url, tmp_path, target, "--yes")
        assert result.exit_code == 0, result.output
        engine = sa.create_engine(url)
        try:
            learners, broken = _invariant_holds(engine)
        finally:
            engine.dispose()
        with restored.app_context():
            db.engine.dispose()
        assert broken == []
        assert before <= learners <= after
