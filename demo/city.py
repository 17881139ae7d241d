"""Builds the demo city (若葉市): organizations, staff, venues and eight weeks of classes.

The city itself (who, where, which classes) is in demo.data_city. Everything goes through the same services the pages use, so the demo obeys the rules a
coordinator meets (no double booking, staffing warnings, cancellations with a reason).
Building is idempotent: organizations, people and venues are keyed on slugs and emails, and
the session plan is made only when the demo organizations did not exist yet.

No password lives in the repository: each demo account gets a random one the first time,
kept in `<instance>/demo-logins.txt` (the instance folder is git-ignored) and printed on
every run.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.auth import services as accounts
from app.auth.models import User
from app.curricula.models import Course
from app.errors import Conflict, ServiceError
from app.extensions import db
from app.orgs import partner_services
from app.orgs import services as orgs
from app.orgs.models import InstructorCourse, Organization
from app.scheduling import venues
from app.scheduling.models import Session, SessionStatus, Venue
from app.scheduling.series import create_series
from app.scheduling.sessions import cancel_session, create_session, update_session
from app.timeutil import from_local, japan_today, utcnow
from demo.data_city import (
    CANCELLATIONS,
    COURSES,
    ORGS,
    PEOPLE,
    SERIES,
    SINGLES,
    TO_STAFF,
    TO_STAFF_COUNT,
    TO_STAFF_FIRST_WEEK,
    VENUES,
    WEEKS,
    Slot,
)
from demo.data_journey import TOMORROW_COURSE, TOMORROW_SLOTS
from demo.history import HistoryReport, build_history
from demo.journey import JourneyReport, build_journey, tomorrows_class

LOGINS_FILE = "demo-logins.txt"


class CurriculaMissing(ServiceError):
    code = "curricula_missing"
    status = 409


@dataclass
class DemoReport:
    created: dict[str, int] = field(
        default_factory=lambda: {"organizations": 0, "users": 0, "venues": 0, "sessions": 0}
    )
    cancelled: int = 0
    completed: int = 0
    sessions_skipped: bool = False
    history: HistoryReport | None = None
    journey: JourneyReport | None = None
    history_scale: str = "demo"


# ---------------------------------------------------------------- logins file


def logins_path() -> Path:
    return Path(current_app.instance_path) / LOGINS_FILE


def read_logins() -> dict[str, tuple[str, str, str]]:
    """email -> (role, password, name), as written by an earlier build."""
    path = logins_path()
    if not path.exists():
        return {}
    logins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        email, role, password, name = (line.split("\t") + ["", "", ""])[:4]
        logins[email] = (role, password, name)
    return logins


def _write_logins(logins: dict[str, tuple[str, str, str]]) -> None:
    path = logins_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# できる(Dekiru)デモのログイン。`flask --app app demo-data` が作成。git の管理外です。",
        "# email\trole\tpassword\tname",
        *("\t".join((email, *row)) for email, row in logins.items()),
    ]
    # Created readable by the owner only: these passwords open a real (demo) account.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def logins_report() -> str:
    logins = read_logins()
    path = logins_path()
    if not logins:
        return _(
            "デモのログインはありません: %(path)s がありません(この環境ではデモの街を作っていません)。",
            path=path,
        )
    lines = [_("デモのログイン(パスワードは git の管理外の %(path)s に保存しています):", path=path)]
    width = max(len(email) for email in logins)
    for email, (role, password, name) in logins.items():
        lines.append(f"  {role:<12} {email:<{width}}  {password}  {name}")
    return "\n".join(lines)


# ---------------------------------------------------------------- building


def database_has_organizations() -> bool:
    return (db.session.scalar(sa.select(sa.func.count(Organization.id))) or 0) > 0


def _require_curricula() -> None:
    loaded = set(
        db.session.scalars(
            sa.select(Course.slug).where(
                Course.slug.in_(COURSES), Course.current_version_id.is_not(None)
            )
        )
    )
    missing = [slug for slug in COURSES if slug not in loaded]
    if not missing:
        return
    if len(missing) == len(COURSES):
        what = _("コースがまだ1件も読み込まれていません。")
    else:
        what = _("次のコースが読み込まれていません: %(slugs)s。", slugs=", ".join(missing))
    raise CurriculaMissing(
        _(
            "デモの街には curricula/ のコースが必要です。%(what)s"
            "先に `flask --app app load-curricula` を実行してから、もう一度 demo-data を実行してください。",
            what=what,
        )
    )


def _build_orgs(report: DemoReport) -> None:
    for raw in ORGS:
        exists = db.session.scalar(
            sa.select(Organization.id).where(Organization.slug == raw["slug"])
        )
        if exists is None:
            orgs.create_org(raw)
            report.created["organizations"] += 1


def _build_people(report: DemoReport) -> dict[str, User]:
    logins = read_logins()
    people = {}
    for person in PEOPLE:
        user = accounts.find_user_by_email(person.email)
        if user is None:
            known = logins.get(person.email)
            password = known[1] if known else secrets.token_urlsafe(12)
            user = orgs.create_staff_user(
                {
                    "email": person.email,
                    "role": person.role,
                    "password": password,
                    "name": person.name,
                    "org": person.org,
                }
            )
            logins[person.email] = (person.role, password, person.name)
            report.created["users"] += 1
        people[person.key] = user
    _write_logins(logins)
    return people


def _planned_courses() -> dict[str, set[str]]:
    """Each demo instructor's courses: those the plan has them teach or assist."""
    slots = [
        *SERIES,
        *((course, slot) for _week, course, slot in SINGLES),
        *((TOMORROW_COURSE, slot) for slot in TOMORROW_SLOTS),
    ]
    teaches: dict[str, set[str]] = {}
    for course, slot in slots:
        for key in (*slot.instructors, *slot.assistants):
            teaches.setdefault(key, set()).add(course)
    return teaches


