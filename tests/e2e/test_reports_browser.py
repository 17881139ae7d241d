"""The coordinator's dashboard in real Chromium: reachable from the menu, accessible (WCAG 2.2
AA), its filter form narrows the figures, and a figure leads to the people behind it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import axe_violations, chromium, log_in, new_page
from tests.reports import dataset

pytestmark = pytest.mark.e2e


def test_a_coordinator_reads_the_year_filters_it_and_opens_a_figure(live, chromium_path):
    with live.data() as make:
        dataset.build()
        email = make.user("coordinator").email
    with chromium(chromium_path) as browser:
        page, outside = new_page(browser, live)
        page.set_viewport_size({"width": 1280, "height": 900})
        log_in(page, live, email)
        page.click("nav >> text=実績レポート")
        assert page.url.endswith("/reports/")
        assert axe_violations(page) == []

        page.click("summary >> text=絞り込み")
        page.select_option("#filter-year", "2025")
        page.select_option("#filter-district", "北部")
        with page.expect_navigation():
            page.click("form.filters button[type=submit]")
        assert page.inner_text("[data-figure=sessions_held]").strip() == "2"
        assert page.inner_text("[data-figure=attendances]").strip() == "4"

        with page.expect_navigation():
            page.click("[data-figure=distinct_learners] a")
        assert "/reports/learners" in page.url
        assert page.locator("tr[data-learner]").count() == 4  # L1 at s3; L3, L7, L8 at s5
        assert axe_violations(page) == []
        assert outside == []
