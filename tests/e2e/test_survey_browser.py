"""The survey after class in real Chromium: eight papers typed in from the keyboard alone,
the sheets printed on A4 (one page each), and the phone page reached by a sheet's QR."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.people.registration import register
from app.scheduling.models import Session
from app.surveys.models import SurveyAnswer
from app.timeutil import japan_today
from tests.checkin.support import end, learner, open_session
from tests.e2e.conftest import axe_violations, chromium, csp_violations, log_in, new_page
from tests.surveys.conftest import printed_links

pytestmark = pytest.mark.e2e

A4_POINTS = (595, 842)
# Eight returned sheets as the instructor reads them: satisfaction, someone to ask, next.
PAPERS = ["5y1", "4y2", "5n1", "3y3", "5y1", "4n6", "2y1", "5y2"]


def _class(live, learners: int = 8):
    with live.data() as make:
        teacher = make.user("instructor")
        session = open_session(make, instructor_ids=[teacher.id], capacity=10)
        for i in range(learners):
            register(
                session,
                learner(f"受講者{i}", "じゅこうしゃ" + "あいうえおかきく"[i]),
                source="phone",
            )
        end(session)
        return teacher.email, session.id


def _pdf_pages(pdf: bytes) -> list[tuple[int, ...]]:
    count = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    boxes = {
        tuple(round(float(v)) for v in box.split()[2:])
        for box in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)
    }
    assert len(boxes) == 1
    return [boxes.pop()] * count


def test_eight_papers_typed_in_from_the_keyboard(live, chromium_path):
    email, session_id = _class(live)
    with chromium(chromium_path) as browser:
        page, outside = new_page(browser, live)
        page.set_viewport_size({"width": 1280, "height": 900})
        log_in(page, live, email)
        page.goto(f"{live.url}/sessions/{session_id}/survey/entry")
        assert axe_violations(page) == []
        page.focus("#rows-0-q1")
        for n, paper in enumerate(PAPERS):
            # One key per answer moves on by itself, to the comment; Tab past the comment,
            # the name and the next line's sheet number.
            page.keyboard.type(paper)
            if n < len(PAPERS) - 1:
                for _field in ("comment", "name", "next sheet number"):
                    page.keyboard.press("Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")  # in the last comment: sends the form
        assert "8枚のアンケートを保存しました" in page.inner_text("main")
        # By hand: (5 + 4 + 5 + 3 + 5 + 4 + 2 + 5) / 8 = 4.125, shown to two places.
        assert "平均 4.12(8人が回答)" in page.inner_text("main")
        assert csp_violations(page) == []
        assert outside == []
    with live.data():
        saved = db.session.scalars(sa.select(SurveyAnswer).order_by(SurveyAnswer.id)).all()
        assert [a.answers["satisfaction"] for a in saved] == [int(p[0]) for p in PAPERS]
        assert [a.answers["someone-to-ask"] for a in saved] == [p[1] == "y" for p in PAPERS]


def test_the_sheets_print_one_a4_page_each_and_the_qr_opens_the_phone_page(live, chromium_path):
    email, session_id = _class(live, learners=3)
    with live.data() as make:  # a course after this one, with three public classes to offer
        held = db.session.get(Session, session_id)
        following = make.course(slug="line-basics", title="LINE入門", skills=("a",))
        following.current_version.prerequisites = [held.course_version.course.slug]
        db.session.commit()
        for days in (3, 10, 17):
            make.session(
                course=following, venue=held.venue, day=japan_today() + timedelta(days=days)
            )
    with chromium(chromium_path) as browser:
        page, _outside = new_page(browser, live)
        log_in(page, live, email)
        page.goto(f"{live.url}/sessions/{session_id}/survey/print")
        assert _pdf_pages(page.pdf(prefer_css_page_size=True)) == [A4_POINTS] * 3
        page.emulate_media(media="print")
        assert not page.locator(".print-toolbar").is_visible()
        size = page.locator(".survey-question-text").first.evaluate(
            "e => getComputedStyle(e).fontSize"
        )
        assert float(size.removesuffix("px")) * 72 / 96 >= 14  # large type
        assert page.locator(".survey-sheet-next").count() == 3
        assert page.locator(".survey-sheet-sessions li").count() == 9  # on one page each
        link = printed_links(page.content())[0]

        phone, _ = new_page(browser, live)  # another device, no login
        phone.goto(live.url + urlsplit(link).path)
        assert axe_violations(phone) == []
        phone.check("input[name=q1][value='4']")
        phone.check("input[name=q2][value=y]")
        with phone.expect_navigation():
            phone.click("main form [type=submit]")
        assert "こたえを うけとりました" in phone.inner_text("main")
        phone.goto(live.url + urlsplit(link).path)
        assert "もう こたえて あります" in phone.inner_text("main")
