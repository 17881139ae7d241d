"""Reports at city scale: the dashboard, the exports and the public page beside hand-written SQL.

    .venv/bin/python bench/reports.py [--repeat 5] [--write] [--rebuild]

Data: the city of the issue (20,000 sessions, 60,000 learners, 500,000 attendances over five
years), built by the app's own commands — `init-db`, `load-curricula`, `demo-data --scale
city` — into bench/.cache/city-<key>.sqlite3, and the ordinary demo city beside it for the
query counts. The key hashes the generator's sources, the curricula, the migrations and the
month, so a later run reuses the file until one of them changes (`--rebuild` forces it). Each
run measures a throw-away copy, so logins, tokens and audit entries never reach the cache.

Measured, on SQLite, in one process (the Flask test client; real routes, logged in as a
coordinator), each a median of `--repeat` runs after one warm-up:

- the dashboard's figures, `app.reports.figures.compute` (every part), for the current 年度
  (the default), for the whole five years as one date range, for one district and for one
  partner; and the dashboard page itself, `GET /reports/?view=…`, for each of its views
  (tabs) under the same four filters, beside the baseline for the parts that view shows;
- the per-session records, `GET /reports/sessions.csv` and `.xlsx`, for one, two and four
  whole 年度 and all the data to yesterday: time, and the peak of Python memory
  (tracemalloc, in a separate run) against the rows, which must not grow with them;
- the public page `GET /public/achievements`, and `GET /api/v1/reports/summary` when the app
  has it.

The baseline: the same figures, each computed by ONE hand-written SQL statement (`sa.text`),
timed in the same run. Before anything is timed the bench checks that every baseline number
equals the app's, so the comparison is between two ways of getting the same answer. SQL
statements per page are counted with an engine event, on the demo city and on the city.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: `python bench/reports.py`
    sys.path.insert(0, str(REPO_ROOT))

import sqlalchemy as sa  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.models import Role, User  # noqa: E402
from app.auth.services import create_token  # noqa: E402
from app.extensions import db  # noqa: E402
from app.fiscal import FiscalYear  # noqa: E402
from app.public.achievements import achievements  # noqa: E402
from app.reports import figures as figures_module  # noqa: E402
from app.reports import routes  # noqa: E402
from app.reports.filters import ReportFilter, parse_filter  # noqa: E402
from app.tabular import SPOOL_BYTES  # noqa: E402
from app.timeutil import japan_today, local, utcnow  # noqa: E402
from bench.calendars import QueryCounter  # noqa: E402
from bench.checkin import machine, write_benchmarks  # noqa: E402

CACHE_DIR = REPO_ROOT / "bench" / ".cache"
# What the built data depends on: a change to any of these builds it again.
GENERATOR_SOURCES = ("app/cli.py",)
# demo/ whole: a table or generator module added there changes the data as much as an edit.
GENERATOR_FOLDERS = ("demo", "curricula", "migrations/versions")
PASSWORD = "bench-password-0"
AIM_MS = 500  # every dashboard view, on SQLite, at city scale
EXPORT_YEARS = (1, 2, 4)  # whole 年度 per export (and all the data): as the period doubles,
# the memory an export takes must not


# ================================================================ the data


def cache_key(scale: str) -> str:
    digest = hashlib.sha256(scale.encode())
    files = [REPO_ROOT / name for name in GENERATOR_SOURCES]
    for folder in GENERATOR_FOLDERS:
        files += sorted(p for p in (REPO_ROOT / folder).rglob("*") if p.is_file())
    for path in files:
        if path.exists() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(REPO_ROOT)).encode())
            digest.update(path.read_bytes())
    # Histories end today: a month later the current 年度 deserves fresh data.
    digest.update(japan_today().strftime("%Y-%m").encode())
    return digest.hexdigest()[:12]


def cached_database(scale: str, rebuild: bool) -> Path:
    """bench/.cache/<scale>-<key>.sqlite3, built by the app's commands when missing."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"{scale}-{cache_key(scale)}.sqlite3"
    if path.exists() and not rebuild:
        return path
    for old in CACHE_DIR.glob(f"{scale}-*.sqlite3*"):
        old.unlink()
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    print(f"building the {scale} data into {path.name} …", file=sys.stderr, flush=True)
    started = time.perf_counter()
    # A child process: the build's memory and caches stay out of the measurements.
    subprocess.run(
        [sys.executable, __file__, "--build", scale, str(partial)], check=True, cwd=REPO_ROOT
    )
    partial.rename(path)
    print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return path


def build(scale: str, path: Path) -> None:
    """What `DATABASE_URL=sqlite:///path flask --app app init-db` etc. would run.

    In-process through the CLI runner so that the demo logins file goes to bench/.cache,
    not to the developer's instance folder.
    """
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench"})
    app.instance_path = str(CACHE_DIR)
    runner = app.test_cli_runner()
    for args in (["init-db"], ["load-curricula"], ["demo-data", "--scale", scale]):
        result = runner.invoke(args=args, catch_exceptions=False)
        if result.exit_code != 0:
            sys.exit(f"`flask {' '.join(args)}` failed:\n{result.output}")
    with app.app_context():
        db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.engine.dispose()


def working_copy(cached: Path, folder: Path) -> str:
    copy = folder / cached.name
    shutil.copyfile(cached, copy)
    return f"sqlite:///{copy}"


def bench_app(url: str):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "dekiru.example",
        }
    )
    app.instance_path = str(CACHE_DIR)
    return app


def sizes() -> dict[str, int]:
    counts = {}
    for table in ("sessions", "learners", "attendances", "registrations", "skills_reached"):
        counts[table] = db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
    return counts


def coordinator() -> User:
    """The first coordinator, with a known password (on the throw-away copy only)."""
    user = db.session.scalar(
        sa.select(User).where(User.role == Role.COORDINATOR).order_by(User.id).limit(1)
    )
    assert user is not None, "the demo city has no coordinator"
    user.set_password(PASSWORD)
    db.session.commit()
    return user


# ================================================================ the views


@dataclass(frozen=True)
class View:
    key: str
    title: str  # as the table shows it
    args: dict[str, str]


def dashboard_views(today: date) -> list[View]:
    """The default view, the whole data as one range, one district, one partner."""
    year = FiscalYear.of_day(today)
    first, last = db.session.execute(
        sa.text("SELECT min(starts_at), max(starts_at) FROM sessions")
    ).one()
    first_day = local(datetime.fromisoformat(str(first)).replace(tzinfo=UTC)).date()
    last_day = local(datetime.fromisoformat(str(last)).replace(tzinfo=UTC)).date()
    start, end = year.bounds()
    busiest = sa.text(
        """SELECT {col} FROM sessions s JOIN venues v ON v.id = s.venue_id
        LEFT JOIN organizations o ON o.id = s.partner_org_id
        WHERE s.starts_at >= :start AND s.starts_at < :end AND {col} IS NOT NULL
        GROUP BY {col} ORDER BY count(*) DESC LIMIT 1"""
    )
    params = {"start": _utc(start), "end": _utc(end)}
    district = db.session.scalar(sa.text(busiest.text.format(col="v.district")), params)
    partner = db.session.scalar(sa.text(busiest.text.format(col="o.slug")), params)
    years = (last_day - first_day).days / 365.25
    return [
        View("year", f"年度 {year.year} (the default view)", {"year": str(year.year)}),
        View(
            "range",
            f"{first_day} – {last_day} ({years:.1f} years, as one range)",
            {"from": first_day.isoformat(), "to": last_day.isoformat()},
        ),
        View(
            "district",
            f"年度 {year.year}, district {district}",
            {"year": str(year.year), "district": district},
        ),
        View(
            "partner",
            f"年度 {year.year}, partner {partner}",
            {"year": str(year.year), "partner": partner},
        ),
    ]


