"""A small upload that declares a huge sheet is refused before its rows are built.

One cell in row 2,000,000 makes a 5 KB XLSX; reading it used to build a grid of two million
rows (9 s, 270 MB). A zip's parts may also unpack to far more than the file's size.
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook

from app.sheets import uploads
from app.sheets.tables import SIGNUPS, SIGNUPS_HEADER
from tests.conftest import login

EXCEL_LAST_ROW = 1_048_576  # openpyxl writes no further; the file is then edited past it


def _xlsx(rows: dict[int, list[str]]) -> bytes:
    """A Signups workbook with these rows; one past Excel's last row is written at the last
    row, then renumbered in the sheet's XML."""
    far = [n for n in rows if n > EXCEL_LAST_ROW]
    book = Workbook()
    sheet = book.active
    sheet.title = SIGNUPS
    sheet.append(SIGNUPS_HEADER)
    for number, values in rows.items():
        for column, value in enumerate(values, start=1):
            sheet.cell(row=min(number, EXCEL_LAST_ROW), column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    if not far:
        return out.getvalue()
    (number,) = far
    return _rezipped(
        out.getvalue(),
        lambda name, content: (
            content.replace(str(EXCEL_LAST_ROW).encode(), str(number).encode())
            if name == "xl/worksheets/sheet1.xml"
            else content
        ),
    )


def _rezipped(data: bytes, change, extra: dict[str, bytes] | None = None) -> bytes:
    """The zip with each part's content passed through change(name, content), plus extra."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info, change(info.filename, source.read(info)))
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def _signup_row(n: int) -> list[str]:
    return ["", "", "", "", f"人{n}", f"ひと{n}"]


def test_a_row_numbered_two_million_is_refused_before_the_grid_is_built():
    data = _xlsx({2_000_000: _signup_row(1)})
    assert b'r="2000000"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert len(data) < 10_000  # a small file: the size limit alone would let it in
    tracemalloc.start()
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.read_upload("signups.xlsx", data)
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert f"{uploads.MAX_LINES}行目まで" in refused.value.message
    assert "空の行も数えます" in refused.value.message
    # Two million rows took 270 MB (and 9 s); the limit is reached after two thousand. Memory,
    # unlike time, does not depend on how busy the machine is.
    assert peak < 50 * 1024 * 1024


def test_blank_rows_count_toward_the_limit_in_xlsx_and_csv():
    gap = uploads.MAX_LINES + 5
    with pytest.raises(uploads.UploadRefused, match="空の行も数えます"):
        uploads.read_upload("gap.xlsx", _xlsx({2: _signup_row(1), gap: _signup_row(2)}))
    csv_lines = [",".join(SIGNUPS_HEADER), ",,,,人1,ひと1"] + [""] * gap + [",,,,人2,ひと2"]
    with pytest.raises(uploads.UploadRefused, match="空の行も数えます"):
        uploads.read_upload("gap.csv", "\r\n".join(csv_lines).encode())


def test_rows_within_the_limit_with_gaps_are_read():
    upload = uploads.read_upload(
        "gap.xlsx", _xlsx({2: _signup_row(1), uploads.MAX_LINES: _signup_row(2)})
    )
    assert [row.values["name"] for row in upload.rows] == ["人1", "人2"]


def test_a_workbook_that_unpacks_past_the_limit_is_refused_before_it_is_read():
    # A part of zeros that unpacks to the limit compresses to a few kilobytes.
    padding = {"xl/padding.bin": b"\0" * uploads.MAX_UNPACKED_BYTES}
    data = _rezipped(_xlsx({2: _signup_row(1)}), lambda _name, content: content, padding)
    assert len(data) < uploads.MAX_UPLOAD_BYTES
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.read_upload("bomb.xlsx", data)
    assert "展開すると" in refused.value.message
    assert f"{uploads.MAX_UNPACKED_BYTES // (1024 * 1024)}.0 MB" in refused.value.message


def test_the_upload_page_answers_422_naming_the_limit(make, client):
    org = make.org(slug="npo-sakura")
    login(client, make.user("partner", org=org))
    response = client.post(
        f"/orgs/{org.id}/files/signups",
        data={"file": (io.BytesIO(_xlsx({2_000_000: _signup_row(1)})), "signups.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert f"{uploads.MAX_LINES}行目までに入力してください" in response.get_data(as_text=True)
