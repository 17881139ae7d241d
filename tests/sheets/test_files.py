"""Files for partners without Google: the three tables as XLSX and CSV, and a filled
Signups file uploaded, previewed, imported and handed back with its statuses."""

from __future__ import annotations

import base64
import codecs
import csv
import io
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app import tabular
from app.auth.models import User
from app.core.models import AuditEntry
from app.extensions import db
from app.orgs.models import Organization
from app.people.learners import create_learner
from app.people.models import Learner, PendingMatch, Registration
from app.people.privacy import DOWNLOADED
from app.people.registration import register
from app.scheduling.models import Session
from app.sheets import uploads
from app.sheets.models import SignupImport, SyncRun
from app.sheets.tables import CLASSES_HEADER, ROSTER_HEADER, SIGNUP_COLUMNS, SIGNUPS_HEADER
from app.timeutil import japan_today
from tests.conftest import login

STATUS = SIGNUPS_HEADER.index("Dekiru状態")
PHONE = SIGNUPS_HEADER.index("電話番号")
BIRTH = SIGNUPS_HEADER.index("生まれ年")


@dataclass
class Shop:
    org: Organization
    other: Organization
    partner: User
    outsider: User
    coordinator: User
    instructor: User
    basics: Session
    line: Session
    day: date


@pytest.fixture
def shop(make) -> Shop:
    """ＮＰＯさくら with two sessions (one of three seats), a consenting learner on the roster
    and one who did not consent; another organization with its own partner user."""
    org = make.org(slug="npo-sakura", name="NPOさくら")
    other = make.org(slug="carrier-shop", name="携帯ショップ駅前", kind="carrier")
    course = make.course(slug="smartphone-basics", title="スマートフォンの基本操作")
    line_course = make.course(slug="line-basics", title="LINEのはじめ方")
    hall = make.venue(name="中央公民館", capacity=30)
    day = japan_today() + timedelta(days=7)
    basics = make.session(course=course, venue=hall, day=day, capacity=3, partner_org=org.slug)
    line = make.session(
        course=line_course, venue=hall, day=day, start="14:00", end="15:00", partner_org=org.slug
    )
    make.session(
        course=course, venue=hall, day=day, start="16:00", end="17:00", partner_org=other.slug
    )
    shared = create_learner(
        {
            "name": "共有 良子",
            "furigana": "きょうゆう よしこ",
            "phone": "09012345678",
            "consent": True,
            "share_with_partner": True,
        }
    )
    private = create_learner(
        {"name": "非公開 太郎", "furigana": "ひこうかい たろう", "phone": "080-2222-3333"}
    )
    register(line, shared, source="phone")
    register(line, private, source="phone")
    return Shop(
        org=org,
        other=other,
        partner=make.user("partner", org=org),
        outsider=make.user("partner", org=other),
        coordinator=make.user("coordinator"),
        instructor=make.user("instructor"),
        basics=basics,
        line=line,
        day=day,
    )


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response


def _workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


# ---------------------------------------------------------------- downloads


