"""Closures from .ics files: recurrences expanded, Japan-time days, re-import replaces."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.errors import ValidationError
from app.extensions import db
from app.scheduling.closure_files import read_closures
from app.scheduling.closures import import_closures
from app.scheduling.models import Closure
from app.timeutil import local

DATA = Path(__file__).parent / "data"
HOLIDAYS = DATA / "japan_holidays_2026_2027.ics"
MAINTENANCE = DATA / "venue_maintenance.ics"
# Imports in these tests are anchored on a fixed day, so that the 2026–2027 files stay inside
# the stored window (a year back, three ahead) whenever the tests run.
ANCHOR = date(2026, 4, 1)
WINDOW_2026_TO_2029 = (date(2026, 1, 1), date(2030, 1, 1))


def calendar(*events: str) -> bytes:
    """A VCALENDAR around the given VEVENT bodies (their property lines, one per line)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Dekiru tests//JA"]
    for body in events:
        lines += ["BEGIN:VEVENT", *body.strip().splitlines(), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(line.strip() for line in lines) + "\r\n").encode()


def import_file(path: Path, venue=None, data: bytes | None = None):
    return import_closures(
        data if data is not None else path.read_bytes(),
        venue=venue,
        source=path.name,
        today=ANCHOR,
    )


def stored(**where) -> list[Closure]:
    db.session.expire_all()
    query = sa.select(Closure).order_by(Closure.starts_at, Closure.id)
    for name, value in where.items():
        query = query.where(getattr(Closure, name) == value)
    return list(db.session.scalars(query))


def local_days(blocks) -> list[date]:
    return [local(b.starts_at).date() for b in blocks]


def _maintenance_blocks(window=WINDOW_2026_TO_2029):
    return read_closures(MAINTENANCE.read_bytes(), MAINTENANCE.name, window).blocks


# ---------------------------------------------------------------- expansion


def test_every_second_tuesday_of_2026_from_9_to_17_japan_time_except_the_exdate(app):
    with app.app_context():
        blocks = [
            b
            for b in _maintenance_blocks((date(2026, 1, 1), date(2027, 1, 1)))
            if b.uid == "monthly-inspection@chuo-kominkan.example.jp"
        ]
    # August's second Tuesday (11th, 山の日) is an EXDATE in the file.
    assert local_days(blocks) == [
        date(2026, 1, 13),
        date(2026, 2, 10),
        date(2026, 3, 10),
        date(2026, 4, 14),
        date(2026, 5, 12),
        date(2026, 6, 9),
        date(2026, 7, 14),
        date(2026, 9, 8),
        date(2026, 10, 13),
        date(2026, 11, 10),
        date(2026, 12, 8),
    ]
    assert all(b.starts_at.weekday() == 1 for b in blocks)
    assert {(local(b.starts_at).hour, local(b.ends_at).hour) for b in blocks} == {(9, 17)}
    assert not any(b.all_day for b in blocks)


def test_year_end_closure_repeats_yearly_from_29_december_to_3_january_without_the_exdate(app):
    with app.app_context():
        blocks = [b for b in _maintenance_blocks() if b.summary == "年末年始休館"]
    # 2028 is excluded by EXDATE (the hall opens for election work that year).
    assert [(local(b.starts_at).date(), local(b.ends_at).date()) for b in blocks] == [
        (date(2026, 12, 29), date(2027, 1, 4)),
        (date(2027, 12, 29), date(2028, 1, 4)),
        (date(2029, 12, 29), date(2030, 1, 4)),
    ]
    assert all(b.all_day for b in blocks)


def test_all_day_events_are_japan_midnight_to_midnight(app):
    with app.app_context():
        parsed = read_closures(HOLIDAYS.read_bytes(), HOLIDAYS.name, WINDOW_2026_TO_2029)
    bunka = next(b for b in parsed.blocks if b.summary == "文化の日")
    # 00:00 on 3 November in Japan is 15:00 on 2 November in UTC; the block lasts one day.
    assert bunka.starts_at == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    assert bunka.ends_at == datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
    assert bunka.all_day
    assert parsed.events == 35
    assert len(parsed.blocks) == 35


