"""The check-in page and its JSON endpoints (login cookie + CSRF header), by role."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid

from app.checkin.routes import SEARCH_LIMIT
from app.people.cards import normalize_code
from app.people.registration import register
from tests.checkin.support import attendance_rows, learner, open_session
from tests.conftest import PASSWORD, login, make_app


def test_the_page_holds_no_one_and_its_roster_comes_with_hashes_not_cards(door, client):
    """The page is kept by a service worker for offline use: its people come from the
    roster endpoint into the device's store, with keyed hashes of the cards, never the
    cards' tokens or short codes, and no phone numbers."""
    login(client, door.teacher)
    response = client.get(f"/sessions/{door.session.id}/checkin")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="count-registered">2<' in page
    assert "山田" not in page
    assert "佐藤" not in page
    assert "vendor/zxing_reader.wasm" in page
    assert "cdn" not in page.lower()

    roster = client.get(f"/sessions/{door.session.id}/checkin/roster")
    body = roster.get_json()
    assert sorted(row["learner"]["name"] for row in body["rows"]) == ["佐藤 太郎", "山田 花子"]
    text = json.dumps(body)
    assert "phone" not in text
    card = door.hanako.active_card
    assert card.token not in text
    assert card.short_code not in text
    key = base64.urlsafe_b64decode(body["door_key"] + "==")
    [hanako] = [row for row in body["rows"] if row["learner"]["id"] == door.hanako.id]
    expected = hmac.new(key, normalize_code(card.short_code).encode(), hashlib.sha256)
    assert expected.hexdigest()[:32] in hanako["card_keys"]
    assert all(row["short_code"] is None for row in body["rows"])


def test_a_roster_asked_again_with_its_etag_costs_no_body(door, client):
    login(client, door.teacher)
    url = f"/sessions/{door.session.id}/checkin/roster"
    first = client.get(url)
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    client.post(
        f"/sessions/{door.session.id}/checkin",
        json={"learner_id": door.hanako.id},
        headers={"X-CSRFToken": "x"},
    )
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_who_may_open_the_check_in_page(make, door, client):
    org, other_org = make.org(slug="npo-aoba"), make.org(slug="npo-other")
    theirs = open_session(make, partner_org=other_org.slug)
    ours = open_session(make, partner_org=org.slug)
    cases = [
        (door.coordinator, door.session, 200),
        (make.user("admin"), door.session, 200),
        (make.user("instructor"), door.session, 404),  # not theirs: they do not see it
        (make.user("instructor", org=org), ours, 403),  # sees it (its org) but does not teach
        # Partners never check people in: refused before any session is looked up.
        (make.user("partner", org=org), ours, 403),
        (make.user("partner", org=org), theirs, 403),
    ]
    wrong = []
    for user, session, expected in cases:
        login(client, user)
        got = client.get(f"/sessions/{session.id}/checkin").status_code
        if got != expected:
            wrong.append(f"{user.role} {user.email}: {got} (expected {expected})")
    assert wrong == []


def _csrf_client(database, tmp_path, user):
    app = make_app(database, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    return client


def test_the_page_checks_in_with_its_csrf_token_in_the_header(database, tmp_path, door):
    client = _csrf_client(database, tmp_path, door.teacher)
    url = f"/sessions/{door.session.id}/checkin"
    page = client.get(url).get_data(as_text=True)
    csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)
    body = {"code": door.token(door.hanako), "client_id": str(uuid.uuid4())}

    refused = client.post(url, json=body)
    assert refused.status_code == 400
    assert attendance_rows(door.session) == []

    done = client.post(url, json=body, headers={"X-CSRFToken": csrf})
    assert done.status_code == 201
    assert done.get_json()["result"] == "checked_in"
    again = client.post(url, json=body, headers={"X-CSRFToken": csrf})
    assert again.get_json()["result"] == "already_checked_in"
    assert len(attendance_rows(door.session)) == 1


def test_the_page_gets_refusals_as_json_with_their_code(make, door, client):
    login(client, door.teacher)
    url = f"/sessions/{door.session.id}/checkin"
    unknown = client.post(url, json={"code": "ZZ-ZZZZ"})
    assert unknown.status_code == 404
    assert unknown.get_json()["error"]["code"] == "unknown_code"
    # Someone the teacher may walk in by id: registered in another class they teach.
    stranger = learner("鈴木 次郎", "すずき じろう")
    tomorrow = open_session(make, started_minutes_ago=-24 * 60, instructor_ids=[door.teacher.id])
    register(tomorrow, stranger, source="phone")
    asked = client.post(url, json={"learner_id": stranger.id})
    assert asked.status_code == 409
    assert asked.get_json()["error"]["can_walk_in"] is True
    walked_in = client.post(url, json={"learner_id": stranger.id, "walk_in": True})
    assert walked_in.status_code == 201
    assert walked_in.get_json()["registration"]["source"] == "walk_in"


