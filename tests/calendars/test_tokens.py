"""Private feed addresses: handed out on the person's page, unguessable, and replaced at once
when someone fears the address has spread."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.calendars import tokens
from app.calendars.models import CalendarToken, FeedOwner
from app.extensions import db
from tests.calendars.conftest import events, get_feed
from tests.conftest import login

FEED_URL = re.compile(r'value="http://dekiru\.test(/calendar/([\w-]+)[^"]*\.ics)"')


def _feed_urls(client) -> dict[str, str]:
    page = client.get("/calendar").get_data(as_text=True)
    return {kind.removesuffix(".ics"): path for path, kind in FEED_URL.findall(page)}


def test_a_token_is_made_once_is_long_and_random(world):
    first = tokens.token_for(FeedOwner.INSTRUCTOR, world.teacher.id)
    again = tokens.token_for(FeedOwner.INSTRUCTOR, world.teacher.id)
    other = tokens.token_for(FeedOwner.INSTRUCTOR, world.helper.id)
    assert first.token == again.token
    assert other.token != first.token
    assert len(first.token) >= 32
    assert re.fullmatch(r"[\w-]+", first.token)


def test_a_regenerated_token_stops_the_old_url_at_once(world, client):
    for owner_type, owner_id in (
        (FeedOwner.INSTRUCTOR, world.teacher.id),
        (FeedOwner.ORG, world.ours.id),
        (FeedOwner.LEARNER, world.learners[0].id),
    ):
        old = tokens.token_for(owner_type, owner_id).token
        get_feed(client, f"/calendar/{owner_type}/{old}.ics")
        new = tokens.regenerate(owner_type, owner_id).token
        get_feed(client, f"/calendar/{owner_type}/{old}.ics", 404)
        get_feed(client, f"/calendar/{owner_type}/{new}.ics")
        assert tokens.find(old, owner_type) is None
        assert tokens.find(new, owner_type).owner.id == owner_id


def test_a_token_opens_only_its_own_kind_of_feed_and_made_up_ones_are_404(world, client):
    instructor = tokens.token_for(FeedOwner.INSTRUCTOR, world.teacher.id).token
    get_feed(client, f"/calendar/org/{instructor}.ics", 404)
    get_feed(client, f"/calendar/learner/{instructor}.ics", 404)
    get_feed(client, "/calendar/instructor/not-a-real-token.ics", 404)
    get_feed(client, f"/calendar/instructor/{instructor[:-1]}.ics", 404)


def test_a_deactivated_instructors_feed_goes_dark(world, client):
    path = (
        f"/calendar/instructor/{tokens.token_for(FeedOwner.INSTRUCTOR, world.teacher.id).token}.ics"
    )
    get_feed(client, path)
    world.teacher.active = False
    db.session.commit()
    get_feed(client, path, 404)


def test_an_instructor_finds_their_feed_with_instructions_and_can_replace_it(world, client):
    login(client, world.teacher)
    page = client.get("/calendar").get_data(as_text=True)
    for words in (
        "照会するカレンダーを追加",
        "他のカレンダー",
        "URLで追加",
        "インターネットから",
        "予定表を追加",
    ):
        assert words in page
    assert 'href="webcal://dekiru.test/calendar/instructor/' in page
    urls = _feed_urls(client)
    assert set(urls) == {"instructor", "public"}
    get_feed(client, urls["instructor"])

    response = client.post("/calendar/instructor/regenerate")
    assert response.status_code == 303
    after = _feed_urls(client)
    assert after["instructor"] != urls["instructor"]
    get_feed(client, urls["instructor"], 404)
    get_feed(client, after["instructor"])


def test_a_partner_gets_their_organizations_feed_and_can_replace_it(world, client):
    login(client, world.partner)
    urls = _feed_urls(client)
    assert set(urls) == {"org", "public"}
    assert tokens.find(urls["org"].split("/")[-1].removesuffix(".ics"), "org").owner.id == (
        world.ours.id
    )
    assert client.post("/calendar/org/regenerate").status_code == 303
    get_feed(client, urls["org"], 404)
    get_feed(client, _feed_urls(client)["org"])


def test_planners_see_the_public_and_venue_feeds(world, client):
    login(client, world.coordinator)
    page = client.get("/calendar").get_data(as_text=True)
    assert "http://dekiru.test/calendar/public.ics" in page
    assert f"http://dekiru.test/calendar/venue/{world.venue.slug}.ics" in page
    assert db.session.scalar(sa.select(sa.func.count(CalendarToken.id))) == 0


def test_the_learner_page_hands_out_the_learners_feed_and_its_qr(world, client):
    learner = world.learners[0]
    login(client, world.coordinator)
    page = client.get(f"/learners/{learner.id}").get_data(as_text=True)
    assert "カレンダーのURLを作る" in page

    response = client.post(f"/learners/{learner.id}/calendar/regenerate")
    assert response.status_code == 303
    page = client.get(f"/learners/{learner.id}").get_data(as_text=True)
    url = re.search(r'value="(http://dekiru\.test/calendar/learner/[\w-]+\.ics)"', page).group(1)
    get_feed(client, url.removeprefix("http://dekiru.test"))

    sheet = client.get(f"/learners/{learner.id}/calendar-qr").get_data(as_text=True)
    assert "<svg" in sheet
    assert url in sheet

    client.post(f"/learners/{learner.id}/calendar/regenerate")
    get_feed(client, url.removeprefix("http://dekiru.test"), 404)


def test_partners_and_instructors_see_no_learner_feed_on_the_learner_page(world, client):
    login(client, world.partner)
    page = client.get(f"/learners/{world.learners[0].id}").get_data(as_text=True)
    assert "/calendar/learner/" not in page
    assert client.post(f"/learners/{world.learners[0].id}/calendar/regenerate").status_code == 403


def _sign_up(client, session, form_key: str):
    response = client.post(
        f"/public/sessions/{session.id}/signup",
        data={
            "name": "田中道子",
            "furigana": "たなか みちこ",
            "phone": "090-5555-6666",
            "consent": "y",
            "form_key": form_key,
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return client.get(response.headers["Location"]).get_data(as_text=True)


# The confirmation links the feed in words (webcal: the phone subscribes), never as a QR.
LEARNER_FEED = re.compile(r"webcal://dekiru\.test(/calendar/learner/[\w-]+\.ics)")


def test_the_confirmation_offers_the_class_and_the_new_learners_own_feed(world, client, make):
    page = _sign_up(client, world.ours_public, "key-of-the-first-page-view")
    assert f'href="/sessions/{world.ours_public.id}.ics"' in page
    get_feed(client, f"/sessions/{world.ours_public.id}.ics")
    path = LEARNER_FEED.search(page).group(1)
    assert set(events(get_feed(client, path).data)) == {world.ours_public.id}
    assert "田中道子" not in get_feed(client, path).data.decode()

    # Someone else typing the same name and phone gets a record of their own (a pending
    # match for a coordinator) and its own feed: never the first learner's calendar.
    second = make.session(course=world.course, venue=world.other_venue, day=world.day)
    other = _sign_up(client, second, "another-page-view-key")
    assert f'href="/sessions/{second.id}.ics"' in other
    other_path = LEARNER_FEED.search(other).group(1)
    assert other_path != path
    assert set(events(get_feed(client, other_path).data)) == {second.id}
    assert set(events(get_feed(client, path).data)) == {world.ours_public.id}
