"""End to end: the real app served on 127.0.0.1, driven by Debian's Chromium via Playwright.

These tests run once, on SQLite (a file database the server threads share); they do not use
the per-database `app` fixture, so a PostgreSQL run does not repeat them. Without Chromium
they fail in CI (CI=true) and are skipped, with the reason, on a developer's machine.
"""

from __future__ import annotations

import io
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from app.config import REPO_ROOT
from app.extensions import db
from tests.conftest import PASSWORD, Maker, clock_instant, make_app

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
VENDOR = REPO_ROOT / "static" / "vendor"
SERVED_FROM_VENDOR = ("tokens.css", "zxing-reader.js", "zxing_reader.wasm")


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end-to-end test in a real browser (SQLite only)")


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(what, pytrace=False)
    pytest.skip(what)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        _missing(
            "Chromium is not installed: the end-to-end tests drive Debian's `chromium` "
            "(`make test` installs it with apt-get when run as root)."
        )
    missing = [name for name in SERVED_FROM_VENDOR if not (VENDOR / name).exists()]
    if missing or not AXE.exists():
        _missing(
            f"Front-end files from npm are missing ({', '.join(missing) or AXE.name}): "
            "run `make setup` (npm ci, then copies into static/vendor)."
        )
    return path


@dataclass
class Live:
    """The app served over HTTP on 127.0.0.1, and a way to work on its database."""

    app: object
    url: str

    @contextmanager
    def data(self) -> Iterator[Maker]:
        """A block in which the test reads or writes the database the server uses."""
        with self.app.app_context():
            try:
                yield Maker(self.app)
            finally:
                db.session.remove()


@pytest.fixture
def live(tmp_path) -> Iterator[Live]:
    app = make_app("sqlite", tmp_path, WTF_CSRF_ENABLED=True, SERVER_NAME=None, TESTING=False)
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Live(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@contextmanager
def chromium(path: str, *extra_flags: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, args=[*CHROMIUM_FLAGS, *extra_flags]
        )
        try:
            yield browser
        finally:
            browser.close()


# Every page records what its Content-Security-Policy refused (read with csp_violations).
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile || document.location.pathname}:${event.lineNumber}`);
});
"""


def new_page(browser: Browser, live: Live) -> tuple[Page, list[str]]:
    """A page at phone size, and the list of every request it makes that leaves the app
    (none should: no CDN, nothing but 127.0.0.1).

    axe-core comes in as an init script, which the page's CSP does not govern: a <script>
    tag added to the page would be refused, as the CSP refuses any script without its nonce.
    """
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
    if clock_instant() is not None:
        # The page's clock (scan times, the door's state) runs from the server's test clock.
        context.clock.install(time=datetime.now(UTC))
    context.add_init_script(script=CSP_RECORDER)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(20_000)
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((live.url, "data:", "blob:"))
            else outside.append(request.url)
        ),
    )
    return page, outside


def log_in(page: Page, live: Live, email: str) -> None:
    page.goto(f"{live.url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "/login" not in page.url, page.content()[:500]


def csp_violations(page: Page) -> list[str]:
    page.wait_for_timeout(100)  # the events are sent a moment after the refusal
    return page.evaluate("window.__cspViolations")


def axe_violations(page: Page) -> list[dict]:
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: "tag",
            values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})"""
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["html"][:200] for n in v["nodes"]]}
        for v in result["violations"]
    ]


def fake_camera(png: bytes, path: Path) -> tuple[str, ...]:
    """Chromium flags for a camera that shows the QR image `png` (a video written to path)."""
    return (
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m_showing(png, path)}",
    )


def sign_up(page: Page, **fields: str) -> None:
    """Fill the public sign-up form (name, furigana, phone, birth_year), consent and send."""
    for name, value in fields.items():
        page.fill(f"input[name={name}]", value)
    page.check("input[name=consent]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def y4m_showing(png: bytes, path: Path, frames: int = 5) -> Path:
    """A video for Chromium's fake camera: the QR image on a grey 640×480 frame, in
    YUV 4:2:0 (full-size Y plane, Cb and Cr halved both ways), as `C420jpeg` Y4M."""

    picture = Image.open(io.BytesIO(png)).convert("RGB")
    frame = Image.new("RGB", (640, 480), (128, 128, 128))
    frame.paste(picture, ((640 - picture.width) // 2, (480 - picture.height) // 2))
    luma, blue, red = frame.convert("YCbCr").split()
    planes = luma.tobytes() + blue.resize((320, 240)).tobytes() + red.resize((320, 240)).tobytes()
    header = b"YUV4MPEG2 W640 H480 F15:1 Ip A1:1 C420jpeg\n"
    path.write_bytes(header + (b"FRAME\n" + planes) * frames)
    return path
