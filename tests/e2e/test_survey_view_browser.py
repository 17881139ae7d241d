"""The dashboard's アンケート view in real Chromium: reached by its tab, accessible (WCAG 2.2 AA),
and a district's line narrows the view to that district."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import axe_violations, chromium, log_in, new_page
from tests.reports import dataset
from tests.reports.test_survey_view import save_answers

pytestmark = pytest.mark.e2e


def test_the_survey_view_is_a_tab_of_the_dashboard(live, chromium_path):
    with live.data() as make:
        save_answers(dataset.build())
        email = make.user("coordinator").email
    with chromium(chromium_path) as browser:
        page, outside = new_page(browser, live)
        page.set_viewport_size({"width": 1280, "height": 900})
        log_in(page, live, email)
        page.goto(f"{live.url}/reports/?year=2025")
        with page.expect_navigation():
            page.click("nav.tabs >> text=アンケート")
        assert "view=surveys" in page.url
        assert page.inner_text("[data-figure=survey_answers]").strip() == "14"
        assert axe_violations(page) == []

        with page.expect_navigation():
            page.click("#survey-by-district tr[data-key=北部] a")
        assert "district=" in page.url
        assert page.inner_text("[data-figure=survey_answers]").strip() == "8"
        assert outside == []
