"""Staff accounts and API tokens."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.auth.models import ApiToken, Role, User, password_matches
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.orgs.models import Organization
from app.text import clean
from app.timeutil import utcnow

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "dk_"


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == clean(email).lower()))


def create_user(
    email: str, role: str, password: str, *, name: str = "", org_slug: str | None = None
) -> User:
    email = clean(email).lower()
    errors: dict[str, str] = {}
    if "@" not in email or len(email) > 254:
        errors["email"] = _("メールアドレスの形式で入力してください。")
    elif find_user_by_email(email):
        errors["email"] = _("このメールアドレスは既に登録されています。")
    if role not in set(Role):
        errors["role"] = _("役割は %(roles)s のいずれかです。", roles=", ".join(Role))
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = _("パスワードは%(n)d文字以上にしてください。", n=MIN_PASSWORD_LENGTH)
    org = None
    if org_slug:
        org = db.session.scalar(sa.select(Organization).where(Organization.slug == org_slug))
        if org is None:
            errors["org"] = _("団体「%(slug)s」は見つかりません。", slug=org_slug)
    if role == Role.PARTNER and not org_slug:
        errors["org"] = _("協力団体の利用者には所属団体が必要です。")
    elif role == Role.PARTNER and org is not None and not org.is_partner:
        errors["org"] = _(
            "協力団体の利用者は、自治体以外の団体(NPO・携帯電話ショップ・自治会)に所属させてください。"
        )
    if errors:
        raise ValidationError(_("入力内容を確認してください。"), fields=errors)
    user = User(email=email, role=role, name=clean(name) or email.split("@")[0], org=org)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    return user if password_matches(user, password) else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, label: str = "") -> tuple[ApiToken, str]:
    """Make a token; the plain value is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, token_hash=_hash(plain), prefix=plain[:10], label=clean(label))
    db.session.add(token)
    db.session.commit()
    return token, plain


def user_for_token(plain: str) -> User | None:
    token = db.session.scalar(
        sa.select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == _hash(plain), ApiToken.revoked_at.is_(None))
    )
    if token is None or not token.user.active:
        return None
    return token.user


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
