"""A message as its recipient reads it: composed when its job claims it, in their language,
from the notices it collected."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from icalendar import Calendar
from markupsafe import Markup, escape

from app.mail.kinds import KINDS
from app.mail.models import MailMessage, MailNotice
from app.mail.outbox import METHODS, locale_for
from app.mail.preferences import settings_url
from app.timeutil import utcnow

PRODID = "-//Dekiru//Mail//JA"


def _domain() -> str:
    server = current_app.config.get("SERVER_NAME") or ""
    return server.split(":")[0] or "dekiru.local"


def _subject(notices: list[MailNotice]) -> str:
    if len(notices) == 1:
        return notices[0].subject
    kinds = {n.kind for n in notices}
    if len(kinds) == 1 and (registered := KINDS.get(next(iter(kinds)))) is not None:
        return registered.batch_subject(len(notices))
    return ngettext("%(num)d件のお知らせ", "%(num)d件のお知らせ", len(notices))


def _html_of(notice: MailNotice) -> Markup:
    if notice.html:
        return Markup(notice.html)  # the calling area rendered it, escaping what it quotes
    paragraphs = notice.text.strip().split("\n\n")
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in p.split("\n")))
        for p in paragraphs
    )


def merge_ics(parts: list[bytes], method: str) -> bytes | None:
    """One VCALENDAR of this METHOD holding every event of the notices', each time zone
    once: a mail client shows one invitation per method, not one per notice."""
    merged = Calendar()
    merged.add("prodid", PRODID)
    merged.add("version", "2.0")
    merged.add("method", method)
    zones: set[str] = set()
    events = []
    for part in parts:
        calendar = Calendar.from_ical(part)
        if str(calendar.get("METHOD", "")).upper() != method:
            continue
        for component in calendar.subcomponents:
            if component.name == "VTIMEZONE":
                tzid = str(component.get("TZID"))
                if tzid not in zones:
                    zones.add(tzid)
                    merged.add_component(component)
            elif component.name == "VEVENT":
                events.append(component)
    if not events:
        return None
    for event in events:
        merged.add_component(event)
    ics: bytes = merged.to_ical()
    return ics


def compose(message: MailMessage) -> None:
    """Write the message's subject, bodies and invitations (once: a retry sends the same)."""
    notices = list(message.notices)
    with force_locale(locale_for(message.to_email)):
        link = settings_url(message.to_email, message.site_url)
        footer = _("通知の設定(言語・受け取る通知): %(url)s", url=link)
        subject = _subject(notices)
        texts = [n.text.strip() for n in notices]
        heading = (
            ngettext(
                "%(num)d件のお知らせがあります。", "%(num)d件のお知らせがあります。", len(notices)
            )
            if len(notices) > 1
            else ""
        )
        divider = "\n\n" + "-" * 40 + "\n\n"
        text = (heading + "\n\n" if heading else "") + divider.join(texts)
        text += "\n\n--\n" + footer + "\n"
        settings_words = _("通知の設定")
        html = Markup("<!doctype html><html><body>")
        if heading:
            html += Markup("<p>{}</p>").format(heading)
        html += Markup("<hr>").join(
            Markup("<section>{}</section>").format(_html_of(n)) for n in notices
        )
        html += Markup('<hr><p><a href="{}">{}</a></p></body></html>').format(link, settings_words)
    message.subject = subject[:500]
    message.text_body = text
    message.html_body = str(html)
    parts = [n.ics for n in notices if n.ics]
    message.ics_request = merge_ics(parts, "REQUEST")
    message.ics_cancel = merge_ics(parts, "CANCEL")
    if message.message_id is None:
        message.message_id = make_msgid(idstring=f"mail{message.id}", domain=_domain())


def as_email(message: MailMessage) -> EmailMessage:
    """The mail itself: text with an HTML alternative, each invitation attached as
    text/calendar with its method (RFC 6047)."""
    mail = EmailMessage()
    mail["Subject"] = message.subject or ""
    mail["From"] = current_app.config.get("MAIL_FROM") or f"dekiru@{_domain()}"
    mail["To"] = (
        formataddr((message.to_name, message.to_email)) if message.to_name else message.to_email
    )
    mail["Date"] = format_datetime(message.claimed_at or utcnow())
    mail["Message-ID"] = message.message_id or make_msgid(domain=_domain())
    mail.set_content(message.text_body or "")
    if message.html_body:
        mail.add_alternative(message.html_body, subtype="html")
    for method in METHODS:
        ics = message.ics(method)
        if ics:
            mail.add_attachment(
                ics,
                maintype="text",
                subtype="calendar",
                filename="cancel.ics" if method == "CANCEL" else "invite.ics",
                params={"method": method, "charset": "UTF-8"},
            )
    return mail
