"""Writing to the outbox, in the caller's transaction, and what the admins' outbox lists.

notify() may be called from an ORM event inside a flush (a session changed, its people
told), where the session itself may not be used: it writes with plain statements on the
session's connection, as app.jobs.queue.enqueue does, and queues its job the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from math import ceil

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from icalendar import Calendar
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import make_transient_to_detached

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.jobs.queue import enqueue
from app.mail.kinds import KINDS
from app.mail.models import MailMessage, MailNotice, MailPreference, MailState
from app.text import clean
from app.timeutil import utcnow
from app.transaction import atomic

SEND_JOB = "mail_send"
LOCALES = ("ja", "en")
METHODS = ("REQUEST", "CANCEL")


def send_job_key(mail_id: int) -> str:
    return f"{SEND_JOB}:{mail_id}"


def address_key(email: str) -> str:
    """The form an address is compared in: trimmed, lower case (the domain is case-blind,
    and nobody has two mailboxes differing only in case)."""
    return clean(email).lower()


def _connection(session: OrmSession | None = None) -> sa.Connection:
    return (session or db.session()).connection()


def preference(email: str, session: OrmSession | None = None) -> MailPreference | None:
    row = (
        _connection(session)
        .execute(
            sa.select(MailPreference.locale, MailPreference.off_kinds).where(
                MailPreference.email == address_key(email)
            )
        )
        .first()
    )
    if row is None:
        return None
    # A plain value, not a session object: this may run inside a flush.
    return MailPreference(email=address_key(email), locale=row.locale, off_kinds=row.off_kinds)


def locale_for(email: str) -> str:
    """The language someone reads their mail in: Japanese unless they chose English on
    「通知の設定」 (staff and contacts alike: the choice is kept by address)."""
    chosen = preference(email)
    return chosen.locale if chosen is not None and chosen.locale in LOCALES else "ja"


def wants(email: str, kind: str) -> bool:
    """Whether the person receives this kind: False once they turned it off; always True
    for a kind that may not be turned off (a cancellation)."""
    registered = KINDS.get(kind)
    if registered is None:
        raise ValueError(f"no kind of notice {kind!r}: register it with app.mail.kinds.kind")
    if not registered.optional:
        return True
    chosen = preference(email)
    return chosen is None or kind not in (chosen.off_kinds or [])


def batch_window() -> timedelta:
    return timedelta(minutes=int(current_app.config["MAIL_BATCH_MINUTES"]))


def _check_ics(ics: bytes) -> None:
    """A caller's invitation must be a whole VCALENDAR with a METHOD we attach (a mistake
    in code, caught in the caller's transaction rather than at send time)."""
    try:
        calendar = Calendar.from_ical(ics)
    except ValueError as exc:
        raise ValueError(f"ics is not an iCalendar object: {exc}") from exc
    method = str(calendar.get("METHOD", "")).upper()
    if method not in METHODS:
        raise ValueError(f"ics needs METHOD:REQUEST or METHOD:CANCEL, not {method or 'none'}")


def _site_url() -> str | None:
    return request.url_root if has_request_context() else None


def _join_batch(connection: sa.Connection, key: str) -> int | None:
    """The person's batch still collecting, counted one notice more. The UPDATE also locks
    the row until this transaction ends, so a job claiming the batch meanwhile waits, then
    sends it with this notice in it."""
    result = connection.execute(
        sa.update(MailMessage)
        .where(MailMessage.collect_key == key, MailMessage.state == MailState.COLLECTING)
        .values(notice_count=MailMessage.notice_count + 1)
        .returning(MailMessage.id)
    )
    return result.scalar()


def _new_message(
    connection: sa.Connection, *, to_email: str, to_name: str, key: str | None, delay: timedelta
) -> int | None:
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    statement = (
        insert(MailMessage)
        .values(
            to_email=to_email,
            to_name=to_name,
            state=MailState.COLLECTING if key else MailState.QUEUED,
            collect_key=key,
            notice_count=1,
            created_at=now,
            send_after=now + delay,
            site_url=_site_url(),
            attempts=0,
        )
        .on_conflict_do_nothing()
        .returning(MailMessage.id)
    )
    return connection.execute(statement).scalar()


