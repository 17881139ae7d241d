"""The one CSV/XLSX writer and download response (app.tabular), as the person opening the
file sees it: Japanese that Excel reads, formulas that never run, dates and full-width text
intact, a bold frozen header, columns wide enough for kanji, a Japanese file name."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from datetime import date
from urllib.parse import unquote

from openpyxl import load_workbook

from app.tabular import (
    MAX_WIDTH,
    MIN_WIDTH,
    XLSX_TYPE,
    Table,
    content_disposition,
    csv_chunks,
    file_chunks,
    file_response,
    measured_widths,
    xlsx_chunks,
)

HEADER = ["お名前", "ふりがな", "電話番号", "生まれた日"]
ROWS = [
    ["山田 太郎", "やまだ たろう", "09012345678", date(1950, 4, 1)],
    ["ＮＰＯさくら　１２３", "えぬぴーおー", None, date(9999, 12, 31)],
]


def _csv(table: Table) -> bytes:
    return b"".join(csv_chunks(table))


def _read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _sheet(*tables: Table, index: int = 0):
    return load_workbook(io.BytesIO(b"".join(xlsx_chunks(*tables)))).worksheets[index]


def _width(sheet, letter: str) -> float:
    return sheet.column_dimensions[letter].width


# ---------------------------------------------------------------- CSV


def test_a_csv_opens_in_excel_as_japanese():
    data = _csv(Table("名簿", HEADER, ROWS))
    # Excel in Japan reads a CSV without a BOM as Shift_JIS: the names would be mojibake.
    assert data.startswith(codecs.BOM_UTF8)
    text = data[len(codecs.BOM_UTF8) :].decode("utf-8")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")  # every line ends CRLF, none LF alone
    assert _read_csv(data) == [
        HEADER,
        ["山田 太郎", "やまだ たろう", "09012345678", "1950-04-01"],
        ["ＮＰＯさくら　１２３", "えぬぴーおー", "", "9999-12-31"],
    ]


def test_a_cell_that_excel_would_run_is_written_as_text():
    dangerous = ['=HYPERLINK("http://example.com","開く")', "-1+2", "+81 90", "@SUM(A1)", "\tx"]
    rows = [[value, "ふつう"] for value in dangerous]
    read = _read_csv(_csv(Table("t", ["お名前", "ふりがな"], [*rows, [-1, "=1"]])))
    assert [row[0] for row in read[1:-1]] == ["'" + value for value in dangerous]
    assert all(row[1] == "ふつう" for row in read[1:-1])
    # A number is a number (only text can be a formula); "=1" as text is neutralised.
    assert read[-1] == ["-1", "'=1"]


def test_a_partners_own_file_goes_back_as_typed():
    # The upload's result file: the partner's encoding, delimiter and cells, formulas too.
    table = Table("Signups", ["お名前", "電話番号"], [["髙橋", "+81 90"]])
    data = b"".join(csv_chunks(table, encoding="cp932", delimiter="\t", as_typed=True))
    assert data == "お名前\t電話番号\r\n髙橋\t+81 90\r\n".encode("cp932")


def test_a_long_report_is_written_a_batch_at_a_time():
    endless = ([n, f"受講者{n}"] for n in itertools.count())
    chunks = csv_chunks(Table("t", ["ID", "お名前"], endless), batch=100)
    first, second = next(chunks), next(chunks)  # written without reading all the rows
    assert first.startswith(codecs.BOM_UTF8)
    assert first.count(b"\r\n") == 1 + 100  # the header and the first batch
    assert second.startswith("100,受講者100\r\n".encode())


# ---------------------------------------------------------------- XLSX


def test_the_xlsx_header_is_bold_and_frozen_and_cells_keep_their_kind():
    sheet = _sheet(Table("名簿", HEADER, ROWS, text_columns=(2,)))
    assert sheet.title == "名簿"
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == HEADER
    assert all(c.font.b for c in sheet[1])
    assert not any(c.font.b for c in sheet[2])
    name, furigana, phone, born = sheet[3]
    assert name.value == "ＮＰＯさくら　１２３"  # full-width stays full-width
    assert born.value.date() == date(9999, 12, 31)  # the last day Excel knows
    assert born.number_format == "yyyy-mm-dd"
    assert sheet["C2"].value == "09012345678"  # text, so the leading zero stays
    assert sheet["C2"].number_format == "@"
    assert sheet.column_dimensions["C"].number_format == "@"  # and what is typed there later


def test_a_formula_in_an_xlsx_is_text_that_never_runs():
    sheet = _sheet(Table("t", ["お名前"], [['=HYPERLINK("http://example.com")'], ["-1+2"]]))
    assert [(c.value, c.data_type) for (c,) in sheet.iter_rows(min_row=2)] == [
        ('=HYPERLINK("http://example.com")', "s"),
        ("-1+2", "s"),
    ]


def test_a_long_japanese_column_is_wider_than_a_short_ascii_one():
    rows = [["1", "特定非営利活動法人さくら", "ABCDEFGHIJKL"]]
    sheet = _sheet(Table("t", ["ID", "団体", "code"], rows, widths=measured_widths(rows)))
    assert _width(sheet, "A") == MIN_WIDTH  # "ID" and "1": no narrower than Excel's default
    # Twelve kanji take twice the room of twelve letters on screen.
    assert _width(sheet, "B") > _width(sheet, "C") > _width(sheet, "A")


def test_a_declared_width_counts_when_rows_stream_and_none_is_endless():
    rows = iter([["x" * 200, "y"]])  # a generator cannot be measured before it is written
    sheet = _sheet(Table("t", ["備考", "講座"], rows, widths=[None, 30]))
    assert _width(sheet, "A") == MIN_WIDTH  # as wide as its header
    assert _width(sheet, "B") > _width(sheet, "A")
    assert _width(_sheet(Table("t", ["あ" * 100], [])), "A") == MAX_WIDTH


def test_each_table_is_a_sheet_with_a_name_excel_accepts():
    same = [Table("実施/中止", ["a"], []), Table("実施/中止", ["b"], [])]
    book = load_workbook(io.BytesIO(b"".join(xlsx_chunks(*same))))
    assert book.sheetnames == ["実施 中止", "実施 中止 (2)"]


# ---------------------------------------------------------------- the download


def test_a_japanese_filename_reaches_the_browser():
    disposition = content_disposition("申込-取り込み結果.csv")
    # Browsers that know RFC 5987 save the real name; the rest get a plain ASCII one.
    assert disposition.startswith('attachment; filename="dekiru.csv"; ')
    star = disposition.split("filename*=", 1)[1]
    assert star.startswith("UTF-8''%E7%94%B3")
    assert unquote(star.removeprefix("UTF-8''")) == "申込-取り込み結果.csv"
    mixed = content_disposition("dekiru-さくら-roster.xlsx")
    assert 'filename="dekiru--roster.xlsx"' in mixed


def test_a_download_is_never_cached_and_says_its_type_and_length():
    table = Table("名簿", HEADER, ROWS)
    response = file_response(file_chunks(table, "xlsx"), "名簿.xlsx")
    body = response.get_data()
    assert response.headers["Content-Type"] == XLSX_TYPE
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.content_length == len(body)
    assert load_workbook(io.BytesIO(body)).worksheets[0]["A2"].value == "山田 太郎"

    csv_response = file_response(file_chunks(table, "csv"), "名簿.csv")
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response.get_data() == _csv(table)
