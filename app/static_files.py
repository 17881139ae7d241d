"""Static files as a weak mobile signal wants them: compressed, and cached for a year under a
name that changes with their bytes.

- `url_for("static", filename=...)` adds `?v=<the file's content hash>`; a request with the
  current `v` is answered `Cache-Control: public, max-age=31536000, immutable`, so that a
  phone asks for it once. ES modules are the exception: the check-in page's modules import
  each other by relative path (`./page.js`), which carries no `v`; versioned, the page would
  load two copies of each. They are revalidated (ETag) instead, and on the check-in page
  the service worker serves them from its own copy (app/checkin/worker.py).
- A client that accepts gzip gets the file gzipped (compressed once per process and file,
  kept in memory: the static files are about a megabyte, mostly the QR decoder's
  WebAssembly), with `Vary: Accept-Encoding`.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.wrappers import Response as ResponseBase

YEAR = 31_536_000
# Imported by other modules by relative path, so never versioned (see above).
MODULES = ("js/checkin/", "js/today.js", "vendor/idb.js")
# Already compressed, or too small to gain anything.
NOT_COMPRESSED = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".woff2", ".gz", ".br")
MIN_COMPRESSED = 1024


def _path(filename: str) -> Path | None:
    root = Path(current_app.static_folder or "").resolve()
    path = (root / filename).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


@cache
def _revision(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@cache
def _gzipped(path: Path, mtime_ns: int, size: int) -> bytes:
    return gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)


def revision(filename: str) -> str | None:
    path = _path(filename)
    if path is None:
        return None
    stat = path.stat()
    return _revision(path, stat.st_mtime_ns, stat.st_size)


def _add_version(endpoint: str, values: dict[str, Any]) -> None:
    filename = values.get("filename")
    if endpoint != "static" or not isinstance(filename, str) or "v" in values:
        return
    if filename.startswith(MODULES) or filename.endswith("/"):
        return
    version = revision(filename)
    if version is not None:
        values["v"] = version


def _static(filename: str) -> ResponseBase:
    response = current_app.send_static_file(filename)
    path = _path(filename)
    if path is None or response.status_code != 200:
        return response
    stat = path.stat()
    if request.args.get("v") == _revision(path, stat.st_mtime_ns, stat.st_size):
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response.vary.add("Accept-Encoding")
    wants_gzip = "gzip" in request.accept_encodings
    if not wants_gzip or path.suffix in NOT_COMPRESSED or stat.st_size < MIN_COMPRESSED:
        return response
    response.close()  # the file it opened is not sent
    body = _gzipped(path, stat.st_mtime_ns, stat.st_size)
    zipped = Response(body, content_type=response.content_type)
    zipped.headers["Content-Encoding"] = "gzip"
    for name in ("Cache-Control", "Last-Modified", "Vary"):
        if name in response.headers:
            zipped.headers[name] = response.headers[name]
    # The compressed bytes' own validator, so that a 304 stays possible.
    zipped.set_etag(f"{_revision(path, stat.st_mtime_ns, stat.st_size)}-gz")
    return zipped.make_conditional(request)


def init_app(app: Flask) -> None:
    app.url_defaults(_add_version)
    app.view_functions["static"] = _static