# ================================================================ the baseline: one SQL each


def _utc(moment: datetime) -> str:
    """A moment as SQLAlchemy stores it in SQLite: naive UTC text with microseconds."""
    return f"{moment.astimezone(UTC).replace(tzinfo=None):%Y-%m-%d %H:%M:%S.%f}"


def _where(flt: ReportFilter, now: datetime) -> tuple[str, dict[str, Any]]:
    start, end = flt.bounds()
    sql = "s.starts_at >= :start AND s.starts_at < :end"
    params: dict[str, Any] = {"start": _utc(start), "end": _utc(end), "now": _utc(now)}
    if flt.district:
        sql += " AND v.district = :district"
        params["district"] = flt.district
    if flt.partner is not None:
        sql += " AND s.partner_org_id = :partner"
        params["partner"] = flt.partner.id
    return sql, params


FROM_SESSIONS = """sessions s
    JOIN course_versions cv ON cv.id = s.course_version_id
    JOIN venues v ON v.id = s.venue_id"""


def _sessions_of(column: str) -> str:
    """Join the session a row belongs to, with its course version and venue (the filter's)."""
    return f"""JOIN sessions s ON s.id = {column}
    JOIN course_versions cv ON cv.id = s.course_version_id
    JOIN venues v ON v.id = s.venue_id"""


HELD = "(s.status = 'completed' OR (s.status = 'scheduled' AND s.ends_at <= :now))"
STATE = f"""CASE WHEN s.status = 'cancelled' THEN 'cancelled'
    WHEN {HELD} THEN 'held' ELSE 'planned' END"""
PRESENT = "a.status IN ('present', 'late')"

SQL_SESSION_TOTALS = f"""
WITH f AS (
    SELECT s.id, s.capacity, {STATE} AS state FROM {FROM_SESSIONS} WHERE {{where}}
), present AS (
    SELECT a.session_id, count(*) AS n FROM attendances a JOIN f ON f.id = a.session_id
    WHERE {PRESENT} GROUP BY a.session_id
), regs AS (
    SELECT r.session_id,
        sum(CASE WHEN r.status = 'registered' THEN 1 ELSE 0 END) AS registered,
        sum(CASE WHEN r.status = 'registered' AND (a.id IS NULL OR a.status = 'absent')
            THEN 1 ELSE 0 END) AS no_show
    FROM registrations r JOIN f ON f.id = r.session_id
    LEFT JOIN attendances a ON a.registration_id = r.id
    GROUP BY r.session_id
), staff AS (
    SELECT st.session_id,
        sum(CASE WHEN st.role = 'instructor' THEN 1 ELSE 0 END) AS instructors,
        sum(CASE WHEN st.role = 'assistant' THEN 1 ELSE 0 END) AS assistants
    FROM session_staff st JOIN f ON f.id = st.session_id GROUP BY st.session_id
)
SELECT
    sum(CASE WHEN state = 'held' THEN 1 ELSE 0 END),
    sum(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END),
    sum(CASE WHEN state = 'planned' THEN 1 ELSE 0 END),
    sum(CASE WHEN state <> 'cancelled' THEN capacity ELSE 0 END),
    sum(CASE WHEN state <> 'cancelled' THEN coalesce(regs.registered, 0) ELSE 0 END),
    sum(CASE WHEN state = 'held' THEN coalesce(present.n, 0) ELSE 0 END),
    sum(CASE WHEN state = 'held' THEN coalesce(regs.registered, 0) ELSE 0 END),
    sum(CASE WHEN state = 'held' THEN coalesce(regs.no_show, 0) ELSE 0 END),
    sum(CASE WHEN state = 'held' AND present.n = 1 THEN 1 ELSE 0 END),
    sum(CASE WHEN state = 'held' AND coalesce(staff.instructors, 0) >= 1
        AND coalesce(present.n, 0)
            <= 4 * (coalesce(staff.instructors, 0) + coalesce(staff.assistants, 0))
        THEN 1 ELSE 0 END)
FROM f
LEFT JOIN present ON present.session_id = f.id
LEFT JOIN regs ON regs.session_id = f.id
LEFT JOIN staff ON staff.session_id = f.id
"""
SESSION_TOTALS = (
    "held",
    "cancelled",
    "planned",
    "seats",
    "seats_taken",
    "attendances",
    "registered_held",
    "no_shows",
    "single_learner_sessions",
    "rule_met",
)

SQL_SESSION_GROUPS = f"""
SELECT strftime('%Y-%m', s.starts_at, '+9 hours') AS month, cv.course_id, cv.track,
    s.delivery_type, s.partner_org_id, s.venue_id, {STATE} AS state, count(*)
FROM {FROM_SESSIONS} WHERE {{where}}
GROUP BY month, cv.course_id, cv.track, s.delivery_type, s.partner_org_id, s.venue_id, state
"""

SQL_WAITLIST = f"""
SELECT cv.course_id, count(*) FROM registrations r {_sessions_of("r.session_id")}
WHERE {{where}} AND s.status <> 'cancelled' AND r.status = 'waitlisted'
GROUP BY cv.course_id
"""

ATTENDED = f"""SELECT a.learner_id, cv.course_id FROM attendances a
    {_sessions_of("a.session_id")}
    WHERE {{where}} AND {HELD} AND {PRESENT}"""

SQL_LEARNERS = f"""
WITH learner AS (
    SELECT learner_id, count(DISTINCT course_id) AS courses FROM ({ATTENDED}) GROUP BY learner_id
)
SELECT count(*),
    sum(CASE WHEN EXISTS (
        SELECT 1 FROM attendances e JOIN sessions es ON es.id = e.session_id
        WHERE e.learner_id = learner.learner_id AND e.status IN ('present', 'late')
            AND es.starts_at < :start
    ) THEN 0 ELSE 1 END),
    sum(CASE WHEN courses >= 2 THEN 1 ELSE 0 END)
FROM learner
"""

SQL_REACH = f"""
SELECT coalesce(l.district, ''), l.kind, coalesce(l.device, ''),
    CASE WHEN l.birth_year IS NULL THEN 'unknown'
        WHEN :on_year - l.birth_year < 60 THEN 'under_60'
        WHEN :on_year - l.birth_year < 70 THEN '60_69'
        WHEN :on_year - l.birth_year < 80 THEN '70_79'
        ELSE '80_plus' END AS band,
    count(*)
FROM learners l WHERE l.id IN (SELECT learner_id FROM ({ATTENDED}))
GROUP BY 1, 2, 3, 4
"""

SQL_ATTENDEES_BY_COURSE = f"""
SELECT course_id, count(DISTINCT learner_id) FROM ({ATTENDED}) GROUP BY course_id
"""

# Every skill reached, numbered per learner, course and key in the order of the classes
# (the certificates' rule: a key is first reached in the earliest class, whatever its state).
REACHES = """reaches AS (
    SELECT sr.learner_id, skv.course_id, sk.course_version_id AS version_id, sk.key,
        rs.starts_at, rs.id AS session_id,
        row_number() OVER (PARTITION BY sr.learner_id, skv.course_id, sk.key
                           ORDER BY rs.starts_at, rs.id) AS nth
    FROM skills_reached sr JOIN skills sk ON sk.id = sr.skill_id
    JOIN course_versions skv ON skv.id = sk.course_version_id
    JOIN sessions rs ON rs.id = sr.session_id
)"""