def _build_teachable_courses(people: dict[str, User]) -> None:
    """What a partner's page lists for each instructor (教えられるコース), as a coordinator
    would set it; left alone for anyone who has some already (a second run, or edits made
    on the page since)."""
    have = set(db.session.scalars(sa.select(InstructorCourse.user_id).distinct()))
    course_ids = dict(db.session.execute(sa.select(Course.slug, Course.id)).all())
    for key, slugs in sorted(_planned_courses().items()):
        user = people[key]
        if user.id in have or user.org is None:
            continue
        partner_services.set_instructor_courses(
            user.org, user.id, sorted(course_ids[slug] for slug in slugs)
        )


def _build_venues(report: DemoReport) -> dict[str, Venue]:
    by_slug: dict[str, Venue] = {}
    for raw in VENUES:
        venue = db.session.scalar(sa.select(Venue).where(Venue.slug == raw["slug"]))
        if venue is None:
            venue = venues.create_venue(raw)
            report.created["venues"] += 1
        by_slug[str(raw["slug"])] = venue
    return by_slug


def _monday_this_week() -> date:
    today = japan_today()
    return today - timedelta(days=today.weekday())


def _session_request(
    course: str, slot: Slot, day: date, people: dict[str, User], place: dict[str, Venue]
) -> dict:
    version = (
        db.session.scalars(sa.select(Course).where(Course.slug == course)).one().current_version
    )
    assert version is not None  # (_require_curricula)
    starts_at = from_local(day, time.fromisoformat(slot.start))
    return {
        "course": course,
        "venue_id": place[slot.venue].id,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=version.duration_minutes),
        "capacity": slot.capacity,
        "delivery_type": slot.delivery,
        "partner_org": slot.partner,
        "instructor_ids": [people[k].id for k in slot.instructors],
        "assistant_ids": [people[k].id for k in slot.assistants],
        "public": slot.public,
        "notes": slot.notes,
    }


def _build_sessions(report: DemoReport, people: dict[str, User], place: dict[str, Venue]) -> None:
    monday = _monday_this_week()
    for course, slot in SERIES:
        raw = _session_request(course, slot, monday + timedelta(days=slot.weekday), people, place)
        sessions = create_series({**raw, "weekdays": [slot.weekday], "count": WEEKS})
        report.created["sessions"] += len(sessions)
    for week, course, slot in SINGLES:
        day = monday + timedelta(weeks=week, days=slot.weekday)
        create_session(_session_request(course, slot, day, people, place))
        report.created["sessions"] += 1
    course, slot = TO_STAFF
    day = monday + timedelta(weeks=TO_STAFF_FIRST_WEEK, days=slot.weekday)
    raw = _session_request(course, slot, day, people, place)
    report.created["sessions"] += len(
        create_series({**raw, "weekdays": [slot.weekday], "count": TO_STAFF_COUNT})
    )
    _build_tomorrows_class(report, people, place)
    for week, weekday, venue, reason in CANCELLATIONS:
        start, end = _local_day(monday + timedelta(weeks=week, days=weekday))
        session = db.session.scalar(
            sa.select(Session).where(
                Session.venue_id == place[venue].id,
                Session.starts_at >= start,
                Session.starts_at < end,
            )
        )
        assert session is not None  # each of CANCELLATIONS names a day with a session
        cancel_session(session, reason)
        report.cancelled += 1
    # Classes of this week that are already over are marked as held, as staff would.
    for session in db.session.scalars(
        sa.select(Session).where(
            Session.venue_id.in_([v.id for v in place.values()]),
            Session.status == SessionStatus.SCHEDULED,
            Session.ends_at <= utcnow(),
        )
    ).all():
        update_session(session, {"status": SessionStatus.COMPLETED})
        report.completed += 1


