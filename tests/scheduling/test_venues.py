"""Venue pages and the venue service: validation, and changes that would break planned sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.errors import ValidationError
from app.extensions import db
from app.scheduling import venues
from app.scheduling.models import Venue
from app.scheduling.sessions import cancel_session
from app.timeutil import japan_today
from tests.conftest import login
from tests.scheduling.test_pages import _listed, error_of

DAY = japan_today() + timedelta(days=10)


def _venue_form(**extra) -> dict:
    data = {
        "name": "中央公民館 第1会議室",
        "slug": "chuo-1",
        "address": "中央区本町1-1",
        "district": "中央地区",
        "capacity": "２０",
        "setup_buffer_minutes": "15",
        "loaner_devices": "5",
        "has_wifi": "y",
        "step_free": "y",
        "accessibility_notes": "エレベーターは正面玄関の右側",
    }
    data.update(extra)
    return data


def _venues() -> list[Venue]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Venue).order_by(Venue.id)))


@pytest.fixture
def coordinator(make, client):
    login(client, make.user("coordinator"))


def test_a_coordinator_registers_a_venue(make, client, coordinator):
    response = client.post("/venues/new", data=_venue_form())
    assert response.status_code == 302
    [venue] = _venues()
    assert (venue.slug, venue.capacity, venue.has_wifi, venue.hearing_loop) == (
        "chuo-1",
        20,
        True,
        False,
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "会場「中央公民館 第1会議室」を登録しました。" in page
    listing = client.get("/venues").get_data(as_text=True)
    assert "中央公民館 第1会議室" in listing
    assert "中央地区" in listing
    assert "段差なし" in listing


def test_every_venue_error_is_named_at_once_and_nothing_is_saved(make, client, coordinator):
    page = client.post(
        "/venues/new",
        data=_venue_form(
            name="", slug="中央公民館", capacity="0", setup_buffer_minutes="180", district=""
        ),
    ).get_data(as_text=True)
    assert "会場名を入力してください。" in error_of(page, "name")
    assert "英小文字・数字・ハイフン" in error_of(page, "slug")
    assert "1以上" in error_of(page, "capacity")
    assert "0から120まで" in error_of(page, "setup_buffer_minutes")
    assert "地区を入力してください。" in error_of(page, "district")
    assert _venues() == []


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text.upper())


def test_a_full_width_slug_is_folded_and_a_taken_one_refused(make, client, coordinator):
    taken = make.venue().slug
    page = client.post("/venues/new", data=_venue_form(slug=_full_width(taken))).get_data(
        as_text=True
    )
    assert f"識別名「{taken}」はほかの会場が使っています。" in error_of(page, "slug")
    assert client.post("/venues/new", data=_venue_form(slug="Ｎｉｓｈｉ")).status_code == 302
    assert _venues()[-1].slug == "nishi"


def test_the_setup_buffer_defaults_to_fifteen_minutes(app, make):
    venue = venues.create_venue(
        {"name": "北集会所", "slug": "kita", "district": "北部", "capacity": 12}
    )
    assert (venue.setup_buffer_minutes, venue.loaner_devices, venue.has_wifi) == (15, 0, False)


def test_lowering_capacity_below_an_upcoming_session_is_refused_naming_it(
    make, client, coordinator
):
    venue = make.venue(capacity=20)
    session = make.session(course=make.course(title="LINE講座"), venue=venue, day=DAY, capacity=16)
    page = client.post(
        f"/venues/{venue.id}/edit", data=_venue_form(slug=venue.slug, capacity="12")
    ).get_data(as_text=True)
    message = error_of(page, "capacity")
    assert "LINE講座" in message
    assert f"ID {session.id}" in message
    assert "16人" in message
    assert f'href="/sessions/{session.id}"' in page
    assert _venues()[0].capacity == 20
    assert (
        client.post(
            f"/venues/{venue.id}/edit", data=_venue_form(slug=venue.slug, capacity="16")
        ).status_code
        == 302
    )
    assert _venues()[0].capacity == 16


def test_cancelled_and_past_sessions_do_not_hold_the_capacity(make):
    venue = make.venue(capacity=20)
    cancelled = make.session(venue=venue, day=DAY, capacity=20)
    cancel_session(cancelled, "講師の都合")
    make.session(venue=venue, day=japan_today() - timedelta(days=7), capacity=20)
    venues.update_venue(venue, {"capacity": 8})
    assert _venues()[0].capacity == 8


def test_a_longer_setup_buffer_that_would_squeeze_two_sessions_is_refused(make):
    venue = make.venue(buffer=0)
    first = make.session(venue=venue, day=DAY, start="10:00", end="11:00")
    second = make.session(venue=venue, day=DAY, start="11:15", end="12:00")
    with pytest.raises(ValidationError) as refused:
        venues.update_venue(venue, {"setup_buffer_minutes": 30})
    message = refused.value.fields["setup_buffer_minutes"]
    assert f"ID {first.id}" in message
    assert f"ID {second.id}" in message
    assert _venues()[0].setup_buffer_minutes == 0
    venues.update_venue(venue, {"setup_buffer_minutes": 15})
    assert _venues()[0].setup_buffer_minutes == 15


def test_the_venue_page_lists_its_upcoming_sessions(make, client, coordinator):
    venue = make.venue(name="南公民館")
    make.session(course=make.course(title="来週の講座"), venue=venue, day=DAY)
    make.session(
        course=make.course(title="先月の講座"), venue=venue, day=japan_today() - timedelta(days=30)
    )
    make.session(course=make.course(title="よその講座"), day=DAY)
    page = client.get(f"/venues/{venue.id}").get_data(as_text=True)
    assert "南公民館" in page
    assert _listed(page, "来週の講座")
    assert not _listed(page, "先月の講座")
    assert not _listed(page, "よその講座")


def test_the_edit_form_starts_from_the_venue(make, client, coordinator):
    venue = make.venue(capacity=14, name="東公民館")
    page = client.get(f"/venues/{venue.id}/edit").get_data(as_text=True)
    assert 'value="東公民館"' in page
    assert 'value="14"' in page
    assert client.get("/venues/999/edit").status_code == 404


@pytest.mark.parametrize("role", ["instructor", "partner"])
def test_venue_pages_are_for_planners(make, client, role):
    venue = make.venue()
    login(client, make.user(role, org=make.org() if role == "partner" else None))
    for url in ("/venues", "/venues/new", f"/venues/{venue.id}", f"/venues/{venue.id}/edit"):
        assert client.get(url).status_code == 403, url
    assert client.post("/venues/new", data=_venue_form()).status_code == 403
    assert len(_venues()) == 1