SQL_SKILLS = f"""
WITH {REACHES}
SELECT r.course_id, r.key, count(*) FROM reaches r {_sessions_of("r.session_id")}
WHERE r.nth = 1 AND {{where}} AND s.status <> 'cancelled'
GROUP BY r.course_id, r.key
"""

# A course is completed in the class where the last key of its version was first reached,
# once every key of that version has been: the certificates' rule where each class teaches
# one version of its course (as in the bench's data; the check of every figure against the
# app's, before timing, would stop the bench if it did not hold).
SQL_COMPLETED = f"""
WITH {REACHES}, firsts AS (
    SELECT course_id, version_id, session_id,
        count(*) OVER (PARTITION BY learner_id, course_id, version_id) AS n,
        row_number() OVER (PARTITION BY learner_id, course_id, version_id
                           ORDER BY starts_at DESC, session_id DESC) AS latest
    FROM reaches WHERE nth = 1
), needed AS (
    SELECT course_version_id AS version_id, count(*) AS n FROM skills GROUP BY course_version_id
)
SELECT f.course_id, count(*) FROM firsts f JOIN needed ON needed.version_id = f.version_id
{_sessions_of("f.session_id")}
WHERE f.latest = 1 AND f.n = needed.n AND {{where}} AND s.status <> 'cancelled'
GROUP BY f.course_id
"""

SQL_STAFF_HOURS = f"""
SELECT u.org_id, st.role,
    sum(CAST(ROUND((julianday(s.ends_at) - julianday(s.starts_at)) * 1440) AS INTEGER))
FROM session_staff st JOIN users u ON u.id = st.user_id {_sessions_of("st.session_id")}
WHERE {{where}} AND {HELD}
GROUP BY u.org_id, st.role
"""

# The figure groups: which part of `compute` makes them, and the statements of the baseline.
GROUPS = {
    "sessions": (
        "sessions: held/cancelled/planned by month, course, track, delivery, partner, venue; "
        "seats, no-shows, 1:4, waitlist by course",
        ("_sum_sessions",),
        (SQL_SESSION_TOTALS, SQL_SESSION_GROUPS, SQL_WAITLIST),
    ),
    "attendance": (
        "attendance: 延べ, 実人数, new, went on to a further course",
        ("_count_attendance",),
        (SQL_LEARNERS,),
    ),
    "reach": (
        "reach: by district × kind, age band, kind, device",
        ("_count_reach",),
        (SQL_REACH,),
    ),
    "outcomes": (
        "outcomes: attendees, skills reached, completed, per course",
        ("_count_outcomes",),
        (SQL_ATTENDEES_BY_COURSE, SQL_SKILLS, SQL_COMPLETED),
    ),
    "staffing": (
        "staffing: instructor and assistant hours by organization",
        ("_count_staff_hours",),
        (SQL_STAFF_HOURS,),
    ),
}


def baseline_figures(
    flt: ReportFilter, now: datetime, parts: frozenset[str] | None = None
) -> dict[str, Any]:
    """The figures of `parts` (default: all), one statement per figure, rolled up in Python."""
    return {name: _baseline_group(name, flt, now) for name in GROUPS if not parts or name in parts}


def statements(parts: frozenset[str] | None = None) -> int:
    return sum(len(g[2]) for name, g in GROUPS.items() if not parts or name in parts)


def dashboard_tabs() -> dict[str, frozenset[str]]:
    """The dashboard's views (tabs) and the parts of the figures each counts."""
    views = dict(getattr(routes, "VIEWS", {"overview": figures_module.EVERY_PART}))
    # A view that counts none of compute()'s parts (the surveys': app.surveys.results) has no
    # baseline here: measured against every statement it would look a hundred times faster.
    return {tab: parts for tab, parts in views.items() if parts}


def _run(sql: str, flt: ReportFilter, now: datetime) -> list[sa.Row]:
    where, params = _where(flt, now)
    params["on_year"] = flt.last_day.year
    used = {k: v for k, v in params.items() if f":{k}" in sql.replace("{where}", where)}
    return list(db.session.execute(sa.text(sql.replace("{where}", where)), used).all())


def _baseline_group(name: str, flt: ReportFilter, now: datetime) -> dict[str, Any]:
    rows = [_run(sql, flt, now) for sql in GROUPS[name][2]]
    if name == "sessions":
        totals, groups, waitlist = rows
        result: dict[str, Any] = dict(
            zip(SESSION_TOTALS, (int(v or 0) for v in totals[0]), strict=True)
        )
        by: dict[str, dict] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
        slot = {"held": 0, "cancelled": 1, "planned": 2}
        for month, course, track, delivery, partner, venue, state, count in groups:
            for kind, key in (
                ("month", month),
                ("course", course),
                ("track", track),
                ("delivery", delivery),
                ("partner", partner),
                ("venue", venue),
            ):
                if key is not None:
                    by[kind][key][slot[state]] += count
        result["by"] = {kind: {k: tuple(v) for k, v in lines.items()} for kind, lines in by.items()}
        result["waitlist"] = dict(waitlist)
        return result
    if name == "attendance":
        distinct, new, further = rows[0][0]
        return {"distinct": distinct, "new": int(new or 0), "further": int(further or 0)}
    if name == "reach":
        districts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        ages: dict[str, int] = defaultdict(int)
        kinds: dict[str, int] = defaultdict(int)
        devices: dict[str, int] = defaultdict(int)
        for district, kind, device, band, count in rows[0]:
            districts[district][kind] += count
            ages[band] += count
            kinds[kind] += count
            devices[device] += count
        return {
            "district": {d: dict(k) for d, k in districts.items()},
            "age": dict(ages),
            "kind": dict(kinds),
            "device": dict(devices),
        }
    if name == "outcomes":
        attendees, skills, completed = rows
        return {
            "attendees": dict(attendees),
            "skills": {(course, key): n for course, key, n in skills},
            "completed": dict(completed),
        }
    staff: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    for org_id, role, minutes in rows[0]:
        staff[org_id][0 if role == "instructor" else 1] += int(minutes or 0)
    return {"staff": {org: tuple(m) for org, m in staff.items()}}  # staffing


# ---------------------------------------------------------------- ours, in the same shape


def _ids(table: str) -> dict[str, int]:
    return dict(db.session.execute(sa.text(f"SELECT slug, id FROM {table}")).all())


