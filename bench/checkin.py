"""Check-in under load: Dekiru's real API beside a bare-insert baseline, in one run.

    .venv/bin/python -m bench.checkin [--seconds 20] [--clients 32] [--database-url URL]

Builds a database of 50,000 learners (each with a card) and sessions open for check-in now
with 40 registered learners each (800 for the single door, 2,000 for batches), besides
1,600 others; serves Dekiru with gunicorn (2 workers) on 127.0.0.1 and has 32 clients post
check-ins (a card token and a fresh client_id each) for 20 seconds; then serves the
baseline — a bare Flask endpoint inserting one row into the same database — with the same
server settings and load. Then the same for a device's batch (POST .../checkins/batch, one
session's 40 learners as the check-in page queues them: learner_id, card_key, client_id,
scanned_at) beside a bare Flask endpoint reading the same body and inserting its 40 rows in
one transaction; items per second. Prints JSON and, with --write, updates BENCHMARKS.md
(a section per database). Every non-2xx answer, and every batch item not 201, is counted;
none is acceptable.

On PostgreSQL: create the database first (`createdb -h 127.0.0.1 -U postgres
bench_checkin`) and pass `--database-url postgresql://postgres@127.0.0.1:5432/bench_checkin`;
its tables are dropped and made again.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app import create_app
from app.auth.models import ApiToken, User
from app.auth.services import create_token
from app.checkin import device
from app.config import REPO_ROOT
from app.curricula.models import Course, CourseVersion, Skill
from app.extensions import db
from app.orgs.models import Organization
from app.people.cards import new_short_code, new_token
from app.people.models import Card, Learner, Registration
from app.scheduling.models import Session, SessionStaff, Venue
from app.timeutil import iso, utcnow
from bench.load import run_load
from bench.servers import baseline_rows

LEARNERS = 50_000
OPEN_SESSIONS = 800  # for single check-ins
BATCH_SESSIONS = 2_000  # one batch each
OTHER_SESSIONS = 1_600
SESSIONS = OPEN_SESSIONS + BATCH_SESSIONS + OTHER_SESSIONS
PER_OPEN_SESSION = 40


@dataclass
class Targets:
    token: str
    singles: list[tuple[int, str]]  # (session id, card token)
    batches: list[tuple[int, list[dict]]]  # (session id, the page's queued items)


def build(url: str) -> Targets:
    """The city's data; returns a coordinator's token and what to check in."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    rng = random.Random(2026)
    with app.app_context():
        db.drop_all()
        db.create_all()
        baseline_rows.create(db.engine, checkfirst=True)
        city = Organization(slug="city-hall", name="市役所", kind="municipality")
        coordinator = User(email="bench@example.jp", name="bench", role="coordinator", org=city)
        coordinator.set_password("bench-password-0")
        db.session.add_all([city, coordinator])
        course = Course(slug="smartphone-basics")
        version = CourseVersion(
            course=course,
            version=1,
            content_hash="0" * 64,
            title_ja="スマートフォンの基本操作",
            title_en="Smartphone basics",
            track="basic",
            audience=["senior"],
            duration_minutes=90,
            prerequisites=[],
            materials=[],
            skills=[Skill(key="power", label_ja="電源", label_en="Power", position=0)],
        )
        db.session.add_all([course, version])
        db.session.flush()
        course.current_version = version
        venues = [
            Venue(slug=f"hall-{i}", name=f"公民館{i}", district=f"地区{i % 12}", capacity=60)
            for i in range(OPEN_SESSIONS)
        ]
        db.session.add_all(venues)
        db.session.commit()
        _token, plain = create_token(coordinator, "bench")

        now = utcnow().replace(microsecond=0)
        rows = []
        opened = OPEN_SESSIONS + BATCH_SESSIONS
        for i in range(SESSIONS):
            venue = venues[i % len(venues)]
            if i < opened:  # running now: check-in is open
                start = now - timedelta(minutes=5)
            else:  # the rest of the term, before and after
                start = now + timedelta(days=(i % 5) * 7 - 14, hours=i % 5)
            rows.append(
                {
                    "course_version_id": version.id,
                    "venue_id": venue.id,
                    "starts_at": start,
                    "ends_at": start + timedelta(minutes=90),
                    "capacity": 60,
                    "delivery_type": "regional",
                    "public": True,
                    "notes": "",
                    "status": "scheduled",
                    "late_after_minutes": 10,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        db.session.execute(sa.insert(Session), rows)
        session_ids = list(db.session.scalars(sa.select(Session.id).order_by(Session.id)))
        db.session.execute(
            sa.insert(SessionStaff),
            [
                {"session_id": sid, "user_id": coordinator.id, "role": "instructor"}
                for sid in session_ids[:1]
            ],
        )
        learners = [
            {
                "name": f"受講者{i}",
                "furigana": f"じゅこうしゃ{i}",
                "furigana_key": f"じゅこうしゃ{i}",
                "phone": f"090-{i // 10000:04d}-{i % 10000:04d}",
                "phone_key": f"090{i:08d}",
                "birth_year": 1935 + i % 30,
                "district": f"地区{i % 12}",
                "kind": "senior",
                "language": "ja",
                "needs_vision": False,
                "needs_hearing": False,
                "needs_mobility": False,
                "share_with_partner": False,
                "notes": "",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(LEARNERS)
        ]
        db.session.execute(sa.insert(Learner), learners)
        learner_ids = list(db.session.scalars(sa.select(Learner.id).order_by(Learner.id)))
        tokens = {}
        codes = set()
        card_rows = []
        for learner_id in learner_ids:
            token = new_token()
            code = new_short_code()
            while code in codes:
                code = new_short_code()
            codes.add(code)
            tokens[learner_id] = token
            card_rows.append(
                {"learner_id": learner_id, "token": token, "short_code": code, "issued_at": now}
            )
        db.session.execute(sa.insert(Card), card_rows)
        registrations: list[dict[str, Any]] = []
        singles: list[tuple[int, str]] = []
        batches: list[tuple[int, list[dict]]] = []
        shuffled = learner_ids[:]
        rng.shuffle(shuffled)
        position = 0
        scanned = iso(now - timedelta(minutes=1))
        for n, sid in enumerate(session_ids[:opened]):
            if position + PER_OPEN_SESSION > len(shuffled):
                position = 0
            people = shuffled[position : position + PER_OPEN_SESSION]
            position += PER_OPEN_SESSION
            registrations.extend(_registration(sid, learner_id, now) for learner_id in people)
            if n < OPEN_SESSIONS:
                singles.extend((sid, tokens[learner_id]) for learner_id in people)
                continue
            key = device.door_key_for(sid)
            items = [
                {
                    "learner_id": learner_id,
                    "card_key": device.card_key(key, tokens[learner_id]),
                    "client_id": str(uuid.uuid4()),
                    "scanned_at": scanned,
                    "method": "qr",
                }
                for learner_id in people
            ]
            batches.append((sid, items))
        registrations.extend(  # other sessions: a few each, for realistic indexes
            _registration(sid, learner_id, now)
            for sid in session_ids[opened:]
            for learner_id in rng.sample(learner_ids, 8)
        )
        db.session.execute(sa.insert(Registration), registrations)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1
        db.engine.dispose()
    rng.shuffle(singles)
    rng.shuffle(batches)
    return Targets(plain, singles, batches)


def _registration(session_id: int, learner_id: int, now) -> dict:
    return {
        "session_id": session_id,
        "learner_id": learner_id,
        "status": "registered",
        "source": "phone",
        "queued_at": now,
        "created_at": now,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with 2 workers (threads for the 32 keep-alive clients) on 127.0.0.1."""

    def __init__(self, target: str, url: str):
        self.port = _free_port()
        env = {
            **os.environ,
            "BENCH_DATABASE_URL": url,
            "DEKIRU_ENV": "production",
            "SECRET_KEY": "bench",
        }
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                target,
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--worker-class",
                "gthread",
                "--threads",
                "16",
                "--log-level",
                "warning",
            ],
            cwd=REPO_ROOT,
            env=env,
        )

    def __enter__(self) -> Server:
        # The port opens before the workers have imported the app: wait for an answer (any,
        # a 404 will do), then for the other worker, booting meanwhile, so that no request
        # of the measurement waits for a worker to start.
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/bench-ready")
                connection.getresponse().read()
                connection.close()
                time.sleep(3)
                return self
            except (OSError, http.client.HTTPException):
                time.sleep(0.2)
        self.process.kill()
        raise RuntimeError("server did not start")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def measure(url: str, seconds: float, clients: int) -> dict:
    load_before = round(os.getloadavg()[0], 2)
    targets = build(url)
    headers = {"Authorization": f"Bearer {targets.token}"}

    def checkins():
        for session_id, card_token in targets.singles:
            body = {"code": card_token, "client_id": str(uuid.uuid4())}
            yield "POST", f"/api/v1/sessions/{session_id}/checkins", body, headers

    def inserts():
        while True:
            yield "POST", "/insert", {"payload": str(uuid.uuid4())}, {}

    def batches():
        for session_id, items in targets.batches:
            yield "POST", f"/api/v1/sessions/{session_id}/checkins/batch", {"items": items}, headers

    def batch_inserts():  # the same bodies, again if need be: the baseline has no rules
        for _session_id, items in itertools.cycle(targets.batches):
            yield "POST", "/insert-many", {"items": items}, {}

    items: Counter[str] = Counter()
    lock = threading.Lock()

    def count_items(status: int, data: bytes) -> None:
        if status == 200:
            answered = Counter(r["status"] for r in json.loads(data)["results"])
            with lock:
                items.update(answered)

    with Server("bench.servers:dekiru", url) as server:
        dekiru = run_load(
            "dekiru check-in", server.port, checkins(), clients=clients, seconds=seconds
        )
    with Server("bench.servers:baseline", url) as server:
        base = run_load("baseline insert", server.port, inserts(), clients=clients, seconds=seconds)
    with Server("bench.servers:dekiru", url) as server:
        batch = run_load(
            "dekiru batch",
            server.port,
            batches(),
            clients=clients,
            seconds=seconds,
            on_body=count_items,
        )
    with Server("bench.servers:baseline", url) as server:
        batch_base = run_load(
            "baseline insert many", server.port, batch_inserts(), clients=clients, seconds=seconds
        )
    size = PER_OPEN_SESSION
    return {
        "dekiru": dekiru.summary(),
        "baseline": base.summary(),
        "throughput_ratio": round(dekiru.rps / base.rps, 3) if base.rps else None,
        "p99_ratio": round(dekiru.percentile(99) / base.percentile(99), 2),
        "singles": len(targets.singles),
        "batch": batch.summary() | {"items_per_s": round(batch.rps * size, 1)},
        "batch_items": dict(sorted(items.items())),
        "batch_baseline": batch_base.summary() | {"items_per_s": round(batch_base.rps * size, 1)},
        "batch_ratio": round(batch.rps / batch_base.rps, 3) if batch_base.rps else None,
        "batch_p99_ratio": round(batch.percentile(99) / batch_base.percentile(99), 2),
        "batch_size": size,
        "batches": len(targets.batches),
        "load_before": load_before,
        "load_after": round(os.getloadavg()[0], 2),
    }


def machine() -> str:
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor()
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def write_benchmarks(section: str, body: str) -> None:
    """Replace this benchmark's section in BENCHMARKS.md, keeping the others."""
    path = REPO_ROOT / "BENCHMARKS.md"
    text = (
        path.read_text()
        if path.exists()
        else "# Benchmarks\n\nEach benchmark is measured against a baseline in the same run; ratios matter, not absolute numbers.\n"
    )
    start_marker, end_marker = f"<!-- {section} -->", f"<!-- /{section} -->"
    block = f"{start_marker}\n{body.strip()}\n{end_marker}"
    if start_marker in text:
        before = text.split(start_marker)[0]
        after = text.split(end_marker, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def report(result: dict, database: str, seconds: float, clients: int, command: str) -> str:
    d, b = result["dekiru"], result["baseline"]
    m, mb = result["batch"], result["batch_baseline"]
    not_201 = sum(n for status, n in result["batch_items"].items() if int(status) != 201)
    return f"""### {database}

Command: `{command}`
Machine: {machine()}; load average {result["load_before"]} before the run and
{result["load_after"]} after it (other engineers' tests on the same 2 cores);
server: gunicorn, 2 workers (gthread, 16 threads) on 127.0.0.1; data: {LEARNERS:,} learners
with cards, {SESSIONS:,} sessions ({OPEN_SESSIONS} open for single check-ins and {BATCH_SESSIONS:,}
for batches, {PER_OPEN_SESSION} registered each); {clients} closed-loop clients for {seconds:g} s
each. Measured {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}.

| | requests/s | items/s | p50 ms | p95 ms | p99 ms | non-2xx |
|---|---:|---:|---:|---:|---:|---:|
| Dekiru `POST /api/v1/sessions/{{id}}/checkins` | {d["rps"]} | {d["rps"]} | {d["p50_ms"]} | {d["p95_ms"]} | {d["p99_ms"]} | {d["non_2xx"]} |
| baseline: bare Flask, insert one row | {b["rps"]} | {b["rps"]} | {b["p50_ms"]} | {b["p95_ms"]} | {b["p99_ms"]} | {b["non_2xx"]} |
| Dekiru `POST .../checkins/batch`, {result["batch_size"]} items | {m["rps"]} | {m["items_per_s"]} | {m["p50_ms"]} | {m["p95_ms"]} | {m["p99_ms"]} | {m["non_2xx"]} |
| baseline: bare Flask, read the same body, insert {result["batch_size"]} rows in one transaction | {mb["rps"]} | {mb["items_per_s"]} | {mb["p50_ms"]} | {mb["p95_ms"]} | {mb["p99_ms"]} | {mb["non_2xx"]} |

Single check-in: **throughput ratio {result["throughput_ratio"]}** (aim ≥ 0.70), p99
{result["p99_ratio"]}× the baseline's (aim ≤ 2), non-2xx {d["non_2xx"]} (statuses {d["statuses"]},
connection errors {d["errors"] or 0}).
Batch: **items/s ratio {result["batch_ratio"]}** (aim ≥ 0.70), p99 {result["batch_p99_ratio"]}×
the baseline's (aim ≤ 2), non-2xx {m["non_2xx"]}, items not 201 {not_201} (items {result["batch_items"]}).
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary folder")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        result = measure(url, args.seconds, args.clients)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    sqlite = url.startswith("sqlite")
    database = "SQLite (WAL)" if sqlite else "PostgreSQL"
    command = " ".join(["nice -n 0 .venv/bin/python -m bench.checkin", *sys.argv[1:]])
    if args.write:
        body = report(result, database, args.seconds, args.clients, command)
        write_benchmarks("checkin" if sqlite else "checkin-postgresql", body)


if __name__ == "__main__":
    main()
