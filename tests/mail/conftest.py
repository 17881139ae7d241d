"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, parsed as a mail
client would; test kinds of notice; an invitation to attach."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from icalendar import Calendar, Event, Timezone, TimezoneStandard

from app.extensions import db
from app.mail.kinds import kind
from app.mail.outbox import notify
from app.timeutil import TOKYO, utcnow

CHANGE, CANCEL, OTHER = "test_changed", "test_cancelled", "test_other"
kind(CHANGE, "講座の変更(テスト)", batch_subject=lambda n: f"{n}件の講座が変更されました")
kind(
    CANCEL,
    "講座の中止(テスト)",
    batch_subject=lambda n: f"{n}件の講座が中止になりました",
    optional=False,
)
kind(OTHER, "その他(テスト)", batch_subject=lambda n: f"その他{n}件")


@dataclass
class Received:
    sender: str
    recipients: list[str]
    mail: EmailMessage


@dataclass
class Handler:
    """Keeps each mail; answers 451 to the first `refuse` DATA commands, and 550 to RCPT
    for the addresses in `unknown`."""

    received: list[Received] = field(default_factory=list)
    refuse: int = 0
    unknown: set[str] = field(default_factory=set)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.unknown:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        mail = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), mail))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    """The server, and the app sending to it (no TLS: a local test server)."""
    handler = Handler()

    def authenticate(server, session, envelope, mechanism, auth_data):
        handler.logins.append(auth_data.login.decode())
        return AuthResult(success=auth_data.password == b"s3cret")

    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=_free_port(),
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_USE_TLS=False,
        MAIL_FROM="若葉市デジタル推進課 <dekiru@city.example.jp>",
        JOB_RETRY_DELAY=1,
    )
    yield handler
    controller.stop()


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
