"""The follow-up call lists: who registered and never came, who missed their last two
sessions; the page (coordinators only), its downloads and the audit entry each one leaves."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.checkin.models import Attendance
from app.core.models import AuditEntry
from app.curricula.models import Course
from app.extensions import db
from app.orgs.models import Organization
from app.people.models import Learner, Registration
from app.people.privacy import DOWNLOADED
from app.reports import followup
from app.reports.filters import parse_filter
from app.scheduling.models import Session, Venue
from app.timeutil import japan_today, local, utcnow
from tests.conftest import at, login
from tests.querycount import counting_queries

TODAY = japan_today()
# An explicit period around today, so that no test depends on where the 年度 boundary falls.
PERIOD = {
    "from": (TODAY - timedelta(days=90)).isoformat(),
    "to": (TODAY + timedelta(days=90)).isoformat(),
}
OUTSIDE = 200  # days ago: a session held before the period
SERIAL = itertools.count(1)


@dataclass
class City:
    """Sessions and learners written straight into the database (sessions in the past cannot
    be registered for through the services, which refuse a session that has ended)."""

    course: Course
    venues: dict[str, Venue]
    orgs: dict[str, Organization]
    people: dict[str, Learner] = field(default_factory=dict)
    shared: list[Session] = field(default_factory=list)

    def learner(self, key: str, furigana: str, district: str = "中央", phone: str | None = None):
        person = Learner(
            name=f"受講者{key}",
            furigana=furigana,
            furigana_key=furigana,
            phone=phone or f"090-0000-{next(SERIAL):04d}",
            district=district,
        )
        db.session.add(person)
        db.session.flush()
        self.people[key] = person
        return person

    def session(
        self, days_ago: int, venue: str = "chuo", partner: str | None = None, status="scheduled"
    ) -> Session:
        day = TODAY - timedelta(days=days_ago)
        clock = f"{8 + next(SERIAL) % 10:02d}:00"
        starts = at(day, clock)
        session = Session(
            course_version=self.course.current_version,
            venue=self.venues[venue],
            starts_at=starts,
            ends_at=starts + timedelta(minutes=60),
            capacity=40,
            partner_org=self.orgs[partner] if partner else None,
            status=status,
        )
        db.session.add(session)
        db.session.flush()
        return session

    def attend(self, session: Session, key: str, status: str | None, reg="registered") -> None:
        """`key` registered for `session` (`reg`), with this attendance (None: no check-in)."""
        registration = Registration(
            session_id=session.id, learner_id=self.people[key].id, status=reg, source="phone"
        )
        db.session.add(registration)
        db.session.flush()
        if status is not None:
            db.session.add(
                Attendance(
                    registration_id=registration.id,
                    session_id=session.id,
                    learner_id=self.people[key].id,
                    status=status,
                    checked_in_at=session.starts_at if status in ("present", "late") else None,
                    method="search",
                )
            )

    def history(self, key: str, *statuses: str | None, **where) -> None:
        """One held session per status, oldest first, the last one 5 days ago."""
        for n, status in enumerate(statuses):
            days_ago = 5 + 7 * (len(statuses) - 1 - n)
            self.attend(self.session(days_ago, **where), key, status)


@pytest.fixture
def city(make) -> City:
    course = make.course(slug="smartphone-basics", title="スマートフォンの基本操作")
    return City(
        course=course,
        venues={
            "chuo": make.venue(district="中央", capacity=50),
            "kita": make.venue(district="北部", capacity=50),
        },
        orgs={"npo": make.org(slug="npo-one"), "shop": make.org(slug="shop-two", kind="carrier")},
    )


@pytest.fixture
def coordinator(make):
    return make.user("coordinator", name="調整 花子")


def _names(rows) -> list[str]:
    return [row.name for row in rows]


def _filter(user, **extra):
    return parse_filter({**PERIOD, **extra}, user)


# ---------------------------------------------------------------- registered, never attended


def test_never_attended_lists_only_people_with_a_held_registration_and_no_attendance(
    city, coordinator
):
    city.learner("A", "あおき")
    city.attend(city.session(10), "A", None)  # registered, never checked in
    city.learner("B", "いのうえ")
    city.attend(city.session(12), "B", None)
    city.attend(city.session(OUTSIDE), "B", "present")  # came once, elsewhere, long ago
    city.learner("C", "うえだ")
    city.attend(city.session(-10), "C", None)  # only a session still ahead
    city.learner("D", "えもと")
    city.attend(city.session(14), "D", None, reg="cancelled")  # cancelled their registration
    city.learner("E", "おおた")
    city.attend(city.session(15), "E", None, reg="waitlisted")  # never had a seat
    city.learner("F", "かとう")
    city.attend(city.session(16), "F", "excused")  # excused, never came: still to call
    city.attend(city.session(30), "F", "absent")
    city.learner("G", "きむら")
    city.attend(city.session(20, status="cancelled"), "G", None)  # the class was called off
    city.learner("H", "くどう")
    city.attend(city.session(21), "H", "late")  # late is present
    db.session.commit()

    rows = followup.never_attended(_filter(coordinator), utcnow())

    assert _names(rows) == ["受講者A", "受講者F"]
    first = rows[0]
    assert first.furigana == "あおき"
    assert first.phone == city.people["A"].phone
    assert first.district == "中央"
    assert first.last_course == "スマートフォンの基本操作"
    assert local(first.last_session_at).date() == TODAY - timedelta(days=10)
    # F's last session is the latest of the two they were registered for.
    assert local(rows[1].last_session_at).date() == TODAY - timedelta(days=16)


def test_a_registration_held_only_before_the_period_is_not_in_it(city, coordinator):
    city.learner("A", "あおき")
    city.attend(city.session(OUTSIDE), "A", None)
    db.session.commit()
    assert followup.never_attended(_filter(coordinator), utcnow()) == []
    older = {"from": (TODAY - timedelta(days=OUTSIDE + 1)).isoformat(), "to": PERIOD["to"]}
    assert _names(followup.never_attended(parse_filter(older, coordinator), utcnow())) == [
        "受講者A"
    ]


# ---------------------------------------------------------------- absent twice in a row


def test_absent_twice_counts_the_two_most_recent_held_registrations(city, coordinator):
    city.learner("P1", "あさだ")
    city.history("P1", None, "absent")  # absent, absent: in
    city.learner("P2", "いしだ")
    city.history("P2", "absent", "excused")  # they phoned: the run is broken
    city.learner("P3", "うちだ")
    city.history("P3", "absent", "late")  # late is present
    city.learner("P4", "えだ")
    city.history("P4", "absent")  # only one absence
    city.learner("P5", "おかだ")
    city.history("P5", "present", "absent", None)  # came once, then stopped coming: in
    city.learner("P6", "かねだ")
    city.history("P6", "absent", "absent", "present")  # came back last time
    city.learner("P7", "きただ")
    city.history("P7", "late", "absent")  # absent, late (the other way round): out
    city.learner("P8", "くろだ")
    city.history("P8", None, None)
    city.attend(city.session(-3), "P8", None)  # a session ahead is not a no-show yet
    db.session.commit()

    rows = followup.absent_twice(_filter(coordinator), utcnow())

    assert _names(rows) == ["受講者P1", "受講者P5", "受講者P8"]
    assert all(local(r.last_session_at).date() == TODAY - timedelta(days=5) for r in rows)


def test_absent_twice_looks_at_their_last_two_sessions_whatever_the_filter(city, coordinator):
    # Their last two sessions: one at 北部 (absent) and the last at 中央 (absent).
    city.learner("Q", "さとう")
    city.attend(city.session(12, venue="kita"), "Q", None)
    city.attend(city.session(5, venue="chuo"), "Q", "absent")
    db.session.commit()
    # Filtered to 北部, Q is still a learner of the filter whose last two were no-shows.
    assert _names(followup.absent_twice(_filter(coordinator, district="北部"), utcnow())) == [
        "受講者Q"
    ]


# ---------------------------------------------------------------- filters


@pytest.fixture
def two_districts(city):
    city.learner("N", "なかむら", district="中央")
    city.history("N", None, None, partner="npo")
    city.learner("S", "しみず", district="北部")
    city.history("S", "absent", None, venue="kita", partner="shop")
    city.learner("T", "たなか", district="北部")
    city.attend(city.session(8, venue="kita", partner="shop"), "T", None)
    db.session.commit()
    return city


def test_the_lists_keep_to_the_filter(two_districts, coordinator):
    now = utcnow()

    def lists(**extra):
        report = _filter(coordinator, **extra)
        return (
            _names(followup.never_attended(report, now)),
            _names(followup.absent_twice(report, now)),
        )

    assert lists() == (["受講者S", "受講者T", "受講者N"], ["受講者S", "受講者N"])
    assert lists(partner="npo-one") == (["受講者N"], ["受講者N"])
    assert lists(partner="shop-two") == (["受講者S", "受講者T"], ["受講者S"])
    assert lists(district="北部") == (["受講者S", "受講者T"], ["受講者S"])
    assert lists(district="南部") == ([], [])
    # The counts the dashboard shows are the lengths of the lists.
    assert followup.followup_counts(_filter(coordinator, district="北部"), now) == {
        "never": 2,
        "absent_twice": 1,
    }


# ---------------------------------------------------------------- the page


@pytest.fixture
def called(city):
    city.learner("A", "あおき", phone="090-1234-5678")
    city.people["A"].phone2 = "03-1111-2222"
    city.attend(city.session(10), "A", None)
    city.learner("P", "ぱく")
    city.history("P", "absent", "absent")
    db.session.commit()
    return city


def _get(client, url: str, status: int = 200, period: bool = True):
    # Within PERIOD: the current 年度 may begin between two of the sessions.
    if period:
        url += ("&" if "?" in url else "?") + urlencode(PERIOD)
    # Buffered: a streamed download is read inside the request's own context.
    response = client.get(url, buffered=True)
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    return response


def test_a_coordinator_sees_name_furigana_and_phone_with_a_link_to_call(
    called, coordinator, client
):
    login(client, coordinator)
    page = _get(client, "/reports/follow-up").get_data(as_text=True)

    person = called.people["A"]
    assert "受講者A" in page
    assert "あおき" in page
    assert 'href="tel:09012345678"' in page
    assert "090-1234-5678" in page
    assert 'href="tel:0311112222"' in page
    assert f'href="/learners/{person.id}"' in page
    assert "受講者P" in page  # P is in both lists; absent twice below
    assert "スマートフォンの基本操作" in page

    twice = _get(client, "/reports/follow-up?list=absent_twice").get_data(as_text=True)
    assert "受講者P" in twice
    assert "受講者A" not in twice
    assert 'aria-current="page" data-list="absent_twice"' in twice


def test_the_page_carries_the_filter_into_its_tabs_and_downloads(called, coordinator, client):
    login(client, coordinator)
    page = _get(client, "/reports/follow-up?district=中央").get_data(as_text=True)
    assert "district=%E4%B8%AD%E5%A4%AE" in page
    assert f"from={PERIOD['from']}" in page
    assert "/reports/follow-up.csv?" in page
    assert "/reports/follow-up.xlsx?" in page


@pytest.mark.parametrize("role", ["partner", "instructor"])
def test_partners_and_instructors_may_not_see_call_lists(called, make, client, role):
    user = make.user(role, org=called.orgs["npo"] if role == "partner" else None)
    login(client, user)
    for url in ("/reports/follow-up", "/reports/follow-up.csv", "/reports/follow-up.xlsx"):
        assert client.get(url).status_code == 403
    assert _export_entries() == []


def test_admins_may_see_call_lists(called, make, client):
    login(client, make.user("admin"))
    assert "受講者A" in _get(client, "/reports/follow-up").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("from=2026-13-45", "始まりの日"),
        ("to=yesterday", "終わりの日"),
        ("track=cooking", "講座の種類"),
        ("partner=nobody", "協力団体"),
        ("list=everyone", "一覧"),
    ],
)
def test_a_bad_filter_is_refused_naming_the_field(called, coordinator, client, query, named):
    login(client, coordinator)
    page = _get(client, f"/reports/follow-up?{query}", 422, period=False).get_data(as_text=True)
    assert f"<li>{named}: " in page
    assert "受講者A" not in page  # no list under a filter that was not understood
    download = _get(client, f"/reports/follow-up.csv?{query}", 422, period=False)
    assert f"<li>{named}: " in download.get_data(as_text=True)
    assert _export_entries() == []


# ---------------------------------------------------------------- downloads and their audit


def _export_entries() -> list[AuditEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(
                AuditEntry.action == DOWNLOADED,
                AuditEntry.details["what"].as_string() == "call_list",
            )
            .order_by(AuditEntry.id)
        )
    )


def test_a_csv_download_has_the_bom_its_rows_and_leaves_one_audit_entry(
    called, coordinator, client
):
    login(client, coordinator)
    response = _get(client, "/reports/follow-up.csv?list=never&district=中央")

    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("受講者番号,お名前,ふりがな,電話番号")
    assert len(lines) - 1 == 2  # A and P never came
    assert any("090-1234-5678" in line and "あおき" in line for line in lines[1:])

    (entry,) = _export_entries()
    assert entry.actor_id == coordinator.id
    assert entry.details["filter"]["list"] == "never"
    assert entry.details["format"] == "csv"
    assert entry.details["rows"] == 2
    assert entry.details["filter"]["district"] == "中央"
    assert entry.details["filter"]["from"] == PERIOD["from"]


def test_an_xlsx_download_keeps_phone_numbers_as_text_and_is_recorded(called, coordinator, client):
    login(client, coordinator)
    response = _get(client, "/reports/follow-up.xlsx?list=absent_twice")

    assert response.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("受講者番号", "お名前", "ふりがな", "電話番号")
    assert [r[1] for r in rows[1:]] == ["受講者P"]
    assert rows[1][3] == called.people["P"].phone  # the leading zero is kept

    (entry,) = _export_entries()
    assert (entry.details["filter"]["list"], entry.details["format"], entry.details["rows"]) == (
        "absent_twice",
        "xlsx",
        1,
    )
    assert entry.details["filter"]["from"] == PERIOD["from"]


def test_an_empty_list_downloaded_is_recorded_too(called, coordinator, client):
    login(client, coordinator)
    body = _get(client, "/reports/follow-up.csv?list=absent_twice&district=南部").get_data()
    assert len(body.decode("utf-8-sig").splitlines()) == 1  # the header only
    _get(client, "/reports/follow-up.xlsx?list=never&district=南部")

    entries = _export_entries()
    assert [(e.details["format"], e.details["rows"]) for e in entries] == [("csv", 0), ("xlsx", 0)]
    assert all(e.details["filter"]["district"] == "南部" for e in entries)


# ---------------------------------------------------------------- the number of queries


def _people(city: City, n: int, start: int) -> None:
    for i in range(start, start + n):
        city.learner(f"X{i}", f"ぱたーん{i:03d}")
        city.attend(city.shared[0], f"X{i}", None)
        city.attend(city.shared[1], f"X{i}", "absent")
    db.session.commit()


def test_the_query_count_does_not_grow_with_the_number_of_people(city, coordinator, client):
    city.shared = [city.session(12), city.session(5)]
    login(client, coordinator)
    now = utcnow()

    def measure() -> list[int]:
        report = _filter(coordinator)
        with counting_queries() as service:
            assert len(followup.never_attended(report, now)) == len(city.people)
            assert len(followup.absent_twice(report, now)) == len(city.people)
            followup.followup_counts(report, now)
        with counting_queries() as page:
            _get(client, "/reports/follow-up?list=absent_twice")
        with counting_queries() as csv:
            _get(client, "/reports/follow-up.csv?list=absent_twice")
        with counting_queries() as xlsx:
            _get(client, "/reports/follow-up.xlsx")
        return [len(service), len(page), len(csv), len(xlsx)]

    _people(city, 3, 0)
    few = measure()
    _people(city, 27, 3)
    many = measure()
    assert many == few
    assert few[0] == 4  # two lists, two counts
