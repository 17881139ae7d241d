"""Static files for a weak signal: compressed, and cached for a year under a versioned name."""

from __future__ import annotations

import gzip
import re

from flask import url_for

from app.config import REPO_ROOT

STATIC = REPO_ROOT / "static"


def _links(page: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page)


def test_the_pages_name_each_file_by_its_bytes_and_it_is_cached_for_a_year(client):
    page = client.get("/login").get_data(as_text=True)
    css = next(link for link in _links(page) if "css/app.css" in link)
    assert re.search(r"\?v=[0-9a-f]{12}$", css), css
    answer = client.get(css.replace("&amp;", "&"))
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Another version of the name (an old page's link) is not promised for a year.
    stale = client.get("/static/css/app.css?v=000000000000")
    assert "immutable" not in stale.headers.get("Cache-Control", "")


def test_es_modules_are_not_versioned_since_they_import_each_other_by_path(app):
    with app.test_request_context():
        assert url_for("static", filename="js/checkin/main.js") == "/static/js/checkin/main.js"
        assert url_for("static", filename="vendor/idb.js") == "/static/vendor/idb.js"
        assert "?v=" in url_for("static", filename="vendor/zxing-reader.js")


def test_a_client_that_accepts_gzip_gets_the_same_bytes_compressed(client):
    wasm = (STATIC / "vendor" / "zxing_reader.wasm").read_bytes()
    answer = client.get("/static/vendor/zxing_reader.wasm", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Content-Encoding"] == "gzip"
    assert answer.headers["Content-Type"] == "application/wasm"
    assert "Accept-Encoding" in answer.headers["Vary"]
    assert gzip.decompress(answer.data) == wasm
    assert len(answer.data) < len(wasm) / 2
    again = client.get(
        "/static/vendor/zxing_reader.wasm",
        headers={"Accept-Encoding": "gzip", "If-None-Match": answer.headers["ETag"]},
    )
    assert again.status_code == 304
    plain = client.get("/static/vendor/zxing_reader.wasm")
    assert "Content-Encoding" not in plain.headers
    assert plain.data == wasm


def test_nothing_outside_the_static_folder_is_served(client):
    assert client.get("/static/../app/config.py").status_code == 404
    assert client.get("/static/%2e%2e/app/config.py").status_code == 404
