"""The day-before call's figures on the hand-made program of tests/reports/dataset.py.

Calls added to it (年度 2025; s2, s3, s5 held, s4 cancelled, s1 the year before):

| session | learner | calls (oldest first)       | last      | came?          |
|---------|---------|----------------------------|-----------|----------------|
| s2      | L1      | 不在, 参加                 | confirmed | present        |
| s2      | L2      | 参加                       | confirmed | late           |
| s2      | L3      | 参加                       | confirmed | excused: no    |
| s2      | L4      | 参加, 不在 (recorded later)| no answer | no             |
| s2      | L5      | 伝言                       | message   | absent: no     |
| s3      | L1, L2  | none                       | none      | L1 yes, L2 no  |
| s5      | L7      | 参加                       | confirmed | present        |
| s5      | L3, L8  | none                       | none      | present        |

Registrations counted: 10; confirmed 4 (one absent: L3 at s2); not reached 6 (three absent:
L4, L5 at s2, L2 at s3). Seats passed: a 欠席 at s3 gave its seat to L6; those at s4
(cancelled) and s1 (the year before) count nowhere in 2025.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth import services as accounts
from app.extensions import db
from app.people.models import ConfirmationCall, Learner, Registration
from app.reports import figures
from app.reports.filters import parse_filter
from tests.conftest import login
from tests.querycount import count_queries
from tests.reports import dataset
from tests.reports.dataset import NOW, TODAY


def _registration(p, session: str, learner: str) -> Registration:
    return db.session.scalars(
        sa.select(Registration).where(
            Registration.session_id == p.sessions[session].id,
            Registration.learner_id == p.learners[learner].id,
        )
    ).one()


def _call(p, session, learner, outcome, hours_before=24, promoted=None):
    registration = _registration(p, session, learner)
    db.session.add(
        ConfirmationCall(
            registration=registration,
            outcome=outcome,
            recorded_at=p.sessions[session].starts_at - timedelta(hours=hours_before),
            promoted=promoted,
        )
    )


def _cancelled_by_call(p, session: str, learner: str, promoted: Registration | None) -> None:
    cancelled = Registration(
        session=p.sessions[session], learner=learner, status="cancelled", source="phone"
    )
    db.session.add(cancelled)
    db.session.add(
        ConfirmationCall(
            registration=cancelled,
            outcome="cancelled",
            recorded_at=p.sessions[session].starts_at - timedelta(hours=24),
            promoted=promoted,
        )
    )


@pytest.fixture
def program(make):
    p = dataset.build()
    p.users["coordinator"] = make.user("coordinator")
    _call(p, "s2", "L1", "no_answer", hours_before=26)
    _call(p, "s2", "L1", "attending", hours_before=25)
    _call(p, "s2", "L2", "attending")
    _call(p, "s2", "L3", "attending")
    # Written first (a lower id) but recorded later: the last call is the later one.
    _call(p, "s2", "L4", "no_answer", hours_before=20)
    _call(p, "s2", "L4", "attending", hours_before=25)
    _call(p, "s2", "L5", "message_left")
    _call(p, "s5", "L7", "attending")
    extra = Learner(name="欠席する人", furigana="けっせき", furigana_key="けっせき")
    db.session.add(extra)
    _cancelled_by_call(p, "s3", extra, _registration(p, "s3", "L6"))
    _cancelled_by_call(p, "s4", extra, _registration(p, "s4", "L9"))
    _cancelled_by_call(p, "s1", extra, None)
    first_year = Registration(
        session=p.sessions["s1"], learner=p.learners["L2"], status="registered", source="phone"
    )
    db.session.add(first_year)
    _cancelled_by_call(p, "s1", p.learners["L9"], first_year)
    db.session.commit()
    return p


def calls_for(p, **args):
    flt = parse_filter({"year": "2025", **args}, p.users["coordinator"], today=TODAY)
    return figures.compute(flt, now=NOW).calls


def test_share_confirmed_and_no_shows_of_confirmed_and_not_reached(program):
    c = calls_for(program)
    assert (c.registrations, c.confirmed, c.confirmed_absent) == (10, 4, 1)
    assert (c.not_reached, c.not_reached_absent) == (6, 3)
    assert c.confirmed_share == pytest.approx(0.4)
    assert c.confirmed_no_show_rate == pytest.approx(0.25)
    assert c.not_reached_no_show_rate == pytest.approx(0.5)
    assert c.seats_passed == 1


def test_the_call_figures_follow_the_filters(program):
    shop = calls_for(program, partner="shop-two")  # s3 only
    assert (shop.registrations, shop.confirmed, shop.not_reached) == (2, 0, 2)
    assert shop.confirmed_share == 0
    assert shop.confirmed_no_show_rate is None  # nobody confirmed: no rate, not 0%
    assert shop.not_reached_no_show_rate == pytest.approx(0.5)
    assert shop.seats_passed == 1
    npo = calls_for(program, partner="npo-one")  # s2, s5 held; s4 cancelled
    assert (npo.registrations, npo.confirmed, npo.seats_passed) == (8, 4, 0)
    april = calls_for(program, **{"from": "2025-04-01", "to": "2025-04-30"})
    assert (april.registrations, april.confirmed, april.not_reached) == (5, 3, 2)


def test_the_dashboard_and_the_api_show_them(client, program):
    login(client, program.users["coordinator"])
    html = client.get("/reports/?year=2025").get_data(as_text=True)
    for name, shown in (
        ("confirmed_share", "40.0%"),
        ("confirmed_no_show_rate", "25.0%"),
        ("not_reached_no_show_rate", "50.0%"),
        ("seats_passed", "1"),
    ):
        assert f'data-figure="{name}">{shown}' in html, name
    token = accounts.create_token(program.users["coordinator"], "reports")[1]
    response = client.get(
        "/api/v1/reports/summary?year=2025", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["calls"] == {
        "registrations": 10,
        "confirmed": 4,
        "confirmed_share": 0.4,
        "confirmed_no_show_rate": 0.25,
        "not_reached": 6,
        "not_reached_no_show_rate": 0.5,
        "seats_passed_to_waitlist": 1,
    }


def test_the_queries_do_not_grow_with_the_calls(program):
    flt = parse_filter({"year": "2025"}, program.users["coordinator"], today=TODAY)
    small = count_queries(lambda: figures.compute(flt, now=NOW))
    dataset.add_attendees(program, "s5", 20)
    for registration in db.session.scalars(
        sa.select(Registration).where(Registration.session_id == program.sessions["s5"].id)
    ):
        db.session.add(ConfirmationCall(registration=registration, outcome="attending"))
    db.session.commit()
    big = count_queries(lambda: figures.compute(flt, now=NOW))
    assert figures.compute(flt, now=NOW).calls.confirmed == 4 + 22
    assert big == small