def ours_in_baseline_shape(fig: figures_module.Figures) -> dict[str, Any]:
    courses, orgs, venues = _ids("courses"), _ids("organizations"), _ids("venues")

    def counts(lines, key) -> dict:
        made = {}
        for line in lines:
            c = line.counts
            if c.total:
                made[key(line)] = (c.held, c.cancelled, c.planned)
        return made

    totals = {name: getattr(fig, name) for name in SESSION_TOTALS[3:]}
    totals |= {"held": fig.sessions.held, "cancelled": fig.sessions.cancelled}
    totals["planned"] = fig.sessions.planned
    skills = {}
    for outcome in fig.outcomes:
        for skill in outcome.skills:
            skills[(courses[outcome.slug], skill.key)] = skill.reached
    return {
        "sessions": totals
        | {
            "by": {
                "month": counts(fig.by_month, lambda ln: ln.key),
                "course": counts(fig.by_course, lambda ln: courses[ln.key]),
                "track": counts(fig.by_track, lambda ln: ln.key),
                "delivery": counts(fig.by_delivery, lambda ln: ln.key),
                "partner": counts(fig.by_partner, lambda ln: orgs[ln.key]),
                "venue": counts(fig.by_venue, lambda ln: venues[ln.key]),
            },
            "waitlist": {courses[ln.key]: ln.count for ln in fig.waitlist_by_course},
        },
        "attendance": {
            "distinct": fig.distinct_learners,
            "new": fig.new_learners,
            "further": fig.further_course,
        },
        "reach": {
            "district": {
                ln.district: {k: n for k, n in ln.by_kind.items() if n} for ln in fig.by_district
            },
            "age": {ln.key: ln.count for ln in fig.by_age_band if ln.count},
            "kind": {ln.key: ln.count for ln in fig.by_kind if ln.count},
            "device": {ln.key: ln.count for ln in fig.by_device if ln.count},
        },
        "outcomes": {
            "attendees": {courses[o.slug]: o.attendees for o in fig.outcomes if o.attendees},
            "skills": skills,
            "completed": {courses[o.slug]: o.completed for o in fig.outcomes if o.completed},
        },
        "staffing": {
            "staff": {
                h.org_id: (h.instructor_minutes, h.assistant_minutes) for h in fig.staff_hours
            }
        },
    }


def _normal(value: Any) -> Any:
    """Comparable: keys as text, tuples as lists, numbers as ints."""
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


def check_same(view: str, ours: dict[str, Any], base: dict[str, Any]) -> None:
    """Stop the bench when a baseline number differs from the app's: no honest ratio then."""
    ours, base = _normal(ours), _normal(base)
    # The app lists only the current version's skills; the baseline counts every key.
    base["outcomes"]["skills"] = {
        k: base["outcomes"]["skills"].get(k, 0) for k in ours["outcomes"]["skills"]
    }
    for group in GROUPS:
        if ours[group] != base[group]:
            raise AssertionError(
                f"{view}: the baseline's {group} differ from the app's:\n"
                f"  app:      {_short(ours[group])}\n"
                f"  baseline: {_short(base[group])}"
            )


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) < 2000 else text[:2000] + " …"


# ---------------------------------------------------------------- the public page's figures

SQL_PUBLIC_TOTALS = f"""
SELECT count(DISTINCT s.id), count(a.id), count(DISTINCT a.learner_id)
FROM {FROM_SESSIONS}
LEFT JOIN attendances a ON a.session_id = s.id AND {PRESENT}
WHERE {{where}} AND {HELD}
"""

SQL_PUBLIC_DISTRICTS = f"""
SELECT v.district, count(DISTINCT s.id) AS n, count(DISTINCT a.learner_id)
FROM {FROM_SESSIONS}
LEFT JOIN attendances a ON a.session_id = s.id AND {PRESENT}
WHERE {{where}} AND {HELD}
GROUP BY v.district ORDER BY n DESC, v.district
"""

SQL_PUBLIC_SKILLS = f"""
SELECT max(sk.label_ja) AS label, count(DISTINCT sr.learner_id) AS n
FROM skills_reached sr {_sessions_of("sr.session_id")}
JOIN skills sk ON sk.id = sr.skill_id
WHERE {{where}} AND {HELD}
GROUP BY cv.course_id, sk.key ORDER BY n DESC, label LIMIT 10
"""

SQL_PUBLIC_UPCOMING = """
SELECT s.id FROM sessions s
WHERE s.public = 1 AND s.status = 'scheduled' AND s.starts_at > :now
ORDER BY s.starts_at, s.id LIMIT 10
"""

PUBLIC_SQLS = (SQL_PUBLIC_TOTALS, SQL_PUBLIC_DISTRICTS, SQL_PUBLIC_SKILLS, SQL_PUBLIC_UPCOMING)


def baseline_public(now: datetime) -> dict[str, Any]:
    year = FiscalYear.of(now)
    flt = ReportFilter(first_day=year.first_day, last_day=year.last_day, year=year)
    totals, districts, skills, upcoming = (_run(sql, flt, now) for sql in PUBLIC_SQLS)
    return {
        "totals": list(totals[0]),
        "districts": [list(row) for row in districts],
        "skills": sorted(n for _label, n in skills),
        "upcoming": [row[0] for row in upcoming],
    }


def ours_public(now: datetime) -> dict[str, Any]:
    shown = achievements(now)
    return {
        "totals": [shown.sessions_held, shown.attendances, shown.learners],
        "districts": [[r.district, r.sessions, r.learners] for r in shown.districts],
        "skills": sorted((r.learners for r in shown.skills), key=lambda p: p.exact or 0),
        "upcoming": [u.id for u in shown.upcoming],
    }


def check_public(ours: dict[str, Any], base: dict[str, Any]) -> None:
    """Equal, where the page shows "<5" the baseline's count is from 1 to 4."""

    def same(published, count) -> bool:
        if hasattr(published, "suppressed"):
            return 0 < count < 5 if published.suppressed else published.exact == count
        return published == count

    def same_list(a, b) -> bool:
        if isinstance(a, list):
            return len(a) == len(b) and all(same_list(x, y) for x, y in zip(a, b, strict=True))
        return same(a, b)

    for key in ours:
        if not same_list(ours[key], base[key]):
            raise AssertionError(
                f"public page: the baseline's {key} differ: {ours[key]} / {base[key]}"
            )


# ---------------------------------------------------------------- the per-session records

SQL_RECORDS = f"""
WITH held AS (
    SELECT s.id FROM {FROM_SESSIONS} WHERE {{where}} AND {HELD}
), present AS (
    SELECT a.session_id, count(*) AS n FROM attendances a JOIN held ON held.id = a.session_id
    WHERE {PRESENT} GROUP BY a.session_id
), staff AS (
    SELECT st.session_id,
        sum(CASE WHEN st.role = 'instructor' THEN 1 ELSE 0 END) AS instructors,
        sum(CASE WHEN st.role = 'assistant' THEN 1 ELSE 0 END) AS assistants,
        group_concat(CASE WHEN st.role = 'instructor' THEN u.name END, '、') AS instructor_names,
        group_concat(CASE WHEN st.role = 'assistant' THEN u.name END, '、') AS assistant_names
    FROM session_staff st JOIN held ON held.id = st.session_id JOIN users u ON u.id = st.user_id
    GROUP BY st.session_id
)
SELECT s.starts_at, s.ends_at, cv.title_ja, cv.track, s.delivery_type, v.name, v.district,
    coalesce(o.name, ''), coalesce(present.n, 0), coalesce(staff.instructors, 0),
    coalesce(staff.assistants, 0), coalesce(staff.instructor_names, ''),
    coalesce(staff.assistant_names, ''), s.id
FROM held {_sessions_of("held.id")}
LEFT JOIN organizations o ON o.id = s.partner_org_id
LEFT JOIN present ON present.session_id = s.id
LEFT JOIN staff ON staff.session_id = s.id
ORDER BY s.starts_at, s.id
"""
JST = timedelta(hours=9)


