"""「通知の設定」: each address's language and the kinds it receives, and the signed link in
every message that lets a person with no account (a partner's contact) choose."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.mail.kinds import KINDS, optional_kinds
from app.mail.models import MailPreference
from app.mail.outbox import LOCALES, address_key, preference
from app.transaction import atomic

# A salt of its own: a token signed for another purpose with the same key never opens this.
SALT = "dekiru-mail-settings"
SETTINGS_ENDPOINT = "mail.settings_signed"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def settings_token(email: str) -> str:
    """The token of an address's settings link. It does not expire: a link in a mail of last
    year still lets its reader stop the mail."""
    return _serializer().dumps(address_key(email))


def email_of(token: str) -> str:
    try:
        email = _serializer().loads(token)
    except BadSignature:
        raise NotFound(
            _("このリンクは使えません。メールに書かれたリンクをそのままお使いください。")
        ) from None
    if not isinstance(email, str) or "@" not in email:
        raise NotFound(
            _("このリンクは使えません。メールに書かれたリンクをそのままお使いください。")
        )
    return email


def settings_path(email: str) -> str:
    """The settings page's path for this address, without a request (the worker builds it)."""
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return adapter.build(SETTINGS_ENDPOINT, {"token": settings_token(email)})


def settings_url(email: str, site_url: str | None) -> str:
    """The whole link: on SITE_URL, else on the site as the causing request saw it,
    else on SERVER_NAME."""
    root = current_app.config.get("SITE_URL") or site_url
    if not root and current_app.config.get("SERVER_NAME"):
        return url_for(SETTINGS_ENDPOINT, token=settings_token(email), _external=True)
    return (root or "").rstrip("/") + settings_path(email)


def chosen(email: str) -> tuple[str, set[str]]:
    """(language, kinds received) as the page shows them."""
    found = preference(email)
    locale = found.locale if found is not None and found.locale in LOCALES else "ja"
    off = set(found.off_kinds or []) if found is not None else set()
    return locale, {k.name for k in optional_kinds() if k.name not in off}


@atomic
def save(email: str, *, locale: str, receive: list[str]) -> MailPreference:
    """Keep what a person chose: their language, and which optional kinds they receive (the
    others are turned off; kinds that cannot be turned off stay on whatever is sent)."""
    if locale not in LOCALES:
        raise ValidationError(
            _("言語は ja か en にしてください。"), fields={"locale": _("ja か en")}
        )
    unknown = [name for name in receive if name not in KINDS]
    if unknown:
        raise ValidationError(
            _("知らない通知の種類です: %(kinds)s", kinds=", ".join(unknown)),
            fields={"receive": _("一覧にある種類を選んでください。")},
        )
    address = address_key(email)
    row = db.session.scalar(sa.select(MailPreference).where(MailPreference.email == address))
    if row is None:
        row = MailPreference(email=address)
        db.session.add(row)
    row.locale = locale
    row.off_kinds = sorted(k.name for k in optional_kinds() if k.name not in set(receive))
    return row
