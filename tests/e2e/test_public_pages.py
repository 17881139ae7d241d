"""The pages learners and their families see, in real Chromium: WCAG 2.2 AA, big text and
big targets, the text-size control, and a sign-up from the list to the printed confirmation."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.people.models import Registration
from app.scheduling.sessions import create_session
from app.timeutil import utcnow
from tests.e2e.conftest import axe_violations, chromium, new_page, sign_up
from tests.reports.test_public_achievements import build

pytestmark = pytest.mark.e2e

SMALLEST_TEXT_PX = 18
SMALLEST_TARGET_PX = 44


def _public_session(live) -> int:
    with live.data() as make:
        starts = utcnow().replace(second=0, microsecond=0) + timedelta(days=3)
        session = create_session(
            {
                "course": make.course(title="スマートフォンの基本操作").slug,
                "venue_id": make.venue(name="中央公民館").id,
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=90),
                "capacity": 8,
                "public": True,
            }
        )
        return session.id


def _too_small(page) -> list[str]:
    """Text under 18 px and controls under 44 px, as the page is drawn."""
    return page.evaluate(
        """([text, target]) => {
          const small = [];
          for (const el of document.querySelectorAll("main p, main label, main li, main dd, main td")) {
            if (!el.offsetParent || !el.textContent.trim()) continue;
            if (parseFloat(getComputedStyle(el).fontSize) < text) small.push("text: " + el.outerHTML.slice(0, 80));
          }
          for (const el of document.querySelectorAll("main button, main input:not([type=hidden]), main select, main a.button")) {
            if (!el.offsetParent) continue;
            const box = el.getBoundingClientRect();
            // A check box is tapped through its label too: the two make one target.
            const label = el.id ? document.querySelector(`label[for="${el.id}"]`) : null;
            const height = (el.type === "checkbox" || el.type === "radio") && label
              ? Math.max(box.height, label.getBoundingClientRect().height) : box.height;
            if (height < target) small.push("target: " + el.outerHTML.slice(0, 80));
          }
          return small;
        }""",
        [SMALLEST_TEXT_PX, SMALLEST_TARGET_PX],
    )


def test_public_sign_up_is_accessible_from_list_to_confirmation(live, chromium_path):
    session_id = _public_session(live)
    with chromium(chromium_path) as browser:
        page, outside = new_page(browser, live)
        page.goto(f"{live.url}/public/sessions")
        assert "スマートフォンの基本操作" in page.inner_text("main")
        assert axe_violations(page) == []
        assert _too_small(page) == []

        page.goto(f"{live.url}/public/sessions/{session_id}/signup")
        assert axe_violations(page) == []
        small = _too_small(page)
        assert small == [], "\n".join(small)
        sign_up(
            page,
            name="山田 花子",
            furigana="やまだ はなこ",
            phone="０９０ー１２３４ー５６７８",
            birth_year="昭和23年",
        )
        assert "/public/registrations/" in page.url
        confirmation = page.inner_text("main")
        assert "中央公民館" in confirmation
        assert axe_violations(page) == []
        assert page.locator("main svg").count() >= 1  # the new learner's card, to print
        assert outside == []
    with live.data():
        [registration] = db.session.scalars(sa.select(Registration)).all()
        assert (registration.session_id, registration.source) == (session_id, "public")
        assert registration.learner.phone == "090-1234-5678"
        assert registration.learner.birth_year == 1948


def test_the_text_size_control_makes_text_larger_and_remembers_it(live, chromium_path):
    _public_session(live)
    with chromium(chromium_path) as browser:
        page, _outside = new_page(browser, live)
        page.goto(f"{live.url}/public/sessions")
        size = lambda: page.evaluate(  # noqa: E731
            "parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)"
        )
        before = size()
        page.click("[data-text-size='1']")
        larger = size()
        assert larger > before
        page.reload()
        assert size() == larger


def test_the_achievements_page_is_accessible_with_its_charts(live, chromium_path):

    with live.data():
        build(utcnow())
    with chromium(chromium_path) as browser:
        page, outside = new_page(browser, live)
        page.goto(f"{live.url}/public/achievements")
        assert page.locator("main svg.bar-chart").count() == 2
        assert "<5" in page.inner_text("main")
        assert axe_violations(page) == []
        small = _too_small(page)
        assert small == [], "\n".join(small)
        assert outside == []