def _baseline_record_rows(flt: ReportFilter, now: datetime) -> Iterator[list[Any]]:
    """The records' cells, straight from the cursor (sqlite3 steps it row by row)."""
    where, params = _where(flt, now)
    result = db.session.execute(sa.text(SQL_RECORDS.replace("{where}", where)), params)
    for starts, ends, *middle, present, instructors, assistants, names_i, names_a, sid in result:
        start = datetime.fromisoformat(starts) + JST
        end = datetime.fromisoformat(ends) + JST
        met = instructors >= 1 and present <= 4 * (instructors + assistants)
        yield [
            start.date().isoformat(),
            f"{start:%H:%M}",
            f"{end:%H:%M}",
            *middle[:4],  # course, track, delivery, venue
            "若葉市",
            *middle[4:],  # district, partner
            present,
            instructors,
            assistants,
            names_i,
            names_a,
            "○" if met else "×",
            sid,
        ]


def baseline_csv(flt: ReportFilter, now: datetime) -> tuple[int, int, int]:
    """csv.writer over the cursor, flushed every 500 rows: (bytes, rows, learners)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    size, rows, learners = 3, 0, 0
    for row in _baseline_record_rows(flt, now):
        writer.writerow(row)
        rows += 1
        learners += row[10]
        if rows % 500 == 0:
            size += len(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
    size += len(buffer.getvalue().encode())
    return size, rows, learners


def baseline_xlsx(flt: ReportFilter, now: datetime) -> tuple[int, int, int]:
    """openpyxl's write-only workbook over the cursor, saved to a spooled file."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("records")
    rows = learners = 0
    for row in _baseline_record_rows(flt, now):
        sheet.append(row)
        rows += 1
        learners += row[10]
    with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024) as spool:
        book.save(spool)
        size = spool.tell()
    return size, rows, learners


def all_record_rows(flt: ReportFilter, now: datetime) -> int:
    """What an export that fetched every row first would hold (the memory reference)."""
    where, params = _where(flt, now)
    return len(db.session.execute(sa.text(SQL_RECORDS.replace("{where}", where)), params).all())


# ================================================================ timing


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median milliseconds of `repeat` runs after one warm-up, and the last run's result."""
    result = run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - started)
    return _ms(statistics.median(samples)), result


def queries_of(engine: sa.Engine, run: Callable[[], Any]) -> int:
    with QueryCounter(engine) as counter:
        run()
    return counter.count


def peak_memory(run: Callable[[], Any]) -> tuple[float, Any]:
    """Peak Python memory in MB (tracemalloc) while `run` runs, beyond what was there before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = run()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return round(peak / 1024 / 1024, 2), result


def in_request(app, run: Callable[[], Any]) -> Callable[[], Any]:
    """`run` as a request would run it: in a request context, the session ended after."""

    def wrapped():
        with app.test_request_context():
            try:
                return run()
            finally:
                db.session.remove()

    return wrapped


@dataclass
class Line:
    """One row of a results table."""

    what: str
    ours_ms: float | None
    baseline_ms: float | None = None
    queries: int | None = None
    baseline_queries: int | None = None
    rows: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.ours_ms is None or not self.baseline_ms:
            return None
        return round(self.ours_ms / self.baseline_ms, 2)


# ================================================================ what is measured


@dataclass
class Bench:
    app: Any
    engine: sa.Engine
    user_id: int
    email: str
    now: datetime
    repeat: int
    client: Any = None
    token: str | None = None

    @property
    def today(self) -> date:
        return local(self.now).date()

    def filter(self, args: dict[str, str]) -> ReportFilter:
        return parse_filter(args, db.session.get_one(User, self.user_id), self.today)

    def get(self, path: str, args: dict[str, str], headers: dict | None = None) -> int:
        """One request, its body read to the end in chunks (never joined); its size."""
        response = self.client.get(path, query_string=args, headers=headers or {})
        assert response.status_code == 200, (path, args, response.status_code)
        size = 0
        for chunk in response.response:
            size += len(chunk)
        response.close()
        return size


def open_bench(url: str, repeat: int) -> Bench:
    app = bench_app(url)
    with app.app_context():
        user = coordinator()
        bench = Bench(app, db.engine, user.id, user.email, utcnow(), repeat)
    bench.client = app.test_client()
    response = bench.client.post("/login", data={"email": bench.email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return bench


def measure_view(b: Bench, view: View) -> dict[str, Line]:
    """The view's figures by compute() and by the baseline (checked equal first), then the
    dashboard page of each tab beside the baseline's statements for what that tab shows."""
    app, now = b.app, b.now
    with app.test_request_context():
        flt = b.filter(view.args)
        check_same(
            view.title,
            ours_in_baseline_shape(figures_module.compute(flt, now)),
            baseline_figures(flt, now),
        )
        db.session.remove()
    ours = in_request(app, lambda: figures_module.compute(b.filter(view.args), now))
    base = in_request(app, lambda: baseline_figures(b.filter(view.args), now))
    ours_ms, fig = timed(ours, b.repeat)
    base_ms, _ = timed(base, b.repeat)
    lines = {
        "compute": Line(
            f"`compute()`, every figure: {view.title}",
            ours_ms,
            base_ms,
            queries=compute_queries(b, view.args),
            baseline_queries=statements(),
            rows=fig.sessions.total,
        )
    }
    if "reports.dashboard" not in app.view_functions:
        return lines
    for tab, parts in dashboard_tabs().items():
        args = view.args | {"view": tab}

        def page(args=args):
            return b.get("/reports/", args)

        def baseline(parts=parts):
            return baseline_figures(b.filter(view.args), now, parts)

        page_ms, size = timed(page, b.repeat)
        page_base_ms, _ = timed(in_request(app, baseline), b.repeat)
        lines[tab] = Line(
            f"`GET /reports/?view={tab}`: {view.title}",
            page_ms,
            page_base_ms,
            queries=queries_of(b.engine, page),
            baseline_queries=statements(parts),
            rows=fig.sessions.total,
            extra={"bytes": size, "page": True, "parts": sorted(parts)},
        )
    return lines


def measure_parts(b: Bench, view: View) -> list[Line]:
    """Each part of compute() beside the baseline's statements for the same figures; one
    request context, one filter for all runs."""
    if not hasattr(figures_module, "_names"):  # compute() was reorganized: no breakdown
        return []
    lines = []
    with b.app.test_request_context():
        flt = b.filter(view.args)
        for key, (title, _functions, sqls) in GROUPS.items():

            def run_ours(key=key):
                figures_module.compute(flt, b.now, frozenset({key}))

            def run_baseline(sqls=sqls):
                for sql in sqls:
                    _run(sql, flt, b.now)

            lines.append(part_line(b, title, run_ours, run_baseline, len(sqls)))
        ms, _ = timed(figures_module._names, b.repeat)
        lines.append(Line("names of courses, organizations, venues", ms, None, 3))
        db.session.remove()
    return lines


def part_line(
    b: Bench, title: str, ours: Callable[[], Any], base: Callable[[], Any], statements: int
) -> Line:
    ours_ms, _ = timed(ours, b.repeat)
    base_ms, _ = timed(base, b.repeat)
    return Line(title, ours_ms, base_ms, queries_of(b.engine, ours), statements)


def export_periods(b: Bench, whole: View) -> list[tuple[str, dict[str, str]]]:
    """1, 2 and 4 whole 年度 ending with the last complete one, and all the data: (label, args).

    Only the periods the data covers."""
    last = FiscalYear.of_day(b.today).year - 1
    first_day = date.fromisoformat(whole.args["from"])
    periods = []
    for years in EXPORT_YEARS:
        start = FiscalYear(last - years + 1)
        if start.first_day < first_day - timedelta(days=31):
            continue
        if years == 1:
            periods.append((f"年度 {last}", {"year": str(last)}))
        else:
            to = FiscalYear(last).last_day.isoformat()
            label = f"{years} 年度 ({start.year}–{last})"
            periods.append((label, {"from": start.first_day.isoformat(), "to": to}))
    # To yesterday: a class ending while the bench runs must not change the rows it checks.
    yesterday = b.today - timedelta(days=1)
    label = f"{first_day} – {yesterday} (all the data to yesterday)"
    periods.append((label, {"from": first_day.isoformat(), "to": yesterday.isoformat()}))
    return periods