def test_national_holidays_file_has_the_real_2026_and_2027_dates(app):
    with app.app_context():
        blocks = read_closures(HOLIDAYS.read_bytes(), HOLIDAYS.name, WINDOW_2026_TO_2029).blocks
    days = {(local(b.starts_at).date(), b.summary) for b in blocks}
    assert {
        (date(2026, 1, 12), "成人の日"),
        (date(2026, 3, 20), "春分の日"),
        (date(2026, 5, 6), "振替休日"),
        (date(2026, 9, 23), "秋分の日"),
        (date(2027, 1, 11), "成人の日"),
        (date(2027, 3, 21), "春分の日"),
        (date(2027, 9, 23), "秋分の日"),
        (date(2027, 11, 23), "勤労感謝の日"),
    } <= days


def test_timed_events_keep_their_time_zone_and_floating_times_are_japan_time(app):
    with app.app_context():
        blocks = {b.summary: b for b in _maintenance_blocks()}
    electrical = blocks["電気設備の法定点検(停電)"]  # written in UTC (Z)
    assert local(electrical.starts_at).strftime("%Y-%m-%d %H:%M") == "2027-02-20 09:00"
    floor = blocks["床ワックス清掃(午前休館)"]  # floating: no TZID, no Z
    assert floor.starts_at == datetime(2027, 3, 5, 0, 0, tzinfo=UTC)
    assert floor.ends_at == datetime(2027, 3, 5, 3, 0, tzinfo=UTC)


def test_a_date_event_without_dtend_is_one_day_and_rdates_add_days(app):
    data = calendar(
        """
        UID:open-days
        SUMMARY:臨時休館
        DTSTART;VALUE=DATE:20260601
        RDATE;VALUE=DATE:20260615,20260701
        """
    )
    with app.app_context():
        blocks = read_closures(data, "rdate.ics", WINDOW_2026_TO_2029).blocks
    assert [(local(b.starts_at).date(), local(b.ends_at).date()) for b in blocks] == [
        (date(2026, 6, 1), date(2026, 6, 2)),
        (date(2026, 6, 15), date(2026, 6, 16)),
        (date(2026, 7, 1), date(2026, 7, 2)),
    ]


def test_a_cancelled_instance_of_a_recurring_closure_is_not_a_closure(app):
    data = calendar(
        """
        UID:weekly-cleaning
        SUMMARY:清掃日
        DTSTART;TZID=Asia/Tokyo:20260601T090000
        DTEND;TZID=Asia/Tokyo:20260601T120000
        RRULE:FREQ=WEEKLY;COUNT=3
        """,
        """
        UID:weekly-cleaning
        SUMMARY:清掃日
        RECURRENCE-ID;TZID=Asia/Tokyo:20260608T090000
        DTSTART;TZID=Asia/Tokyo:20260608T090000
        DTEND;TZID=Asia/Tokyo:20260608T120000
        STATUS:CANCELLED
        """,
    )
    with app.app_context():
        blocks = read_closures(data, "cleaning.ics", WINDOW_2026_TO_2029).blocks
    assert local_days(blocks) == [date(2026, 6, 1), date(2026, 6, 15)]


def test_only_occurrences_inside_the_window_are_kept(app):
    with app.app_context():
        blocks = read_closures(
            HOLIDAYS.read_bytes(), HOLIDAYS.name, (date(2027, 1, 1), date(2027, 2, 1))
        ).blocks
    assert [b.summary for b in blocks] == ["元日", "成人の日"]


# ---------------------------------------------------------------- importing


def test_import_stores_one_row_per_occurrence_for_all_venues(make):
    report = import_file(HOLIDAYS)
    rows = stored()
    assert (report.events, report.stored, report.replaced) == (35, 35, 0)
    assert len(rows) == 35
    assert {r.venue_id for r in rows} == {None}
    assert {r.source for r in rows} == {"japan_holidays_2026_2027.ics"}
    bunka = stored(uid="20261103_bunka@holidays.dekiru.example")
    assert [(r.summary, r.all_day) for r in bunka] == [("文化の日", True)]


def test_reimporting_the_same_file_replaces_its_rows_and_never_duplicates(make):
    import_file(HOLIDAYS)
    before = [(r.uid, r.starts_at, r.ends_at) for r in stored()]
    again = import_file(HOLIDAYS)
    assert (again.stored, again.replaced) == (35, 35)
    assert [(r.uid, r.starts_at, r.ends_at) for r in stored()] == before


def test_reimporting_a_changed_event_updates_it(make):
    import_file(HOLIDAYS)
    changed = HOLIDAYS.read_bytes().replace(
        "SUMMARY:文化の日".encode(), "SUMMARY:文化の日(館内行事のため休館)".encode()
    )
    import_file(HOLIDAYS, data=changed)
    assert len(stored()) == 35
    assert [r.summary for r in stored(uid="20261103_bunka@holidays.dekiru.example")] == [
        "文化の日(館内行事のため休館)"
    ]
    assert stored(summary="文化の日") == []


