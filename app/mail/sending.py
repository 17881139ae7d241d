"""Sending one message: the job "mail_send", queued by notify() for when its batch closes.

Never twice: the message is claimed by one UPDATE (collecting/queued → sending), committed
before the SMTP server is spoken to, and marked sent after. A run that finds its message
still "sending" comes after a worker that died mid-send: the mail may have gone, so it is not
sent again but marked failed with that reason, for an admin to send again on purpose.
"""

from __future__ import annotations

import smtplib
import ssl
from email.utils import parseaddr
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.jobs.models import Job
from app.jobs.registry import JobFailed, Retry, handler
from app.mail.compose import as_email, compose
from app.mail.models import MailMessage, MailState
from app.mail.outbox import SEND_JOB
from app.timeutil import utcnow
from app.transaction import rowcount

SMTP_TIMEOUT = 30  # seconds for the connection and each reply: a hung server is a retry


class Refused(Exception):
    """The server said no for good (5xx): unlike a Retry, no later attempt mends it."""


def _flag(value: object) -> bool:
    """A yes/no setting, from the environment as text ("false", "0", "no") or from code."""
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise RuntimeError(f"MAIL_USE_TLS must be true or false, not {value!r}")


def _envelope_from() -> str:
    header = current_app.config.get("MAIL_FROM") or ""
    return parseaddr(header)[1] or header


def _deliver(message: MailMessage) -> None:
    """Hand the mail to the SMTP server. Refused for a 5xx answer; any other failure (4xx,
    a refused or lost connection, a timeout) may pass and is raised as it is."""
    config = current_app.config
    mail = as_email(message)
    try:
        with smtplib.SMTP(
            config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=SMTP_TIMEOUT
        ) as smtp:
            if _flag(config.get("MAIL_USE_TLS")):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(mail, from_addr=_envelope_from(), to_addrs=[message.to_email])
    except smtplib.SMTPRecipientsRefused as exc:
        answers = list(exc.recipients.values())
        text = "; ".join(f"{code} {_text(reply)}" for code, reply in answers)
        if answers and all(code >= 500 for code, _reply in answers):
            raise Refused(text) from exc
        raise Retry(text) from exc
    except smtplib.SMTPResponseException as exc:  # the sender, the data, the login refused
        text = f"{exc.smtp_code} {_text(exc.smtp_error)}"
        if exc.smtp_code >= 500:
            raise Refused(text) from exc
        raise Retry(text) from exc
    except (smtplib.SMTPException, OSError) as exc:  # no connection, lost, timed out
        raise Retry(
            _("メールサーバーにつながりません: %(error)s", error=str(exc) or repr(exc))
        ) from exc


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _set(mail_id: int, **values: Any) -> None:
    db.session.execute(sa.update(MailMessage).where(MailMessage.id == mail_id).values(**values))
    db.session.commit()


@handler(SEND_JOB)
def send_message(job: Job) -> dict[str, Any]:
    mail_id = int(job.args["mail_id"])
    now = utcnow()
    claimed = rowcount(
        db.session.execute(
            sa.update(MailMessage)
            .where(
                MailMessage.id == mail_id,
                MailMessage.state.in_((MailState.COLLECTING, MailState.QUEUED)),
            )
            .values(
                state=MailState.SENDING,
                collect_key=None,  # closed: later notices start the next batch
                claimed_at=now,
                attempts=MailMessage.attempts + 1,
            )
        )
    )
    db.session.commit()
    message = db.session.get(MailMessage, mail_id)
    if message is None:
        raise JobFailed(_("メール(ID %(id)s)はありません。", id=mail_id))
    if not claimed:
        if message.state == MailState.SENDING:
            _set(
                mail_id,
                state=MailState.FAILED,
                error=_(
                    "送信の途中で処理が止まりました。届いている可能性があるため、"
                    "自動では送り直しません。確かめてから「もう一度送る」を押してください。"
                ),
            )
            return {"mail_id": mail_id, "outcome": "may_have_been_sent"}
        return {"mail_id": mail_id, "outcome": f"already_{message.state}"}
    if message.subject is None:
        compose(message)
        db.session.commit()
    if not current_app.config.get("MAIL_SERVER"):
        _set(mail_id, state=MailState.HELD, error=None)
        return {"mail_id": mail_id, "outcome": "held"}
    try:
        _deliver(message)
    except Refused as exc:
        _set(mail_id, state=MailState.FAILED, error=str(exc))
        raise JobFailed(
            _("メールサーバーが受け取りを断りました: %(error)s", error=str(exc))
        ) from exc
    except Retry as exc:
        last = job.attempts >= int(current_app.config["JOB_ATTEMPTS"])
        # Back to queued, so that the next attempt claims it again; on the last, failed.
        _set(mail_id, state=MailState.FAILED if last else MailState.QUEUED, error=str(exc))
        if last:
            raise JobFailed(str(exc)) from exc
        raise
    _set(mail_id, state=MailState.SENT, sent_at=utcnow(), error=None)
    return {"mail_id": mail_id, "outcome": "sent"}
