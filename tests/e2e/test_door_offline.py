"""The local-first door in real Chromium: opened once online, then used with no network
(Playwright's context.set_offline), and what it saved reaching the server once it is back."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from app.checkin.models import Attendance, DoorRefusal
from app.extensions import db
from app.people import cards
from app.people.learners import create_learner
from app.people.models import Learner
from app.people.registration import register
from app.timeutil import utcnow
from tests.checkin.support import open_session
from tests.e2e.conftest import CHROMIUM_FLAGS, chromium, fake_camera, log_in, new_page

pytestmark = pytest.mark.e2e

RESULT = "#checkin-result"
PEOPLE = [
    ("山田 花子", "やまだ はなこ"),
    ("佐藤 太郎", "さとう たろう"),
    ("鈴木 花", "すずき はな"),
    ("宮崎 キヨ", "みやざき きよ"),
]


def _door(live, capacity=8):
    """A session open now, its instructor, and four registered learners with cards."""
    with live.data() as make:
        teacher = make.user("instructor", name="講師 一郎")
        coordinator = make.user("coordinator")
        session = open_session(make, capacity=capacity, instructor_ids=[teacher.id])
        people = {}
        for name, furigana in PEOPLE:
            person = create_learner({"name": name, "furigana": furigana, "consent": True})
            token = cards.issue_card(person).token
            register(session, person, source="phone")
            people[name] = (person.id, token)
        return session.id, teacher.email, coordinator.email, people


def _attendances(live, session_id) -> list[Attendance]:
    with live.data():
        return list(
            db.session.scalars(sa.select(Attendance).where(Attendance.session_id == session_id))
        )


def _open_and_keep(page, live, session_id) -> None:
    """Open the door online until the service worker controls it and the roster is kept."""
    page.goto(f"{live.url}/sessions/{session_id}/checkin")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)
    page.wait_for_selector("#checkin[data-kept=true]")
    page.wait_for_selector("#roster-fresh:has-text('現在')")


def _saved(page, name: str) -> str:
    """The result panel once it shows `name` checked in, saved on the device, not sent."""
    page.wait_for_selector(
        f'{RESULT}[data-result="checked_in"][data-state="saved"]:has-text("{name}")'
    )
    return page.inner_text(RESULT)


def test_offline_after_a_reload_every_way_in_is_saved_then_sent_once_with_scan_times(
    live, chromium_path, tmp_path
):
    session_id, teacher, _coordinator, people = _door(live)
    hanako_id, hanako_token = people["山田 花子"]
    taro_id, taro_token = people["佐藤 太郎"]
    with live.data():
        png = cards.qr_png(taro_token, box_size=9)
    with chromium(chromium_path, *fake_camera(png, tmp_path / "card.y4m")) as browser:
        page, outside = new_page(browser, live)
        log_in(page, live, teacher)
        _open_and_keep(page, live, session_id)

        page.context.set_offline(True)
        page.reload()  # from the service worker: the network is gone
        page.wait_for_selector("#roster-fresh:has-text('現在')")
        assert page.locator("#person-list li").count() == 4

        # A handheld scanner: the token and Enter.
        page.keyboard.type(hanako_token)
        page.keyboard.press("Enter")
        _saved(page, "山田 花子")
        assert "保存済み・未送信" in page.inner_text(RESULT)
        assert page.inner_text("#door-pending") == "未送信 1件"

        # The camera, its decoder kept by the service worker.
        page.click("#camera-toggle")
        page.wait_for_selector(f'{RESULT}[data-result="checked_in"]:has-text("佐藤 太郎")')
        page.click("#camera-toggle")

        # By name, typed in katakana.
        page.fill("#search-q", "スズキ")
        person = page.locator("#person-list li", has_text="鈴木 花")
        person.get_by_role("button", name=re.compile("^受付")).click()
        _saved(page, "鈴木 花")
        assert page.input_value("#search-q") == ""

        # Someone new, typed in.
        page.click("summary:has-text('はじめての方')")
        page.fill("#newcomer-name", "木村 一子")
        page.fill("#newcomer-furigana", "きむら いちこ")
        page.fill("#newcomer-birth-year", "昭和20")
        page.click("#newcomer-form button[type=submit]")
        _saved(page, "木村 一子")
        assert page.inner_text("#door-pending") == "未送信 4件"
        assert page.inner_text("#count-checked") == "4"
        assert _attendances(live, session_id) == []  # nothing reached the server

        page.wait_for_timeout(1500)  # the scans and the sending are apart in time
        back_at = utcnow()
        page.context.set_offline(False)
        page.wait_for_selector("#door-pending", state="hidden", timeout=20_000)
        assert page.locator("#recent-list li[data-state='sent']").count() == 4
        assert outside == []

    rows = _attendances(live, session_id)
    assert len(rows) == 4
    assert all(row.checked_in_at < back_at <= row.received_at for row in rows)
    methods = {row.learner_id: row.method for row in rows}
    assert (methods[hanako_id], methods[taro_id]) == ("scanner", "qr")
    with live.data():
        newcomers = db.session.scalars(sa.select(Learner).where(Learner.name == "木村 一子"))
        assert len(newcomers.all()) == 1


def test_two_devices_offline_one_attendance_the_earlier_and_the_other_told(live, chromium_path):
    session_id, teacher, _coordinator, _people = _door(live)
    with chromium(chromium_path) as browser:
        first, _ = new_page(browser, live)
        second, _ = new_page(browser, live)
        for page in (first, second):
            log_in(page, live, teacher)
            _open_and_keep(page, live, session_id)
            page.context.set_offline(True)
        for page in (first, second):
            page.fill("#search-q", "やまだ")
            page.locator("#person-list li", has_text="山田 花子").get_by_role(
                "button", name=re.compile("^受付")
            ).click()
            _saved(page, "山田 花子")
            page.wait_for_timeout(1100)
        # The later scan arrives first; then the earlier one, which is kept.
        second.context.set_offline(False)
        second.wait_for_selector(f'{RESULT}[data-state="sent"]')
        first.context.set_offline(False)
        first.wait_for_selector(f'{RESULT}[data-state="sent"]')
        # The device whose scan was not kept says so when it next hears the roster.
        second.context.set_offline(True)
        second.context.set_offline(False)
        second.wait_for_selector(f'{RESULT}[data-state="elsewhere"]')
        assert "ほかの端末で" in second.inner_text(RESULT)
    [row] = _attendances(live, session_id)
    assert row.checked_in_at < row.received_at


def test_items_saved_when_the_browser_closed_are_sent_when_it_opens_again(
    live, chromium_path, tmp_path
):
    session_id, teacher, _coordinator, people = _door(live)
    _hanako_id, token = people["山田 花子"]
    profile = tmp_path / "profile"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=chromium_path, args=CHROMIUM_FLAGS, locale="ja-JP"
        )
        page = context.new_page()
        log_in(page, live, teacher)
        _open_and_keep(page, live, session_id)
        context.set_offline(True)
        page.keyboard.type(token)
        page.keyboard.press("Enter")
        _saved(page, "山田 花子")
        context.close()  # closed with the item waiting

        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=chromium_path, args=CHROMIUM_FLAGS, locale="ja-JP"
        )
        page = context.new_page()
        log_in(page, live, teacher)  # the login cookie lasted as long as the browser
        page.goto(f"{live.url}/sessions/{session_id}/checkin")
        for _ in range(40):  # sent on its own when the page opens
            if _attendances(live, session_id):
                break
            page.wait_for_timeout(250)
        page.wait_for_selector("#door-pending", state="hidden")
        context.close()
    [row] = _attendances(live, session_id)
    assert row.method == "scanner"


def test_a_card_revoked_after_the_download_is_refused_on_arrival(live, chromium_path):
    session_id, teacher, coordinator, people = _door(live)
    hanako_id, token = people["山田 花子"]
    with chromium(chromium_path) as browser:
        page, _ = new_page(browser, live)
        log_in(page, live, teacher)
        _open_and_keep(page, live, session_id)
        page.context.set_offline(True)
        with live.data():
            cards.issue_card(db.session.get(Learner, hanako_id))  # lost: a new card
        page.keyboard.type(token)
        page.keyboard.press("Enter")
        _saved(page, "山田 花子")
        page.context.set_offline(False)
        page.wait_for_selector(f'{RESULT}[data-state="refused"]')
        assert "再発行" in page.inner_text(RESULT)
        assert page.locator("#recent-list li[data-state='refused']").count() == 1
    assert _attendances(live, session_id) == []
    with live.data():
        [refusal] = db.session.scalars(sa.select(DoorRefusal)).all()
        assert (refusal.code, refusal.learner_id) == ("revoked_card", hanako_id)


def test_logout_wipes_the_device(live, chromium_path):
    session_id, teacher, _coordinator, people = _door(live)
    with chromium(chromium_path) as browser:
        page, _ = new_page(browser, live)
        log_in(page, live, teacher)
        _open_and_keep(page, live, session_id)
        names = page.evaluate("async () => (await indexedDB.databases()).map((d) => d.name)")
        assert "dekiru-door" in names
        with page.expect_navigation():
            page.click("form[action$='/logout'] button")
        left = page.evaluate(
            """async () => {
                const names = (await indexedDB.databases()).map((d) => d.name);
                return {names: names, caches: await caches.keys()};
            }"""
        )
        assert "dekiru-door" not in left["names"]
        assert not [name for name in left["caches"] if "door" in name]


def test_todays_classes_saved_at_home_open_in_the_hall_with_no_network(live, chromium_path):
    """Saved from her list of today's classes, never opened: the door opens offline."""
    session_id, teacher, _coordinator, people = _door(live)
    _hanako_id, token = people["山田 花子"]
    with chromium(chromium_path) as browser:
        page, outside = new_page(browser, live)
        log_in(page, live, teacher)
        assert page.url.endswith("/my/sessions")  # an instructor's home: her classes
        door = page.locator("#today-classes a[data-door]")
        assert door.count() == 1
        assert door.inner_text().startswith("受付を始める")
        page.click("#save-today")
        page.wait_for_selector("#today-classes[data-saved='1']")
        assert "1件を端末に保存しました" in page.inner_text("#save-today-status")

        page.context.set_offline(True)
        page.goto(f"{live.url}/sessions/{session_id}/checkin")
        page.wait_for_selector("#roster-fresh:has-text('現在')")
        page.keyboard.type(token)
        page.keyboard.press("Enter")
        _saved(page, "山田 花子")
        page.context.set_offline(False)
        page.wait_for_selector(f'{RESULT}[data-state="sent"]')
        assert outside == []
    [row] = _attendances(live, session_id)
    assert row.learner_id == _hanako_id
