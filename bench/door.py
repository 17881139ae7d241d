"""The door's answer time on the device: the local-first page beside a check-in that waits
for the server (what the page did before), in real Chromium, in one run.

    .venv/bin/python -m bench.door [--scans 50] [--write]

Serves Dekiru on 127.0.0.1 with a session open now and 3 × --scans learners registered,
each with a card; logs an instructor in, opens the check-in page online (the service
worker and the roster kept), then under each network (Chrome DevTools Protocol
`Network.emulateNetworkConditions`: a weak mobile signal of 400 ms latency and 400 kbit/s
each way, and offline):

- local-first: a handheld scanner's token typed into the card box and submitted; the time
  from the submit to the person's name in the result panel (Performance marks);
- baseline: the same scan answered by the server, as the page did before: from the submit
  to the answer of `POST /sessions/{id}/checkin` (there is none offline).

And the bytes the check-in page costs on first load (an empty browser) and on a later load
(the service worker's copy), under no emulation. Prints JSON; with --write, updates
BENCHMARKS.md. Needs Chromium (`make chromium`) and the front-end files (`make setup`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app.checkin.worker import kept_files
from app.extensions import db
from app.people import cards
from app.people.learners import create_learner
from app.people.registration import register
from bench.checkin import machine, write_benchmarks
from tests.checkin.support import open_session
from tests.conftest import PASSWORD, Maker, make_app

WEAK = {"offline": False, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねの"  # furigana are kana only
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

# One scan in the page: submitted as a scanner does, timed until the name is on screen.
LOCAL_SCAN = """async (token) => {
  const box = document.getElementById("checkin-result");
  const input = document.getElementById("scan-code");
  performance.mark("scan");
  const shown = new Promise((resolve) => {
    const seen = new MutationObserver(() => {
      if (box.dataset.result === "checked_in" && box.dataset.state) {
        seen.disconnect();
        resolve();
      }
    });
    seen.observe(box, { attributes: true, childList: true, subtree: true });
  });
  box.dataset.result = "";
  input.value = token;
  document.getElementById("scan-form").requestSubmit();
  await shown;
  performance.mark("answer");
  return performance.measure("door", "scan", "answer").duration;
}"""

# The same scan as the page answered it before: by the server's answer to the check-in.
SERVER_SCAN = """async (token) => {
  const root = document.getElementById("checkin");
  performance.mark("scan");
  const response = await fetch(root.dataset.postUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf},
    body: JSON.stringify({code: token, client_id: crypto.randomUUID(),
                          scanned_at: new Date().toISOString()}),
  });
  await response.json();
  performance.mark("answer");
  if (response.status !== 201) { throw new Error("status " + response.status); }
  return performance.measure("door", "scan", "answer").duration;
}"""


def build(app, scans: int) -> tuple[int, str, list[str]]:
    with app.app_context():
        make = Maker(app)
        teacher = make.user("instructor")
        room = 3 * scans + 10
        session = open_session(
            make, capacity=room, venue=make.venue(capacity=room), instructor_ids=[teacher.id]
        )
        tokens = []
        for n in range(3 * scans):
            reading = KANA[n // len(KANA)] + KANA[n % len(KANA)]
            person = create_learner(
                {"name": f"受講 {n:03d}", "furigana": f"じゅこう {reading}", "consent": True}
            )
            tokens.append(cards.issue_card(person).token)
            register(session, person, source="phone")
        result = session.id, teacher.email, tokens
        db.session.remove()
    return result


def _summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[max(0, round(0.95 * len(ordered)) - 1)], 1),
    }


def _page_bytes(page, cdp, url: str) -> int:
    """Bytes received from the network for one load of `url` (none for the worker's copy)."""
    received: list[int] = []
    cdp.on("Network.loadingFinished", lambda event: received.append(event["encodedDataLength"]))
    page.goto(url)
    page.wait_for_selector("#roster-fresh:has-text('現在')")
    page.wait_for_timeout(500)
    return sum(received)


def measure(scans: int) -> dict:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Chromium is missing: run `make chromium`.")
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(
            "sqlite", Path(folder), WTF_CSRF_ENABLED=True, SERVER_NAME=None, TESTING=False
        )
        with app.app_context():
            db.create_all()
        session_id, email, tokens = build(app, scans)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request, else
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        door = f"{base}/sessions/{session_id}/checkin"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
                context = browser.new_context(viewport={"width": 360, "height": 740})
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                page.goto(f"{base}/login")
                page.fill("#email", email)
                page.fill("#password", PASSWORD)
                with page.expect_navigation():
                    page.click("main button[type=submit]")
                first = _page_bytes(page, cdp, door)
                page.wait_for_function("() => navigator.serviceWorker.controller !== null")
                page.wait_for_selector("#checkin[data-kept=true]")
                later = _page_bytes(page, cdp, door)
                with app.test_request_context():
                    files = [
                        (Path(app.static_folder or "") / name).read_bytes() for name in kept_files()
                    ]
                results: dict[str, dict] = {
                    "bytes": {
                        "first_load": first,
                        "later_load": later,
                        "worker_files": sum(map(len, files)),
                        "worker_files_gzipped": sum(len(gzip.compress(f, 9)) for f in files),
                    }
                }
                left = iter(tokens)
                for name, conditions in (("weak", WEAK), ("offline", OFFLINE)):
                    cdp.send("Network.emulateNetworkConditions", conditions)
                    local = [page.evaluate(LOCAL_SCAN, next(left)) for _ in range(scans)]
                    results[f"local_{name}"] = _summary(local)
                    if name == "weak":
                        server_side = [page.evaluate(SERVER_SCAN, next(left)) for _ in range(scans)]
                        results["server_weak"] = _summary(server_side)
                cdp.send(
                    "Network.emulateNetworkConditions",
                    {
                        "offline": False,
                        "latency": 0,
                        "downloadThroughput": -1,
                        "uploadThroughput": -1,
                    },
                )
                page.wait_for_selector("#door-pending", state="hidden", timeout=60_000)
                browser.close()
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()
    results["ratio_weak"] = round(
        results["local_weak"]["p95_ms"] / results["server_weak"]["p95_ms"], 3
    )
    return results


def report(result: dict, scans: int) -> str:
    lw, lo, sw, b = (
        result["local_weak"],
        result["local_offline"],
        result["server_weak"],
        result["bytes"],
    )
    worst = max(lw["p95_ms"], lo["p95_ms"])
    aim = "met" if worst < 100 else "**not met**"
    return f"""## The door's answer on the device (`bench/door.py`)

Command: `.venv/bin/python -m bench.door --scans {scans} --write`
Machine: {machine()}; Debian's Chromium driven by Playwright at 360×740; Dekiru served by
werkzeug on 127.0.0.1 (SQLite). {scans} handheld-scanner scans per row, each a new person;
the weak network is Chrome DevTools' `Network.emulateNetworkConditions` with 400 ms latency
and 400 kbit/s each way. Measured {time.strftime("%Y-%m-%d")}.

| scan → answer on screen | network | p50 ms | p95 ms |
|---|---|---:|---:|
| baseline: the server's answer (`POST /sessions/{{id}}/checkin`, as the page did before) | weak | {sw["p50_ms"]} | {sw["p95_ms"]} |
| Dekiru local-first page | weak | {lw["p50_ms"]} | {lw["p95_ms"]} |
| Dekiru local-first page | offline | {lo["p50_ms"]} | {lo["p95_ms"]} |
| baseline | offline | no answer | no answer |

**p95 ratio on the weak network (local-first / server's answer): {result["ratio_weak"]}**;
aim: under 100 ms at the 95th percentile whatever the network — {aim} (worst p95 {worst} ms).
Every scan was then sent in the background and confirmed (the bench waits for 「未送信」 to
clear).

Bytes the check-in page's own requests receive (no emulation; static files gzipped, see
app/static_files.py): first load in an empty browser {b["first_load"]:,}; a later load
{b["later_load"]:,} (the page itself from the network, its files from the service worker's
copy). Once, in the background after the first load, the service worker fetches the files
it keeps: {b["worker_files"]:,} bytes, {b["worker_files_gzipped"]:,} gzipped as sent, most of
it the QR decoder's WebAssembly, which Chrome on Android, having BarcodeDetector, never uses.
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scans", type=int, default=50)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    result = measure(args.scans)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.write:
        write_benchmarks("door", report(result, args.scans))


if __name__ == "__main__":
    main()
