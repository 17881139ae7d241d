"""Sign-ups as partners really type them, through a real sync: every kind of bad row, sheets
the partner rearranged, a full session, the same person twice, an unusable header."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.people.learners import create_learner
from app.people.models import Learner, PendingMatch, Registration
from app.sheets.models import SignupImport
from app.sheets.sync import link_sheet
from app.sheets.tables import CLASSES, CLASSES_HEADER, ROSTER, SIGNUPS, SIGNUPS_HEADER
from tests.sheets.conftest import signup

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def test_every_kind_of_bad_row_is_refused_with_its_reason_and_the_good_ones_go_in(synced, make):
    partner = synced
    s = partner.sessions
    twice_day = partner.day + timedelta(days=2)
    make.session(
        course=partner.course, venue=partner.hall, day=twice_day, partner_org=partner.org.slug
    )
    make.session(
        course=partner.course,
        venue=partner.hall,
        day=twice_day,
        start="14:00",
        end="15:00",
        partner_org=partner.org.slug,
    )
    day = partner.day
    rows = [
        # 2: no such session
        signup(session_id="9999", name="一", furigana="いち", phone="090-0000-0002"),
        # 3: another organization's session, on the same day
        signup(s["other_org"], name="二", furigana="に", phone="090-0000-0003"),
        # 4: date + venue + course that match nothing
        signup(
            date=day.isoformat(),
            venue="中央公民館",
            course="LINEのはじめ方",
            name="三",
            furigana="さん",
            phone="090-0000-0004",
        ),
        # 5: blank
        {},
        # 6: date + venue + course that match two sessions
        signup(
            date=twice_day.isoformat(),
            venue="中央公民館",
            course="スマートフォン",
            name="四",
            furigana="よん",
            phone="090-0000-0006",
        ),
        # 7: no name
        signup(s["basics"], name="", furigana="ななし", phone="090-0000-0007"),
        # 8: furigana in kanji
        signup(s["basics"], name="山田 八郎", furigana="山田八郎", phone="090-0000-0008"),
        # 9: an era year that never was
        signup(
            s["basics"], name="九", furigana="きゅう", phone="090-0000-0009", birth_year="昭和70年"
        ),
        # 10, 11: blank
        {},
        {},
        # 12: full-width digits everywhere: accepted
        signup(
            session_id=str(s["basics"].id).translate(FULL_WIDTH),
            name="全角 十二",
            furigana="ぜんかく じゅうに",
            phone="090-1212-1212".translate(FULL_WIDTH),
            birth_year="１９４８",
        ),
        # 13: by date (as Japanese people write it) + venue + course: accepted
        signup(
            date=f"{day.year}年{day.month}月{day.day}日",
            venue="中央公民館",
            course="スマートフォンの基本操作",
            name="日付 十三",
            furigana="ひづけ じゅうさん",
            phone="090-1313-1313",
        ),
        # 14: a session that is over
        signup(s["last_week"], name="十四", furigana="じゅうよん", phone="090-0000-0014"),
        # 15: a phone number with letters
        signup(s["basics"], name="十五", furigana="じゅうご", phone="090-ABCD-0015"),
    ]
    partner.type_signups(rows)

    report = partner.sync()

    assert report.outcome == "ok", report.error
    status = {n: partner.signup_status(n) for n in range(2, 2 + len(rows))}
    assert status[2] == "講座ID 9999 はこの団体の予定の講座にありません"
    assert status[3] == f"講座ID {s['other_org'].id} はこの団体の予定の講座にありません"
    assert (
        status[4] == f"{day.isoformat()} の「中央公民館」「LINEのはじめ方」の講座が見つかりません"
    )
    assert status[6] == f"{twice_day.isoformat()} の講座が2件あります。講座IDで指定してください"
    assert status[7] == "お名前を入力してください"
    assert status[8] == "ふりがなは ひらがな か カタカナ で入力してください: 山田八郎"
    assert status[9] == "昭和70年はありません。生まれ年を確かめてください: 昭和70年"
    assert status[14] == "この講座は終わっています。"
    assert status[15].startswith("電話番号は数字とハイフンで入力してください")
    assert status[15].endswith(": 090-ABCD-0015")
    for blank in (5, 10, 11):  # skipped, not refused
        assert status[blank] == ""

    regs = partner.registrations()
    assert [r.session_id for r in regs] == [s["basics"].id, s["basics"].id]
    assert status[12] == f"登録済 R-{regs[0].id}"
    assert status[13] == f"登録済 R-{regs[1].id}"
    first = db.session.get(Learner, regs[0].learner_id)
    assert (first.phone, first.birth_year) == ("090-1212-1212", 1948)

    assert report.rows_imported == 2
    assert [r["row"] for r in report.refusals] == [2, 3, 4, 6, 7, 8, 9, 14, 15]
    run = partner.runs()[-1]
    assert run.rows_refused == 9
    assert {r["row"]: r["reason"] for r in run.refusals}[9] == status[9]
    # Only the two accepted rows left anything behind.
    assert db.session.scalar(sa.select(sa.func.count(Learner.id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(SignupImport.id))) == 2


def test_a_sheet_the_partner_rearranged_is_read_by_its_headers(partner):
    """Columns reordered, a column added, headers retyped (フリガナ, 電話), no plain-text format:
    a phone typed 09012345678 arrives as the number 9012345678 and is repaired, not refused."""
    header = ["お名前", "フリガナ", "電話", "紹介者", "講座ID", "生まれ年", "状態"]
    key = partner.server.create_spreadsheet("手作りのシート", sheets={SIGNUPS: [header]})
    link_sheet(partner.org, key, partner.user)
    partner.key = key
    basics = str(partner.sessions["basics"].id)
    partner.server.set_values(
        key,
        SIGNUPS,
        [
            ["高橋 三郎", "タカハシ サブロウ", "09012345678", "民生委員の田中さん", basics, "S23"],
            [],
            ["伊藤 四郎", "いとう しろう", "0422-12-3456", "", basics, "1950"],
        ],
        start="A2",
    )
    assert partner.stored(SIGNUPS)[1][2] == 9012345678  # what Sheets did to the phone

    report = partner.sync()

    assert report.outcome == "ok", report.error
    assert report.created_worksheets == [CLASSES, ROSTER]
    regs = partner.registrations()
    assert len(regs) == 2
    learners = [db.session.get(Learner, r.learner_id) for r in regs]
    assert [(x.name, x.phone, x.birth_year) for x in learners] == [
        ("高橋 三郎", "09012345678", 1948),
        ("伊藤 四郎", "0422-12-3456", 1950),
    ]
    grid = partner.sheet(SIGNUPS)
    assert grid[0] == header  # the partner's header is left as it was
    assert [grid[1][6], grid[3][6]] == [f"登録済 R-{regs[0].id}", f"登録済 R-{regs[1].id}"]
    assert grid[1][3] == "民生委員の田中さん"  # their own column is untouched
    assert len(grid[2]) == 0 or not any(grid[2])  # the blank row stays blank


def test_a_sheet_without_a_status_column_gets_one(partner):
    header = ["講座ID", "お名前", "ふりがな", "電話番号"]
    key = partner.server.create_spreadsheet("状態の列がないシート", sheets={SIGNUPS: [header]})
    link_sheet(partner.org, key, partner.user)
    partner.key = key
    basics = str(partner.sessions["basics"].id)
    partner.server.set_values(
        key, SIGNUPS, [[basics, "森 五郎", "もり ごろう", "'09055556666"]], start="A2"
    )

    report = partner.sync()

    assert report.outcome == "ok", report.error
    (reg,) = partner.registrations()
    grid = partner.sheet(SIGNUPS)
    assert grid[0] == [*header, "Dekiru状態"]
    assert grid[1][4] == f"登録済 R-{reg.id}"
    assert partner.sync().rows_imported == 0


def test_a_removed_required_header_fails_the_sync_naming_sheet_and_header(synced):
    partner = synced
    partner.type_signups([signup(partner.sessions["basics"])])
    furigana_column = "ABCDEFGHIJ"[SIGNUPS_HEADER.index("ふりがな")]
    partner.server.set_values(partner.key, SIGNUPS, [[""]], start=f"{furigana_column}1")
    partner.server.reset_calls()

    report = partner.sync()

    assert report.outcome == "failed"
    assert "Signups" in report.error
    assert "ふりがな" in report.error
    assert partner.registrations() == []
    assert db.session.scalar(sa.select(sa.func.count(Learner.id))) == 0
    run = partner.runs()[-1]
    assert (run.outcome, run.error, run.rows_imported) == ("failed", report.error, 0)
    # Nothing was guessed or written: the sheet is as the partner left it.
    assert partner.server.calls_by_endpoint() == {"spreadsheets.get": 1, "values.batchGet": 1}
    assert partner.signup_status(2) == ""


def test_a_full_session_puts_the_next_sign_up_on_the_waitlist(synced):
    partner = synced
    line = partner.sessions["line"]  # two seats
    partner.type_signups(
        [
            signup(line, name="一番 さん", furigana="いちばん", phone="090-0000-0001"),
            signup(line, name="二番 さん", furigana="にばん", phone="090-0000-0002"),
            signup(line, name="三番 さん", furigana="さんばん", phone="090-0000-0003"),
        ]
    )

    report = partner.sync()

    assert report.outcome == "ok"
    regs = partner.registrations()
    assert [r.status for r in regs] == ["registered", "registered", "waitlisted"]
    assert partner.signup_status(4) == f"キャンセル待ち R-{regs[2].id}"
    classes = {row[0]: row for row in partner.sheet(CLASSES)[1:]}
    line_row = dict(zip(CLASSES_HEADER, classes[str(line.id)], strict=True))
    assert (line_row["定員"], line_row["申込"], line_row["キャンセル待ち"]) == ("2", "2", "1")
    roster = {row[0]: row for row in partner.sheet(ROSTER)[1:]}
    assert roster[f"R-{regs[2].id}"][7] == "キャンセル待ち"


def test_the_same_person_typed_twice_is_registered_once(synced):
    partner = synced
    basics = partner.sessions["basics"]
    same = signup(basics, name="山田 花子", furigana="やまだ はなこ", phone="090-1111-2222")
    partner.type_signups([same, same])

    report = partner.sync()

    (reg,) = partner.registrations()
    assert partner.signup_status(2) == partner.signup_status(3) == f"登録済 R-{reg.id}"
    assert report.rows_imported == 1
    assert len(partner.sheet(ROSTER)) == 1 + 1


def test_the_same_person_written_differently_is_registered_once(synced):
    """Katakana instead of hiragana and a full-width space: the same learner (furigana +
    phone), already registered for that session, so the second row points at the same R-."""
    partner = synced
    basics = partner.sessions["basics"]
    partner.type_signups(
        [
            signup(basics, name="山田 花子", furigana="やまだ はなこ", phone="090-1111-2222"),
            signup(basics, name="山田　花子", furigana="ヤマダ ハナコ", phone="09011112222"),
        ]
    )

    partner.sync()

    (reg,) = partner.registrations()
    assert partner.signup_status(2) == partner.signup_status(3) == f"登録済 R-{reg.id}"
    assert db.session.scalar(sa.select(sa.func.count(Learner.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1


def test_a_row_matching_someone_the_partner_does_not_see_makes_a_new_record_awaiting_a_match(
    synced, make
):
    """Typing a stranger's furigana and phone must not register that stranger (after which
    the partner would read their record): a new record is made, and a coordinator decides."""

    partner = synced
    known = create_learner(
        {"name": "山田 花子", "furigana": "やまだ はなこ", "phone": "090-1111-2222"}
    )
    partner.type_signups([signup(partner.sessions["basics"])])

    partner.sync()

    (reg,) = partner.registrations()
    assert reg.learner_id != known.id
    status = partner.signup_status(2)
    assert status.startswith(f"登録済 R-{reg.id}")
    assert "確認" in status
    assert str(known.id) not in status.replace(f"R-{reg.id}", "")
    (match,) = db.session.scalars(sa.select(PendingMatch)).all()
    assert (match.new_learner_id, match.existing_learner_id) == (reg.learner_id, known.id)
    assert (match.source, match.org_id) == ("signups", partner.org.id)
    # A second sync leaves the row and the match as they are.
    partner.sync()
    assert partner.signup_status(2) == status
    assert len(db.session.scalars(sa.select(PendingMatch)).all()) == 1