def notify(
    *,
    to_email: str,
    to_name: str,
    kind: str,
    subject: str,
    text: str,
    html: str | None = None,
    ics: bytes | None = None,
    batch: bool = True,
    about: str | None = None,
    session: OrmSession | None = None,
) -> MailNotice | None:
    """Tell someone something by e-mail, in the caller's transaction (never commits).

    subject/text/html are the caller's, already in locale_for(to_email); ics a whole
    VCALENDAR with METHOD:REQUEST or CANCEL. With `batch`, the notice joins the person's
    message still collecting (started less than MAIL_BATCH_MINUTES ago) or starts one sent
    that many minutes later; without, it goes alone, at once. None when the person turned
    this kind off. The notice returned is detached (this may run inside a flush): its id
    finds it afterwards. `session`: the flushing session, from an ORM event."""
    address = clean(to_email)
    if "@" not in address:
        raise ValidationError(
            _("メールアドレスが正しくありません: %(email)s", email=address),
            fields={"to_email": _("「名前@ドメイン」の形で書いてください。")},
        )
    if not wants(address, kind):
        return None
    if ics is not None:
        _check_ics(ics)
    connection = _connection(session)
    now, window = utcnow(), batch_window()
    mail_id: int | None = None
    if batch:
        key = address_key(address)
        # A batch past its window still collecting (its job late: no worker) is left to go
        # as it is; this notice starts the next one.
        connection.execute(
            sa.update(MailMessage)
            .where(MailMessage.collect_key == key, MailMessage.created_at <= now - window)
            .values(collect_key=None)
        )
        for _try in range(2):  # a batch started meanwhile by another transaction: join it
            mail_id = _join_batch(connection, key)
            if mail_id is not None:
                break
            mail_id = _new_message(
                connection, to_email=address, to_name=to_name, key=key, delay=window
            )
            if mail_id is not None:
                _queue_send(mail_id, window, session)
                break
        if mail_id is None:
            raise RuntimeError(f"no batch for {key} could be joined or started")
    else:
        mail_id = _new_message(
            connection, to_email=address, to_name=to_name, key=None, delay=timedelta(0)
        )
        assert mail_id is not None  # no key: nothing to conflict with
        _queue_send(mail_id, timedelta(0), session)
    values = {
        "mail_id": mail_id,
        "kind": kind,
        "subject": subject,
        "text": text,
        "html": html,
        "ics": ics,
        "about": about,
        "created_at": now,
    }
    notice_id = connection.execute(
        sa.insert(MailNotice).values(**values).returning(MailNotice.id)
    ).scalar_one()
    notice = MailNotice(id=notice_id, **values)
    make_transient_to_detached(notice)
    return notice


def _queue_send(mail_id: int, delay: timedelta, session: OrmSession | None) -> None:
    enqueue(
        SEND_JOB,
        {"mail_id": mail_id},
        key=send_job_key(mail_id),
        delay=delay.total_seconds(),
        trigger="change",
        session=session,
    )


# ---------------------------------------------------------------- what the admins see


PER_PAGE = 50
STATES = tuple(MailState)


@dataclass
class OutboxPage:
    items: list[MailMessage]
    total: int
    page: int
    per_page: int
    failed: list[MailMessage]
    counts: dict[str, int]

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))


def outbox(state: str | None = None, page: int = 1, per_page: int = PER_PAGE) -> OutboxPage:
    """The outbox, newest first, perhaps of one state; the failed ones apart, for the top."""
    if state is not None and state not in STATES:
        raise ValidationError(
            _("状態「%(state)s」はありません。", state=state),
            fields={"state": _("次のどれかにしてください: %(states)s", states=", ".join(STATES))},
        )
    query = sa.select(MailMessage)
    if state:
        query = query.where(MailMessage.state == state)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    page = max(1, min(page, max(1, ceil(total / per_page))))
    items = db.session.scalars(
        query.order_by(MailMessage.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    failed = db.session.scalars(
        sa.select(MailMessage)
        .where(MailMessage.state == MailState.FAILED)
        .order_by(MailMessage.id.desc())
        .limit(PER_PAGE)
    ).all()
    counts: dict[str, int] = dict(
        db.session.execute(
            sa.select(MailMessage.state, sa.func.count()).group_by(MailMessage.state)
        ).all()
    )
    return OutboxPage(list(items), total, page, per_page, list(failed), counts)


def failed_count() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(MailMessage)
            .where(MailMessage.state == MailState.FAILED)
        )
        or 0
    )


def message(mail_id: int) -> MailMessage:
    found = db.session.scalar(
        sa.select(MailMessage)
        .options(sa.orm.selectinload(MailMessage.notices))
        .where(MailMessage.id == mail_id)
    )
    if found is None:
        raise NotFound(_("メール(ID %(id)s)はありません。", id=mail_id))
    return found


@atomic
def retry_message(mail_id: int) -> MailMessage:
    """Send again, on an admin's word, a message that failed (perhaps sent already: the
    admin decided) or was held for want of a server. One transaction."""
    found = db.session.get(MailMessage, mail_id)
    if found is None or found.state not in (MailState.FAILED, MailState.HELD):
        raise NotFound(_("やり直せるメール(ID %(id)s)はありません。", id=mail_id))
    found.state = MailState.QUEUED
    found.error = None
    found.attempts = 0
    found.send_after = utcnow()
    db.session.flush()
    _queue_send(found.id, timedelta(0), None)
    return found
