"""The outbox: each e-mail message as a row, written in the transaction of the change that
causes it, and the notices it carries; and what each person chose on 「通知の設定」.

A message is a row before it is a mail: nothing talks to SMTP inside a request, a change
rolled back sends nothing, and the job that sends it (app/mail/sending.py) claims the row
first, so that no message goes twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.timeutil import UTCDateTime, utcnow


class MailState(StrEnum):
    COLLECTING = "collecting"  # a batch still taking notices until send_after
    QUEUED = "queued"  # waiting for its job (a message of its own, or a retry)
    SENDING = "sending"  # claimed by a job that is talking to the SMTP server
    SENT = "sent"
    HELD = "held"  # composed, not sent: no MAIL_SERVER (the demo); readable on /admin/mail
    FAILED = "failed"  # refused for good, or may have been sent: an admin decides


class MailMessage(Model):
    __tablename__ = "mail_messages"
    __table_args__ = (sa.Index("ix_mail_messages_state_id", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_email: Mapped[str] = mapped_column(sa.String(254), index=True)
    to_name: Mapped[str] = mapped_column(sa.String(200), default="")
    state: Mapped[str] = mapped_column(sa.String(16), default=MailState.COLLECTING)
    # The recipient's address (lower case) while this batch takes notices, released when it
    # is claimed or its window has passed: at most one batch per person collects at a time,
    # however many transactions add notices at once (a unique key, as the jobs' key).
    collect_key: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    notice_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The address of the site as the request that caused the message saw it: the settings
    # link's host when SITE_URL is not set (a worker has no request to ask).
    site_url: Mapped[str | None] = mapped_column(sa.String(300))
    # What was sent, composed once when the job claims the message (in the recipient's
    # language), so that a retry sends the very same mail, Message-ID included.
    message_id: Mapped[str | None] = mapped_column(sa.String(250))
    subject: Mapped[str | None] = mapped_column(sa.String(500))
    text_body: Mapped[str | None] = mapped_column(sa.Text)
    html_body: Mapped[str | None] = mapped_column(sa.Text)
    ics_request: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    ics_cancel: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    notices: Mapped[list[MailNotice]] = relationship(
        back_populates="message", order_by="MailNotice.id"
    )

    def ics(self, method: str) -> bytes | None:
        return {"REQUEST": self.ics_request, "CANCEL": self.ics_cancel}.get(method)


class MailNotice(Model):
    """One thing to tell someone (a class assigned, a class changed), as the area that tells
    it rendered it in the recipient's language."""

    __tablename__ = "mail_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_id: Mapped[int] = mapped_column(sa.ForeignKey("mail_messages.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(60))
    subject: Mapped[str] = mapped_column(sa.String(500))
    text: Mapped[str] = mapped_column(sa.Text)
    html: Mapped[str | None] = mapped_column(sa.Text)
    ics: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    # The caller's own key for finding its notices again (e.g. "session-12").
    about: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    message: Mapped[MailMessage] = relationship(back_populates="notices")


class MailPreference(Model):
    """What one address chose on 「通知の設定」: keyed by the address, not by an account, so
    that a partner's contact with no account chooses as staff do."""

    __tablename__ = "mail_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # lower case
    locale: Mapped[str] = mapped_column(sa.String(5), default="ja")
    off_kinds: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
