"""The day-before call list in real Chromium, by keyboard: on the focused row the keys 1 to 4
record 参加 / 欠席 / 不在 / 伝言, the outcome shows without the page reloading, and a 欠席
puts the first waitlisted person on the list, with the keys on their row."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.people.learners import create_learner
from app.people.models import ConfirmationCall, Registration
from app.people.registration import register
from app.timeutil import japan_today
from tests.e2e.conftest import axe_violations, chromium, csp_violations, log_in, new_page

pytestmark = pytest.mark.e2e

PEOPLE = (
    ("青木 花子", "あおき はなこ", "090-1111-1111"),
    ("井上 一郎", "いのうえ いちろう", "090-2222-2222"),
    ("上田 次郎", "うえだ じろう", "090-3333-3333"),
    ("江藤 三郎", "えとう さぶろう", "090-4444-4444"),  # waiting for a seat
)


def _tomorrows_class(live) -> tuple[str, list[int]]:
    """A coordinator and tomorrow's full class of three, a fourth waitlisted."""
    with live.data() as make:
        coordinator = make.user("coordinator", name="佐藤 美咲")
        session = make.session(day=japan_today() + timedelta(days=1), capacity=3)
        ids = [
            register(
                session,
                create_learner({"name": name, "furigana": kana, "phone": phone, "consent": True}),
                source="phone",
            ).id
            for name, kana, phone in PEOPLE
        ]
        return coordinator.email, ids


def _calls() -> dict[int, list[str]]:
    db.session.expire_all()
    found: dict[int, list[str]] = {}
    for call in db.session.scalars(sa.select(ConfirmationCall).order_by(ConfirmationCall.id)):
        found.setdefault(call.registration_id, []).append(call.outcome)
    return found


def test_the_keys_record_each_outcome_in_place_and_a_cancellation_moves_the_waitlist_up(
    live, chromium_path
):
    email, (hanako, ichiro, jiro, saburo) = _tomorrows_class(live)
    with chromium(chromium_path) as browser:
        page, outside = new_page(browser, live)
        page.set_viewport_size({"width": 1280, "height": 900})
        log_in(page, live, email)
        page.goto(f"{live.url}/calls")
        assert axe_violations(page) == []
        assert page.locator("[data-call-row]").count() == 3
        assert "江藤 三郎" not in page.inner_text("main")  # waiting, not called
        # A mark on the window: a reload would wipe it.
        page.evaluate("window.__sameDocument = true")

        def press(registration_id: int, key: str) -> None:
            page.focus(f"#reg-{registration_id}")
            page.keyboard.press(key)

        press(hanako, "1")
        page.locator(f"#reg-{hanako} .call-try").filter(has_text="参加").wait_for()
        press(ichiro, "3")
        page.locator(f"#reg-{ichiro}").get_by_text("もう一度お電話ください(2回目)").wait_for()
        assert page.evaluate("document.activeElement.id") == f"reg-{ichiro}"
        page.keyboard.press("4")  # the same row keeps the keys: the second try left a message
        page.locator(f"#reg-{ichiro} .call-try").filter(has_text="伝言").wait_for()

        # A digit typed in the note is the note's, not an outcome.
        page.fill(f"#note-{jiro}", "")
        page.focus(f"#note-{jiro}")
        page.keyboard.type("2時以降")
        assert page.input_value(f"#note-{jiro}") == "2時以降"
        page.focus(f"#reg-{jiro}")
        page.keyboard.press("2")  # 欠席, with the note typed
        page.locator(f"#reg-{saburo}").wait_for()
        page.locator(f"#reg-{jiro}").get_by_text("欠席(申し込みを取り消しました)").wait_for()
        assert "2時以降" in page.inner_text(f"#reg-{jiro}")
        news = page.inner_text("[data-call-news]")
        assert "江藤 三郎さんが繰り上がりました" in news
        # The keys go on with the person who took the seat.
        assert page.evaluate("document.activeElement.id") == f"reg-{saburo}"
        page.keyboard.press("1")
        page.locator(f"#reg-{saburo} .call-try").filter(has_text="参加").wait_for()

        assert page.evaluate("window.__sameDocument") is True
        assert axe_violations(page) == []
        assert csp_violations(page) == []
        assert outside == []

    with live.data():
        assert _calls() == {
            hanako: ["attending"],
            ichiro: ["no_answer", "message_left"],
            jiro: ["cancelled"],
            saburo: ["attending"],
        }
        assert db.session.get(Registration, jiro).status == "cancelled"
        assert db.session.get(Registration, saburo).status == "registered"
