"""Test kinds of notice, an invitation to attach, and the local SMTP server (tests/smtp.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage

from icalendar import Calendar, Event, Timezone, TimezoneStandard

from app.extensions import db
from app.mail.kinds import kind
from app.mail.outbox import notify
from app.timeutil import TOKYO, utcnow
from tests.smtp import Handler, Received, smtp  # noqa: F401  (the fixture, for these tests)

CHANGE, CANCEL, OTHER = "test_changed", "test_cancelled", "test_other"
kind(CHANGE, "講座の変更(テスト)", batch_subject=lambda n: f"{n}件の講座が変更されました")
kind(
    CANCEL,
    "講座の中止(テスト)",
    batch_subject=lambda n: f"{n}件の講座が中止になりました",
    optional=False,
)
kind(OTHER, "その他(テスト)", batch_subject=lambda n: f"その他{n}件")


def invitation(
    uid: str, start: datetime, *, method: str = "REQUEST", summary="スマホ教室"
) -> bytes:
    """A VCALENDAR as the staffing area writes one: a VTIMEZONE and one VEVENT."""
    calendar = Calendar()
    calendar.add("prodid", "-//Dekiru tests//JA")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    zone = Timezone()
    zone.add("tzid", "Asia/Tokyo")
    standard = TimezoneStandard()
    # A VTIMEZONE rule starts at a local time, with no zone of its own (RFC 5545).
    standard.add("dtstart", datetime(1970, 1, 1))  # noqa: DTZ001
    standard.add("tzoffsetfrom", timedelta(hours=9))
    standard.add("tzoffsetto", timedelta(hours=9))
    standard.add("tzname", "JST")
    zone.add_component(standard)
    calendar.add_component(zone)
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", start.astimezone(TOKYO))
    event.add("dtend", start.astimezone(TOKYO) + timedelta(hours=1))
    event.add("summary", summary)
    event.add("sequence", 0)
    calendar.add_component(event)
    return calendar.to_ical()


def tell(to="yamada@example.jp", kind_name=CHANGE, n=1, *, ics=None, batch=True, name="山田"):
    """A notice in a transaction of its own, as a change in another area would make it."""
    found = notify(
        to_email=to,
        to_name=name,
        kind=kind_name,
        subject=f"講座{n}が変更されました",
        text=f"講座{n}の時間が変わりました。\n新しい時間: 10:00",
        ics=ics,
        batch=batch,
        about=f"session-{n}",
    )
    db.session.commit()
    return found


def parts(mail: EmailMessage) -> dict[str, list]:
    """The mail's leaves by content type."""
    found: dict[str, list] = {}
    for part in mail.walk():
        if not part.is_multipart():
            found.setdefault(part.get_content_type(), []).append(part)
    return found
