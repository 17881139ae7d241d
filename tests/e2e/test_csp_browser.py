"""The Content-Security-Policy refuses nothing the pages need, in real Chromium: every page's
scripts run (files, and inline ones by their nonce), the QR decoder compiles its WebAssembly,
and the browser records no refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.people import cards
from app.people.learners import create_learner
from app.people.registration import register
from app.scheduling.sessions import create_session
from tests.checkin.support import open_session
from tests.e2e.conftest import chromium, csp_violations, fake_camera, log_in, new_page, sign_up

pytestmark = pytest.mark.e2e


def _city(live) -> dict:
    with live.data() as make:
        teacher = make.user("instructor")
        coordinator = make.user("coordinator")
        today = open_session(make, capacity=6, instructor_ids=[teacher.id], public=True)
        starts = today.starts_at
        later = create_session(
            {
                "course": make.course().slug,
                "venue_id": make.venue().id,
                "starts_at": starts + timedelta(days=3),
                "ends_at": starts + timedelta(days=3, minutes=60),
                "capacity": 6,
                "public": True,
            }
        )
        hanako = create_learner({"name": "山田 花子", "furigana": "やまだ はなこ", "consent": True})
        card = cards.issue_card(hanako)
        register(today, hanako, source="phone")
        return {
            "teacher": teacher.email,
            "coordinator": coordinator.email,
            "today": today.id,
            "later": later.id,
            "learner": hanako.id,
            "card_png": cards.qr_png(card.token, box_size=9),
        }


def _visit(page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return csp_violations(page)


def test_the_public_pages_run_their_scripts_and_break_no_policy(live, chromium_path):
    city = _city(live)
    with chromium(chromium_path) as browser:
        page, outside = new_page(browser, live)
        for path in ("/public/sessions", "/public/achievements"):
            assert _visit(page, f"{live.url}{path}") == [], path
            assert page.is_visible(".text-size"), path  # shown by static/js/text-size.js
        assert _visit(page, f"{live.url}/public/sessions/{city['later']}/signup") == []
        sign_up(page, name="佐藤 一郎", furigana="さとう いちろう", phone="090-0000-1111")
        page.wait_for_load_state("networkidle")
        assert "/public/registrations/" in page.url
        assert csp_violations(page) == []
        assert page.is_visible("[data-print]")  # shown by the page's nonced script
        assert outside == []


def test_the_staff_pages_run_their_scripts_and_break_no_policy(live, chromium_path):
    city = _city(live)
    with chromium(chromium_path) as browser:
        page, outside = new_page(browser, live)
        assert _visit(page, f"{live.url}/login") == []
        log_in(page, live, city["coordinator"])
        for path in (
            "/sessions",
            f"/sessions/{city['today']}",
            f"/learners/{city['learner']}",
            f"/learners/{city['learner']}/card",
            f"/learners/{city['learner']}/calendar-qr",
            f"/sessions/{city['today']}/roster/print",
            "/calendar",
            "/reports/",
            "/account/tokens",
            "/account/password",
        ):
            assert _visit(page, f"{live.url}{path}") == [], path
        assert _visit(page, f"{live.url}/sessions/{city['today']}/registrations") == []
        page.fill("#q", "やまだ")  # the nonced script asks for matches as one types
        page.wait_for_selector("#registration-results :text('山田 花子')")
        assert csp_violations(page) == []
        assert outside == []


def test_the_check_in_camera_compiles_its_decoder_under_the_policy(live, chromium_path, tmp_path):
    city = _city(live)
    with chromium(chromium_path, *fake_camera(city["card_png"], tmp_path / "card.y4m")) as browser:
        page, outside = new_page(browser, live)
        log_in(page, live, city["teacher"])
        assert _visit(page, f"{live.url}/sessions/{city['today']}/checkin") == []
        page.click("#camera-toggle")
        page.wait_for_selector('#checkin-result[data-result="checked_in"]')
        assert csp_violations(page) == []
        assert outside == []
