"""The public achievements page: the 年度's figures with no cell under 5 and no person on it.

The figures are checked through the service at a fixed moment (`NOW`), and the page through
HTTP on data laid out around the real clock (the page counts up to "now"): held sessions
fall between the start of the current 年度 and now, whatever day the tests run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import time_machine
from flask_babel import force_locale

from app.checkin.models import Attendance, SkillReached
from app.curricula.models import Course, CourseVersion, Skill
from app.extensions import db
from app.fiscal import FiscalYear
from app.people.models import Learner, Registration
from app.public.achievements import achievements
from app.scheduling.models import Session, Venue
from app.timeutil import local, utcnow
from tests.conftest import login
from tests.querycount import counting_queries

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)  # 12:00 on 1 June 2026 in Japan: 年度 2026
PAGE = "/public/achievements"


# ---------------------------------------------------------------- the hand-made program


@dataclass
class World:
    now: datetime
    sessions: dict[str, Session] = field(default_factory=dict)
    learners: dict[str, Learner] = field(default_factory=dict)
    skills: dict[str, Skill] = field(default_factory=dict)
    venues: dict[str, Venue] = field(default_factory=dict)

    def person(self, key: str) -> Learner:
        """A learner whose name, furigana and phone could never appear on the page by chance."""
        if key not in self.learners:
            number = len(self.learners) + 1
            learner = Learner(
                name=f"秘匿花子{key}",
                furigana=f"ひとくはなこ{key.lower()}",
                furigana_key=f"ひとくはなこ{key.lower()}",
                phone=f"090-7319-{number:04d}",
                district="東町",
            )
            db.session.add(learner)
            db.session.flush()
            self.learners[key] = learner
        return self.learners[key]

    def session(self, key, venue, starts, minutes=60, status="completed", public=True):
        self.sessions[key] = Session(
            course_version=self.skills["call"].course_version,
            venue=self.venues[venue],
            starts_at=starts,
            ends_at=starts + timedelta(minutes=minutes),
            capacity=20,
            status=status,
            public=public,
        )
        db.session.add(self.sessions[key])
        db.session.flush()
        return self.sessions[key]

    def came(self, session: str, learners: list[str], status: str = "present") -> None:
        for key in learners:
            registration = Registration(
                session=self.sessions[session],
                learner=self.person(key),
                status="registered",
                source="phone",
            )
            db.session.add(registration)
            db.session.add(
                Attendance(
                    registration=registration,
                    session_id=self.sessions[session].id,
                    learner_id=self.learners[key].id,
                    status=status,
                    method="search",
                )
            )
        db.session.flush()

    def reached(self, session: str, skill: str, learners: list[str]) -> None:
        for key in learners:
            db.session.add(
                SkillReached(
                    learner_id=self.person(key).id,
                    skill_id=self.skills[skill].id,
                    session_id=self.sessions[session].id,
                )
            )
        db.session.flush()


def _course() -> dict[str, Skill]:
    course = Course(slug="smartphone-basics")
    version = CourseVersion(
        course=course,
        version=1,
        content_hash="x" * 64,
        title_ja="スマホはじめて講座",
        title_en="Smartphone first steps",
        track="basic",
        audience=["senior"],
        duration_minutes=60,
        prerequisites=[],
        materials=[],
        skills=[
            Skill(key="call", label_ja="電話をかけられる", label_en="Can make a call", position=0),
            Skill(key="photo", label_ja="写真をとれる", label_en="Can take a photo", position=1),
            Skill(key="map", label_ja="地図で道をさがせる", label_en="Can find a way", position=2),
        ],
    )
    db.session.add_all([course, version])
    db.session.flush()
    course.current_version = version
    return {skill.key: skill for skill in version.skills}


def build(now: datetime) -> World:
    """Held this 年度: one session in 東町 (3 learners), five in 西町 (6 learners, the first at
    the very start of the 年度). Not held this 年度: 西町 on 31 March 23:00 of the year before,
    a cancelled one in 南町, and the public, private and cancelled sessions to come."""
    world = World(now=now)
    world.skills = _course()
    for district in ("東町", "西町", "南町"):
        world.venues[district] = Venue(
            slug=f"hall-{len(world.venues)}",
            name=f"{district}公民館",
            address=f"{district}1-2-3",
            district=district,
            capacity=20,
        )
    db.session.add_all(world.venues.values())
    year_start, _ = FiscalYear.of(now).bounds()
    span = now - year_start
    length = min(60.0, span / timedelta(minutes=1) / 20)

    def slot(k: int) -> datetime:  # k in 1..9: spread between the 年度's start and now
        return year_start + span * k / 10

    west = [f"W{n}" for n in range(1, 7)]
    world.session("east", "東町", slot(1), length)  # E1-E3
    world.came("east", ["E1", "E3"])
    world.came("east", ["E2"], "late")
    world.reached("east", "photo", ["E1", "E2"])

    world.session("west1", "西町", year_start, length)  # 1 April 00:00: in this 年度
    world.came("west1", west)
    world.reached("west1", "call", west)
    for k in range(2, 6):
        # The last one was never marked completed, but it is over: it was held.
        status = "completed" if k < 5 else "scheduled"
        world.session(f"west{k}", "西町", slot(k), length, status=status)
        world.came(f"west{k}", west[:5])
    world.came("west2", ["W6"], "absent")
    world.came("west3", ["E1"], "excused")

    old = [f"O{n}" for n in range(1, 7)]
    world.session("previous", "西町", year_start - timedelta(hours=1), 30)  # 31 March 23:00
    world.came("previous", old)
    world.reached("previous", "map", old)

    gone = [f"X{n}" for n in range(1, 7)]
    world.session("cancelled", "南町", slot(7), length, status="cancelled")
    world.came("cancelled", gone)
    world.reached("cancelled", "map", gone)

    soon = local(now).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=3)
    world.session("upcoming", "西町", soon, 90, status="scheduled")
    world.session("private", "西町", soon + timedelta(days=1), status="scheduled", public=False)
    world.session("called_off", "東町", soon + timedelta(days=2), status="cancelled")
    world.session("later", "東町", soon + timedelta(days=60), status="scheduled")
    # W1 signed up already: nothing of it may show.
    db.session.add(
        Registration(
            session=world.sessions["upcoming"],
            learner=world.person("W1"),
            status="registered",
            source="phone",
        )
    )
    db.session.commit()
    return world


def figures_at(app, now: datetime, lang: str = "ja"):
    with app.test_request_context(f"/?lang={lang}"), force_locale(lang):
        return achievements(now)


def page(client, url: str = PAGE) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def cell(html: str, label: str) -> list[str]:
    """The cells of the table row headed `label`, as text."""
    row = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', html, re.S)
    assert row, f"no row {label!r}"
    return [re.sub(r"<[^>]+>|\s+", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)]


# ---------------------------------------------------------------- the figures


def test_the_years_totals_count_held_sessions_and_each_learner_once(app, make):
    build(NOW)
    figures = figures_at(app, NOW)

    assert figures.year == FiscalYear(2026)
    # East 1 + west 5; the cancelled one, the one of 31 March and those to come are not held.
    assert str(figures.sessions_held) == "6"
    assert str(figures.learners) == "9"  # E1-E3 and W1-W6; late counts, excused and absent not
    assert str(figures.attendances) == "29"  # 3 + 6 + 4 × 5


def test_districts_under_five_show_as_less_than_five(app, make):
    build(NOW)
    figures = figures_at(app, NOW)

    districts = {row.district: (str(row.sessions), str(row.learners)) for row in figures.districts}
    assert districts == {"西町": ("5", "6"), "東町": ("<5", "<5")}
    east = next(row for row in figures.districts if row.district == "東町")
    assert east.learners.exact is None
    assert east.sessions.exact is None


def test_top_skills_count_distinct_learners_of_this_year_only(app, make):
    build(NOW)
    skills = [(row.label, row.course, str(row.learners)) for row in figures_at(app, NOW).skills]
    # 地図 was reached only last 年度 and at the cancelled session.
    assert skills == [
        ("電話をかけられる", "スマホはじめて講座", "6"),
        ("写真をとれる", "スマホはじめて講座", "<5"),
    ]
    english = [(row.label, str(row.learners)) for row in figures_at(app, NOW, "en").skills]
    assert english == [("Can make a call", "6"), ("Can take a photo", "<5")]


def test_the_year_before_counts_in_its_own_year(app, make):
    build(NOW)
    # Seen at 23:45 on 31 March 2026 (年度 2025): only that night's 23:00 session was held.
    before = figures_at(app, datetime(2026, 3, 31, 14, 45, tzinfo=UTC))
    assert before.year == FiscalYear(2025)
    assert (str(before.sessions_held), str(before.learners)) == ("<5", "6")
    assert [row.district for row in before.districts] == ["西町"]


def test_upcoming_lists_the_next_public_sessions_only(app, make):
    world = build(NOW)
    upcoming = figures_at(app, NOW).upcoming

    assert [s.id for s in upcoming] == [world.sessions["upcoming"].id, world.sessions["later"].id]
    first = upcoming[0]
    assert (first.course, first.venue, first.district) == (
        "スマホはじめて講座",
        "西町公民館",
        "西町",
    )


def test_nothing_yet_shows_zero_not_less_than_five(app, make):
    figures = figures_at(app, NOW)
    assert (str(figures.sessions_held), str(figures.learners), str(figures.attendances)) == (
        "0",
        "0",
        "0",
    )
    assert figures.districts == []
    assert figures.skills == []
    assert figures.upcoming == []


# ---------------------------------------------------------------- the page


def test_the_page_needs_no_login_and_shows_the_figures_with_small_cells_hidden(app, make, client):
    world = build(utcnow())
    html = page(client)

    assert 'data-figure="sessions">6<' in html
    assert 'data-figure="learners">9<' in html
    assert 'data-figure="attendances">29<' in html
    assert cell(html, "西町") == ["5かい", "6人"]
    assert cell(html, "東町") == ["&lt;5かい", "&lt;5人"]
    assert cell(html, "電話をかけられる")[-1] == "6人"
    assert cell(html, "写真をとれる")[-1] == "&lt;5人"
    assert "南町" not in html  # it had only a cancelled session
    # The charts say the same, as pictures with their figures written beside the bars.
    chart = re.search(r'<svg class="bar-chart".*?</svg>', html, re.S)[0]
    assert 'role="img"' in chart
    assert "<title" in chart
    assert "東町: &lt;5 かい" in chart
    assert "西町: 5 かい" in chart
    assert world.sessions  # built


def test_no_name_furigana_or_phone_of_any_learner_is_on_the_page(app, make, client):
    world = build(utcnow())
    people = [(p.name, p.furigana, p.phone) for p in world.learners.values()]
    for lang in ("ja", "en"):
        html = page(client, f"{PAGE}?lang={lang}")
        for name, furigana, phone in people:
            assert name not in html
            assert furigana not in html
            assert phone not in html
        assert "秘匿" not in html
        assert "7319" not in html
        # No count that small is written in any figure or cell.
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>|<dd[^>]*>(.*?)</dd>", html, re.S)
        shown = re.sub(r"<[^>]+>|\s+", "", " ".join(a or b for a, b in cells))
        assert not re.search(r"(?<![\d.:月日年時分])[1-4](?:かい|人)", shown)


def test_upcoming_public_sessions_have_calendar_and_signup_links(app, make, client):
    world = build(utcnow())
    html = page(client)
    upcoming, private = world.sessions["upcoming"], world.sessions["private"]
    called_off = world.sessions["called_off"]

    assert f'href="/sessions/{upcoming.id}.ics"' in html
    assert f'href="/public/sessions/{upcoming.id}/signup"' in html
    for hidden in (private, called_off):
        assert f"/sessions/{hidden.id}.ics" not in html
        assert f"/sessions/{hidden.id}/signup" not in html

    # The calendar link works for anyone, without logging in.
    ics = client.get(f"/sessions/{upcoming.id}.ics")
    assert ics.status_code == 200
    assert "BEGIN:VEVENT" in ics.get_data(as_text=True)
    assert "スマホはじめて講座" in ics.get_data(as_text=True)


def test_english_with_the_language_switch_and_with_the_address(app, make, client):
    build(utcnow())
    html = page(client, f"{PAGE}?lang=en")
    assert '<html lang="en">' in html
    assert "Can make a call" in html
    assert "Smartphone first steps" in html
    assert "電話をかけられる" not in html
    # The switch on this page is a plain link to the other language.
    assert 'href="/public/achievements?lang=ja"' in html

    client.post("/language", data={"lang": "en", "next": PAGE})
    assert '<html lang="en">' in page(client)
    assert '<html lang="ja">' in page(client, f"{PAGE}?lang=ja")


def test_the_page_is_cacheable_and_the_same_for_everyone(app, make, client):
    build(utcnow())
    response = client.get(f"{PAGE}?lang=ja")
    assert response.headers["Cache-Control"] == "public, max-age=300"
    # Nothing per visitor: no cookie set, no CSRF token in the page.
    assert "Set-Cookie" not in response.headers
    assert "csrf_token" not in response.get_data(as_text=True)
    etag = response.headers["ETag"]
    again = client.get(f"{PAGE}?lang=ja", headers={"If-None-Match": etag})
    assert again.status_code == 304
    english = client.get(f"{PAGE}?lang=en")
    assert english.headers["ETag"] != etag

    # Without ?lang= the language comes from the visitor's cookie, and caches are told so.
    assert "Cookie" in client.get(PAGE).headers.get("Vary", "")


def test_a_logged_in_coordinator_sees_the_same_page(app, make, client):
    build(utcnow())
    anonymous = page(client, f"{PAGE}?lang=ja")
    login(client, make.user("coordinator"))
    assert page(client, f"{PAGE}?lang=ja") == anonymous


def test_the_query_count_does_not_grow_with_sessions_and_learners(app, make, client):
    world = build(utcnow())
    with counting_queries() as small:  # counted, written and kept
        page(client, f"{PAGE}?lang=ja")

    year_start, _ = FiscalYear.of(world.now).bounds()
    span = world.now - year_start
    for n in range(12):
        key = f"more{n}"
        district = f"新町{n % 4}"
        if district not in world.venues:
            world.venues[district] = Venue(
                slug=f"new-{n}", name=f"{district}会館", district=district, capacity=20
            )
            db.session.add(world.venues[district])
        world.session(key, district, year_start + span * (n + 1) / 40, 1)
        people = [f"M{n}-{i}" for i in range(7)]
        world.came(key, people)
        world.reached(key, "map", people)
        world.session(f"{key}-soon", district, world.now + timedelta(days=10 + n), 60, "scheduled")
    db.session.commit()

    with counting_queries() as large:
        html = page(client, f"{PAGE}?lang=ja")
    assert "新町3" in html
    assert "地図で道をさがせる" in html
    # Five to count (totals, districts, skills, upcoming, survey answers), two for the page's
    # version before and two after, two to keep it, one to find it kept.
    assert len(large) == len(small) == 12, "\n".join(large)
    with counting_queries() as kept:
        assert page(client, f"{PAGE}?lang=ja") == html
    assert len(kept) == 3, "\n".join(kept)  # the version, and the page kept under it


def test_the_etag_is_the_version_of_the_data_and_a_304_counts_nothing(app, make, client):
    world = build(utcnow())
    first = client.get(f"{PAGE}?lang=ja")
    etag = first.headers["ETag"]
    with counting_queries() as revalidated:
        again = client.get(f"{PAGE}?lang=ja", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert len(revalidated) == 2, "\n".join(revalidated)  # the data's version, the next change

    # Two more learners recorded at the east session (by any process: the version is in the
    # database): the page is counted again, never the one kept before.
    assert cell(first.get_data(as_text=True), "東町") == ["&lt;5かい", "&lt;5人"]
    world.came("east", ["E4", "E5"], "late")
    db.session.commit()
    changed = client.get(f"{PAGE}?lang=ja", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert cell(changed.get_data(as_text=True), "東町") == ["&lt;5かい", "5人"]

    # A session of the 年度 that ends is held from then on: a new version, by time alone.
    ends = utcnow() + timedelta(minutes=30)
    world.session("ending", "東町", ends - timedelta(minutes=60), 60, status="scheduled")
    world.came("ending", ["E6", "E7", "E8", "E9"])
    db.session.commit()
    before = client.get(f"{PAGE}?lang=ja")
    assert cell(before.get_data(as_text=True), "東町") == ["&lt;5かい", "5人"]
    with time_machine.travel(ends + timedelta(minutes=1)):
        after = client.get(f"{PAGE}?lang=ja", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert cell(after.get_data(as_text=True), "東町") == ["&lt;5かい", "9人"]
