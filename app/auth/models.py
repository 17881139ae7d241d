"""Staff accounts, their single role, and API tokens."""

from __future__ import annotations

import functools
import secrets
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import Model
from app.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:  # referenced by name: app.orgs imports this module for its pages
    from app.orgs.models import Organization


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    INSTRUCTOR = "instructor"
    PARTNER = "partner"


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(20))
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Raised when the password changes and at logout: a session cookie signed with an older
    # number (another device, a copied cookie) no longer logs anyone in.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    org: Mapped[Organization | None] = relationship()

    def get_id(self) -> str:
        """What Flask-Login keeps in the signed session cookie: the id and session version."""
        return f"{self.id}.{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def is_staff_planner(self) -> bool:
        return self.role in (Role.ADMIN, Role.COORDINATOR)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


@functools.cache
def _dummy_hash() -> str:
    # Made like every stored hash (same method, same cost), once per process.
    return generate_password_hash(secrets.token_urlsafe(16))


def password_matches(user: User | None, password: str) -> bool:
    """Whether `password` is that active user's; with no such user, a hash is checked all
    the same, so that a refusal takes as long whether or not the address has an account."""
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        return False
    return user.check_password(password)


class ApiToken(Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # Only the SHA-256 of the token is kept; the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: never
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now