def test_recurring_closures_are_replaced_as_a_whole_when_their_rule_changes(make):
    venue = make.venue()
    import_file(MAINTENANCE, venue=venue)
    inspection = "monthly-inspection@chuo-kominkan.example.jp"
    assert local(stored(uid=inspection)[0].starts_at).date() == date(2026, 1, 13)
    # The hall moves its inspection to the third Tuesday: no second-Tuesday row may remain.
    moved = (
        MAINTENANCE.read_bytes()
        .replace(b"BYDAY=2TU", b"BYDAY=3TU")
        .replace(b":20260113T", b":20260120T")
    )
    import_file(MAINTENANCE, venue=venue, data=moved)
    rows = stored(uid=inspection)
    # January 2026 to March 2029 (the window ends three years after 1 April 2026).
    assert len(rows) == 39
    assert all(local(r.starts_at).weekday() == 1 for r in rows)
    assert all(15 <= local(r.starts_at).day <= 21 for r in rows)


def test_events_without_uid_get_a_stable_one_so_reimport_does_not_duplicate(make):
    data = calendar(
        """
        SUMMARY:臨時休館(選挙)
        DTSTART;VALUE=DATE:20260705
        """
    )
    import_file(Path("election.ics"), data=data)
    import_file(Path("election.ics"), data=data)
    rows = stored()
    assert [r.summary for r in rows] == ["臨時休館(選挙)"]
    assert rows[0].uid.startswith("no-uid-")


def test_a_venue_import_and_an_all_venue_import_are_separate_scopes(make):
    chuo, kita = make.venue(), make.venue()
    import_file(HOLIDAYS)
    import_file(HOLIDAYS, venue=chuo)
    report = import_file(HOLIDAYS, venue=kita)
    assert report.replaced == 0
    import_file(HOLIDAYS, venue=chuo)
    counts = {scope: len(stored(venue_id=scope)) for scope in (chuo.id, kita.id)} | {
        None: len([r for r in stored() if r.venue_id is None])
    }
    assert counts == {chuo.id: 35, kita.id: 35, None: 35}


def test_events_with_no_date_in_the_window_are_counted_not_stored(make):
    report = import_closures(
        HOLIDAYS.read_bytes(), venue=None, source=HOLIDAYS.name, today=date(2029, 6, 1)
    )
    # From 2028-06-01 on, none of the 2026–2027 holidays is left.
    assert (report.stored, report.outside_window) == (0, 35)
    assert any("35件の予定は" in line for line in report.summary())


# ---------------------------------------------------------------- bad files


SHIFT_JIS = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:元日\r\nEND:VEVENT\r\n".encode("shift_jis")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "は空です"),
        (b"date,name\n2026-01-01,New Year\n", "1行目が BEGIN:VCALENDAR ではなく「date,name」"),
        (SHIFT_JIS, "UTF-8 ではありません"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "予定(VEVENT)が1件もありません"),
        (
            calendar("UID:x\nSUMMARY:点検日"),
            "予定「点検日」(UID x)に開始日時(DTSTART)がありません",
        ),
        (
            calendar("UID:y\nSUMMARY:清掃日\nDTSTART:2026-06-01"),
            "予定「清掃日」(UID y)の DTSTART が読めません",
        ),
        (
            calendar("UID:z\nSUMMARY:工事\nDTSTART:20260601T090000\nRRULE:FREQ=SOMETIMES"),
            "予定「工事」(UID z)の日時やくり返し(RRULE)を展開できません",
        ),
        (
            calendar("UID:h\nSUMMARY:毎時\nDTSTART:20260601T090000\nRRULE:FREQ=HOURLY"),
            "くり返しが多すぎます",
        ),
        (
            calendar(
                "UID:b\nSUMMARY:逆\nDTSTART:20260601T170000\nDTEND:20260601T090000",
            ),
            "予定「逆」(UID b)は終了(DTEND)が開始より前です",
        ),
    ],
)
def test_a_bad_file_is_refused_naming_the_problem_and_changes_nothing(make, data, expected):
    import_file(HOLIDAYS)
    with pytest.raises(ValidationError) as refused:
        import_file(Path("closures.ics"), data=data)
    assert "closures.ics" in refused.value.message
    assert expected in refused.value.message
    assert refused.value.fields == {"file": refused.value.message}
    assert len(stored()) == 35