def test_a_scanner_check_in_is_recorded_as_such(door, client):
    login(client, door.teacher)
    client.post(
        f"/sessions/{door.session.id}/checkin",
        json={"code": door.token(door.taro), "method": "scanner"},
    )
    [row] = attendance_rows(door.session)
    assert row.method == "scanner"


def test_the_page_refreshes_its_roster_and_counts(door, client):
    login(client, door.teacher)
    client.post(f"/sessions/{door.session.id}/checkin", json={"learner_id": door.taro.id})
    body = client.get(f"/sessions/{door.session.id}/checkin/roster").get_json()
    assert body["counts"]["checked_in"] == 1
    assert {r["learner"]["name"]: r["status"] for r in body["rows"]}["佐藤 太郎"] == "present"


def test_search_for_walk_ins_finds_people_not_on_this_list_in_either_kana(door, client):
    stranger = learner("鈴木 次郎", "すずき じろう")
    login(client, door.coordinator)
    url = f"/sessions/{door.session.id}/checkin/search"
    found = client.get(url, query_string={"q": "スズキ"}).get_json()["items"]
    assert [item["id"] for item in found] == [stranger.id]
    on_list = client.get(url, query_string={"q": "やまだ"}).get_json()["items"]
    assert on_list == []  # Hanako is on the page's own list already


def test_walk_in_search_tells_namesakes_apart_and_says_when_there_are_more(door, client):
    for n in range(SEARCH_LIMIT + 2):
        learner(f"宮崎 キヨ{n}", "みやざき きよ", birth_year=str(1940 + n), district="東")
    login(client, door.coordinator)
    found = client.get(
        f"/sessions/{door.session.id}/checkin/search", query_string={"q": "みやざき"}
    ).get_json()
    assert len(found["items"]) == SEARCH_LIMIT
    assert found["more"] is True
    assert {item["district"] for item in found["items"]} == {"東"}
    assert len({item["birth_year"] for item in found["items"]}) == SEARCH_LIMIT
    few = client.get(
        f"/sessions/{door.session.id}/checkin/search", query_string={"q": "宮崎 キヨ1"}
    ).get_json()
    assert sorted(item["name"] for item in few["items"]) == [
        "宮崎 キヨ1",
        "宮崎 キヨ10",
        "宮崎 キヨ11",
    ]
    assert few["more"] is False


def test_a_non_staff_instructor_gets_403_from_the_page_endpoints(make, client):
    org = make.org(slug="npo-aoba")
    session = open_session(make, partner_org=org.slug)
    person = learner()
    register(session, person, source="phone")
    login(client, make.user("instructor", org=org))
    base = f"/sessions/{session.id}/checkin"
    posted = client.post(base, json={"learner_id": person.id})
    assert posted.status_code == 403
    assert posted.get_json()["error"]["code"] == "forbidden"
    assert client.get(f"{base}/roster").status_code == 403
    assert client.get(f"{base}/search", query_string={"q": "やまだ"}).status_code == 403
    assert attendance_rows(session) == []


def test_the_session_page_shows_the_doors_counts_and_its_link_to_who_may_check_in(
    door, make, client
):
    """The session page (scheduling's) shows check-in's counts and the door's link beside the
    schedule: they reach it from app.checkin by a signal, so both must be there."""
    login(client, door.teacher)
    client.post(f"/sessions/{door.session.id}/checkin", json={"learner_id": door.taro.id})
    page = client.get(f"/sessions/{door.session.id}").get_data(as_text=True)
    assert "申込 2 / 定員" in page
    assert "受付済 1人" in page
    assert f'href="/sessions/{door.session.id}/checkin"' in page
    assert f'href="/sessions/{door.session.id}/roster/print"' in page

    client.post("/logout")
    other = make.org(slug="npo-elsewhere")
    partner = make.user("partner", org=other)
    login(client, partner)
    assert client.get(f"/sessions/{door.session.id}").status_code == 404