def _all_records(b: Bench, args: dict[str, str]) -> Any:
    return all_record_rows(b.filter(args), b.now)


def measure_exports(b: Bench, whole: View) -> list[Line]:
    lines = []
    for period, args in export_periods(b, whole):
        pair = [
            measure_export(b, period, args, "csv", baseline_csv),
            measure_export(b, period, args, "xlsx", baseline_xlsx),
        ]
        everything = in_request(b.app, partial(_all_records, b, args))
        all_mb, _ = peak_memory(everything)
        for line in pair:
            line.extra["all_rows_mb"] = all_mb
        lines += pair
    return lines


def measure_export(
    b: Bench,
    period: str,
    args: dict[str, str],
    extension: str,
    write_baseline: Callable[[ReportFilter, datetime], tuple[int, int, int]],
) -> Line:
    path = f"/reports/sessions.{extension}"
    asked_at = utcnow()  # the route counts up to its own clock: check at the same moment
    rows, learners = read_export(b, path, args, extension)
    with b.app.test_request_context():
        flt = b.filter(args)
        held = baseline_figures(flt, asked_at)["sessions"]["held"]
        _size, base_rows, base_learners = write_baseline(flt, asked_at)
        db.session.remove()
    # The file holds what the dashboard counts as held, and what the baseline finds.
    assert rows == base_rows == held, (extension, rows, base_rows, held)
    assert learners == base_learners, (extension, learners, base_learners)
    base = in_request(b.app, lambda: write_baseline(b.filter(args), b.now))

    def ours():
        return b.get(path, args)

    ours_ms, size = timed(ours, b.repeat)
    base_ms, _ = timed(base, b.repeat)
    ours_mb, _ = peak_memory(ours)
    base_mb, _ = peak_memory(base)
    return Line(
        f"`GET /reports/sessions.{extension}`, {period}",
        ours_ms,
        base_ms,
        queries=queries_of(b.engine, ours),
        baseline_queries=1,
        rows=rows,
        extra={
            "bytes": size,
            "peak_mb": ours_mb,
            "baseline_peak_mb": base_mb,
            "period": period,
            "extension": extension,
        },
    )


def _table_rows(file: IO[bytes], extension: str) -> Iterator[Sequence[Any]]:
    if extension == "csv":
        return csv.reader(io.TextIOWrapper(file, encoding="utf-8-sig", newline=""))
    return load_workbook(file, read_only=True).worksheets[0].iter_rows(values_only=True)


def read_export(b: Bench, path: str, args: dict[str, str], extension: str) -> tuple[int, int]:
    """(rows, learners present in all) of one download, read as a person's program would."""
    response = b.client.get(path, query_string=args)
    assert response.status_code == 200, (path, response.status_code)
    with tempfile.TemporaryFile() as file:
        for chunk in response.response:
            file.write(chunk)
        response.close()
        file.seek(0)
        table = _table_rows(file, extension)
        header = next(table)
        column = list(header).index("受講者数")
        rows = learners = 0
        for row in table:
            rows += 1
            learners += int(row[column])
    return rows, learners


def measure_public(b: Bench) -> list[Line]:
    with b.app.test_request_context():
        check_public(ours_public(b.now), baseline_public(b.now))
        db.session.remove()
    visitor = b.app.test_client()  # not logged in

    def page():
        response = visitor.get("/public/achievements", query_string={"lang": "ja"})
        assert response.status_code == 200, response.status_code
        return len(response.get_data())

    etag = visitor.get("/public/achievements", query_string={"lang": "ja"}).headers["ETag"]

    def revalidate():
        response = visitor.get(
            "/public/achievements", query_string={"lang": "ja"}, headers={"If-None-Match": etag}
        )
        assert response.status_code == 304, response.status_code

    def counted():  # no page kept (as after any change to the data): counted and rendered
        with b.app.app_context():
            db.session.execute(sa.text("DELETE FROM public_achievement_pages"))
            db.session.commit()
        return page()

    page_ms, size = timed(page, b.repeat)
    counted_ms, _ = timed(counted, b.repeat)
    base_ms, _ = timed(in_request(b.app, lambda: baseline_public(b.now)), b.repeat)
    not_modified_ms, _ = timed(revalidate, b.repeat)
    return [
        Line(
            "`GET /public/achievements` (this 年度; no page kept yet: counted and rendered)",
            counted_ms,
            base_ms,
            queries=queries_of(b.engine, counted) - 1,
            baseline_queries=len(PUBLIC_SQLS),
        ),
        Line(
            "`GET /public/achievements` (this 年度; no ETag sent; the page kept for its version)",
            page_ms,
            base_ms,
            queries=queries_of(b.engine, page),
            baseline_queries=len(PUBLIC_SQLS),
            extra={"bytes": size},
        ),
        Line(
            "`GET /public/achievements` with `If-None-Match` → 304",
            not_modified_ms,
            base_ms,
            queries=queries_of(b.engine, revalidate),
            baseline_queries=len(PUBLIC_SQLS),
        ),
    ]


SUMMARY_PATH = "/api/v1/reports/summary"


def has_summary(app) -> bool:
    return any(rule.rule == SUMMARY_PATH for rule in app.url_map.iter_rules())


