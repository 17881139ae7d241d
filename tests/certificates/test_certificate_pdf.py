"""Certificates in a real browser: Chromium prints one landscape page per certificate, A4 or
A5, with the toolbar left off, as the cards' and the roster's print tests do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.timeutil import japan_today
from tests.conftest import login
from tests.people.test_print_pdf import _pdf_pages

A4_LANDSCAPE = (842, 595)
A5_LANDSCAPE = (595, 420)
PX_PER_MM = 96 / 25.4


@pytest.mark.parametrize(("paper", "size"), [("a4", A4_LANDSCAPE), ("a5", A5_LANDSCAPE)])
def test_a_class_certificates_print_one_landscape_page_each(
    make, classes, client, tick, open_page, paper, size
):
    line = make.course(slug="line-basics", title="LINEのはじめ方", skills=("install",))
    line.current_version.prerequisites = ["smartphone-basics"]
    db.session.commit()
    for days in (10, 17, 24, 31):
        make.session(course=line, day=japan_today() + timedelta(days=days))
    login(client, classes.teacher)
    tick(classes.first, {classes.hanako: ["power", "tap"], classes.taro: ["power"]})
    tick(classes.second, {classes.hanako: ["camera"], classes.taro: ["tap", "camera"]})
    page = open_page(f"/sessions/{classes.second.id}/certificates?paper={paper}")
    assert _pdf_pages(page.pdf(prefer_css_page_size=True)) == [size, size]
    page.emulate_media(media="print")
    assert not page.locator(".print-toolbar").is_visible()
    suggestion = page.locator(".certificate-next").first
    assert "LINEのはじめ方" in suggestion.inner_text()
    assert suggestion.locator("li").count() == 3  # the next three public classes
    # Everything fits on its page: the next course's box ends inside the frame.
    frame = page.locator(".certificate-frame").first.bounding_box()
    box = page.locator(".certificate-next").first.bounding_box()
    assert box["y"] + box["height"] <= frame["y"] + frame["height"]
    name_size = page.locator(".certificate-name").first.evaluate(
        "e => getComputedStyle(e).fontSize"
    )
    # The name reads from across a room on A4, and is still large on A5.
    assert float(name_size.removesuffix("px")) * 72 / 96 >= (32 if paper == "a4" else 22)
