"""Personal data reaches only those who need it: which learners each role sees, which of their
fields, whose rosters, what a search may match, and that every download is logged."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.models import AuditEntry
from app.extensions import db
from app.people import cards
from app.people.privacy import DOWNLOADED
from app.timeutil import japan_today
from tests.conftest import login
from tests.people.test_learners_api import LEARNER_KEYS

AHEAD = japan_today() + timedelta(days=10)
SVG = re.compile(r"<svg\b.*?</svg>", re.S)


@pytest.fixture
def world(make, add_learner, enroll):
    """The city and two partner organizations.

    `taught` is ours, taught by a city instructor and by one of ours; `colleagues` is ours too,
    taught by neither. aoki (taught, no sharing, with every field filled), baba (taught,
    agreed to share), gone (taught, cancelled), kondo (colleagues only), chiba (theirs only).
    """
    city = make.org(slug="city", kind="municipality", name="若葉市")
    ours, theirs = make.org(slug="npo-ours"), make.org(slug="npo-theirs")
    users = {
        "coordinator": make.user("coordinator"),
        "admin": make.user("admin"),
        "city_instructor": make.user("instructor"),
        "city_staff": make.user("instructor", org=city),
        "our_instructor": make.user("instructor", org=ours),
        "partner": make.user("partner", org=ours),
    }
    taught = make.session(
        day=AHEAD,
        partner_org=ours.slug,
        instructor_ids=[users["city_instructor"].id, users["city_staff"].id],
        assistant_ids=[users["our_instructor"].id],
    )
    colleagues = make.session(day=AHEAD, start="14:00", end="15:00", partner_org=ours.slug)
    elsewhere = make.session(day=AHEAD, start="16:00", end="17:00", partner_org=theirs.slug)
    people = {
        "aoki": add_learner(
            "青木 明",
            "あおき あきら",
            phone="090-1111-1111",
            phone2="03-1111-0000",
            birth_year="1948",
            district="北地区",
            device="android",
            language="en",
            needs_hearing=True,
            consent=True,
            notes="娘さんが送迎",
        ),
        "baba": add_learner(
            "馬場 文",
            "ばば あや",
            phone="090-2222-2222",
            district="南地区",
            consent=True,
            share_with_partner=True,
        ),
        "gone": add_learner("去田 去", "さりた さる", phone="090-5555-5555"),
        "kondo": add_learner("近藤 近", "こんどう ちかし", phone="090-6666-6666"),
        "chiba": add_learner("千葉 智", "ちば さとし", phone="090-3333-3333"),
    }
    for person in people.values():
        cards.issue_card(person)
    enroll(taught, people["aoki"])
    enroll(taught, people["baba"])
    enroll(taught, people["gone"], status="cancelled")
    enroll(colleagues, people["kondo"])
    enroll(elsewhere, people["chiba"])
    return {
        "users": users,
        "people": people,
        "taught": taught,
        "colleagues": colleagues,
    }


def page_of(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:400])
    return response.get_data(as_text=True)


def listed(page: str, name: str) -> bool:
    return f">{name}</a>" in page


def downloads() -> list[AuditEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == DOWNLOADED).order_by(AuditEntry.id)
        )
    )


# ---------------------------------------------------------------- phones


def test_an_instructor_of_a_partner_organization_sees_phones_only_with_consent(
    world, client, api_for
):
    people = world["people"]
    teacher = world["users"]["our_instructor"]
    login(client, teacher)
    page = page_of(client, "/learners")
    assert listed(page, "青木 明")
    assert listed(page, "馬場 文")
    assert "090-1111-1111" not in page
    assert "090-2222-2222" in page
    detail = page_of(client, f"/learners/{people['aoki'].id}")
    assert "090-1111-1111" not in detail
    assert "03-1111-0000" not in detail

    api = api_for(teacher)
    body = api.get(f"/learners/{people['aoki'].id}").get_json()
    assert (body["phone"], body["phone2"]) == (None, None)
    rows = api.get(f"/sessions/{world['taught'].id}/roster").get_json()["rows"]
    phones = {r["learner"]["name"]: r["learner"].get("phone") for r in rows}
    assert phones == {"青木 明": None, "馬場 文": "090-2222-2222"}
    print_page = page_of(client, f"/sessions/{world['taught'].id}/roster/print")
    assert "090-1111-1111" not in print_page
    assert "090-2222-2222" in print_page


@pytest.mark.parametrize("who", ["city_instructor", "city_staff"])
def test_the_citys_own_instructors_keep_seeing_phones(world, client, who):
    login(client, world["users"][who])
    page = page_of(client, "/learners")
    assert "090-1111-1111" in page
    assert "090-2222-2222" in page


# ---------------------------------------------------------------- rosters of sessions one teaches


def test_an_instructor_reads_the_people_only_of_sessions_they_teach(world, client, api_for):
    teacher = world["users"]["our_instructor"]
    colleagues = world["colleagues"].id
    login(client, teacher)
    page_of(client, f"/sessions/{colleagues}")  # the session itself: their organization's
    for url in (
        f"/sessions/{colleagues}/attendance",
        f"/sessions/{colleagues}/registrations",
        f"/sessions/{colleagues}/roster/print",
    ):
        page_of(client, url, status=403)
    api = api_for(teacher)
    assert api.get(f"/sessions/{colleagues}/roster").status_code == 403
    assert api.get(f"/sessions/{colleagues}/registrations").status_code == 403
    kondo = world["people"]["kondo"]
    page_of(client, f"/learners/{kondo.id}", status=404)
    assert api.get(f"/learners/{kondo.id}").status_code == 404
    assert not listed(page_of(client, "/learners"), "近藤 近")
    # The session's page offers none of what they may not open.
    session_page = page_of(client, f"/sessions/{colleagues}")
    assert f"/sessions/{colleagues}/attendance" not in session_page
    assert f"/sessions/{colleagues}/roster/print" not in session_page


def test_a_partner_reads_every_roster_of_its_own_organization(world, client, api_for):
    partner = world["users"]["partner"]
    colleagues = world["colleagues"].id
    login(client, partner)
    for url in (
        f"/sessions/{colleagues}/attendance",
        f"/sessions/{colleagues}/registrations",
        f"/sessions/{colleagues}/roster/print",
    ):
        page_of(client, url)
    assert api_for(partner).get(f"/sessions/{colleagues}/roster").status_code == 200
    assert listed(page_of(client, "/learners"), "近藤 近")


def test_nobody_but_planners_sees_people_whose_registration_was_cancelled(world, client):
    gone = world["people"]["gone"]
    for who in ("partner", "our_instructor", "city_instructor"):
        login(client, world["users"][who])
        assert not listed(page_of(client, "/learners"), "去田 去")
        page_of(client, f"/learners/{gone.id}", status=404)
    login(client, world["users"]["coordinator"])
    page_of(client, f"/learners/{gone.id}")


# ---------------------------------------------------------------- searching hidden fields


def test_a_partner_cannot_find_a_hidden_phone_digit_by_digit(world, client, api_for):
    partner = world["users"]["partner"]
    login(client, partner)
    for query in ("090-1111-1111", "0901111111", "090-1111", "1111"):
        assert not listed(page_of(client, f"/learners?q={query}"), "青木 明"), query
    assert listed(page_of(client, "/learners?q=090-2222"), "馬場 文")
    api = api_for(partner)
    assert api.get("/learners?q=09011111111").get_json()["items"] == []
    assert [i["name"] for i in api.get("/learners?q=0902222").get_json()["items"]] == ["馬場 文"]
    # The same holds for the door's search of an instructor of a partner organization.
    teacher = world["users"]["our_instructor"]
    assert api_for(teacher).get("/learners?q=090-1111-1111").get_json()["items"] == []


def test_a_partner_cannot_find_people_by_card_number_or_district(world, client):
    aoki = world["people"]["aoki"]
    login(client, world["users"]["partner"])
    assert not listed(page_of(client, f"/learners?q={aoki.active_card.short_code}"), "青木 明")
    # A district filter would tell where people live: a partner is offered none, and one
    # typed into the address narrows nothing.
    page = page_of(client, "/learners")
    assert 'name="district"' not in page
    narrowed = page_of(client, "/learners?district=南地区")
    assert listed(narrowed, "青木 明")
    assert listed(narrowed, "馬場 文")
    # The organization's instructors run the door with cards: they find by card number.
    login(client, world["users"]["our_instructor"])
    assert listed(page_of(client, f"/learners?q={aoki.active_card.short_code}"), "青木 明")


# ---------------------------------------------------------------- the fields a partner sees


def test_a_partner_sees_only_name_furigana_consented_phone_and_needs(world, client, api_for):
    aoki = world["people"]["aoki"]
    partner = world["users"]["partner"]
    login(client, partner)
    detail = page_of(client, f"/learners/{aoki.id}")
    assert "青木 明" in detail
    assert "あおき あきら" in detail
    assert "聞こえにくい" in detail  # needs: the class prepares for them
    for hidden in (
        "娘さんが送迎",
        "北地区",
        "1948",
        "昭和23",
        aoki.active_card.short_code,
        "Android",
        "個人情報の利用への同意",
        aoki.consent_on.isoformat(),
    ):
        assert hidden not in detail, hidden
    listing = page_of(client, "/learners")
    for hidden in ("北地区", "昭和23", aoki.active_card.short_code):
        assert hidden not in listing, hidden

    body = api_for(partner).get(f"/learners/{aoki.id}").get_json()
    assert body["name"] == "青木 明"
    assert body["furigana"] == "あおき あきら"
    assert body["needs"] == {"vision": False, "hearing": True, "mobility": False}
    for field in sorted(LEARNER_KEYS - {"id", "name", "furigana", "needs"}):
        assert body[field] is None, field
    rows = api_for(partner).get(f"/sessions/{world['taught'].id}/roster").get_json()["rows"]
    assert {r["short_code"] for r in rows} == {None}


def test_an_instructor_of_a_partner_organization_also_sees_device_language_and_card(world, api_for):
    aoki = world["people"]["aoki"]
    body = api_for(world["users"]["our_instructor"]).get(f"/learners/{aoki.id}").get_json()
    assert (body["device"], body["language"]) == ("android", "en")
    assert body["card"]["short_code"] == aoki.active_card.short_code
    assert (body["birth_year"], body["notes"], body["district"]) == (None, None, None)


def test_the_citys_staff_see_the_whole_record(world, api_for):
    aoki = world["people"]["aoki"]
    for who in ("coordinator", "city_instructor"):
        body = api_for(world["users"][who]).get(f"/learners/{aoki.id}").get_json()
        assert (body["birth_year"], body["district"], body["notes"]) == (
            1948,
            "北地区",
            "娘さんが送迎",
        )
        assert body["phone"] == "090-1111-1111"


# ---------------------------------------------------------------- the printed roster


def test_the_printed_roster_gives_a_partner_no_qr_and_no_card_number(world, client):
    url = f"/sessions/{world['taught'].id}/roster/print"
    codes = [world["people"][k].active_card.short_code for k in ("aoki", "baba")]
    login(client, world["users"]["partner"])
    page = page_of(client, url)
    assert SVG.findall(page) == []
    assert not any(code in page for code in codes)
    assert "青木 明" in page
    login(client, world["users"]["our_instructor"])  # the door's paper fallback
    page = page_of(client, url)
    assert len(SVG.findall(page)) == 2
    assert all(code in page for code in codes)


# ---------------------------------------------------------------- downloads are logged


def test_bulk_reads_of_learners_are_logged_even_when_empty(world, client, api_for):
    partner = world["users"]["partner"]
    api = api_for(partner)
    api.get("/learners?q=ばば")
    api.get("/learners?q=だれもいない")
    api.get(f"/sessions/{world['taught'].id}/roster")
    api.get(f"/sessions/{world['taught'].id}/registrations")
    login(client, partner)
    page_of(client, f"/sessions/{world['taught'].id}/roster/print")

    entries = downloads()
    summary = [
        (e.actor_id, e.details["what"], e.details["format"], e.details["rows"]) for e in entries
    ]
    assert summary == [
        (partner.id, "learners", "json", 1),
        (partner.id, "learners", "json", 0),
        (partner.id, "roster", "json", 2),
        (partner.id, "registrations", "json", 2),
        (partner.id, "roster", "print", 2),
    ]
    assert entries[0].details["filter"] == {"q": "ばば", "page": 1}
    assert entries[2].details["filter"] == {"session_id": world["taught"].id}
    assert all(e.at is not None for e in entries)


def test_card_prints_and_opening_the_door_page_are_logged(world, client):
    taught = world["taught"].id
    login(client, world["users"]["coordinator"])
    page_of(client, f"/sessions/{taught}/cards")
    login(client, world["users"]["city_instructor"])
    page_of(client, f"/sessions/{taught}/checkin")
    page_of(client, f"/sessions/{taught}/checkin/roster")  # the page's refreshes: not logged

    assert [(e.details["what"], e.details["format"], e.details["rows"]) for e in downloads()] == [
        ("cards", "print", 2),
        ("roster", "checkin_page", 2),
    ]
