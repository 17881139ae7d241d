"""Staff accounts and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.auth.models import ApiToken, Role, User, password_matches
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.text import clean
from app.timeutil import utcnow
from app.transaction import atomic

if TYPE_CHECKING:  # an account names its organization; app.orgs is the layer above
    from app.orgs.models import Organization

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "dk_"
MAX_TOKEN_DAYS = 3650
# A token's last use is written when it is older than this: a device polling every few
# seconds would otherwise write the tokens table on every request, for a page that only
# needs to say "used today" or "not used since March".
LAST_USE_PRECISION = timedelta(minutes=1)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == clean(email).lower()))


def create_user(
    email: str,
    role: str,
    password: str,
    *,
    name: str = "",
    org: Organization | None = None,
    errors: dict[str, str] | None = None,
) -> User:
    """A new account. `org` is already found (which organization a role may belong to is
    app.orgs' rule); `errors` are the caller's own field checks, reported with these."""
    email = clean(email).lower()
    errors = dict(errors or {})
    if "@" not in email or len(email) > 254:
        errors["email"] = _("メールアドレスの形式で入力してください。")
    elif find_user_by_email(email):
        errors["email"] = _("このメールアドレスは既に登録されています。")
    if role not in set(Role):
        errors["role"] = _("役割は %(roles)s のいずれかです。", roles=", ".join(Role))
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = _too_short()
    if errors:
        raise ValidationError(_("入力内容を確認してください。"), fields=errors)
    user = User(email=email, role=role, name=clean(name) or email.split("@")[0], org=org)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def _too_short() -> str:
    return _("パスワードは%(n)d文字以上にしてください。", n=MIN_PASSWORD_LENGTH)


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    return user if password_matches(user, password) else None


@atomic
def change_password(user: User, current: str, new: str, again: str) -> None:
    """A person's own change: the current password, then the new one twice. Every other
    session of theirs ends (the caller logs this one in again with the new version)."""
    errors: dict[str, str] = {}
    if not password_matches(user, current):
        errors["current"] = _("現在のパスワードが違います。")
    if len(new) < MIN_PASSWORD_LENGTH:
        errors["new"] = _too_short()
    elif new != again:
        errors["again"] = _("同じパスワードを2回入力してください。")
    if errors:
        raise ValidationError(_("入力内容を確認してください。"), fields=errors)
    user.set_password(new)
    user.session_version += 1


@atomic
def end_sessions(user: User) -> None:
    """Every session cookie of this person stops working, copies included."""
    user.session_version += 1


def user_for_session(user_id: str) -> User | None:
    """The user a session cookie names (`id.version`, see User.get_id), if still current."""
    number, _dot, version = user_id.partition(".")
    if not number.isdecimal() or not version.isdecimal():
        return None  # a cookie from before session versions, or not ours
    user = db.session.get(User, int(number))
    if user is None or not user.active or user.session_version != int(version):
        return None  # a deactivated account's open sessions end too
    return user


def token_hash(token: str) -> str:
    """What is stored of an API token (ApiToken.token_hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _days(value: int | str | None) -> int | None:
    """A number of days from 1 to MAX_TOKEN_DAYS, or None (blank) for a token that never
    expires."""
    if value is None or (isinstance(value, str) and not clean(value)):
        return None
    text = clean(str(value))
    if not text.isdecimal() or not 1 <= int(text) <= MAX_TOKEN_DAYS:
        raise ValidationError(
            _("入力内容を確認してください。"),
            fields={
                "expires_days": _(
                    "有効期限は1から%(max)dまでの日数で入力してください(空欄なら無期限)。",
                    max=MAX_TOKEN_DAYS,
                )
            },
        )
    return int(text)


def create_token(
    user: User, label: str = "", expires_days: int | str | None = None
) -> tuple[ApiToken, str]:
    """Make a token; the plain value is returned once and never stored."""
    days = _days(expires_days)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        token_hash=token_hash(plain),
        prefix=plain[:10],
        label=clean(label),
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    db.session.add(token)
    db.session.commit()
    return token, plain


def user_for_token(plain: str) -> User | None:
    now = utcnow()
    token = db.session.scalar(
        sa.select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(
            ApiToken.token_hash == token_hash(plain),
            ApiToken.revoked_at.is_(None),
            sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        )
    )
    if token is None or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_PRECISION:
        _note_use(token, now)
    return token.user


@atomic
def _note_use(token: ApiToken, now: datetime) -> None:
    token.last_used_at = now


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
        )
    )


def revoke_token(user: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id and user.role != Role.ADMIN):
        raise NotFound(_("そのトークンは見つかりません。"))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token


def revoke_tokens_by_prefix(prefix: str) -> int:
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.prefix == prefix, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = utcnow()
    db.session.commit()
    return len(tokens)
