"""The check-in page's service worker, served from the site's root so that it may keep the
check-in pages (under /sessions/) for a hall with no network.

The worker's code is static/js/worker/door-worker.js; in front of it goes the list of files
it keeps ahead of time, each with a revision made from its bytes: when a file changes, the
worker's own bytes change, the browser installs the new worker, and Workbox fetches exactly
the files whose revision changed.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Response, current_app, url_for

from app.auth.access import public
from app.checkin import bp

WORKER = Path("js/worker/door-worker.js")
# What the check-in page needs to open and work with no network: its scripts (every module
# of static/js/checkin), styles and design tokens, the device store, and the QR decoder.
KEPT = (
    "css/app.css",
    "js/text-size.js",
    "vendor/tokens.css",
    "vendor/idb.js",
    "vendor/zxing-reader.js",
    "vendor/zxing_reader.wasm",
)


def _static(name: str | Path) -> Path:
    return Path(current_app.static_folder or "") / name


def kept_files() -> list[str]:
    modules = sorted(p.name for p in _static("js/checkin").glob("*.js"))
    return [*KEPT, *(f"js/checkin/{name}" for name in modules)]


@cache
def _revision(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def precache_manifest() -> list[dict[str, str]]:
    manifest = []
    for name in kept_files():
        path = _static(name)
        stat = path.stat()
        manifest.append(
            {
                "url": url_for("static", filename=name),
                "revision": _revision(path, stat.st_mtime_ns, stat.st_size),
            }
        )
    return manifest


@bp.get("/door-worker.js")
@public
def door_worker():
    """No login needed: the worker holds no one's data, only which files to keep."""
    config = {
        "precache": precache_manifest(),
        "workbox": url_for("static", filename="vendor/workbox/"),
    }
    body = f"self.DOOR = {json.dumps(config)};\n" + _static(WORKER).read_text("utf-8")
    response = Response(body, mimetype="text/javascript")
    # Asked again on every visit: a new worker is found at once.
    response.headers["Cache-Control"] = "no-cache"
    return response
