"""Dekiru writes each event itself, faster than icalendar; a calendar app must not see the
difference: the bytes are icalendar's own, byte for byte, for the text people really type
(long Japanese lines, commas and semicolons, line breaks) and for every kind of event."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event

from app.calendars.writer import EventText, vevent
from app.timeutil import TOKYO

START = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def icalendar_writes(text: EventText) -> bytes:
    """The same event through icalendar's public API, the way its documentation adds them."""
    event = Event()
    event.add("uid", text.uid)
    event.add("dtstamp", text.changed_at)
    event.add("last-modified", text.changed_at)
    event.add("sequence", text.sequence)
    event.add("status", text.status)
    event.add("summary", text.summary)
    event.add("location", text.location)
    event.add("description", text.description)
    event.add("url", text.url)
    event.add("categories", [text.category])
    for name, moment in (("dtstart", text.starts_at), ("dtend", text.ends_at)):
        event.add(name, moment.astimezone(TOKYO) if isinstance(moment, datetime) else moment)
    return event.to_ical()


def _text(**changes) -> EventText:
    base = EventText(
        uid="session-12@dekiru.example",
        changed_at=datetime(2026, 12, 1, 3, 4, 5, 678, tzinfo=UTC),
        sequence=0,
        status="CONFIRMED",
        summary="はじめてのスマートフォン",
        location="中央公民館(中央区本町1丁目1-1)",
        description="持ち物: ご自分のスマートフォン\n詳しくは: https://dekiru.example/s/12",
        url="https://dekiru.example/public/sessions/12/signup",
        category="基本講座",
        starts_at=START,
        ends_at=START + timedelta(minutes=90),
    )
    return base._replace(**changes)


LONG_JAPANESE = "マイナンバーカードの暗証番号を忘れた方は、市役所の窓口で再設定できます。" * 4
TRICKY = [
    _text(),
    _text(summary=LONG_JAPANESE, description=LONG_JAPANESE + "\n" + LONG_JAPANESE),
    # A 3-octet character that would end at octet 75, and one that would straddle it.
    _text(summary="a" * 64 + "あ" + "い" * 30),
    _text(summary="ab" * 32 + "あ" + "い" * 30),
    _text(location="第1地区公民館, 2階; 大会議室", category="応用講座, 特別; 回"),
    _text(description="一行目\r\n二行目\r三行目\n四行目\\N五行目 C:\\Users\\a"),
    # An escape that would end a folded line goes to the next one.
    _text(description="x" * 61 + "\\;" + "y" * 40, summary="s" * 64 + "^" + "t" * 30),
    _text(description="😀" * 40 + "、🙇‍♀️" * 10),
    _text(status="CANCELLED", summary="【中止】はじめてのスマートフォン", sequence=3),
    _text(sequence=12345),
    # All-day, and times given in other zones (written in Japan time).
    _text(starts_at=date(2026, 12, 7), ends_at=date(2026, 12, 8)),
    _text(starts_at=START.astimezone(TOKYO), changed_at=START.astimezone(TOKYO)),
    _text(summary="", location="", description="", category=""),
]


def test_tricky_events_are_written_exactly_as_icalendar_writes_them():
    for text in TRICKY:
        assert vevent(text) == icalendar_writes(text), text


def test_long_lines_fold_before_75_octets_and_never_inside_a_character():
    written = vevent(TRICKY[1]) + vevent(TRICKY[7])
    for line in written.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # each physical line is whole characters
    parsed = Calendar.from_ical(b"BEGIN:VCALENDAR\r\n" + written + b"END:VCALENDAR\r\n")
    assert [str(e["SUMMARY"]) for e in parsed.walk("VEVENT")][0] == LONG_JAPANESE


def test_all_day_cancelled_and_sequence_read_back_as_given():
    event = Event.from_ical(vevent(_text(starts_at=date(2026, 12, 7), ends_at=date(2026, 12, 8))))
    assert event["DTSTART"].dt == date(2026, 12, 7)
    cancelled = Event.from_ical(vevent(TRICKY[8]))
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled["SEQUENCE"] == 3


texts = st.text(
    alphabet=st.characters(
        exclude_categories=("Cs",), exclude_characters="\x00", max_codepoint=0x1FAFF
    ),
    max_size=200,
)


@settings(max_examples=300, deadline=None)
@given(
    summary=texts,
    location=texts,
    description=texts,
    category=texts,
    sequence=st.integers(min_value=0, max_value=10**6),
    minutes=st.integers(min_value=-(10**6), max_value=10**6),
)
@example(
    summary="\\" * 100,
    location="^" * 100,
    description=",;" * 60,
    category="\\N",
    sequence=0,
    minutes=0,
)
def test_any_text_is_written_exactly_as_icalendar_writes_it(
    summary, location, description, category, sequence, minutes
):
    moment = START + timedelta(minutes=minutes)
    text = _text(
        summary=summary,
        location=location,
        description=description,
        category=category,
        sequence=sequence,
        starts_at=moment,
        ends_at=moment + timedelta(minutes=60),
        changed_at=moment - timedelta(seconds=minutes),
    )
    assert vevent(text) == icalendar_writes(text)