def test_roster_xlsx_keeps_leading_zeros_and_shows_phones_only_with_consent(shop, client):
    login(client, shop.partner)
    response = _get(client, f"/orgs/{shop.org.id}/files/roster.xlsx")
    today = japan_today().isoformat()
    disposition = response.headers["Content-Disposition"]
    assert f'filename="dekiru-npo-sakura-roster-{today}.xlsx"' in disposition
    assert f"filename*=UTF-8''dekiru-npo-sakura-roster-{today}.xlsx" in disposition
    assert response.headers["Cache-Control"] == "no-store"

    sheet = _workbook(response.data)["Roster"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ROSTER_HEADER
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    by_name = {row[4]: index + 1 for index, row in enumerate(rows)}
    phone = sheet.cell(row=by_name["共有 良子"], column=ROSTER_HEADER.index("電話番号") + 1)
    assert phone.value == "09012345678"
    assert phone.number_format == "@"
    hidden = sheet.cell(row=by_name["非公開 太郎"], column=ROSTER_HEADER.index("電話番号") + 1)
    assert hidden.value in (None, "")
    assert "080" not in response.data.decode("latin-1")  # nowhere in the file
    assert sheet.column_dimensions["E"].width >= 10


def test_classes_csv_is_utf8_with_bom_and_crlf_for_excel(shop, client):
    login(client, shop.coordinator)
    response = _get(client, f"/orgs/{shop.org.id}/files/classes.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(codecs.BOM_UTF8)
    text = response.data[3:].decode("utf-8")
    assert "\r\n" in text
    assert "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == CLASSES_HEADER
    assert [r[0] for r in rows[1:]] == [str(shop.basics.id), str(shop.line.id)]
    assert rows[1][4] == "スマートフォンの基本操作"


def test_signups_form_formats_phone_and_birth_year_columns_as_text(shop, client):
    login(client, shop.partner)
    sheet = _workbook(_get(client, f"/orgs/{shop.org.id}/files/signups.xlsx").data)["Signups"]
    assert [c.value for c in sheet[1]] == SIGNUPS_HEADER
    assert sheet.max_row == 1
    for index in (PHONE, BIRTH):
        letter = chr(ord("A") + index)
        assert sheet.column_dimensions[letter].number_format == "@", letter
    assert sheet.column_dimensions[chr(ord("A") + STATUS)].width >= 40
    csv_form = _get(client, f"/orgs/{shop.org.id}/files/signups.csv").data
    assert csv_form == codecs.BOM_UTF8 + (",".join(SIGNUPS_HEADER) + "\r\n").encode()


def test_a_name_that_looks_like_a_formula_stays_text(shop, make, client):
    sly = create_learner({"name": '=HYPERLINK("http://x")', "furigana": "あやしい"})
    register(shop.line, sly, source="public")
    login(client, shop.partner)
    text = _get(client, f"/orgs/{shop.org.id}/files/roster.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert '\'=HYPERLINK("http://x")' in [r[4] for r in rows]
    sheet = _workbook(_get(client, f"/orgs/{shop.org.id}/files/roster.xlsx").data)["Roster"]
    cell = next(c for c in sheet["E"] if c.value and c.value.startswith("=HYPERLINK"))
    assert cell.data_type == "s"


def test_files_belong_to_their_organization(shop, client):
    urls = [
        f"/orgs/{shop.org.id}/files/{table}.{fmt}"
        for table in ("classes", "roster", "signups")
        for fmt in ("xlsx", "csv")
    ] + [f"/orgs/{shop.org.id}/files/signups"]
    login(client, shop.outsider)
    assert {client.get(u).status_code for u in urls} == {404}
    assert client.post(f"/orgs/{shop.org.id}/files/signups/confirm").status_code == 404
    assert client.post(f"/orgs/{shop.org.id}/files/signups/runs/1/result").status_code == 404
    client.post("/logout")
    login(client, shop.instructor)
    assert {client.get(u).status_code for u in urls} == {403}
    client.post("/logout")
    login(client, shop.coordinator)
    assert {client.get(u).status_code for u in urls} == {200}
    assert client.get(f"/orgs/{shop.org.id}/files/learners.csv").status_code == 404
    assert client.get(f"/orgs/{shop.org.id}/files/roster.pdf").status_code == 404


def _queries_for(client, url) -> int:
    count = {"n": 0}

    def counter(*_args, **_kwargs):
        count["n"] += 1

    sa.event.listen(db.engine, "before_cursor_execute", counter)
    try:
        _get(client, url)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counter)
    return count["n"]


def _more_sessions(make, shop, count: int, start: int) -> None:
    venue = make.venue(buffer=0)
    for n in range(start, start + count):
        session = make.session(
            venue=venue, day=shop.day + timedelta(days=1 + n), partner_org=shop.org.slug
        )
        kana = "あいうえおかきくけこ"[n % 10] + "さしすせそたちつてと"[n // 10]
        learner = create_learner({"name": f"受講者{n}", "furigana": f"じゅこうしゃ{kana}"})
        register(session, learner, source="phone")


@pytest.mark.parametrize("url", ["roster.xlsx", "classes.csv", "roster.csv", "classes.xlsx"])
def test_download_queries_do_not_grow_with_rows(url, shop, make, client):
    login(client, shop.partner)
    _more_sessions(make, shop, 3, 0)
    few = _queries_for(client, f"/orgs/{shop.org.id}/files/{url}")
    _more_sessions(make, shop, 30, 3)
    many = _queries_for(client, f"/orgs/{shop.org.id}/files/{url}")
    assert many == few


# ---------------------------------------------------------------- uploads


def _signup(session: Session | None = None, **values) -> list:
    row = {
        "name": "山田 花子",
        "furigana": "やまだ はなこ",
        "phone": "09011112222",
        "birth_year": "昭和23年",
    }
    if session is not None:
        row["session_id"] = str(session.id)
    row.update(values)
    return [row.get(column.key, "") for column in SIGNUP_COLUMNS]


def _upload(client, org, filename: str, data: bytes):
    return client.post(
        f"/orgs/{org.id}/files/signups",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _carried(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]+)"', html)


def _confirm(client, org, preview_html: str):
    response = client.post(
        f"/orgs/{org.id}/files/signups/confirm",
        data={"upload": _carried(preview_html, "upload")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def _result(client, org, done_html: str):
    action = re.search(r'action="(/orgs/\d+/files/signups/runs/\d+/result)"', done_html).group(1)
    return client.post(
        action, data={"result": _carried(done_html, "result")}, content_type="multipart/form-data"
    )


def _row_html(html: str, number: int) -> str:
    match = re.search(rf'<tr id="row-{number}".*?</tr>', html, re.S)
    assert match, f"row {number} not shown"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Learner, Registration, SignupImport, SyncRun)
    }


def _filled_xlsx(client, shop) -> bytes:
    """The downloaded Signups form filled in as a partner would in Excel."""
    book = _workbook(_get(client, f"/orgs/{shop.org.id}/files/signups.xlsx").data)
    sheet = book["Signups"]
    sheet.append(_signup(shop.basics))
    # Typed into a cell someone reformatted as a number: the zero is lost (080 → 80…).
    sato = _signup(shop.basics, name="佐藤 一郎", furigana="さとう いちろう", birth_year=1950)
    sato[PHONE] = 8033334444
    sheet.append(sato)
    sheet.append([None] * len(SIGNUPS_HEADER))
    by_place = _signup(
        None,
        name="鈴木 次郎",
        furigana="すずき じろう",
        phone="070-5555-6666",
        venue="中央公民館",
        course="スマートフォン",
    )
    by_place[1] = datetime.combine(shop.day, datetime.min.time())  # Excel keeps dates as dates
    sheet.append(by_place)
    sheet.append(
        _signup(shop.basics, name="田中 三郎", furigana="たなか さぶろう", phone="09077778888")
    )
    sheet.append(
        _signup(shop.basics, name="高橋 四郎", furigana="たかはし しろう", phone="090-12-34")
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_round_trip_preview_then_import_then_result_file(shop, make, client):
    login(client, shop.partner)
    data = _filled_xlsx(client, shop)
    before = _counts()

    preview = _upload(client, shop.org, "申込.xlsx", data)
    assert preview.status_code == 200, preview.get_data(as_text=True)[:2000]
    html = preview.get_data(as_text=True)
    assert _counts() == before  # the preview wrote nothing
    assert "登録済" in _row_html(html, 2)
    assert "山田 花子" in _row_html(html, 2)
    assert "スマートフォンの基本操作" in _row_html(html, 2)
    assert "登録済" in _row_html(html, 3)
    assert 'id="row-4"' not in html  # the blank row is skipped
    assert "登録済" in _row_html(html, 5)
    assert "中央公民館" in _row_html(html, 5)
    assert "キャンセル待ち" in _row_html(html, 6)  # three seats, the fourth waits
    assert "090-12-34" in _row_html(html, 7)
    assert "取り込めません" in _row_html(html, 7)
    assert "R-" not in _row_html(html, 2)  # no registration exists yet, so no id is promised

    done = _confirm(client, shop.org, html)
    db.session.expire_all()
    registrations = db.session.scalars(
        sa.select(Registration).where(Registration.session_id == shop.basics.id)
    ).all()
    assert len(registrations) == 4
    assert {r.source for r in registrations} == {"partner"}
    sato = db.session.scalar(sa.select(Learner).where(Learner.furigana == "さとう いちろう"))
    assert sato.phone == "08033334444"
    assert sato.birth_year == 1950
    run = db.session.scalar(sa.select(SyncRun).where(SyncRun.org_id == shop.org.id))
    assert (run.kind, run.trigger, run.outcome, run.api_calls) == ("file", "upload", "ok", 0)
    assert (run.rows_imported, run.rows_refused) == (4, 1)
    assert run.refusals[0]["row"] == 7
    assert "090-12-34" in run.refusals[0]["reason"]
    assert run.started_by_id == shop.partner.id
    assert "取り込んだ申込 4件、取り込めなかった行 1件。" in done

    response = _result(client, shop.org, done)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == tabular.XLSX_TYPE
    assert "filename*=UTF-8''" + "%E7%94%B3%E8%BE%BC" in response.headers["Content-Disposition"]
    sheet = _workbook(response.data)["Signups"]
    statuses = {n: sheet.cell(row=n, column=STATUS + 1).value for n in range(2, 8)}
    ids = {r.learner.furigana: r.id for r in registrations}
    assert statuses[2] == f"登録済 R-{ids['やまだ はなこ']}"
    assert statuses[3] == f"登録済 R-{ids['さとう いちろう']}"
    assert statuses[4] in (None, "")
    assert statuses[5] == f"登録済 R-{ids['すずき じろう']}"
    assert statuses[6] == f"キャンセル待ち R-{ids['たなか さぶろう']}"
    assert "090-12-34" in statuses[7]
    assert sheet.cell(row=2, column=PHONE + 1).value == "09011112222"
    assert sheet.cell(row=2, column=PHONE + 1).number_format == "@"
    assert sheet.cell(row=5, column=2).value == shop.day.isoformat()


def test_the_same_file_twice_imports_once(shop, client):
    login(client, shop.partner)
    data = _filled_xlsx(client, shop)
    _confirm(client, shop.org, _upload(client, shop.org, "申込.xlsx", data).get_data(as_text=True))
    db.session.expire_all()
    after_first = _counts()

    again = _upload(client, shop.org, "申込.xlsx", data).get_data(as_text=True)
    assert "取り込み済み(登録済 R-" in _row_html(again, 2)
    assert "取り込めません" in _row_html(again, 7)  # a refused row is tried again, and refused
    done = _confirm(client, shop.org, again)
    db.session.expire_all()
    counts = _counts()
    assert counts["Registration"] == after_first["Registration"]
    assert counts["Learner"] == after_first["Learner"]
    assert counts["SyncRun"] == after_first["SyncRun"] + 1
    runs = db.session.scalars(sa.select(SyncRun).order_by(SyncRun.id)).all()
    assert [r.rows_imported for r in runs] == [4, 0]
    assert "取り込んだ申込 0件" in done
    sheet = _workbook(_result(client, shop.org, done).data)["Signups"]
    assert sheet.cell(row=2, column=STATUS + 1).value.startswith("登録済 R-")


def _csv_text(shop) -> str:
    rows = [
        SIGNUPS_HEADER,
        _signup(shop.basics, name="渡辺 ミツ", furigana="わたなべ みつ", phone="０９０－１１１１－２２２２"),
        _signup(shop.basics, name="伊藤 髙子", furigana="いとう たかこ", phone="08099998888", notes="補聴器を使用"),
        _signup(shop.basics, name="", furigana="なまえ なし"),
    ]  # fmt: skip
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def test_csv_with_bom_without_bom_and_cp932_read_the_same(shop, make):
    text = _csv_text(shop)
    read = {
        encoding: uploads.read_upload("申込.csv", text.encode(encoding))
        for encoding in ("utf-8-sig", "utf-8", "cp932")
    }
    assert {e: u.encoding for e, u in read.items()} == {
        "utf-8-sig": "utf-8-sig",
        "utf-8": "utf-8",
        "cp932": "cp932",
    }
    rows = {e: [(r.number, r.values) for r in u.rows] for e, u in read.items()}
    assert rows["utf-8-sig"] == rows["utf-8"] == rows["cp932"]
    assert rows["cp932"][1][1]["name"] == "伊藤 髙子"  # 髙 is a CP932 extension character
    assert len(rows["cp932"]) == 3


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig"])
def test_csv_upload_imports_and_returns_the_result_in_the_same_encoding(encoding, shop, client):
    login(client, shop.partner)
    data = _csv_text(shop).encode(encoding)
    html = _upload(client, shop.org, "申込.csv", data).get_data(as_text=True)
    assert "登録済" in _row_html(html, 2)
    assert "渡辺 ミツ" in _row_html(html, 2)
    assert "お名前を入力してください" in _row_html(html, 4)
    done = _confirm(client, shop.org, html)
    response = _result(client, shop.org, done)
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.data.startswith(codecs.BOM_UTF8) == (encoding == "utf-8-sig")
    rows = list(csv.reader(io.StringIO(response.data.decode(encoding), newline="")))
    assert rows[0] == SIGNUPS_HEADER
    assert rows[1][STATUS].startswith("登録済 R-")
    assert rows[2][4] == "伊藤 髙子"
    assert rows[2][STATUS].startswith("登録済 R-")
    assert "お名前を入力してください" in rows[3][STATUS]
    assert b"\r\n" in response.data


@pytest.mark.parametrize("encode", [lambda t: t.encode("utf-16"), lambda t: t.encode("utf-16-le")])
def test_csv_in_another_encoding_is_refused_with_the_reason(encode, shop, client):
    login(client, shop.partner)
    before = _counts()
    response = _upload(client, shop.org, "申込.csv", encode(_csv_text(shop)))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "CSVの文字コードを読み取れません" in html
    assert "CSV UTF-8(コンマ区切り)" in html
    assert _counts() == before


def test_bad_rows_show_their_reasons(shop, client):
    login(client, shop.partner)
    rows = [
        SIGNUPS_HEADER,
        _signup(None, session_id="99999"),
        _signup(shop.basics, furigana=""),
        _signup(shop.basics, phone="090-12-34"),
        _signup(shop.basics, birth_year="昭和99年"),
        _signup(None, date="2031/02/30", venue="中央公民館", course="スマホ"),
        _signup(None, date=shop.day.isoformat(), venue="どこにもない会館", course="スマホ"),
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    html = _upload(client, shop.org, "bad.csv", out.getvalue().encode()).get_data(as_text=True)
    assert "講座ID 99999" in _row_html(html, 2)
    assert "ふりがな" in _row_html(html, 3)
    assert "090-12-34" in _row_html(html, 4)
    assert "昭和99年" in _row_html(html, 5)
    assert "2031/02/30" in _row_html(html, 6)
    assert "どこにもない会館" in _row_html(html, 7)
    for number in range(2, 8):
        assert "取り込めません" in _row_html(html, number), number
    assert "取り込めない行: 6件" in html


def test_another_organizations_session_is_refused(shop, make, client):
    theirs = db.session.scalar(sa.select(Session).where(Session.partner_org_id == shop.other.id))
    login(client, shop.partner)
    out = io.StringIO()
    csv.writer(out).writerows([SIGNUPS_HEADER, _signup(theirs)])
    html = _upload(client, shop.org, "s.csv", out.getvalue().encode()).get_data(as_text=True)
    assert "この団体の予定の講座にありません" in _row_html(html, 2)


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("big.csv", b"a" * (uploads.MAX_UPLOAD_BYTES + 10), "ファイルが大きすぎます"),
        ("old.xls", b"\xd0\xcf\x11\xe0 legacy", "この形式(.xls)は読めません"),
        ("fake.xlsx", b"not a zip", "XLSXファイルとして読めません"),
        ("broken.xlsx", b"PK\x03\x04broken", "XLSXファイルとして読めません"),
        ("empty.csv", b"", "ファイルが空です"),
        ("photo.png", b"\x89PNG", "XLSXかCSVのファイルを選んでください"),
        ("header.csv", "名前,電話\r\n山田,090\r\n".encode(), "見出し"),
        ("only-header.csv", ",".join(SIGNUPS_HEADER).encode(), "申込の行がありません"),
    ],
)
def test_unusable_files_are_refused_with_a_clear_message(filename, data, message, shop, client):
    login(client, shop.partner)
    response = _upload(client, shop.org, filename, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_too_many_rows_are_refused(shop, client):
    login(client, shop.partner)
    lines = [",".join(SIGNUPS_HEADER)] + [
        f"{shop.basics.id},,,,人{n},ひと{n},,,," for n in range(uploads.MAX_ROWS + 1)
    ]
    response = _upload(client, shop.org, "many.csv", "\r\n".join(lines).encode())
    assert response.status_code == 422
    assert f"一度に取り込めるのは{uploads.MAX_ROWS}行まで" in response.get_data(as_text=True)


def test_a_preview_cannot_be_confirmed_for_another_organization(shop, make, client):
    second = make.org(slug="npo-momiji", name="NPOもみじ")
    make.session(day=shop.day + timedelta(days=2), partner_org=second.slug)
    login(client, shop.coordinator)
    out = io.StringIO()
    csv.writer(out).writerows([SIGNUPS_HEADER, _signup(shop.basics)])
    html = _upload(client, shop.org, "s.csv", out.getvalue().encode()).get_data(as_text=True)
    before = _counts()
    response = client.post(
        f"/orgs/{second.id}/files/signups/confirm", data={"upload": _carried(html, "upload")}
    )
    assert response.status_code == 302
    assert _counts() == before
    tampered = _carried(html, "upload")
    tampered[-1] = tampered[-1][:-2] + ("AA" if not tampered[-1].endswith("AA") else "BB")
    response = client.post(
        f"/orgs/{shop.org.id}/files/signups/confirm",
        data={"upload": tampered},
        follow_redirects=True,
    )
    assert "ファイルを受け取れませんでした" in response.get_data(as_text=True)
    assert _counts() == before


def test_a_result_file_is_only_for_its_run(shop, client):
    login(client, shop.partner)
    out = io.StringIO()
    csv.writer(out).writerows([SIGNUPS_HEADER, _signup(shop.basics)])
    html = _upload(client, shop.org, "s.csv", out.getvalue().encode()).get_data(as_text=True)
    done = _confirm(client, shop.org, html)
    run_id = int(re.search(r"/files/signups/runs/(\d+)/result", done).group(1))
    response = client.post(
        f"/orgs/{shop.org.id}/files/signups/runs/{run_id + 1}/result",
        data={"result": _carried(done, "result")},
    )
    assert response.status_code == 404
    client.post("/logout")
    login(client, shop.outsider)
    assert _result(client, shop.org, done).status_code == 404


def test_the_upload_page_offers_the_form_and_the_empty_file_is_named(shop, client):
    login(client, shop.partner)
    page = _get(client, f"/orgs/{shop.org.id}/files/signups").get_data(as_text=True)
    assert 'type="file"' in page
    assert "signups.xlsx" in page
    response = client.post(
        f"/orgs/{shop.org.id}/files/signups", data={}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "ファイルを選んでください" in response.get_data(as_text=True)


def test_the_organization_page_offers_the_files_and_the_upload(shop, client):
    login(client, shop.partner)
    page = _get(client, f"/orgs/{shop.org.id}").get_data(as_text=True)
    assert f"/orgs/{shop.org.id}/files/roster.xlsx" in page
    assert f"/orgs/{shop.org.id}/files/signups.csv" in page
    assert f'action="/orgs/{shop.org.id}/files/signups"' in page
    assert 'name="csrf_token"' in page
    assert 'name="file"' in page


def test_a_file_near_the_size_limit_survives_the_trip_between_steps(shop, client):
    """The signed file rides in several form fields, each under Werkzeug's 500 kB limit."""
    login(client, shop.partner)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SIGNUPS_HEADER)
    for n in range(300):  # notes that do not compress, on rows refused quickly
        notes = base64.b64encode(os.urandom(3000)).decode()
        writer.writerow(_signup(None, session_id=str(90000 + n), notes=notes))
    data = out.getvalue().encode()
    assert 1_000_000 < len(data) < uploads.MAX_UPLOAD_BYTES
    html = _upload(client, shop.org, "large.csv", data).get_data(as_text=True)
    assert len(_carried(html, "upload")) > 2
    done = _confirm(client, shop.org, html)
    run = db.session.scalar(sa.select(SyncRun).where(SyncRun.org_id == shop.org.id))
    assert (run.rows_imported, run.rows_refused) == (0, 300)
    result = _result(client, shop.org, done)
    assert result.status_code == 200
    rows = list(csv.reader(io.StringIO(result.data.decode("utf-8"), newline="")))
    assert len(rows) == 301
    assert "90299" in rows[300][STATUS]


def test_an_uploaded_row_matching_someone_unseen_makes_a_new_record_awaiting_a_match(
    shop, make, client
):

    known = create_learner(
        {"name": "山田 花子", "furigana": "やまだ はなこ", "phone": "090-1111-2222"}
    )
    login(client, shop.partner)
    upload = io.StringIO()
    csv.writer(upload).writerows([SIGNUPS_HEADER, _signup(shop.basics)])
    preview = _upload(client, shop.org, "申込.csv", upload.getvalue().encode("utf-8-sig"))
    done = _confirm(client, shop.org, preview.get_data(as_text=True))

    db.session.expire_all()
    (reg,) = db.session.scalars(
        sa.select(Registration).where(Registration.session_id == shop.basics.id)
    ).all()
    assert reg.learner_id != known.id
    assert "確認" in _row_html(done, 2)
    (match,) = db.session.scalars(sa.select(PendingMatch)).all()
    assert (match.new_learner_id, match.existing_learner_id, match.source) == (
        reg.learner_id,
        known.id,
        "signups",
    )


def test_roster_downloads_are_written_to_the_audit_log(shop, make, client):

    login(client, shop.partner)
    _get(client, f"/orgs/{shop.org.id}/files/roster.csv")
    login(client, shop.coordinator)
    _get(client, f"/orgs/{shop.other.id}/files/roster.xlsx")  # no one on its roster

    db.session.expire_all()
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == DOWNLOADED).order_by(AuditEntry.id)
    ).all()
    assert [
        (e.actor_id, e.details["what"], e.details["format"], e.details["rows"]) for e in entries
    ] == [
        (shop.partner.id, "roster", "csv", 2),
        (shop.coordinator.id, "roster", "xlsx", 0),
    ]
    assert entries[0].details["filter"] == {"org": "npo-sakura"}