def measure_summary(b: Bench, view: View) -> Line | None:
    if not has_summary(b.app):
        return None
    plain = api_token(b)
    with b.app.app_context():
        flt = b.filter(view.args)
        args = {"from": flt.first_day.isoformat(), "to": flt.last_day.isoformat()}
        base = baseline_figures(flt, utcnow())  # the route counts up to its own clock
    api = b.app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    answer = api.get(SUMMARY_PATH, query_string=args, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    if "sessions_held" in body:  # the same numbers, or the comparison is not honest
        assert body["sessions_held"] == base["sessions"]["held"], body["sessions_held"]
        assert body["distinct_learners"] == base["attendance"]["distinct"]

    def call():
        response = api.get(SUMMARY_PATH, query_string=args, headers=headers)
        assert response.status_code == 200
        return len(response.get_data())

    ms, size = timed(call, b.repeat)
    base_ms, _ = timed(
        in_request(b.app, lambda: baseline_figures(b.filter(view.args), b.now)), b.repeat
    )
    return Line(
        f"`GET {SUMMARY_PATH}`: {view.title}",
        ms,
        base_ms,
        queries=queries_of(b.engine, call),
        baseline_queries=statements(),
        extra={"bytes": size},
    )


def api_token(b: Bench) -> str:
    """A bearer token of the coordinator (on the throw-away copy)."""
    if b.token is None:
        with b.app.app_context():
            b.token = create_token(db.session.get_one(User, b.user_id), "bench")[1]
    return b.token


def page_queries(b: Bench, views: list[View]) -> dict[str, int]:
    """SQL statements per page, by page: the same on the demo city and on the city."""
    counts = {}
    year = next(v for v in views if v.key == "year")
    pages = [
        (f"dashboard:{v.key}:{tab}", "/reports/", v.args | {"view": tab})
        for v in views
        for tab in dashboard_tabs()
    ]
    pages += [
        ("csv", "/reports/sessions.csv", year.args),
        ("xlsx", "/reports/sessions.xlsx", year.args),
    ]
    for key, path, args in pages:
        if key.startswith("dashboard") and "reports.dashboard" not in b.app.view_functions:
            continue
        counts[key] = queries_of(b.engine, partial(b.get, path, args))
    visitor = b.app.test_client()
    counts["public"] = queries_of(b.engine, lambda: visitor.get("/public/achievements?lang=ja"))
    if has_summary(b.app):
        headers = {"Authorization": f"Bearer {api_token(b)}"}
        with b.app.app_context():
            flt = b.filter(year.args)
            args = {"from": flt.first_day.isoformat(), "to": flt.last_day.isoformat()}
        counts["api"] = queries_of(b.engine, lambda: b.get(SUMMARY_PATH, args, headers))
    counts["compute:year"] = compute_queries(b, year.args)
    return counts


def compute_queries(b: Bench, args: dict[str, str]) -> int:
    """Statements compute() runs (the filter's own look-ups of slugs are not counted)."""
    with b.app.test_request_context():
        flt = b.filter(args)
        try:
            return queries_of(b.engine, lambda: figures_module.compute(flt, b.now))
        finally:
            db.session.remove()


# ================================================================ one run


def measure(city_file: Path, demo_file: Path, folder: Path, repeat: int) -> dict[str, Any]:
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    city = open_bench(working_copy(city_file, folder), repeat)
    with city.app.app_context():
        city_sizes = sizes()
        views = dashboard_views(city.today)
    print("measuring the dashboard …", file=sys.stderr, flush=True)
    dashboard = {view.key: measure_view(city, view) for view in views}
    parts = {view.key: measure_parts(city, view) for view in views if view.key in ("year", "range")}
    print("measuring the exports …", file=sys.stderr, flush=True)
    exports = measure_exports(city, next(v for v in views if v.key == "range"))
    public = measure_public(city)
    summary = measure_summary(city, views[0])
    city_queries = page_queries(city, views)
    with city.app.app_context():
        db.engine.dispose()

    demo = open_bench(working_copy(demo_file, folder), repeat)
    with demo.app.app_context():
        demo_sizes = sizes()
        demo_views = dashboard_views(demo.today)
    demo_queries = page_queries(demo, demo_views)
    with demo.app.app_context():
        db.engine.dispose()
    return {
        "load": load,
        "sqlite": sqlite3.sqlite_version,
        "sizes": city_sizes,
        "demo_sizes": demo_sizes,
        "views": views,
        "dashboard": dashboard,
        "parts": parts,
        "exports": exports,
        "public": public,
        "summary": summary,
        "queries": {"demo": demo_queries, "city": city_queries},
        "dashboard_page": "reports.dashboard" in city.app.view_functions,
    }


# ================================================================ BENCHMARKS.md


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _queries(line: Line) -> str:
    ours = _cell(line.queries)
    return f"{ours} / {line.baseline_queries}" if line.baseline_queries else ours


def aim_lines(dashboard: dict[str, dict[str, Line]], has_page: bool) -> list[str]:
    """Met or not, per view, by the page when there is one (else by compute())."""
    what = "the dashboard page" if has_page else "the dashboard's figures (no page yet)"
    lines = [f"Aim: {what} under {AIM_MS} ms on SQLite at city scale:", ""]
    lines.extend(
        aim_line(line)
        for view in dashboard.values()
        for line in [ln for ln in view.values() if ln.extra.get("page")] or [view["compute"]]
    )
    lines[-1] = lines[-1][:-1] + "."
    return lines


def aim_line(line: Line) -> str:
    title = line.what.replace("`GET /reports/?", "`").replace(": ", ", ", 1)
    if line.ours_ms is None:
        return f"- {title}: not measured;"
    if line.ours_ms < AIM_MS:
        return f"- {title}: {line.ours_ms:,.0f} ms, met;"
    over = line.ours_ms - AIM_MS
    return f"- {title}: {line.ours_ms:,.0f} ms, **not met**, by {over:,.0f} ms;"


def tabs_sentence() -> str:
    tabs = "; ".join(
        f"`{tab}`: {', '.join(sorted(parts))}" for tab, parts in dashboard_tabs().items()
    )
    return (
        "The dashboard shows its figures in views (tabs), each page counting only the parts"
        f" of `compute()` it shows ({tabs}); the baseline of a page is the statements for"
        " those parts. `compute()` alone counts every part (what the API summary and the"
        " figures workbook use)."
    )


def time_sentence(result: dict[str, Any]) -> str:
    """Where the default view's time goes, from the measured parts."""
    parts = [p for p in result["parts"].get("year", []) if p.baseline_ms]
    pages = [ln for v in result["dashboard"].values() for ln in v.values() if ln.extra.get("page")]
    if not parts or not pages:
        return ""
    slowest = sorted(parts, key=lambda p: -(p.ours_ms or 0))[:2]
    named = " and ".join(f"{p.what.split(':')[0]} ({p.ours_ms:,.0f} ms)" for p in slowest)
    slow = [p for p in pages if p.ours_ms >= AIM_MS]
    which = "The pages over the aim take" if slow else "The dashboard's pages take"
    low = min(p.ratio for p in slow or pages)
    high = max(p.ratio for p in slow or pages)
    where = (
        "so their time goes into the SQL over the data, not into Python or the templates"
        if high <= 1.3
        else "beyond the baseline, the time is the app's own work (building the figures, the"
        " filter form's choices, the templates)"
    )
    return (
        f"{which} {low}–{high} × the baseline's statements for the figures they show,"
        f" {where}. Of the figures of the current 年度, {named} take the most."
    )


def spool_sentence() -> str:
    return (
        "Each export writes its file (not its rows) into a spooled temporary file, kept in"
        f" memory up to {SPOOL_BYTES / 1024 / 1024:g} MB and on disk beyond"
        " (`app/tabular.py`). So the peak follows the file's size up to that"
        " limit and then stays flat, while the rows come from the cursor in batches and are"
        " never all held."
    )


STORED_NOTE = [
    "What the app reads instead of the raw rows (app.reports.stored, app.reports.visits,",
    "app.reports.reaches): each session's counts (`report_session_figures`: present,",
    "registered, waitlisted, no-shows, instructors, assistants, what the day-before calls",
    "found) for every filter; the learners who first reached each skill and who completed each",
    "course there (`report_session_skills`, `report_session_completions`), summed for every",
    "filter; and for a period with no other filter each learner's visits in order",
    "(`report_visits`), from which distinct, new and further-course learners, reach and",
    "attendees per course are counts of rows. All are written in the same transaction as the",
    "change that alters them; tests/reports/test_stored.py compares every figure and every",
    "stored row with the raw rows after corrections and merges. Still read from the raw rows:",
    "staff hours, and every learner figure under a filter by district, partner, course, venue,",
    "track or delivery (small sets of sessions: the filtered views).",
]
PUBLIC_NOTE = [
    "The public page's ETag is the version of its data (a counter one up in every transaction",
    "that changes what it counts, and the next moment it changes by time alone), so a 304 costs",
    "two queries and no counting; the page is kept in the database under that version, for",
    "every worker process, and counted again only after a change.",
]


def report(result: dict[str, Any], repeat: int) -> str:
    s = result["sizes"]
    d = result["demo_sizes"]
    has_page = result["dashboard_page"]
    out = [
        "## Reports at city scale (`bench/reports.py`)",
        "",
        "Command: `.venv/bin/python bench/reports.py --write` (the first run builds the data",
        "with `init-db`, `load-curricula`, `demo-data --scale city` into `bench/.cache/`, which",
        "later runs reuse).",
        f"Machine: {machine()}, load average {result['load']} when it started; database: SQLite",
        f"{result['sqlite']} (WAL), a copy of the built file; in-process through the Flask test",
        "client (the real routes, logged in as a coordinator); medians of",
        f"{repeat} runs after a warm-up. Measured {time.strftime('%Y-%m-%d')}.",
        "",
        f"Data (city): {s['sessions']:,} sessions, {s['learners']:,} learners,"
        f" {s['attendances']:,} attendances, {s['registrations']:,} registrations,"
        f" {s['skills_reached']:,} skills reached. Demo city (for the query counts):"
        f" {d['sessions']:,} sessions, {d['learners']:,} learners,"
        f" {d['attendances']:,} attendances.",
        "",
        "The baseline computes the same figures with one hand-written SQL statement per figure",
        "(`sa.text`: session totals with seats, no-shows and the 1:4 rule; sessions by month,",
        "course, track, delivery, partner and venue; waitlist by course; 実人数 with new learners",
        "and further courses; reach; attendees, skills reached and completions per course; staff",
        "hours), timed in the same run. Before timing, the bench checks that every baseline",
        "number equals the app's, for every view.",
        "",
        "### Dashboard",
        "",
        *STORED_NOTE,
        "",
        tabs_sentence(),
        "",
        "| what | sessions | ours ms | baseline ms | ours / baseline | queries (ours / baseline) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    out.extend(
        f"| {line.what} | {_cell(line.rows)} | {_cell(line.ours_ms)} |"
        f" {_cell(line.baseline_ms)} | {_cell(line.ratio)} | {_queries(line)} |"
        for lines in result["dashboard"].values()
        for line in lines.values()
    )
    out += ["", *aim_lines(result["dashboard"], has_page), "", time_sentence(result), ""]
    if not has_page:
        out += ["The dashboard page (`reports.dashboard`) did not exist yet when this ran.", ""]
    titles = {v.key: v.title for v in result["views"]}
    for key, parts in result["parts"].items():
        if not parts:
            continue
        out += [
            f"Where the time goes, each part of `compute()` — {titles[key]}:",
            "",
            "| figures | ours ms | baseline ms | ours / baseline | queries (ours / baseline) |",
            "|---|---:|---:|---:|---:|",
        ]
        for line in parts:
            out.append(
                f"| {line.what} | {_cell(line.ours_ms)} | {_cell(line.baseline_ms)} |"
                f" {_cell(line.ratio)} | {_queries(line)} |"
            )
        out.append("")
    out += [
        "### Per-session records (講座実施実績)",
        "",
        "Peak memory: Python allocations during the request and the reading of the whole",
        'answer (tracemalloc, a separate run from the timed ones); "all rows" is what merely',
        "fetching the same rows into a list takes, for comparison. The baseline writes the",
        "same cells from the cursor with `csv.writer` / openpyxl's write-only workbook.",
        "",
        "| what | rows | ours ms | baseline ms | ours / baseline | queries | peak MB ours"
        " | peak MB baseline | all rows MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for line in result["exports"]:
        e = line.extra
        out.append(
            f"| {line.what} | {_cell(line.rows)} | {_cell(line.ours_ms)} |"
            f" {_cell(line.baseline_ms)} | {_cell(line.ratio)} | {_cell(line.queries)} |"
            f" {_cell(e['peak_mb'])} | {_cell(e['baseline_peak_mb'])} | {_cell(e['all_rows_mb'])} |"
        )
    out += ["", streaming_sentence(result["exports"]), "", spool_sentence(), ""]
    out += [
        "### Public page and API",
        "",
        "| what | ours ms | baseline ms | ours / baseline | queries (ours / baseline) |",
        "|---|---:|---:|---:|---:|",
    ]
    for line in (*result["public"], result["summary"]):
        if line is not None:
            out.append(
                f"| {line.what} | {_cell(line.ours_ms)} | {_cell(line.baseline_ms)} |"
                f" {_cell(line.ratio)} | {_queries(line)} |"
            )
    if result["summary"] is None:
        out.append(f"| `GET {SUMMARY_PATH}` | not in the app when this ran | | | |")
    out += ["", *PUBLIC_NOTE, "", "### SQL statements per request: demo city and city", ""]
    demo, city = result["queries"]["demo"], result["queries"]["city"]
    out += ["| request | demo city | city |", "|---|---:|---:|"]
    for key in city:
        out.append(f"| {query_title(key)} | {_cell(demo.get(key))} | {_cell(city[key])} |")
    same = all(demo.get(key) == count for key, count in city.items())
    out += [
        "",
        "**The number of statements does not grow with the data**"
        if same
        else "**The number of statements differs between the demo city and the city** "
        "(see the rows above).",
    ]
    return "\n".join(out) + "\n"


QUERY_TITLES = {
    "csv": "`GET /reports/sessions.csv?year=…`",
    "xlsx": "`GET /reports/sessions.xlsx?year=…`",
    "public": "`GET /public/achievements`",
    "api": f"`GET {SUMMARY_PATH}?from=…&to=…` (current 年度)",
    "compute:year": "`compute()`, every figure, current 年度",
}
FILTER_TITLES = {
    "year": "year=…",
    "range": "from=…&to=… (all the data)",
    "district": "year=…&district=…",
    "partner": "year=…&partner=…",
}


def query_title(key: str) -> str:
    if key.startswith("dashboard:"):
        _, view, tab = key.split(":")
        return f"`GET /reports/?view={tab}&{FILTER_TITLES.get(view, view)}`"
    return QUERY_TITLES.get(key, key)


def streaming_sentence(exports: list[Line]) -> str:
    parts = []
    for extension in ("csv", "xlsx"):
        lines = [ln for ln in exports if ln.extra["extension"] == extension]
        if len(lines) < 2:
            continue
        rows = " → ".join(f"{ln.rows:,}" for ln in lines)
        peaks = " → ".join(f"{ln.extra['peak_mb']:.2f}" for ln in lines)
        everything = " → ".join(f"{ln.extra['all_rows_mb']:.2f}" for ln in lines)
        parts.append(
            f"{extension.upper()}: rows {rows}, peak {peaks} MB (all rows in a list: {everything} MB)"
        )
    if not parts:
        return ""
    return "Streaming, as the period doubles — " + "; ".join(parts) + "."


def as_json(result: dict[str, Any]) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, Line):
            return {**value.__dict__, "ratio": value.ratio}
        if isinstance(value, View):
            return value.__dict__
        return str(value)

    return json.dumps(result, default=plain, ensure_ascii=False, indent=2)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument("--city", type=Path, help="a built city SQLite file instead of the cache")
    parser.add_argument("--demo", type=Path, help="a built demo SQLite file instead of the cache")
    parser.add_argument("--build", nargs=2, metavar=("SCALE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(args.build[0], Path(args.build[1]))
        return
    city = args.city or cached_database("city", args.rebuild)
    demo = args.demo or cached_database("demo", args.rebuild)
    with tempfile.TemporaryDirectory() as folder:
        result = measure(city, demo, Path(folder), args.repeat)
    print(as_json(result))
    if args.write:
        write_benchmarks("reports", report(result, args.repeat))
    print(report(result, args.repeat))


if __name__ == "__main__":
    main()
