"""The check-in page in real Chromium: camera, handheld scanner, search, accessibility."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from app.checkin.models import Attendance
from app.extensions import db
from app.people import cards
from app.people.learners import create_learner
from app.people.models import Learner
from app.people.registration import register
from tests.checkin.support import open_session
from tests.e2e.conftest import axe_violations, chromium, fake_camera, log_in, new_page

pytestmark = pytest.mark.e2e

RESULT = "#checkin-result"


@dataclass
class Door:
    session_id: int
    learner_id: int
    token: str
    teacher_email: str
    coordinator_email: str


def _open_door(live, furigana="やまだ はなこ") -> Door:
    """A session that started five minutes ago, its instructor, and Hanako registered."""
    with live.data() as make:
        teacher = make.user("instructor", name="講師 一郎")
        coordinator = make.user("coordinator")
        session = open_session(
            make,
            course=make.course(skills=("power", "tap")).slug,
            capacity=6,
            instructor_ids=[teacher.id],
        )
        hanako = create_learner({"name": "山田 花子", "furigana": furigana, "consent": True})
        card = cards.issue_card(hanako)
        register(session, hanako, source="phone")
        return Door(session.id, hanako.id, card.token, teacher.email, coordinator.email)


def _attendances(live, door: Door) -> list[Attendance]:
    with live.data():
        return list(
            db.session.scalars(
                sa.select(Attendance).where(Attendance.session_id == door.session_id)
            )
        )


def _shows_checked_in(page, result="checked_in") -> str:
    page.wait_for_selector(f'{RESULT}[data-result="{result}"]')
    return page.inner_text(RESULT)


def test_a_card_shown_to_the_camera_is_checked_in(live, chromium_path, tmp_path):
    door = _open_door(live)
    with live.data():
        png = cards.qr_png(door.token, box_size=9)  # ~300 px: big modules, as on the card
    with chromium(chromium_path, *fake_camera(png, tmp_path / "card.y4m")) as browser:
        page, outside = new_page(browser, live)
        log_in(page, live, door.teacher_email)
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url))
        page.goto(f"{live.url}/sessions/{door.session_id}/checkin")
        page.click("#camera-toggle")
        shown = _shows_checked_in(page)
        # Desktop Chromium has no BarcodeDetector: the decoder we serve read the card.
        wasm = f"{live.url}/static/vendor/zxing_reader.wasm"
        assert [url for url in fetched if url.split("?")[0] == wasm], fetched
        assert "✓" in shown
        assert "山田 花子" in shown
        assert page.get_attribute("#camera-toggle", "aria-pressed") == "true"
        assert page.inner_text("#count-checked") == "1"
        page.wait_for_selector(f'{RESULT}[data-state="sent"]')

        roster = page.request.get(f"{live.url}/sessions/{door.session_id}/checkin/roster").json()
        assert [(r["learner"]["id"], r["status"]) for r in roster["rows"]] == [
            (door.learner_id, "present")
        ]
        page.goto(f"{live.url}/sessions/{door.session_id}/attendance")
        assert "出席" in page.inner_text("tr:has-text('山田 花子')")
        assert outside == []
    [row] = _attendances(live, door)
    assert (row.method, row.status) == ("qr", "present")


def test_a_handheld_scanner_types_the_token_and_enter(live, chromium_path):
    door = _open_door(live)
    with chromium(chromium_path) as browser:
        page, outside = new_page(browser, live)
        log_in(page, live, door.teacher_email)
        page.goto(f"{live.url}/sessions/{door.session_id}/checkin")
        assert page.evaluate("document.activeElement.id") == "scan-code"

        page.keyboard.type(door.token)
        page.keyboard.press("Enter")
        shown = _shows_checked_in(page)
        assert "✓" in shown
        assert "山田 花子" in shown

        page.keyboard.type(door.token)
        page.keyboard.press("Enter")
        again = _shows_checked_in(page, "already_checked_in")
        assert re.search(r"\d{2}:\d{2}に受付済みです", again), again
        assert page.inner_text("#count-checked") == "1"
        assert outside == []
    [row] = _attendances(live, door)
    assert row.method == "scanner"


def test_an_answer_lost_on_bad_wifi_is_retried_without_a_second_record(live, chromium_path):
    door = _open_door(live)
    sent: list[dict] = []

    def answer_lost_once(route):
        if route.request.method != "POST":
            route.continue_()
            return
        sent.append(json.loads(route.request.post_data)["items"][0])
        if len(sent) == 1:
            route.fetch()  # the server records the check-in...
            route.abort("connectionreset")  # ...and the answer never reaches the phone
        else:
            route.continue_()

    with chromium(chromium_path) as browser:
        page, _outside = new_page(browser, live)
        log_in(page, live, door.teacher_email)
        page.route(f"**/sessions/{door.session_id}/checkin/batch", answer_lost_once)
        page.goto(f"{live.url}/sessions/{door.session_id}/checkin")
        page.keyboard.type(door.token)
        page.keyboard.press("Enter")
        shown = _shows_checked_in(page)
        assert "✓" in shown
        assert "受付しました" in shown
        page.wait_for_selector(f'{RESULT}[data-state="sent"]')
    assert len(sent) == 2
    assert sent[0]["client_id"] == sent[1]["client_id"]
    assert sent[0]["scanned_at"] == sent[1]["scanned_at"]
    [row] = _attendances(live, door)
    assert row.client_id == sent[0]["client_id"]


def test_search_by_furigana_in_katakana_and_tap_check_in(live, chromium_path):
    door = _open_door(live, furigana="やまだ はなこ")
    with chromium(chromium_path) as browser:
        page, _outside = new_page(browser, live)
        log_in(page, live, door.teacher_email)
        page.goto(f"{live.url}/sessions/{door.session_id}/checkin")
        page.fill("#search-q", "ヤマダ")
        person = page.locator("#person-list li", has_text="山田 花子")
        person.get_by_role("button", name=re.compile("^受付")).click()
        shown = _shows_checked_in(page)
        assert "✓" in shown
        assert "山田 花子" in shown
        assert "受付済み" in person.inner_text()
    [row] = _attendances(live, door)
    assert row.method == "search"


def test_the_check_in_pages_have_no_wcag_2_2_aa_violations(live, chromium_path):
    door = _open_door(live)
    with live.data():
        stranger = create_learner({"name": "鈴木 次郎", "furigana": "すずき じろう"})
        stranger_token = cards.issue_card(stranger).token
    with chromium(chromium_path) as browser:
        page, _outside = new_page(browser, live)
        log_in(page, live, door.teacher_email)
        page.goto(f"{live.url}/sessions/{door.session_id}/checkin")
        assert axe_violations(page) == []

        # With a result on screen: a refusal offering the walk-in, then a success.
        page.keyboard.type(stranger_token)
        page.keyboard.press("Enter")
        page.wait_for_selector(f'{RESULT}[data-result="not_registered"] button')
        assert axe_violations(page) == []
        page.click(f"{RESULT} button")
        _shows_checked_in(page)
        assert axe_violations(page) == []

        for path in ("attendance", "skills"):
            page.goto(f"{live.url}/sessions/{door.session_id}/{path}")
            assert axe_violations(page) == [], path


def test_a_walk_in_from_the_search_shows_who_and_is_asked_twice(live, chromium_path):
    door = _open_door(live)
    with live.data():
        for year in ("1941", "1950"):
            create_learner(
                {
                    "name": "宮崎 キヨ",
                    "furigana": "みやざき きよ",
                    "birth_year": year,
                    "consent": True,
                }
            )
    with chromium(chromium_path) as browser:
        page, _outside = new_page(browser, live)
        log_in(page, live, door.coordinator_email)
        page.goto(f"{live.url}/sessions/{door.session_id}/checkin")
        page.fill("#search-q", "みやざき")
        others = page.locator("#others-list li")
        others.nth(1).wait_for()
        shown = others.all_inner_texts()
        assert any("1941年生まれ" in text for text in shown), shown
        assert any("1950年生まれ" in text for text in shown), shown
        button = others.filter(has_text="1950年生まれ").get_by_role("button")
        button.click()
        assert "もう一度押してください" in button.inner_text()
        assert _attendances(live, door) == []  # one tap registers no one
        button.click()
        page.wait_for_selector(f'{RESULT}[data-result="checked_in"]:has-text("宮崎 キヨ")')
        page.wait_for_selector(f'{RESULT}[data-state="sent"]')
    [row] = _attendances(live, door)
    with live.data():
        assert db.session.get(Learner, row.learner_id).birth_year == 1950


def test_the_skills_grid_keeps_the_names_in_view_on_a_phone(live, chromium_path):
    with live.data() as make:
        teacher = make.user("instructor")
        keys = ("power", "tap", "swipe", "camera", "photo", "line", "map")
        session = open_session(
            make, course=make.course(skills=keys).slug, instructor_ids=[teacher.id]
        )
        hanako = create_learner({"name": "山田 花子", "furigana": "やまだ はなこ", "consent": True})
        register(session, hanako, source="phone")
        session_id, email = session.id, teacher.email
    with chromium(chromium_path) as browser:
        page, _outside = new_page(browser, live)
        page.set_viewport_size({"width": 360, "height": 740})
        log_in(page, live, email)
        page.goto(f"{live.url}/sessions/{session_id}/skills")
        # On a phone the table scrolls sideways inside itself (app.css, .table:not(.stack)).
        page.eval_on_selector(".skills-grid", "(grid) => { grid.scrollLeft = grid.scrollWidth; }")
        assert page.eval_on_selector(".skills-grid", "(grid) => grid.scrollLeft") > 0
        name = page.locator(".skills-grid th[scope=row]").first.bounding_box()
        assert name is not None
        assert 0 <= name["x"] < 40  # still at the left edge, not scrolled away
        last = page.locator(".skills-grid .skill-head").last.bounding_box()
        assert last is not None
        assert last["x"] + last["width"] <= 360 + 1  # the last column reached