def _build_tomorrows_class(
    report: DemoReport, people: dict[str, User], place: dict[str, Venue]
) -> None:
    """Tomorrow (Japan time) has a class to call for, whatever the weekday: the plan's
    biggest that day, or one of TOMORROW_SLOTS added (the first that books nobody twice)."""
    if tomorrows_class() is not None:
        return
    day = japan_today() + timedelta(days=1)
    for slot in TOMORROW_SLOTS:
        try:
            create_session(_session_request(TOMORROW_COURSE, slot, day, people, place))
        except Conflict:
            continue
        report.created["sessions"] += 1
        return


def _local_day(day: date) -> tuple[datetime, datetime]:
    return from_local(day, time(0, 0)), from_local(day + timedelta(days=1), time(0, 0))


def build_demo_city_if_empty(scale: str = "demo") -> str:
    """What `make run` calls every time: build only into a database without organizations."""
    if database_has_organizations():
        return "\n".join(
            [_("データベースに団体が既にあるため、デモの街は作りませんでした。"), logins_report()]
        )
    return build_demo_city(scale)


def build_demo_city(scale: str = "demo") -> str:
    """Build what is missing of the demo city; return a report with the demo logins.

    With the planned classes, and only then, comes their past (demo.history): this 年度
    so far, or with scale "city" five 年度 of a city of 700,000.
    """
    _require_curricula()
    demo_slugs = [raw["slug"] for raw in ORGS]
    had_demo = (
        db.session.scalar(
            sa.select(sa.func.count(Organization.id)).where(Organization.slug.in_(demo_slugs))
        )
        or 0
    ) > 0
    report = DemoReport(sessions_skipped=had_demo, history_scale=scale)
    _build_orgs(report)
    people = _build_people(report)
    _build_teachable_courses(people)
    place = _build_venues(report)
    if not had_demo:
        _build_sessions(report, people, place)
        # The past ends where the plan begins: this week belongs to the plan.
        report.history = build_history(scale, until=_monday_this_week() - timedelta(days=1))
        report.journey = build_journey(people)
    return _describe(report)


def _describe(report: DemoReport) -> str:
    c = report.created
    if not any(c.values()):
        head = _("デモの街(若葉市)は作成済みです。何も追加していません。")
    else:
        head = _(
            "デモの街(若葉市)を作りました: 団体%(orgs)d、利用者%(users)d人、会場%(venues)d、"
            "%(weeks)d週間の講座%(sessions)d件(うち中止%(cancelled)d件、実施済%(completed)d件)。",
            orgs=c["organizations"],
            users=c["users"],
            venues=c["venues"],
            weeks=WEEKS,
            sessions=c["sessions"],
            cancelled=report.cancelled,
            completed=report.completed,
        )
    if report.history is not None:
        head = f"{head} {report.history.summary()}"
    if report.journey is not None:
        head = f"{head} {report.journey.summary()}"
    lines = [head]
    if report.history is not None and report.history_scale != "demo":
        lines += report.history.details()
    if report.sessions_skipped and any(c.values()):
        lines.append(_("デモの団体が既にあったため、講座の予定は作りませんでした。"))
    if report.sessions_skipped and report.history_scale != "demo":
        lines.append(
            _(
                "過去の記録(--scale %(scale)s)はデモの街を初めて作るときだけ作ります。"
                "空のデータベースで実行してください。",
                scale=report.history_scale,
            )
        )
    lines.append(logins_report())
    return "\n".join(lines)
