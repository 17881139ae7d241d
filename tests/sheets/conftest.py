"""Fixtures for the Sheets sync: a local Sheets API v4 server, the app pointed at it, and a
partner organization with sessions and a linked spreadsheet.

The sync runs gspread's real client over HTTP against SheetsAPIServer; nothing is mocked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.curricula.models import Course
from app.extensions import db
from app.orgs.models import Organization
from app.people.models import Registration
from app.scheduling.models import Session, Venue
from app.sheets.models import SyncRun
from app.sheets.sync import SyncReport, link_sheet, sync_org
from app.sheets.tables import SIGNUPS, SIGNUPS_HEADER
from app.timeutil import japan_today
from tests.sheets.sheets_api_server import SheetsAPIServer

# What the partner's Signups rows are typed as, column by column, in SIGNUPS_HEADER order.
SIGNUP_KEYS = [
    "session_id",
    "date",
    "venue",
    "course",
    "name",
    "furigana",
    "phone",
    "birth_year",
    "notes",
    "status",
]
assert len(SIGNUP_KEYS) == len(SIGNUPS_HEADER)


@pytest.fixture
def sheets_server():
    with SheetsAPIServer() as server:
        yield server
    assert server.internal_errors == []


@pytest.fixture
def sheets_app(app, sheets_server):
    """The app talking to the local server with a ready token; retries wait milliseconds."""
    app.config.update(
        SHEETS_API_URL=sheets_server.url,
        SHEETS_ACCESS_TOKEN="test-token",
        SHEETS_CREDENTIALS=None,
        SHEETS_BACKOFF_BASE=0.001,
        SHEETS_MAX_ATTEMPTS=5,
    )
    return app


@dataclass
class Partner:
    """A partner organization with its sessions and its linked spreadsheet."""

    server: SheetsAPIServer
    org: Organization
    user: User
    key: str
    course: Course
    other_course: Course
    hall: Venue
    center: Venue
    sessions: dict[str, Session] = field(default_factory=dict)
    day: date = field(default_factory=lambda: japan_today() + timedelta(days=7))

    def sync(self, **kwargs: Any) -> SyncReport:
        kwargs.setdefault("actor", self.user)
        kwargs.setdefault("trigger", "button")
        report = sync_org(self.org, **kwargs)
        db.session.expire_all()  # the test reads what the sync committed, not cached copies
        return report

    def sheet(self, title: str) -> list[list[str]]:
        """What the partner sees: every cell as formatted text."""
        return self.server.get_values(self.key, title, render="FORMATTED_VALUE")

    def stored(self, title: str) -> list[list[Any]]:
        """What Sheets keeps: strings, numbers (a phone that lost its zero), formulas."""
        return self.server.get_values(self.key, title)

    def type_signups(self, rows: list[dict[str, str]], start_row: int = 2) -> None:
        """The partner types rows into Signups (USER_ENTERED, as a person typing)."""
        grid = [[row.get(k, "") for k in SIGNUP_KEYS] for row in rows]
        self.server.set_values(self.key, SIGNUPS, grid, start=f"A{start_row}")

    def signup_status(self, row_number: int) -> str:
        grid = self.sheet(SIGNUPS)
        header = grid[0]
        column = header.index(SIGNUPS_HEADER[-1])
        line = grid[row_number - 1] if row_number <= len(grid) else []
        return line[column] if column < len(line) else ""

    def registrations(self) -> list[Registration]:
        return list(
            db.session.scalars(
                sa.select(Registration)
                .join(Session, Session.id == Registration.session_id)
                .where(Session.partner_org_id == self.org.id)
                .order_by(Registration.id)
            )
        )

    def runs(self) -> list[SyncRun]:
        return list(
            db.session.scalars(
                sa.select(SyncRun).where(SyncRun.org_id == self.org.id).order_by(SyncRun.id)
            )
        )


def signup(session: Session | None = None, **values: str) -> dict[str, str]:
    """A Signups row; by session id unless date/venue/course are given."""
    row = {
        "name": "山田 花子",
        "furigana": "やまだ はなこ",
        "phone": "090-1111-2222",
        "birth_year": "昭和23年",
    }
    if session is not None:
        row["session_id"] = str(session.id)
    row.update(values)
    return row


@pytest.fixture
def partner(make, sheets_app, sheets_server) -> Partner:
    """ＮＰＯ with four sessions of its own (one in the past within the window, two outside the
    window), another organization's session on the same day, and an empty linked spreadsheet."""
    org = make.org(slug="npo-sakura", name="NPOさくら")
    other = make.org(slug="carrier-shop", name="携帯ショップ駅前", kind="carrier")
    user = make.user(role="partner", org=org)
    course = make.course(slug="smartphone-basics", title="スマートフォンの基本操作")
    other_course = make.course(slug="line-basics", title="LINEのはじめ方")
    hall = make.venue(name="中央公民館", capacity=30)
    center = make.venue(name="北まちづくりセンター", capacity=30)
    shop_floor = make.venue(name="駅前ショップ", capacity=10)
    today = japan_today()
    day = today + timedelta(days=7)
    sessions = {
        "basics": make.session(
            course=course, venue=hall, day=day, capacity=20, partner_org=org.slug
        ),
        "line": make.session(
            course=other_course,
            venue=center,
            day=day + timedelta(days=1),
            start="14:00",
            end="15:30",
            capacity=2,
            partner_org=org.slug,
        ),
        "last_week": make.session(
            course=course, venue=hall, day=today - timedelta(days=10), partner_org=org.slug
        ),
        "long_ago": make.session(
            course=course, venue=hall, day=today - timedelta(days=40), partner_org=org.slug
        ),
        "far_ahead": make.session(
            course=course, venue=hall, day=today + timedelta(days=100), partner_org=org.slug
        ),
        "other_org": make.session(course=course, venue=shop_floor, day=day, partner_org=other.slug),
    }
    key = sheets_server.create_spreadsheet("NPOさくら 講座管理")
    link_sheet(org, key, user)
    return Partner(
        server=sheets_server,
        org=org,
        user=user,
        key=key,
        course=course,
        other_course=other_course,
        hall=hall,
        center=center,
        sessions=sessions,
        day=day,
    )


@pytest.fixture
def synced(partner) -> Partner:
    """The partner after the first sync: Classes, Roster and Signups exist; call log empty."""
    report = partner.sync()
    assert report.outcome == "ok", report.error
    partner.server.reset_calls()
    return partner
