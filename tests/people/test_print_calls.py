"""The printed call list in a real browser: A4, large type, four boxes to tick per person."""

from __future__ import annotations

from datetime import timedelta

from app.people.learners import create_learner
from app.people.registration import register
from app.timeutil import japan_today
from tests.conftest import login
from tests.people.test_print_pdf import A4_POINTS, _pdf_pages, browser, open_page  # noqa: F401


def test_the_call_list_prints_on_a4_in_large_type_with_boxes(make, client, open_page):  # noqa: F811
    tomorrow = japan_today() + timedelta(days=1)
    sessions = [
        make.session(day=tomorrow, start=start, end=end, capacity=20, venue=make.venue(capacity=20))
        for start, end in (("10:00", "11:00"), ("14:00", "15:00"))
    ]
    for i in range(30):
        learner = create_learner(
            {"name": f"受講者{i}", "furigana": f"じゅこうしゃ{'あいうえおかきくけこ'[i % 10]}"}
        )
        register(sessions[i % 2], learner, source="phone")
    login(client, make.user("coordinator"))
    page = open_page(f"/calls/print?date={tomorrow.isoformat()}")
    pages = _pdf_pages(page.pdf(prefer_css_page_size=True))
    assert len(pages) >= 2
    assert set(pages) == {A4_POINTS}
    page.emulate_media(media="print")
    assert not page.locator(".print-button").is_visible()
    assert page.locator(".calls-table").count() == 2
    assert page.locator(".calls-row").count() == 30
    assert page.locator(".calls-row").first.locator(".calls-box").count() == 4
    name_size = page.locator(".calls-name").first.evaluate("e => getComputedStyle(e).fontSize")
    assert float(name_size.removesuffix("px")) * 72 / 96 >= 14  # large type: 14 pt or more
    box = page.locator(".calls-box").first.bounding_box()
    assert box["width"] >= 8 * 96 / 25.4  # a box of 8 mm or more to tick by pen
