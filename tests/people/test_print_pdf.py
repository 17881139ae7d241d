"""Printing in a real browser: Chromium lays the cards out on A4 as the card stock expects.

Pages are served to Chromium straight from the Flask test client (Playwright's request
routing), so no server is started.
"""

from __future__ import annotations

import re
import shutil
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from app.people import cards
from app.people.learners import create_learner
from app.people.registration import register
from tests.conftest import login

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PX_PER_MM = 96 / 25.4
A4_POINTS = (595, 842)


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Chromium is not installed (make test installs it from Debian)")

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, client):
    """A Chromium tab whose every request is answered by the Flask test client."""
    pages = []

    def serve(route):
        parts = urlsplit(route.request.url)
        response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
        route.fulfill(
            status=response.status_code,
            body=response.get_data(),
            content_type=response.content_type,
        )

    def open_(url: str):
        page = browser.new_page()
        pages.append(page)
        page.route("**/*", serve)
        page.goto(f"http://dekiru.test{url}")
        return page

    yield open_
    for page in pages:
        page.close()


def _learners(n: int):
    return [
        create_learner(
            {"name": f"受講者{i}", "furigana": f"じゅこうしゃ{'あいうえおかきくけこ'[i % 10]}"}
        )
        for i in range(n)
    ]


def _pdf_pages(pdf: bytes) -> list[tuple[int, int]]:
    """The size in points of each page of a PDF Chromium wrote."""
    count = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    boxes = [
        tuple(round(float(v)) for v in box.split()[2:])
        for box in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)
    ]
    assert len(set(boxes)) == 1
    return [boxes[0]] * count


@pytest.mark.parametrize(("learners", "sheets"), [(10, 1), (12, 2), (20, 2)])
def test_cards_print_on_as_many_a4_pages_as_sheets(make, client, open_page, learners, sheets):
    login(client, make.user("coordinator"))
    chosen = _learners(learners)
    url = "/cards/print?" + "&".join(f"learner={learner.id}" for learner in chosen)
    pdf = open_page(url).pdf(prefer_css_page_size=True)
    # No blank page after a full sheet: ten cards fill the A4 page exactly.
    assert _pdf_pages(pdf) == [A4_POINTS] * sheets


def test_on_paper_each_card_sits_on_its_91_by_55_mm_place(make, client, open_page):
    login(client, make.user("coordinator"))
    chosen = _learners(3)
    page = open_page("/cards/print?" + "&".join(f"learner={c.id}" for c in chosen))
    page.emulate_media(media="print")

    assert not page.locator(".print-toolbar").is_visible()
    sheet = page.locator(".sheet").first.bounding_box()
    boxes = [page.locator(".card").nth(i).bounding_box() for i in range(3)]

    def mm(value: float) -> float:
        return round(value / PX_PER_MM, 1)

    assert [(mm(b["width"]), mm(b["height"])) for b in boxes] == [(91.0, 55.0)] * 3
    corners = [(mm(b["x"] - sheet["x"]), mm(b["y"] - sheet["y"])) for b in boxes]
    assert corners == [(14.0, 11.0), (105.0, 11.0), (14.0, 66.0)]
    qr = page.locator(".card-qr svg").first.bounding_box()
    # The symbol without its quiet zone (a version 2 code: 25 modules and 4 light ones on
    # each side) is 22 mm or more.
    assert mm(qr["width"]) * 25 / 33 >= 22
    name_size = page.locator(".card-name").first.evaluate("e => getComputedStyle(e).fontSize")
    code_size = page.locator(".card-code-value").first.evaluate("e => getComputedStyle(e).fontSize")
    assert float(name_size.removesuffix("px")) * 72 / 96 >= 14
    assert float(code_size.removesuffix("px")) * 72 / 96 >= 12


def test_the_roster_prints_on_a4_with_the_toolbar_left_off(make, client, open_page):
    coordinator = make.user("coordinator")
    session = make.session(capacity=20, venue=make.venue(capacity=20))
    for learner in _learners(20):
        register(session, learner, source="phone")
        cards.issue_card(learner)
    login(client, coordinator)
    page = open_page(f"/sessions/{session.id}/roster/print")
    pages = _pdf_pages(page.pdf(prefer_css_page_size=True))
    assert len(pages) >= 2
    assert set(pages) == {A4_POINTS}
    page.emulate_media(media="print")
    assert not page.locator(".print-button").is_visible()
    assert (
        page.locator(".roster-table thead").first.evaluate("e => getComputedStyle(e).display")
        == "table-header-group"
    )
