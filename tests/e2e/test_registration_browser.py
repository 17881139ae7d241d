"""The phone registration page in Chromium (issue 16): what the coordinator typed in the
search box starts the new-person form while typing, the new person's card is offered at
once, and 取り消す asks before anything changes."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.people.learners import create_learner
from app.people.models import Registration
from app.people.registration import register
from tests.e2e.conftest import chromium, log_in, new_page

pytestmark = pytest.mark.e2e


def test_typed_furigana_carries_into_the_new_person_and_a_card_is_ready(live, chromium_path):
    with live.data() as make:
        coordinator = make.user("coordinator")
        session = make.session(capacity=1)
        session_id, email = session.id, coordinator.email
    with chromium(chromium_path) as browser:
        page, _outside = new_page(browser, live)
        log_in(page, live, email)
        page.goto(f"{live.url}/sessions/{session_id}/registrations")
        page.locator("#q").press_sequentially("たなか みちこ", delay=20)
        page.wait_for_selector("#match-count:has-text('合う受講者はいません')")
        form = page.locator("form.new-learner")
        assert form.locator("#furigana").input_value() == "たなか みちこ"
        # A box the coordinator typed in is theirs: searching again leaves it alone.
        form.locator("#furigana").fill("たなか みちこ")
        form.locator("#name").fill("田中道子")
        form.locator("#phone").fill("090-5555-6666")
        form.locator("#consent").check()
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        notice = page.locator("#new-card")
        assert "田中道子さんの受講カード" in notice.inner_text()
        with page.expect_navigation():
            notice.locator("a.button").click()
        assert page.locator(".card-code, .learner-card-code, code").count() >= 1
        assert "/card" in page.url


def test_cancel_asks_first_then_promotes(live, chromium_path):
    with live.data() as make:
        coordinator = make.user("coordinator")
        session = make.session(capacity=1)
        first = create_learner({"name": "受講者甲", "furigana": "じゅこうしゃこう"})
        second = create_learner({"name": "受講者乙", "furigana": "じゅこうしゃおつ"})
        register(session, first, source="phone")
        register(session, second, source="phone")
        session_id, email = session.id, coordinator.email
    with chromium(chromium_path) as browser:
        page, _outside = new_page(browser, live)
        log_in(page, live, email)
        page.goto(f"{live.url}/sessions/{session_id}/registrations")
        with page.expect_navigation():
            page.get_by_role("link", name="受講者甲さんの申し込みを取り消す").click()
        assert "受講者乙さんがすぐに繰り上がって" in page.inner_text("main")
        with live.data():
            statuses = [r.status for r in db.session.query(Registration).order_by(Registration.id)]
        assert statuses == ["registered", "waitlisted"]  # asking changed nothing
        with page.expect_navigation():
            page.get_by_role("button", name="取り消す").click()
        text = page.inner_text("main")
        assert "受講者甲さんの申し込みを取り消しました" in text
        assert "受講者乙さんが繰り上がって登録されました" in text
