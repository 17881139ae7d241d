"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, parsed as a mail
client would, and the app sending to it: for every test that reads what Dekiru e-mailed."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


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
