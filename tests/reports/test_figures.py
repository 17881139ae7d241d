"""Each dashboard figure on the hand-made program of tests/reports/dataset.py."""

from __future__ import annotations

import pytest

from app.errors import NotFound, ValidationError
from app.reports import figures
from app.reports.filters import parse_filter
from tests.querycount import count_queries
from tests.reports import dataset
from tests.reports.dataset import NOW, TODAY


@pytest.fixture
def program(make):
    coordinator = make.user("coordinator")
    built = dataset.build()
    built.users["coordinator"] = coordinator
    return built


def figures_for(program, **args):
    user = program.users.get("as") or program.users["coordinator"]
    flt = parse_filter({"year": "2025", **args}, user, today=TODAY)
    return figures.compute(flt, now=NOW)


def by_key(lines):
    return {line.key: line for line in lines}


def test_sessions_held_cancelled_planned_respect_the_fiscal_year_edges(program):
    f = figures_for(program)
    # s1 (31 March 23:00) is the year before; s2 (1 April 08:30 JST = 31 March in UTC) is in;
    # s5 (31 March 23:00) is in; s6 (1 April 08:00) is the next year.
    assert (f.sessions.held, f.sessions.cancelled, f.sessions.planned) == (3, 1, 0)
    next_year = figures_for(program, year="2026")
    assert (next_year.sessions.held, next_year.sessions.planned) == (1, 1)


def test_attendances_count_late_as_present_and_each_learner_once(program):
    f = figures_for(program)
    assert f.attendances == 6  # s2: L1, L2 (late); s3: L1; s5: L3, L7, L8
    assert f.distinct_learners == 5  # L1 counted once across s2 and s3
    assert f.new_learners == 4  # L1 came in the year before
    assert f.returning_learners == 1
    assert f.avg_learners_per_session == 2.0
    assert f.single_learner_sessions == 1  # s3


def test_demand_excused_is_not_a_no_show_and_cancelled_sessions_count_nowhere(program):
    f = figures_for(program)
    assert f.registered_held == 10
    assert f.no_shows == 3  # L4 and L5 at s2, L2 at s3; L3 was excused
    assert f.no_show_rate == pytest.approx(0.3)
    assert (f.seats_taken, f.seats) == (10, 16)
    waitlist = [(line.key, line.count) for line in f.waitlist_by_course]
    assert waitlist == [("course-b", 2), ("course-a", 1)]  # s4's waitlist is cancelled with it
    assert f.longest_waitlist.label == "LINE応用"


def test_staffing_rule_and_hours_by_organization(program):
    f = figures_for(program)
    assert f.rule_met == 2  # s3 had nobody teaching
    hours = {h.org_name: (h.instructor_hours, h.assistant_hours) for h in f.staff_hours}
    assert hours == {"NPO一番": (2.5, 0.0), "ショップ二番": (0.0, 1.5)}


def test_reach_by_district_age_band_kind_and_device(program):
    f = figures_for(program)
    districts = {line.district: (line.total, line.by_kind) for line in f.by_district}
    assert districts["中央"][0] == 2
    assert districts["中央"][1]["senior"] == 2
    assert districts["北部"][0] == 2
    assert districts["北部"][1]["neighborhood_leader"] == 1
    assert districts[""][0] == 1  # L8 gave no district
    assert f.by_district[-1].district == ""  # "unknown" comes last
    ages = {line.key: line.count for line in f.by_age_band}
    # Ages at the end of the 年度 (2026): L1 76, L2 86, L3 unknown, L7 56, L8 66.
    assert ages == {"under_60": 1, "60_69": 1, "70_79": 1, "80_plus": 1, "unknown": 1}
    kinds = {line.key: line.count for line in f.by_kind}
    assert kinds == {"senior": 3, "neighborhood_leader": 1, "supporter": 1}
    devices = {line.key: line.count for line in f.by_device}
    assert devices == {"iphone": 2, "android": 1, "none": 1, "": 1}


def test_outcomes_skills_completion_and_further_courses(program):
    f = figures_for(program)
    outcomes = {o.slug: o for o in f.outcomes}
    a = outcomes["course-a"]
    assert a.attendees == 5
    assert [(s.key, s.reached) for s in a.skills] == [("a1", 3), ("a2", 1)]
    assert a.skills[0].share == pytest.approx(0.6)
    assert a.completed == 1  # only L1 reached both
    assert outcomes["course-b"].completed == 1
    assert f.further_course == 1  # L1 went from A on to B


def test_sessions_by_month_course_track_delivery_partner_venue(program):
    f = figures_for(program)
    assert [line.key for line in f.by_month][:2] == ["2025-04", "2025-05"]
    assert len(f.by_month) == 12
    months = by_key(f.by_month)
    assert months["2025-04"].counts.held == 1
    assert months["2025-06"].counts.cancelled == 1
    assert months["2026-03"].counts.held == 1
    courses = by_key(f.by_course)
    assert (courses["course-a"].counts.held, courses["course-a"].counts.cancelled) == (2, 1)
    assert by_key(f.by_track)["applied"].counts.held == 1
    assert by_key(f.by_delivery)["nationwide"].counts.held == 1
    assert by_key(f.by_partner)["shop-two"].counts.held == 1
    assert by_key(f.by_venue)["hoku"].counts.held == 2


@pytest.mark.parametrize(
    ("args", "held", "attendances"),
    [
        ({"partner": "shop-two"}, 1, 1),
        ({"district": "北部"}, 2, 4),
        ({"course": "course-a"}, 2, 5),
        ({"track": "applied"}, 1, 1),
        ({"delivery": "regional"}, 2, 5),
        ({"venue": "chuo"}, 1, 2),
        ({"from": "2025-04-01", "to": "2025-04-30"}, 1, 2),
        ({"from": "２０２６-０３-３１", "to": "2026/3/31"}, 1, 3),
    ],
)
def test_filters_narrow_every_figure(program, args, held, attendances):
    f = figures_for(program, **args)
    assert (f.sessions.held, f.attendances) == (held, attendances)


def test_japanese_era_year(program):
    assert figures_for(program, year="令和7年度").sessions.held == 3


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"year": "来年"}, "year"),
        ({"from": "2025-13-01"}, "from"),
        ({"from": "2025-05-01", "to": "2025-04-01"}, "to"),
        ({"course": "no-such-course"}, "course"),
        ({"track": "advanced"}, "track"),
        ({"delivery": "mail"}, "delivery"),
    ],
)
def test_a_bad_filter_names_its_field(program, args, field):
    with pytest.raises(ValidationError) as caught:
        figures_for(program, **args)
    assert field in caught.value.fields


def test_a_partner_sees_only_their_own_organization(program, make):
    partner = make.user("partner", org=program.orgs["p2"])
    program.users["as"] = partner
    f = figures_for(program)
    assert f.sessions.held == 1
    assert f.attendances == 1
    assert {line.key for line in f.by_partner} == {"shop-two"}
    with pytest.raises(NotFound):
        figures_for(program, partner="npo-one")


def test_the_number_of_queries_does_not_grow_with_the_data(program):
    flt = parse_filter({"year": "2025"}, program.users["coordinator"], today=TODAY)
    small = count_queries(lambda: figures.compute(flt, now=NOW))
    dataset.add_attendees(program, "s5", 30)
    big = count_queries(lambda: figures.compute(flt, now=NOW))
    assert figures.compute(flt, now=NOW).attendances == 36
    assert big == small
